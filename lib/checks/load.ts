import * as fs from 'fs';
import * as path from 'path';
import type * as Yaml from 'yaml';
import { parseSimpleYaml } from './fast-yaml';
import { EnvironmentFacts, KubeObject, ManifestObject } from './types';

/** File written next to the environment folders at synth: construct paths and declared service graphs. */
export const CONSTRUCT_METADATA_FILE = 'construct-metadata.json';

/** Contents of `<outdir>/construct-metadata.json` (the `resources` part is the format the cdk8s CLI reads). */
export interface ConstructMetadata {
  readonly version: string;
  /** Object key (`<env>/<kind>/<namespace or _>/<name>`) -> construct path. */
  readonly resources: Readonly<Record<string, { readonly path: string }>>;
  /** Per environment: declared service graphs and the monitoring release label. */
  readonly environments: Readonly<Record<string, EnvironmentFacts>>;
}

/**
 * Parses every YAML document of a manifest file (empty documents dropped). Throws naming the file
 * on a YAML error. A document is taken as a {@link KubeObject}; the schema check reports one that is not.
 */
export function parseManifestFile(file: string): KubeObject[] {
  const text = fs.readFileSync(file, 'utf8');
  // The writers' subset of YAML loads in a fraction of the full parser's time; anything else (and every error) goes to the full parser.
  const simple = parseSimpleYaml(text);
  if (simple) return simple.filter((o): o is KubeObject => o !== null && o !== undefined);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed: 72 modules, ~40 ms of a cold run
  const docs = (require('yaml') as typeof Yaml).parseAllDocuments(text);
  return docs
    .map((d, i): unknown => {
      if (d.errors.length) throw new Error(`${file}: document ${i}: ${d.errors[0].message}`);
      return d.toJS() as unknown;
    })
    .filter((o): o is KubeObject => o !== null && o !== undefined);
}

/**
 * Reads the manifests of an output folder: `<outdir>/<env>/**.yaml` for every environment folder,
 * plus any other folder of plain manifests (e.g. `argocd/`). Helm chart sources (`helm/`) are
 * templates, not manifests, and are skipped.
 * @param files restrict to these files (absolute), e.g. the list the cdk8s CLI passes to plugins
 */
export function loadManifests(outdir: string, files?: readonly string[]): ManifestObject[] {
  const all = files ?? listYaml(outdir);
  const out: ManifestObject[] = [];
  for (const abs of all) {
    const rel = path.relative(outdir, abs).split(path.sep).join('/');
    const [top] = rel.split('/');
    if (top === 'helm' || rel.startsWith('..')) continue;
    const env = rel.includes('/') ? top : '_';
    parseManifestFile(abs).forEach((object, index) => out.push({ env, file: rel, index, object }));
  }
  return out;
}

/** Reads `<outdir>/construct-metadata.json` if present. */
export function loadConstructMetadata(outdir: string): ConstructMetadata | undefined {
  const p = path.join(outdir, CONSTRUCT_METADATA_FILE);
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as ConstructMetadata) : undefined;
}

function listYaml(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return listYaml(p);
      return e.name.endsWith('.yaml') || e.name.endsWith('.yml') ? [p] : [];
    });
}
