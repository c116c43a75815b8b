import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { loadEnvironments } from './config';
import { STACK_MODULES, stackDefinition } from './charts';
import { StackModule } from './lib/config/stack-module';
import { PlatformChart } from './charts/platform';
import { writeHelmChart } from './lib/output/helm';
import { collectAppFacts } from './lib/checks/facts';
// lib/checks/load, not the lib/checks index: the index loads every check (and its schemas), which synth does not run.
import type { ConstructMetadata, EnvironmentFacts } from './lib/checks';
import { CONSTRUCT_METADATA_FILE, ManifestObjectsRecorder } from './lib/checks/load';
import { synthesizeArgoCd } from './lib/output/argocd';
import type { RenderedObject } from './lib/output/argocd/manifest-facts';
import { clusterAutoscalerPolicy, declaredCapacity, platformReleasesFor } from './config/platform-charts';
import { synthPortable } from './lib/output/portable-yaml';
import { writeServiceGraphDiagrams } from './lib/output/diagram';
import { writeIamPolicies } from './lib/output/iam';

/** Options of {@link synthesizeAll}. */
export interface SynthesizeOptions {
  /**
   * Write `<outdir>/construct-metadata.json` (construct paths and declared service graphs) for the
   * manifest checks. The cdk8s CLI asks for it when validations are configured.
   * @default - when CDK8S_RECORD_CONSTRUCT_METADATA is 'true'
   */
  readonly recordMetadata?: boolean;
  /**
   * The stacks to synthesize (tests add a stack folder that is not in the registry).
   * @default - every stack registered in charts/stacks.ts
   */
  readonly stacks?: readonly StackModule[];
}

/** Synthesizes every environment x stack into `<outdir>/<env>/`, and one Helm chart per stack into `<outdir>/helm/<stack>/`. */
export function synthesizeAll(outdir: string, options: SynthesizeOptions = {}): void {
  const record = options.recordMetadata ?? process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true';
  const resources: Record<string, { path: string }> = {};
  const environments: Record<string, EnvironmentFacts> = {};
  const version = (
    JSON.parse(
      fs.readFileSync(path.join(__dirname, fs.existsSync(path.join(__dirname, 'package.json')) ? '' : '..', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const modules = options.stacks ?? STACK_MODULES;
  const stacks = modules.map(stackDefinition);
  const envs = loadEnvironments(modules);
  const byStack = new Map<string, Array<{ name: string; chart: Chart }>>();
  /** `<env>/<chart>` -> the chart's objects as written (the Argo CD apps need them: no second build of every chart). */
  const written = new Map<string, readonly RenderedObject[]>();
  // The checks (cdk8s validation plugin) read each manifest's objects from here instead of parsing its YAML again.
  const recorder = record ? new ManifestObjectsRecorder(outdir) : undefined;
  for (const env of envs) {
    // recordConstructMetadata off: cdk8s would write it into dist/<env>/, where Argo CD reads manifests.
    const app = new App({
      outdir: path.join(outdir, env.name),
      yamlOutputType: YamlOutputType.FILE_PER_CHART,
      recordConstructMetadata: false,
    });
    new PlatformChart(app, 'platform', { env });
    for (const stack of stacks) {
      const chart = stack.create(app, stack.name, env);
      byStack.set(stack.name, [...(byStack.get(stack.name) ?? []), { name: env.name, chart }]);
    }
    // cdk8s's writer leaves e.g. `=` plain, which YAML 1.1 readers (PyYAML) cannot load: quote what either YAML version would retype.
    synthPortable(app, (file, docs, text) => {
      const objects = docs.filter((d): d is RenderedObject => d !== undefined && d !== null);
      written.set(`${env.name}/${path.basename(file).replace(/\.k8s\.yaml$/, '')}`, objects);
      recorder?.record(file, text, docs);
    });
    if (record) {
      const facts = collectAppFacts(app, env.name);
      Object.assign(resources, facts.resources);
      environments[env.name] = {
        monitoringRelease: env.monitoring.release,
        graphs: facts.graphs,
        databases: facts.databases,
        capacity: declaredCapacity(env),
      };
    }
  }
  // Argo CD App of Apps per environment: dist/argocd/<env>/ (its objects are checked like the rest).
  synthesizeArgoCd(outdir, envs, stacks, (env) => env.gitops, {
    platformReleases: platformReleasesFor,
    clusterConfig: { name: 'platform', create: (scope, id, env) => new PlatformChart(scope, id, { env }) },
    onSynth: record ? (app) => Object.assign(resources, collectAppFacts(app, 'argocd').resources) : undefined,
    rendered: (source, env) => written.get(`${env.name}/${source}`),
    onWrite: recorder ? (file, docs, text) => recorder.record(file, text, docs) : undefined,
  });
  if (record) {
    const metadata: ConstructMetadata = { version: '1.0.0', resources, environments };
    fs.writeFileSync(path.join(outdir, CONSTRUCT_METADATA_FILE), JSON.stringify(metadata, null, 1));
    recorder?.write();
  }
  // dist/<env>/<stack>.graph.md: the service graph as a Mermaid diagram (Argo CD's directory sources read only .yaml/.yml/.json)
  writeServiceGraphDiagrams(outdir, byStack, { reference: 'prod' });
  // dist/<env>/iam/<stack>-<workload>-policy.json: the IAM policy of each workload's IRSA role
  writeIamPolicies(outdir, byStack);
  // ... and the Cluster Autoscaler's, for the platform's node autoscaling (EKS).
  for (const env of envs) {
    const policy = clusterAutoscalerPolicy(env);
    if (!policy) continue;
    const target = path.join(outdir, env.name, 'iam', 'platform-cluster-autoscaler-policy.json');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${JSON.stringify(policy, null, 2)}\n`);
  }
  for (const stack of stacks) {
    writeHelmChart({
      name: stack.name,
      version,
      appVersion: version,
      description: stack.description,
      outdir: path.join(outdir, 'helm', stack.name),
      // the objects synth wrote for each environment: no second resolution of every chart
      environments: byStack.get(stack.name)!.map((e) => ({ ...e, objects: written.get(`${e.name}/${stack.name}`) })),
      defaultEnvironment: 'prod',
      notes: stack.notes,
    });
  }
}

if (require.main === module) {
  synthesizeAll(process.env.CDK8S_OUTDIR ?? 'dist');
}
