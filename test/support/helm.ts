/**
 * Test helpers for rendering generated Helm charts with the real helm binary.
 *
 *   const objects = helmTemplate(chartDir, { valuesFiles: ['values-dev.yaml'], set: { 'api.image.tag': '9.9.9' } });
 *
 * Helm is located with `findHelm()` ($HELM, .tools/bin/helm, or PATH). When
 * it is missing every helper throws, so a test depending on it FAILS with a
 * message saying to run `npm run helm:install`; nothing is skipped silently.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { findHelm } from '../../lib/output/helm/helm-binary';
import { Doc } from './doc';

/** Outcome of one helm invocation. */
export interface HelmRunResult {
  /** Exit status (null when killed). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The command line, for error messages. */
  readonly command: string;
}

/** Options of {@link helmTemplate} / {@link helmTemplateRaw}. */
export interface HelmTemplateOptions {
  /**
   * Release name.
   * @default 't'
   */
  readonly releaseName?: string;
  /**
   * Values files passed with `-f`, in order; relative paths are resolved against the chart folder.
   * @default - only the chart's values.yaml
   */
  readonly valuesFiles?: string[];
  /**
   * `--set key=value` pairs (Helm types the values: numbers, booleans...).
   * @default - none
   */
  readonly set?: Record<string, string | number | boolean>;
  /**
   * `--set-string key=value` pairs.
   * @default - none
   */
  readonly setString?: Record<string, string>;
  /**
   * `--namespace`.
   * @default - helm's default
   */
  readonly namespace?: string;
  /**
   * Further arguments appended to the command line.
   * @default - none
   */
  readonly extraArgs?: string[];
}

let cachedHelm: string | undefined;
let helmHome: string | undefined;

/**
 * The helm binary, checked to run (`helm version --short`).
 * @throws with install instructions when helm is missing or broken
 */
export function helmBinary(): string {
  if (cachedHelm) return cachedHelm;
  const helm = findHelm();
  const r = spawnSync(helm, ['version', '--short'], { encoding: 'utf8', env: helmEnv() });
  if (r.error || r.status !== 0) {
    throw new Error(
      `helm at '${helm}' does not run (${r.error?.message ?? r.stderr.trim()}); ` + 'run `npm run helm:install` or set HELM=/path/to/helm',
    );
  }
  cachedHelm = helm;
  return helm;
}

/** Runs `helm <args>` with private HELM_*_HOME folders; never throws on a non-zero exit. */
export function runHelm(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): HelmRunResult {
  const helm = helmBinary();
  const r = spawnSync(helm, args, {
    encoding: 'utf8',
    cwd: options.cwd,
    env: helmEnv(),
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`failed to run ${helm} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, command: [helm, ...args].join(' ') };
}

/** `helm template` without interpreting the result (for asserting failures). */
export function helmTemplateRaw(chartDir: string, options: HelmTemplateOptions = {}): HelmRunResult {
  const args = ['template', options.releaseName ?? 't', chartDir];
  for (const file of options.valuesFiles ?? []) args.push('-f', path.resolve(chartDir, file));
  for (const [k, v] of Object.entries(options.set ?? {})) args.push('--set', `${k}=${v}`);
  for (const [k, v] of Object.entries(options.setString ?? {})) args.push('--set-string', `${k}=${v}`);
  if (options.namespace) args.push('--namespace', options.namespace);
  args.push(...(options.extraArgs ?? []));
  return runHelm(args);
}

/**
 * Renders `chartDir` with `helm template` and returns the parsed objects in output order.
 * @throws with helm's stderr when rendering fails, or when the output is not valid YAML
 */
export function helmTemplate(chartDir: string, options: HelmTemplateOptions = {}): Doc[] {
  const r = helmTemplateRaw(chartDir, options);
  if (r.status !== 0) {
    throw new Error(`helm template failed (exit ${r.status}): ${r.command}\n${r.stderr}`);
  }
  return parseManifests(r.stdout);
}

/** `helm lint [--strict] <chartDir> -f ...`; never throws on lint failure. */
export function helmLint(chartDir: string, options: { valuesFiles?: string[]; strict?: boolean } = {}): HelmRunResult {
  const args = ['lint', chartDir];
  if (options.strict ?? true) args.push('--strict');
  for (const file of options.valuesFiles ?? []) args.push('-f', path.resolve(chartDir, file));
  return runHelm(args);
}

/**
 * Parses a multi-document YAML stream (YAML 1.1, as Helm and kubectl read it) into
 * plain objects, dropping empty documents.
 * @throws on YAML errors
 */
export function parseManifests(text: string): Doc[] {
  return parseAllDocuments(text, { version: '1.1' }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered manifests: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: Doc = doc.toJS({ maxAliasCount: -1 });
    return value === null || value === undefined ? [] : [value];
  });
}

/** 'apiVersion kind namespace/name' of a manifest, for sorting and lookups. */
export function objectKey(obj: Doc): string {
  const ns = obj?.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj?.apiVersion} ${obj?.kind} ${ns}${obj?.metadata?.name}`;
}

/** Manifests sorted by {@link objectKey}, for order-insensitive comparison. */
export function sortObjects(objects: readonly Doc[]): Doc[] {
  return [...objects].sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : objectKey(a) > objectKey(b) ? 1 : 0));
}

/** Environment for helm with private cache/config/data folders, so tests never touch ~/.config/helm. */
function helmEnv(): NodeJS.ProcessEnv {
  if (!helmHome) {
    // One fixed folder per user, reused across runs (helm template/lint barely write to it).
    helmHome = path.join(os.tmpdir(), `helm-test-home-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
    fs.mkdirSync(helmHome, { recursive: true });
  }
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
  };
}
