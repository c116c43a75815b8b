import type { INamespace } from 'kubernetes-models/v1/Namespace';
import { PlatformRelease } from '../output/argocd';
import { CommandResult, CommandRunner, DeliveryError, formatCommand, RunOptions } from './command-runner';
import { findLocalCa, IngressUrl, ingressUrls, LocalCa, trustCaInstructions } from './local-access';
import { ApplyBatch, ManifestFile, planManifestBatches, WaitStep } from './manifest-plan';
import { checkDockerDaemon } from './tools';

/** Field manager of every server-side apply by the bootstrap. */
export const KIND_FIELD_MANAGER = 'backends-kind';

/** Paths of the tools (see locateTools). */
export interface KindTools {
  readonly docker: string;
  readonly kind: string;
  readonly kubectl: string;
  readonly helm: string;
}

export interface KindUpOptions {
  /** kind cluster name; the kube context is `kind-<name>`. */
  readonly clusterName: string;
  /** Absolute path of kind-config.yaml. */
  readonly kindConfigPath: string;
  readonly tools: KindTools;
  /** Platform charts of the environment (config/platform-charts.ts platformReleasesFor). */
  readonly releases: readonly PlatformRelease[];
  /** Manifest files in dependency order: cluster configuration first, then the stacks. */
  readonly manifests: readonly ManifestFile[];
  /** Longest wait for a release, rollout or condition. @default '10m' */
  readonly timeout?: string;
  /** Print the commands that would change something; change nothing. @default false */
  readonly dryRun?: boolean;
  /** Server-side apply with `--force-conflicts`. @default false */
  readonly forceConflicts?: boolean;
  /** Field manager of server-side applies. @default 'backends-kind' */
  readonly fieldManager?: string;
  /** Attempts of an apply (admission webhooks may still be starting). @default 5 */
  readonly applyAttempts?: number;
  /** Pause between apply attempts. @default 10000 */
  readonly retryDelayMs?: number;
}

/** Side effects of the bootstrap, injected for tests. */
export interface KindUpDeps {
  readonly runner: CommandRunner;
  readonly log: (line: string) => void;
  /** Writes a temporary file (Helm values) and returns its path. */
  readonly writeTempFile: (name: string, content: string) => string;
  readonly removeFile: (file: string) => void;
  readonly sleep: (ms: number) => void;
}

/** What happened. */
export interface KindUpReport {
  readonly kubeContext: string;
  readonly clusterCreated: boolean;
  readonly releases: ReadonlyArray<{ readonly name: string; readonly action: 'installed' | 'upgraded' | 'unchanged' }>;
  readonly batches: ReadonlyArray<{ readonly file: string; readonly wave: number; readonly action: 'applied' | 'unchanged' }>;
  /** Every command that changed (or, in a dry run, would change) something. */
  readonly changes: readonly string[];
  readonly urls: readonly IngressUrl[];
  readonly localCa?: LocalCa;
  /** Lines to print at the end: URLs, how to trust the CA, warnings. */
  readonly summary: readonly string[];
}

/**
 * Brings a kind cluster to the state of the repository, idempotently:
 *
 * 1. checks the Docker daemon; creates the cluster from kind-config.yaml unless `kind get clusters` lists it;
 * 2. installs each platform chart in sync-wave order (`helm upgrade --install --wait`), skipping a
 *    release already deployed at the same chart version with the same values;
 * 3. applies the manifests server-side, file by file and wave by wave, skipping a batch
 *    `kubectl diff --server-side` finds unchanged, and waits for secrets, certificates and rollouts;
 * 4. reports the URLs and how to trust the local CA.
 *
 * @throws DeliveryError naming the failed step and what to do
 */
export function kindUp(options: KindUpOptions, deps: KindUpDeps): KindUpReport {
  const { tools } = options;
  const timeout = options.timeout ?? '10m';
  const fieldManager = options.fieldManager ?? KIND_FIELD_MANAGER;
  const ctx = `kind-${options.clusterName}`;
  const session = new Session(deps, options.dryRun ?? false);

  // 1. Docker and the cluster.
  checkDockerDaemon(deps.runner, tools.docker);
  const clusters = session.query(tools.kind, ['get', 'clusters']);
  if (clusters.status !== 0) throw failure('listing kind clusters', tools.kind, ['get', 'clusters'], clusters);
  const exists = clusters.stdout
    .split('\n')
    .map((l) => l.trim())
    .includes(options.clusterName);
  if (exists) {
    deps.log(`kind cluster '${options.clusterName}' exists`);
  } else {
    deps.log(`creating kind cluster '${options.clusterName}' from ${options.kindConfigPath}`);
    const args = ['create', 'cluster', '--config', options.kindConfigPath, '--wait', '180s'];
    const r = session.mutate(tools.kind, args, { stream: true });
    if (r.status !== 0)
      throw failure(
        'creating the kind cluster',
        tools.kind,
        args,
        r,
        'Is Docker running with enough memory (4 GB+)? `kind delete cluster --name ' +
          options.clusterName +
          '` removes a half-created cluster.',
      );
  }
  // Whether the cluster can be queried: not in a dry run of a cluster (or context) that does not exist yet.
  let live = exists || !session.dryRun;
  if (live) {
    const contexts = session.query(tools.kubectl, ['config', 'get-contexts', '-o', 'name']);
    if (
      !contexts.stdout
        .split('\n')
        .map((l) => l.trim())
        .includes(ctx)
    ) {
      const args = ['export', 'kubeconfig', '--name', options.clusterName];
      const r = session.mutate(tools.kind, args);
      if (r.status !== 0) throw failure(`writing the kube context ${ctx}`, tools.kind, args, r);
      if (session.dryRun) live = false;
    }
  }
  if (live) {
    const nodes = session.query(tools.kubectl, ['--context', ctx, 'get', 'nodes', '-o', 'name']);
    if (nodes.status !== 0) {
      throw failure(
        `reaching the cluster through context ${ctx}`,
        tools.kubectl,
        ['--context', ctx, 'get', 'nodes', '-o', 'name'],
        nodes,
        `Is the kind node container running? \`docker ps --filter name=${options.clusterName}\`; \`npm run kind:down\` then \`npm run kind:up\` recreates it.`,
      );
    }
  }

  // 2. Platform charts, in sync-wave order.
  const releaseReport: Array<{ name: string; action: 'installed' | 'upgraded' | 'unchanged' }> = [];
  for (const r of [...options.releases].sort((a, b) => a.syncWave - b.syncWave || a.name.localeCompare(b.name))) {
    if (r.createNamespace) ensureNamespace(session, deps, tools.kubectl, ctx, fieldManager, r, live);
    const state = live ? helmReleaseState(session, tools.helm, ctx, r) : 'absent';
    if (state === 'current') {
      deps.log(`${r.name}: ${r.chart} ${r.version} already deployed with the same values`);
      releaseReport.push({ name: r.name, action: 'unchanged' });
      continue;
    }
    deps.log(`${r.name}: ${state === 'absent' ? 'installing' : 'upgrading'} ${r.chart} ${r.version} into namespace ${r.namespace}`);
    const valuesFile = deps.writeTempFile(`${r.name}-values.json`, `${JSON.stringify(r.values, null, 2)}\n`);
    try {
      const args = [
        'upgrade',
        '--install',
        r.releaseName,
        r.chart,
        '--repo',
        r.repoUrl,
        '--version',
        r.version,
        '--namespace',
        r.namespace,
        '--kube-context',
        ctx,
        '--values',
        valuesFile,
        '--wait',
        '--timeout',
        timeout,
      ];
      const res = session.mutate(tools.helm, args, { stream: true });
      if (res.status !== 0) {
        throw failure(
          `installing ${r.name} (${r.chart} ${r.version})`,
          tools.helm,
          args,
          res,
          `Inspect: kubectl --context ${ctx} -n ${r.namespace} get pods; helm --kube-context ${ctx} -n ${r.namespace} status ${r.releaseName}. Is ${r.repoUrl} reachable?`,
        );
      }
    } finally {
      deps.removeFile(valuesFile);
    }
    releaseReport.push({ name: r.name, action: state === 'absent' ? 'installed' : 'upgraded' });
  }

  // 3. Manifests: file by file, wave by wave.
  const batchReport: Array<{ file: string; wave: number; action: 'applied' | 'unchanged' }> = [];
  const force = options.forceConflicts ? ['--force-conflicts'] : [];
  for (const batch of planManifestBatches(options.manifests)) {
    const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch.objects });
    const label = `${batch.file} wave ${batch.wave} (${describeBatch(batch)})`;
    const diff = live
      ? session.query(tools.kubectl, ['--context', ctx, 'diff', '--server-side', `--field-manager=${fieldManager}`, ...force, '-f', '-'], {
          input,
        })
      : undefined;
    if (diff?.status === 0) {
      deps.log(`${label}: unchanged`);
      batchReport.push({ file: batch.file, wave: batch.wave, action: 'unchanged' });
    } else {
      deps.log(`${label}: applying`);
      applyWithRetries(
        session,
        deps,
        tools.kubectl,
        ['--context', ctx, 'apply', '--server-side', `--field-manager=${fieldManager}`, ...force, '-f', '-'],
        input,
        label,
        options,
      );
      batchReport.push({ file: batch.file, wave: batch.wave, action: 'applied' });
    }
    for (const w of batch.waits) waitFor(session, tools.kubectl, ctx, w, timeout);
  }

  // 4. Where to go now.
  const objects = options.manifests.flatMap((m) => m.objects);
  const urls = ingressUrls(objects);
  const localCa = findLocalCa(objects);
  const summary: string[] = [
    '',
    session.dryRun
      ? `Dry run: ${session.changes.length} command(s) would change the cluster; nothing was changed.`
      : session.changes.length === 0
        ? `Nothing to do: cluster '${options.clusterName}' already matches the repository (context ${ctx}).`
        : `Cluster '${options.clusterName}' is ready (context ${ctx}).`,
  ];
  if (urls.length > 0) {
    summary.push('', 'URLs:');
    for (const u of urls) summary.push(`  ${u.url.padEnd(48)} paths ${u.paths.join(', ')}  (${u.ingresses.join(', ')})`);
    const unresolved = urls.filter((u) => !u.resolvesToLoopback);
    if (unresolved.length > 0) {
      summary.push(
        '',
        `These hosts do not resolve to 127.0.0.1 by themselves; use *.localtest.me hosts in the environment config, or add them to /etc/hosts: ${unresolved.map((u) => u.host).join(', ')}`,
      );
    }
  }
  if (localCa) {
    summary.push('', ...trustCaInstructions(localCa, ctx, urls.find((u) => u.url.startsWith('https'))?.url));
  }
  return {
    kubeContext: ctx,
    clusterCreated: !exists,
    releases: releaseReport,
    batches: batchReport,
    changes: [...session.changes],
    urls,
    ...(localCa ? { localCa } : {}),
    summary,
  };
}

/** Runs queries and mutations; a dry run prints mutations instead of running them. */
class Session {
  public readonly changes: string[] = [];
  constructor(
    private readonly deps: KindUpDeps,
    public readonly dryRun: boolean,
  ) {}

  /** A read-only command. */
  public query(command: string, args: readonly string[], options?: RunOptions): CommandResult {
    return this.deps.runner.run(command, args, options);
  }

  /** A command that changes something (or waits on the cluster). */
  public mutate(command: string, args: readonly string[], options?: RunOptions): CommandResult {
    const line = formatCommand(command, args);
    this.changes.push(line);
    if (this.dryRun) {
      this.deps.log(`  would run: ${line}`);
      return { status: 0, stdout: '', stderr: '' };
    }
    this.deps.log(`  $ ${line}`);
    return this.deps.runner.run(command, args, options);
  }

  /** A blocking wait: runs (and is printed) but changes nothing; skipped in a dry run. */
  public wait(command: string, args: readonly string[]): CommandResult {
    const line = formatCommand(command, args);
    if (this.dryRun) {
      this.deps.log(`  would wait: ${line}`);
      return { status: 0, stdout: '', stderr: '' };
    }
    this.deps.log(`  $ ${line}`);
    return this.deps.runner.run(command, args);
  }
}

/** Creates or relabels a platform namespace (Pod Security labels) unless it already carries them. */
function ensureNamespace(
  session: Session,
  deps: KindUpDeps,
  kubectl: string,
  ctx: string,
  fieldManager: string,
  r: PlatformRelease,
  live: boolean,
): void {
  const labels: Record<string, string> = r.podSecurity
    ? {
        'pod-security.kubernetes.io/enforce': r.podSecurity,
        'pod-security.kubernetes.io/audit': r.podSecurity,
        'pod-security.kubernetes.io/warn': r.podSecurity,
      }
    : {};
  const annotations: Record<string, string> = r.podSecurityReason ? { 'platform/pod-security-reason': r.podSecurityReason } : {};
  if (live) {
    const current = session.query(kubectl, ['--context', ctx, 'get', 'namespace', r.namespace, '-o', 'json']);
    if (current.status === 0) {
      const meta = (safeJson(current.stdout) as INamespace | undefined)?.metadata ?? {};
      const has = (want: Record<string, string>, got: Record<string, string> | undefined) =>
        Object.entries(want).every(([k, v]) => got?.[k] === v);
      if (has(labels, meta.labels) && has(annotations, meta.annotations)) return;
    }
  }
  deps.log(`namespace ${r.namespace}: ${r.podSecurity ? `Pod Security '${r.podSecurity}'` : 'creating'}`);
  const manifest = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: r.namespace, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  };
  const args = ['--context', ctx, 'apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'];
  const res = session.mutate(kubectl, args, { input: JSON.stringify(manifest) });
  if (res.status !== 0) throw failure(`creating namespace ${r.namespace}`, kubectl, args, res);
}

/** `current` when the release is deployed at the pinned chart version with the same values. */
function helmReleaseState(session: Session, helm: string, ctx: string, r: PlatformRelease): 'absent' | 'different' | 'current' {
  const list = session.query(helm, [
    'list',
    '--kube-context',
    ctx,
    '--namespace',
    r.namespace,
    '--all',
    '--output',
    'json',
    '--filter',
    `^${r.releaseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
  ]);
  if (list.status !== 0) throw failure(`listing Helm releases in ${r.namespace}`, helm, ['list', '--namespace', r.namespace], list);
  // `helm list --output json`: [{ name, namespace, revision, status, chart, app_version, ... }]
  const releases = safeJson(list.stdout) as ReadonlyArray<{ name?: string; status?: string; chart?: string }> | undefined;
  const entry = (releases ?? []).find((e) => e.name === r.releaseName);
  if (!entry) return 'absent';
  if (entry.status !== 'deployed' || entry.chart !== `${r.chart}-${r.version}`) return 'different';
  const values = session.query(helm, [
    'get',
    'values',
    r.releaseName,
    '--kube-context',
    ctx,
    '--namespace',
    r.namespace,
    '--output',
    'json',
  ]);
  if (values.status !== 0) return 'different';
  return canonicalJson(safeJson(values.stdout) ?? {}) === canonicalJson(r.values) ? 'current' : 'different';
}

function applyWithRetries(
  session: Session,
  deps: KindUpDeps,
  kubectl: string,
  args: string[],
  input: string,
  label: string,
  options: KindUpOptions,
): void {
  const attempts = options.applyAttempts ?? 5;
  const delay = options.retryDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    const r = session.mutate(kubectl, args, { input });
    if (r.status === 0) {
      for (const line of r.stdout.split('\n').filter((l) => l.trim())) deps.log(`    ${line}`);
      return;
    }
    if (attempt >= attempts) {
      throw failure(
        `applying ${label}`,
        kubectl,
        args,
        r,
        'A webhook that is not ready yet (cert-manager, External Secrets) clears after a minute; a conflict with another field manager needs --force-conflicts.',
      );
    }
    deps.log(`    apply failed (attempt ${attempt}/${attempts}): ${lastLine(r)}; retrying in ${Math.round(delay / 1000)}s`);
    deps.sleep(delay);
  }
}

function waitFor(session: Session, kubectl: string, ctx: string, w: WaitStep, timeout: string): void {
  const ns = w.namespace ? ['-n', w.namespace] : [];
  const args =
    w.type === 'rollout'
      ? ['--context', ctx, ...ns, 'rollout', 'status', `${w.resource}/${w.name}`, `--timeout=${timeout}`]
      : ['--context', ctx, ...ns, 'wait', `--for=condition=${w.condition}`, `${w.resource}/${w.name}`, `--timeout=${timeout}`];
  const r = session.wait(kubectl, args);
  if (r.status !== 0) {
    const what = `${w.resource} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`;
    throw failure(
      `waiting for ${what}`,
      kubectl,
      args,
      r,
      `Inspect: kubectl --context ${ctx} ${ns.join(' ')} describe ${w.resource}/${w.name}${w.type === 'rollout' ? `; kubectl --context ${ctx} ${ns.join(' ')} get pods` : ''}`.replace(
        / {2,}/g,
        ' ',
      ),
    );
  }
}

function describeBatch(b: ApplyBatch): string {
  const counts = new Map<string, number>();
  for (const o of b.objects) counts.set(o.kind ?? '?', (counts.get(o.kind ?? '?') ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

function failure(step: string, command: string, args: readonly string[], r: CommandResult, hint?: string): DeliveryError {
  const detail = r.error ?? lastLines(r, 6);
  return new DeliveryError(
    `${step} failed (exit ${r.status ?? 'none'}): ${formatCommand(command, args)}${detail ? `\n${detail}` : ' (see the output above)'}${hint ? `\n${hint}` : ''}`,
  );
}

function lastLine(r: CommandResult): string {
  return lastLines(r, 1) || `exit ${r.status}`;
}

function lastLines(r: CommandResult, n: number): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-n).join('\n');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys, for comparing values regardless of key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
