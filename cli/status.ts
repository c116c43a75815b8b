/**
 * `status`: every workload of the environment's manifests, as it is on the cluster: ready/desired,
 * a verdict, and what is wrong (pods and events). Works against the Cluster interface.
 */
import { ApiError, Cluster } from './cluster';
import { formatDuration } from './duration';
import { ManifestObject } from './manifests';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import { asKind, conditionOf, KubeObject, namespaceOf, refOf } from './objects';
import { evaluateReadiness, isWorkload, workloadCounts } from './readiness';
import { diagnose, formatProblem, jobsOf, podProblems, podsOf, Problem } from './report';

export type RowState = 'Ready' | 'Progressing' | 'Failed' | 'Missing' | 'Scheduled' | 'Suspended' | 'Unknown';

export interface StatusRow {
  stack: string;
  kind: string;
  namespace: string;
  name: string;
  /** `2/3`, or `-` for kinds without replicas. */
  ready: string;
  state: RowState;
  detail: string;
  problems: Problem[];
}

/** States that mean "fine": everything else makes `status` exit 1. */
export const HEALTHY_STATES: ReadonlySet<RowState> = new Set(['Ready', 'Scheduled', 'Suspended']);

interface NamespaceData {
  pods: KubeObject[];
  events: KubeObject[];
  jobs: KubeObject[];
}

function ago(iso: unknown, now: number): string | undefined {
  if (typeof iso !== 'string') return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : `${formatDuration(Math.max(0, now - t))} ago`;
}

function cronJobRow(live: KubeObject, data: NamespaceData, now: number): Pick<StatusRow, 'state' | 'detail' | 'problems'> {
  const lastJob = jobsOf(live, data.jobs)[0];
  const problems = diagnose(live, data);
  const lastFailed = lastJob && conditionOf(lastJob, 'Failed')?.status === 'True';
  const cronJob = asKind<ICronJob>(live);
  const success = ago(cronJob.status?.lastSuccessfulTime, now);
  const schedule = ago(cronJob.status?.lastScheduleTime, now);
  const detail = `schedule '${cronJob.spec?.schedule ?? '?'}'; ${schedule ? `last run ${schedule}` : 'never run'}${success ? `, last success ${success}` : ''}`;
  if (lastFailed) return { state: 'Failed', detail: `${detail}; last job ${lastJob.metadata.name} failed`, problems };
  return { state: cronJob.spec?.suspend === true ? 'Suspended' : 'Scheduled', detail, problems: lastJob ? problems : [] };
}

/** Reads every workload of `items` from the cluster. */
export async function collectStatus(items: readonly ManifestObject[], cluster: Cluster, now: number = Date.now()): Promise<StatusRow[]> {
  const cache = new Map<string, Promise<NamespaceData>>();
  const dataFor = (ns: string): Promise<NamespaceData> => {
    let p = cache.get(ns);
    if (!p) {
      p = (async () => ({
        pods: await cluster.list('v1', 'Pod', ns),
        events: await cluster.list('v1', 'Event', ns),
        jobs: await cluster.list('batch/v1', 'Job', ns),
      }))();
      cache.set(ns, p);
    }
    return p;
  };

  const rows: StatusRow[] = [];
  for (const item of items.filter((i) => isWorkload(i.object))) {
    const ref = refOf(item.object);
    const base = { stack: item.stack, kind: ref.kind, namespace: ref.namespace ?? '', name: ref.name };
    let live: KubeObject | undefined;
    try {
      live = await cluster.get(ref);
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) throw e;
      rows.push({ ...base, ready: '-', state: 'Unknown', detail: `cannot read it: ${(e as Error).message}`, problems: [] });
      continue;
    }
    if (!live) {
      rows.push({ ...base, ready: '-', state: 'Missing', detail: 'not found on the cluster (not deployed yet?)', problems: [] });
      continue;
    }
    const data = await dataFor(namespaceOf(live) ?? 'default');
    const counts = workloadCounts(live);
    const ready = counts ? `${counts.ready}/${counts.desired}` : '-';
    if (live.kind === 'CronJob') {
      rows.push({ ...base, ready, ...cronJobRow(live, data, now) });
      continue;
    }
    const verdict = evaluateReadiness(live);
    const state: RowState = verdict.state === 'ready' ? 'Ready' : verdict.state === 'failed' ? 'Failed' : 'Progressing';
    // Ready workloads: only what their pods show now (old warning events are noise once ready).
    const problems = verdict.state === 'ready' ? podsOf(live, data.pods).flatMap(podProblems) : diagnose(live, data);
    rows.push({ ...base, ready, state, detail: verdict.message, problems });
  }
  return rows;
}

/** A fixed-width table, one row per workload, each problem on its own indented line below. */
export function formatStatusTable(rows: readonly StatusRow[], maxProblems = 5): string[] {
  if (rows.length === 0) return ['no workloads in the selected manifests'];
  const header = ['STACK', 'KIND', 'NAMESPACE/NAME', 'READY', 'STATUS', 'DETAILS'];
  const cells = rows.map((r) => [r.stack, r.kind, `${r.namespace ? `${r.namespace}/` : ''}${r.name}`, r.ready, r.state, r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  rows.forEach((r, i) => {
    out.push(line(cells[i]));
    for (const p of r.problems.slice(0, maxProblems)) out.push(`    ! ${formatProblem(p)}`);
    if (r.problems.length > maxProblems) out.push(`    ! ... and ${r.problems.length - maxProblems} more`);
  });
  const unhealthy = rows.filter((r) => !HEALTHY_STATES.has(r.state)).length;
  out.push('', unhealthy === 0 ? `${rows.length} workloads, all ready` : `${rows.length} workloads, ${unhealthy} not ready`);
  return out;
}
