/**
 * Argo CD delivery: the App of Apps per environment, the AppProject that fences it, the sync
 * policy of every Application, sync waves and data protection for the objects they deploy.
 *
 * - {@link synthesizeArgoCd}: writes `<outdir>/argocd/<env>/*.k8s.yaml` for every environment.
 * - {@link syncWaveForKind} / {@link applySyncWaves}: waves of the objects inside a stack.
 * - {@link DATA_PROTECTION_ANNOTATIONS} / {@link applyDataProtection}: Prune=false,Delete=false.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { stackLabels } from '../../core/labels';
import { AppOfApps, AppOfAppsPaths } from './app-of-apps';
import { GitOpsConfig } from './gitops-config';
import { RenderedObject } from './manifest-facts';
import { PlatformRelease } from './platform-release';
import { synthPortable } from '../portable-yaml';

export * from './app-of-apps';
export * from './app-project';
export * from './data-protection';
export * from './gitops-application';
export * from './gitops-config';
export * from './manifest-facts';
export * from './platform-release';
export * from './sync-waves';

/** A stack (or the cluster configuration) as the project builds it: one cdk8s Chart per environment. */
export interface GitOpsChartSource<E> {
  /** Name: the Helm chart folder and release (stacks) or the `<name>.k8s.yaml` file (cluster configuration). */
  readonly name: string;
  /** Builds the chart for an environment (called into a scratch App; nothing is written). */
  readonly create: (scope: Construct, id: string, env: E) => Chart;
}

export interface SynthesizeArgoCdOptions<E> {
  /** The upstream charts of an environment (config/platform-charts.ts `platformReleasesFor`). */
  readonly platformReleases: (env: E) => readonly PlatformRelease[];
  /**
   * Cluster configuration synced from `<manifests>/<env>/<name>.k8s.yaml` after the operators and
   * before the stacks (ClusterIssuers, StorageClasses).
   * @default - none
   */
  readonly clusterConfig?: GitOpsChartSource<E>;
  /** Folders of the generated output inside the Git repository. @default - dist, dist/helm, dist/argocd */
  readonly paths?: AppOfAppsPaths;
  /** Labels of every Argo CD object. @default - app.kubernetes.io/part-of: gitops, managed-by: cdk8s */
  readonly labels?: Readonly<Record<string, string>>;
  /** Called with each environment's App after it is written (e.g. to record construct paths). @default - nothing */
  readonly onSynth?: (app: App, env: E) => void;
  /** Called with each file written, its objects and its text (e.g. to record them for the checks). @default - nothing */
  readonly onWrite?: (filePath: string, docs: readonly unknown[], text: string) => void;
  /**
   * The objects of a stack (or the cluster configuration) in an environment when the caller has
   * already synthesized them (undefined: build the chart again in a scratch App, {@link renderObjects}).
   * @default - every chart is built again
   */
  readonly rendered?: (source: string, env: E) => readonly RenderedObject[] | undefined;
}

/**
 * Writes the Argo CD objects of every environment into `<outdir>/argocd/<env>/`, one file per
 * object (`AppProject.<env>.k8s.yaml`, `Application.<env>-root.k8s.yaml`,
 * `Application.<env>-<component>.k8s.yaml`). `<outdir>/argocd` is recreated, so a removed stack or
 * environment leaves no stale file behind.
 *
 * @param outdir the output folder (e.g. `dist`)
 * @param envs the environments (each needs a DNS-1123 `name`)
 * @param stacks the stacks; each is built once per environment to learn its namespaces, HPAs and
 *   cluster-scoped kinds
 * @param gitops the repository settings, one for all environments or per environment
 * @param options the platform charts and optional cluster configuration
 * @returns the files written, relative to `outdir`, sorted
 * @throws when a GitOps setting, a platform chart or a derived permission is invalid (before anything is written)
 */
export function synthesizeArgoCd<E extends { readonly name: string }>(
  outdir: string,
  envs: readonly E[],
  stacks: readonly GitOpsChartSource<E>[],
  gitops: GitOpsConfig | ((env: E) => GitOpsConfig),
  options: SynthesizeArgoCdOptions<E>,
): string[] {
  if (envs.length === 0) throw new Error('synthesizeArgoCd: envs is empty; expected at least one environment');
  const names = envs.map((e) => e.name);
  if (new Set(names).size !== names.length)
    throw new Error(`synthesizeArgoCd: environment names ${JSON.stringify(names)} repeat; expected unique names`);
  const labels = options.labels ?? stackLabels('gitops');

  // Build everything first: a validation error must not leave a half-written folder.
  const apps = envs.map((env) => {
    const app = new App({
      outdir: path.join(outdir, 'argocd', env.name),
      yamlOutputType: YamlOutputType.FILE_PER_RESOURCE,
      recordConstructMetadata: false,
    });
    const chart = new Chart(app, env.name, { disableResourceNameHashes: true, labels: { ...labels } });
    new AppOfApps(chart, 'app-of-apps', {
      environment: env.name,
      gitops: typeof gitops === 'function' ? gitops(env) : gitops,
      platform: options.platformReleases(env),
      clusterConfig: options.clusterConfig
        ? {
            name: options.clusterConfig.name,
            file: `${options.clusterConfig.name}.k8s.yaml`,
            objects: options.rendered?.(options.clusterConfig.name, env) ?? renderObjects(options.clusterConfig, env),
          }
        : undefined,
      stacks: stacks.map((s) => ({ name: s.name, objects: options.rendered?.(s.name, env) ?? renderObjects(s, env) })),
      paths: options.paths,
      labels,
    });
    return app;
  });

  fs.rmSync(path.join(outdir, 'argocd'), { recursive: true, force: true });
  apps.forEach((app, i) => {
    synthPortable(app, options.onWrite);
    options.onSynth?.(app, envs[i]);
  });
  return listFiles(path.join(outdir, 'argocd'))
    .map((f) => path.join('argocd', f))
    .sort();
}

/** Builds a chart for an environment in a scratch App and returns its objects. */
export function renderObjects<E>(source: GitOpsChartSource<E>, env: E): RenderedObject[] {
  const scratch = new App({ recordConstructMetadata: false });
  return source.create(scratch, source.name, env).toJson() as RenderedObject[];
}

function listFiles(dir: string, base = dir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  });
}
