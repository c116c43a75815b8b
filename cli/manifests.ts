/**
 * Reads the committed manifests: dist/<env>/<stack>.k8s.yaml. The CLI deploys exactly these
 * files, never a fresh synth, so what is reviewed in Git is what reaches the cluster.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { CliError, UsageError } from './errors';
import { KubeObject, objectShapeProblem } from './objects';

/** The cluster-wide prerequisites every stack relies on (issuers, storage classes). */
export const PLATFORM_STACK = 'platform';
const SUFFIX = '.k8s.yaml';

/** One object of a manifest file, with where it came from. */
export interface ManifestObject {
  object: KubeObject;
  stack: string;
  /** Path of the file, relative to the dist folder (`dev/wondernest.k8s.yaml`). */
  file: string;
  /** 0-based position among the file's documents. */
  index: number;
}

/**
 * The stacks synthesized for an environment: the `<stack>.k8s.yaml` files of dist/<env>,
 * platform first, then by name.
 * @throws CliError when dist/<env> does not exist or holds no manifest
 */
export function listStacks(distDir: string, env: string): string[] {
  const dir = path.join(distDir, env);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new CliError(`${dir} does not exist: run 'npm run synth' to synthesize the manifests of environment '${env}'`);
  }
  const stacks = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length));
  if (stacks.length === 0) throw new CliError(`${dir} holds no *${SUFFIX} file: run 'npm run synth'`);
  return sortStacks(stacks);
}

function sortStacks(stacks: readonly string[]): string[] {
  return [...stacks].sort((a, b) => (a === PLATFORM_STACK ? -1 : b === PLATFORM_STACK ? 1 : a.localeCompare(b)));
}

/**
 * Which stacks to act on. No request: all of them. A request: those stacks, plus the platform
 * stack (its cluster-wide prerequisites: issuers, storage classes) when the environment has one.
 * @throws UsageError naming the unknown stack and the allowed ones
 */
export function selectStacks(available: readonly string[], requested: readonly string[]): string[] {
  if (requested.length === 0) return sortStacks(available);
  const unknown = requested.filter((s) => !available.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown stack${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `'${s}'`).join(', ')}; allowed: ${available.join(', ')}`,
    );
  }
  const chosen = new Set(requested);
  if (available.includes(PLATFORM_STACK)) chosen.add(PLATFORM_STACK);
  return sortStacks([...chosen]);
}

/** Parses one manifest file's text. @throws CliError naming the file and document on bad YAML or a malformed object */
export function parseManifest(text: string, file: string, stack: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      throw new CliError(`${file}: document ${index + 1} is not valid YAML: ${doc.errors[0].message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const problem = objectShapeProblem(value);
    if (problem) throw new CliError(`${file}: document ${index + 1} ${problem}`);
    out.push({ object: value as KubeObject, stack, file, index });
  });
  return out;
}

/** Loads the objects of the given stacks of an environment, stack by stack, in file order. */
export function loadManifests(distDir: string, env: string, stacks: readonly string[]): ManifestObject[] {
  return stacks.flatMap((stack) => {
    const rel = path.join(env, `${stack}${SUFFIX}`);
    const file = path.join(distDir, rel);
    if (!fs.existsSync(file)) throw new CliError(`${file} does not exist: run 'npm run synth'`);
    return parseManifest(fs.readFileSync(file, 'utf8'), rel, stack);
  });
}
