import { createHash } from 'crypto';
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
 * File written next to construct-metadata.json at synth: the objects of each manifest file as the app
 * wrote them, with the SHA-256 of the file's text. The checks take a file's objects from here only
 * while the file still has that hash; otherwise (edited, or written by something else) they parse it.
 */
export const MANIFEST_OBJECTS_FILE = 'manifest-objects.json';

/** Contents of `<outdir>/manifest-objects.json`: file (relative to the outdir, `/`-separated) -> hash and objects. */
export interface ManifestObjectsCache {
  readonly version: 1;
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly objects: readonly unknown[] }>>;
}

/** Hex SHA-256 of a manifest's text. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Collects what the app writes (see {@link MANIFEST_OBJECTS_FILE}) and writes the file. */
export class ManifestObjectsRecorder {
  private readonly entries: string[] = [];
  constructor(private readonly outdir: string) {}

  /** One manifest file as written: its path, its text and the objects (documents) it holds. */
  public record(file: string, text: string, docs: readonly unknown[]): void {
    const rel = path.relative(this.outdir, file).split(path.sep).join('/');
    const objects = docs.filter((d) => d !== null && d !== undefined);
    // serialized now: the objects are shared with later writers (Argo CD, Helm), which must not change what is recorded
    this.entries.push(`${JSON.stringify(rel)}:{"sha256":"${contentHash(text)}","objects":${JSON.stringify(objects)}}`);
  }

  /** Writes `<outdir>/manifest-objects.json`. */
  public write(): void {
    fs.writeFileSync(path.join(this.outdir, MANIFEST_OBJECTS_FILE), `{"version":1,"files":{${this.entries.join(',')}}}`);
  }
}

/** Reads `<outdir>/manifest-objects.json` if present and of this version. */
export function loadManifestObjects(outdir: string): ManifestObjectsCache | undefined {
  const p = path.join(outdir, MANIFEST_OBJECTS_FILE);
  if (!fs.existsSync(p)) return undefined;
  const cache = JSON.parse(fs.readFileSync(p, 'utf8')) as ManifestObjectsCache;
  return cache.version === 1 ? cache : undefined;
}

/**
 * Parses every YAML document of a manifest file (empty documents dropped). Throws naming the file
 * on a YAML error. A document is taken as a {@link KubeObject}; the schema check reports one that is not.
 * @param recorded the objects recorded at synth for this file: used (instead of parsing) when its text has their hash
 */
export function parseManifestFile(file: string, recorded?: ManifestObjectsCache['files'][string]): KubeObject[] {
  const text = fs.readFileSync(file, 'utf8');
  if (recorded && recorded.sha256 === contentHash(text)) return recorded.objects as KubeObject[];
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
 * Objects come from `<outdir>/manifest-objects.json` for the files whose text is unchanged since synth.
 */
export function loadManifests(outdir: string, files?: readonly string[]): ManifestObject[] {
  const all = files ?? listYaml(outdir);
  const recorded = loadManifestObjects(outdir)?.files;
  const out: ManifestObject[] = [];
  for (const abs of all) {
    const rel = path.relative(outdir, abs).split(path.sep).join('/');
    const [top] = rel.split('/');
    if (top === 'helm' || rel.startsWith('..')) continue;
    const env = rel.includes('/') ? top : '_';
    parseManifestFile(abs, recorded && Object.prototype.hasOwnProperty.call(recorded, rel) ? recorded[rel] : undefined).forEach(
      (object, index) => out.push({ env, file: rel, index, object }),
    );
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
