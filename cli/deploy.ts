/**
 * `deploy`: server-side apply of a plan, stage by stage, waiting for each stage to be ready
 * before the next one; on failure or timeout, a summary of what is not ready and why.
 * Works against the Cluster interface (no client-node), so all of it is unit-testable.
 */
import { ApiError, Cluster, ResourceInfo } from './cluster';
import { formatDuration } from './duration';
import { ManifestObject } from './manifests';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { asKind, describeObject, describeWithVersion, groupOf, KubeObject, namespaceOf, refOf } from './objects';
import { kindKey, Plan, Stage } from './plan';
import { formatStageProgress, ProgressPrinter } from './progress';
import { evaluateReadiness, ReadinessContext, Verdict } from './readiness';
import { diagnose, formatNotReady, NotReady } from './report';

export interface DeployOptions {
  dryRun: boolean;
  /** Per-stage limit, from the stage's start. */
  timeoutMs: number;
  fieldManager: string;
  forceConflicts: boolean;
  /** How often not-ready objects are read again. @default 2000 */
  pollIntervalMs?: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type Outcome =
  { status: 'applied'; live: KubeObject; verdict?: Verdict } | { status: 'skipped'; reason: string } | { status: 'failed'; reason: string };

export interface DeployReport {
  ok: boolean;
  /** Outcome per object, keyed by `describeWithVersion`. */
  outcomes: Map<string, Outcome>;
  /** The stage that failed or timed out. */
  failedStage?: string;
  /** The final lines (also printed). */
  summary: string[];
}

/** Which operator serves an API group, for hints about missing CRDs. */
const PROVIDERS: Record<string, string> = {
  'cert-manager.io': 'cert-manager',
  'acme.cert-manager.io': 'cert-manager',
  'external-secrets.io': 'External Secrets Operator',
  'generators.external-secrets.io': 'External Secrets Operator',
  'monitoring.coreos.com': 'kube-prometheus-stack (Prometheus Operator)',
  'traefik.io': 'Traefik',
  'traefik.containo.us': 'Traefik',
  'argoproj.io': 'Argo CD',
};

function notServedReason(apiVersion: string, kind: string): string {
  const provider = PROVIDERS[groupOf(apiVersion)];
  return `the cluster does not serve ${apiVersion} ${kind}: ${provider ? `install ${provider} (it provides the CRD)` : 'install the CustomResourceDefinition or the operator that provides it'}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.describe();
  return e instanceof Error ? e.message : String(e);
}

/** Objects that cannot be applied, found before anything is written. */
interface Preflight {
  infos: Map<string, ResourceInfo>;
  /** kindKey -> reason, for kinds neither served nor defined by the plan's CRDs. */
  missingKinds: Map<string, string>;
  /** kindKey of kinds the plan's CRDs define and the cluster does not serve yet. */
  deferredKinds: Set<string>;
  /** Namespaces that do not exist and the plan does not create. */
  missingNamespaces: Set<string>;
  /** Namespaces that do not exist yet and the plan creates. */
  pendingNamespaces: Set<string>;
}

const infoKey = (apiVersion: string, kind: string): string => `${apiVersion}\u0000${kind}`;

async function preflight(plan: Plan, cluster: Cluster): Promise<Preflight> {
  const infos = new Map<string, ResourceInfo>();
  const missingKinds = new Map<string, string>();
  const deferredKinds = new Set<string>();
  const seen = new Set<string>();
  for (const { object } of plan.items) {
    const key = infoKey(object.apiVersion, object.kind);
    if (seen.has(key)) continue;
    seen.add(key);
    const info = await cluster.resourceInfo(object.apiVersion, object.kind);
    if (info) infos.set(key, info);
    else if (plan.definedKinds.has(kindKey(object.apiVersion, object.kind))) deferredKinds.add(kindKey(object.apiVersion, object.kind));
    else missingKinds.set(kindKey(object.apiVersion, object.kind), notServedReason(object.apiVersion, object.kind));
  }
  const namespaces = new Set<string>();
  for (const { object } of plan.items) {
    const info = infos.get(infoKey(object.apiVersion, object.kind));
    const ns = namespaceOf(object);
    if (ns && (info ? info.namespaced : true)) namespaces.add(ns);
  }
  const missingNamespaces = new Set<string>();
  const pendingNamespaces = new Set<string>();
  for (const ns of namespaces) {
    const live = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    if (live) continue;
    if (plan.namespaces.has(ns)) pendingNamespaces.add(ns);
    else missingNamespaces.add(ns);
  }
  return { infos, missingKinds, deferredKinds, missingNamespaces, pendingNamespaces };
}

/** Why an object cannot be applied now (before trying), or undefined. */
function blocker(object: KubeObject, pre: Preflight, dryRun: boolean): { status: 'skipped' | 'failed'; reason: string } | undefined {
  const kk = kindKey(object.apiVersion, object.kind);
  const missing = pre.missingKinds.get(kk);
  if (missing) return { status: 'failed', reason: missing };
  const info = pre.infos.get(infoKey(object.apiVersion, object.kind));
  const ns = namespaceOf(object);
  const namespaced = info ? info.namespaced : !!ns;
  if (namespaced && ns && pre.missingNamespaces.has(ns)) {
    return { status: 'failed', reason: `namespace '${ns}' does not exist and is not part of this deploy (install what creates it first)` };
  }
  if (dryRun && pre.deferredKinds.has(kk)) {
    return { status: 'skipped', reason: 'its CRD does not exist yet (created by this deploy)' };
  }
  if (dryRun && namespaced && ns && pre.pendingNamespaces.has(ns)) {
    return { status: 'skipped', reason: `namespace '${ns}' does not exist yet (created by this deploy)` };
  }
  return undefined;
}

/** Binding mode of the StorageClass a PVC uses (its own, or the cluster's default). */
async function readinessContext(cluster: Cluster, obj: KubeObject, cache: Map<string, string | undefined>): Promise<ReadinessContext> {
  if (obj.kind !== 'PersistentVolumeClaim' || groupOf(obj.apiVersion) !== '') return {};
  const name = asKind<IPersistentVolumeClaim>(obj).spec?.storageClassName;
  const key = name ?? '<default>';
  if (!cache.has(key)) {
    let mode: string | undefined;
    try {
      if (name) {
        mode = (await cluster.get({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name }))?.volumeBindingMode as
          string | undefined;
      } else {
        const classes = await cluster.list('storage.k8s.io/v1', 'StorageClass');
        const def = classes.find((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
        mode = def?.volumeBindingMode as string | undefined;
      }
    } catch {
      mode = undefined;
    }
    cache.set(key, mode);
  }
  return { volumeBindingMode: cache.get(key) };
}

/** What is not ready and why: pods and events of each object's namespace. */
async function explain(cluster: Cluster, entries: Array<{ live: KubeObject; verdict: Verdict }>): Promise<NotReady[]> {
  const byNamespace = new Map<string, { pods: KubeObject[]; events: KubeObject[]; error?: string }>();
  for (const { live } of entries) {
    const ns = namespaceOf(live) ?? '';
    if (byNamespace.has(ns)) continue;
    try {
      const pods = ns ? await cluster.list('v1', 'Pod', ns) : [];
      // Events about cluster-scoped objects are recorded in the default namespace.
      const events = await cluster.list('v1', 'Event', ns || 'default');
      byNamespace.set(ns, { pods, events });
    } catch (e) {
      byNamespace.set(ns, { pods: [], events: [], error: errorText(e) });
    }
  }
  return entries.map(({ live, verdict }) => {
    const data = byNamespace.get(namespaceOf(live) ?? '')!;
    const problems = diagnose(live, { pods: data.pods, events: data.events });
    if (data.error)
      problems.push({ reason: 'Unknown', message: `cannot read pods/events: ${data.error}`, subjects: [describeObject(live)], count: 1 });
    return { object: live, status: verdict.message, problems };
  });
}

interface StageRun {
  ok: boolean;
  summary: string[];
}

export class Deployer {
  readonly outcomes = new Map<string, Outcome>();
  private readonly storageModes = new Map<string, string | undefined>();

  constructor(
    private readonly plan: Plan,
    private readonly cluster: Cluster,
    private readonly options: DeployOptions,
    private readonly printer: ProgressPrinter,
    private readonly clock: Clock = systemClock,
  ) {}

  private setOutcome(item: ManifestObject, outcome: Outcome): void {
    this.outcomes.set(describeWithVersion(item.object), outcome);
  }

  private report(ok: boolean, summary: string[], failedStage?: string): DeployReport {
    for (const line of summary) this.printer.line(line);
    return { ok, outcomes: this.outcomes, summary, ...(failedStage ? { failedStage } : {}) };
  }

  private remainingStages(after: number): string {
    const rest = this.plan.stages.slice(after + 1).filter((s) => s.items.length > 0);
    if (rest.length === 0) return '';
    return `not deployed: ${rest.map((s) => `${s.name} (${plural(s.items.length, 'object')})`).join(', ')}`;
  }

  async run(): Promise<DeployReport> {
    const { dryRun } = this.options;
    const total = this.plan.stages.length;
    this.printer.line(
      `${dryRun ? 'Dry run (server): validating' : 'Deploying'} ${plural(this.plan.items.length, 'object')} in ${total} stages to ${this.cluster.description}`,
    );
    let pre: Preflight;
    try {
      pre = await preflight(this.plan, this.cluster);
    } catch (e) {
      return this.report(false, [`deploy failed: ${errorText(e)}`]);
    }

    if (!dryRun && (pre.missingKinds.size > 0 || pre.missingNamespaces.size > 0)) {
      const lines = ['deploy failed before applying anything: the cluster lacks prerequisites'];
      const count = (pred: (o: KubeObject) => boolean): number => this.plan.items.filter((i) => pred(i.object)).length;
      for (const [kk, reason] of pre.missingKinds) {
        lines.push(
          `  - ${plural(
            count((o) => kindKey(o.apiVersion, o.kind) === kk),
            'object',
          )}: ${reason}`,
        );
      }
      for (const ns of pre.missingNamespaces) {
        lines.push(
          `  - ${plural(
            count((o) => namespaceOf(o) === ns),
            'object',
          )} in namespace '${ns}', which does not exist and is not part of this deploy`,
        );
      }
      return this.report(false, lines);
    }

    for (let i = 0; i < total; i++) {
      const stage = this.plan.stages[i];
      if (stage.items.length === 0) {
        this.printer.line(`[${i + 1}/${total}] ${stage.name}: nothing to apply`);
        continue;
      }
      const result = dryRun ? await this.dryRunStage(stage, i, pre) : await this.deployStage(stage, i, pre);
      if (!result.ok && !dryRun) {
        const rest = this.remainingStages(i);
        return this.report(false, [...result.summary, ...(rest ? [rest] : [])], stage.name);
      }
    }

    if (dryRun) {
      const values = [...this.outcomes.values()];
      const accepted = values.filter((o) => o.status === 'applied').length;
      const skipped = values.filter((o) => o.status === 'skipped').length;
      const failed = values.filter((o) => o.status === 'failed').length;
      const lines = [`dry run: ${accepted} accepted by the API server, ${skipped} skipped, ${failed} failed`];
      if (skipped > 0) {
        lines.push(
          'note: skipped objects live in a namespace or have a CRD that this deploy creates: the API server cannot dry-run them until it exists.',
          '      They are validated by the real deploy, stage by stage; a dry run after the first deploy covers them.',
        );
      }
      return this.report(failed === 0, lines);
    }
    return this.report(true, [`deployed ${plural(this.plan.items.length, 'object')}; every stage is ready`]);
  }

  private async dryRunStage(stage: Stage, index: number, pre: Preflight): Promise<StageRun> {
    const total = this.plan.stages.length;
    const counts = { accepted: 0, skipped: 0, failed: 0 };
    for (const item of stage.items) {
      const what = describeWithVersion(item.object);
      const blocked = blocker(item.object, pre, true);
      if (blocked) {
        this.setOutcome(item, blocked);
        counts[blocked.status === 'skipped' ? 'skipped' : 'failed']++;
        this.printer.line(`  ${blocked.status === 'skipped' ? 'skipped' : 'FAILED '}  ${what}: ${blocked.reason}`);
        continue;
      }
      try {
        const live = await this.cluster.apply(item.object, {
          dryRun: true,
          fieldManager: this.options.fieldManager,
          force: this.options.forceConflicts,
        });
        this.setOutcome(item, { status: 'applied', live });
        counts.accepted++;
        this.printer.line(`  ok       ${what}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 0) throw e;
        this.setOutcome(item, { status: 'failed', reason: errorText(e) });
        counts.failed++;
        this.printer.line(`  FAILED   ${what}: ${errorText(e).replace(/\n/g, '\n           ')}`);
      }
    }
    this.printer.line(
      `[${index + 1}/${total}] ${stage.name}: ${counts.accepted} accepted (dry run), ${counts.skipped} skipped, ${counts.failed} failed`,
    );
    return { ok: counts.failed === 0, summary: [] };
  }

  private async deployStage(stage: Stage, index: number, pre: Preflight): Promise<StageRun> {
    const total = this.plan.stages.length;
    const started = this.clock.now();
    const head = `[${index + 1}/${total}] ${stage.name}`;
    const applied: Array<{ item: ManifestObject; live: KubeObject; verdict: Verdict }> = [];
    const failures: string[] = [];
    this.printer.reset();

    const progress = (waiting: string[]): void => {
      const ready = applied.filter((a) => a.verdict.state === 'ready').length;
      const p = {
        index: index + 1,
        total,
        name: stage.name,
        objects: stage.items.length,
        applied: applied.length,
        ready,
        elapsedMs: this.clock.now() - started,
        waiting,
      };
      this.printer.status(formatStageProgress(p), `${p.applied}/${p.ready}/${waiting.join('|')}`);
    };

    for (const item of stage.items) {
      const blocked = blocker(item.object, pre, false);
      if (blocked) {
        this.setOutcome(item, { status: 'failed', reason: blocked.reason });
        failures.push(`  ${describeWithVersion(item.object)}: ${blocked.reason}`);
        continue;
      }
      try {
        const live = await this.cluster.apply(item.object, {
          dryRun: false,
          fieldManager: this.options.fieldManager,
          force: this.options.forceConflicts,
        });
        const verdict = evaluateReadiness(live, await readinessContext(this.cluster, live, this.storageModes));
        applied.push({ item, live, verdict });
        this.setOutcome(item, { status: 'applied', live, verdict });
      } catch (e) {
        if (e instanceof ApiError && e.status === 0) throw e;
        this.setOutcome(item, { status: 'failed', reason: errorText(e) });
        failures.push(`  ${describeWithVersion(item.object)}: ${errorText(e).replace(/\n/g, '\n    ')}`);
      }
      // Per-object apply progress only on a terminal; plain output gets a line per readiness change.
      if (this.printer.tty) progress([]);
    }
    if (failures.length > 0) {
      this.printer.line(`${head}: FAILED to apply ${plural(failures.length, 'object')}`);
      return {
        ok: false,
        summary: [`deploy failed: stage '${stage.name}': the API server refused ${plural(failures.length, 'object')}:`, ...failures],
      };
    }

    // Wait for readiness.
    const interval = this.options.pollIntervalMs ?? 2000;
    for (;;) {
      const notReady = applied.filter((a) => a.verdict.state !== 'ready');
      const failedNow = applied.filter((a) => a.verdict.state === 'failed');
      if (notReady.length > 0 || this.printer.tty) progress(notReady.map((a) => `${describeObject(a.live)}: ${a.verdict.message}`));
      const elapsed = this.clock.now() - started;
      if (failedNow.length > 0 || notReady.length === 0 || elapsed >= this.options.timeoutMs) {
        if (notReady.length === 0) {
          this.printer.line(`${head}: ${plural(applied.length, 'object')} applied and ready (${formatDuration(elapsed)})`);
          if (stage.name === 'crds') await this.afterCrds(pre);
          return { ok: true, summary: [] };
        }
        const entries = await explain(
          this.cluster,
          (failedNow.length > 0 ? failedNow : notReady).map((a) => ({ live: a.live, verdict: a.verdict })),
        );
        for (const a of notReady) this.setOutcome(a.item, { status: 'applied', live: a.live, verdict: a.verdict });
        const title =
          failedNow.length > 0
            ? `deploy failed: stage '${stage.name}': ${plural(failedNow.length, 'object')} failed (after ${formatDuration(elapsed)}):`
            : `deploy failed: stage '${stage.name}' not ready after ${formatDuration(elapsed)} (timeout ${formatDuration(this.options.timeoutMs)}): ${notReady.length} of ${applied.length} objects not ready:`;
        this.printer.line(
          `${head}: ${failedNow.length > 0 ? 'FAILED' : 'TIMED OUT'} (${applied.length - notReady.length}/${applied.length} ready)`,
        );
        return { ok: false, summary: [title, ...formatNotReady(entries)] };
      }
      await this.clock.sleep(Math.min(interval, Math.max(1, this.options.timeoutMs - elapsed)));
      for (const a of notReady) {
        try {
          const live = await this.cluster.get(refOf(a.item.object));
          if (!live) {
            a.verdict = { state: 'progressing', message: 'not found: deleted after apply?' };
            continue;
          }
          a.live = live;
          a.verdict = evaluateReadiness(live, await readinessContext(this.cluster, live, this.storageModes));
        } catch (e) {
          a.verdict = { state: 'progressing', message: `cannot read it: ${errorText(e)}` };
        }
      }
    }
  }

  /** CRDs are established: discovery now serves their kinds (or the deploy cannot go on). */
  private async afterCrds(pre: Preflight): Promise<void> {
    this.cluster.refreshDiscovery();
    for (const kk of [...pre.deferredKinds]) {
      const item = this.plan.items.find((i) => kindKey(i.object.apiVersion, i.object.kind) === kk)!;
      const info = await this.cluster.resourceInfo(item.object.apiVersion, item.object.kind);
      if (info) {
        pre.infos.set(infoKey(item.object.apiVersion, item.object.kind), info);
        pre.deferredKinds.delete(kk);
      } else {
        pre.missingKinds.set(
          kk,
          `the CRD for ${kk} is established but the cluster does not serve ${item.object.apiVersion} (check the CRD's served versions)`,
        );
      }
    }
  }
}

/** Deploys a plan; prints progress and the summary through `printer`. */
export async function deploy(
  plan: Plan,
  cluster: Cluster,
  options: DeployOptions,
  printer: ProgressPrinter,
  clock: Clock = systemClock,
): Promise<DeployReport> {
  const deployer = new Deployer(plan, cluster, options, printer, clock);
  try {
    return await deployer.run();
  } catch (e) {
    const line = `deploy aborted: ${errorText(e)}`;
    printer.line(line);
    return { ok: false, outcomes: deployer.outcomes, summary: [line] };
  }
}
