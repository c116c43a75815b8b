/**
 * Why a workload is not ready, from its pods and the namespace's events: CrashLoopBackOff with
 * the last exit, image pull failures, missing Secrets/ConfigMaps, unschedulable pods, failed
 * probes, OOM kills, volume provisioning and mount failures, pods refused by admission.
 * Pure: give it pods and events as the API server returns them.
 */
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IEvent as IEventsV1Event } from 'kubernetes-models/events.k8s.io/v1/Event';
import type { IContainerStateTerminated } from 'kubernetes-models/v1/ContainerStateTerminated';
import type { IContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
import type { IEvent as ICoreEvent } from 'kubernetes-models/v1/Event';
import type { IObjectReference } from 'kubernetes-models/v1/ObjectReference';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { asKind, conditionOf, describeObject, fieldOf, groupOf, KubeObject, namespaceOf } from './objects';
import { LabelSelector, matchesSelector } from '../lib/core/label-selector';

/** An event as either API serves it: core/v1 (involvedObject, message, count) or events.k8s.io/v1 (regarding, note, series). */
type EventFields = Partial<Omit<ICoreEvent, 'apiVersion' | 'kind' | 'metadata'>> &
  Partial<Omit<IEventsV1Event, 'apiVersion' | 'kind' | 'metadata'>>;
const eventFields = (e: KubeObject): EventFields => e as EventFields;

export interface Problem {
  /** Short machine-like cause: `CrashLoopBackOff`, `ImagePullBackOff`, `Unschedulable`, `Unhealthy`... */
  reason: string;
  message: string;
  /** What it was seen on: `pod api-6d8f9-x2xkq`, `container api`, `PersistentVolumeClaim data-postgres-0`. */
  subjects: string[];
  /** How many times it happened (events repeat). */
  count: number;
}

/** Container waiting reasons that are just a pod starting, not a problem. */
const STARTING_REASONS: ReadonlySet<string> = new Set(['ContainerCreating', 'PodInitializing']);
const MAX_MESSAGE = 300;

const squash = (text: string): string => {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE - 3)}...` : oneLine;
};

function terminationText(t: IContainerStateTerminated): string {
  const parts = [`exit code ${t.exitCode ?? '?'}`];
  if (t.reason) parts.push(`(${t.reason})`);
  let text = parts.join(' ');
  if (t.signal) text += `, signal ${t.signal}`;
  if (t.message) text += `: ${squash(String(t.message))}`;
  return text;
}

function containerProblems(
  pod: string,
  statuses: readonly IContainerStatus[] | undefined,
  init: boolean,
  podPhase: string | undefined,
): Problem[] {
  const out: Problem[] = [];
  for (const cs of statuses ?? []) {
    const subject = `pod ${pod} ${init ? 'init container' : 'container'} ${cs.name}`;
    const waiting = cs.state?.waiting;
    const terminated = cs.state?.terminated;
    const last = cs.lastState?.terminated;
    const restarts = typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    if (waiting?.reason && !STARTING_REASONS.has(waiting.reason)) {
      let message: string;
      if (waiting.reason === 'CrashLoopBackOff') {
        message = `restarted ${restarts} time${restarts === 1 ? '' : 's'}${last ? `; last ${terminationText(last)}` : ''}`;
      } else if (/Image|ErrImage/.test(waiting.reason)) {
        message = `${cs.image ? `image ${cs.image}: ` : ''}${squash(waiting.message ?? waiting.reason)}`;
      } else {
        message = squash(waiting.message ?? waiting.reason);
      }
      out.push({ reason: waiting.reason, message, subjects: [subject], count: 1 });
      continue;
    }
    if (terminated && terminated.exitCode !== 0 && terminated.exitCode !== undefined) {
      out.push({
        reason: terminated.reason === 'OOMKilled' ? 'OOMKilled' : 'Failed',
        message: `terminated with ${terminationText(terminated)}`,
        subjects: [subject],
        count: 1,
      });
      continue;
    }
    if (cs.state?.running && last?.reason === 'OOMKilled') {
      out.push({
        reason: 'OOMKilled',
        message: `restarted ${restarts} time${restarts === 1 ? '' : 's'}; last killed for exceeding its memory limit`,
        subjects: [subject],
        count: 1,
      });
      continue;
    }
    if (!init && cs.state?.running && cs.ready === false && podPhase === 'Running') {
      out.push({
        reason: 'NotReady',
        message: `running${restarts > 0 ? ` (restarted ${restarts} time${restarts === 1 ? '' : 's'})` : ''} but not ready: its readiness probe does not pass`,
        subjects: [subject],
        count: 1,
      });
    }
  }
  return out;
}

/** Problems visible in one pod's status. */
export function podProblems(pod: KubeObject): Problem[] {
  if (pod.metadata.deletionTimestamp) return [];
  const name = pod.metadata.name;
  const status = asKind<IPod>(pod).status ?? {};
  const out: Problem[] = [];
  if (status.phase === 'Failed') {
    out.push({
      reason: status.reason ?? 'Failed',
      message: squash(status.message ?? 'the pod failed'),
      subjects: [`pod ${name}`],
      count: 1,
    });
  }
  const scheduled = conditionOf(pod, 'PodScheduled');
  if (scheduled?.status === 'False') {
    out.push({
      reason: scheduled.reason ?? 'Unschedulable',
      message: squash(scheduled.message ?? 'no node can run the pod'),
      subjects: [`pod ${name}`],
      count: 1,
    });
  }
  out.push(...containerProblems(name, status.initContainerStatuses, true, status.phase));
  out.push(...containerProblems(name, status.containerStatuses, false, status.phase));
  return out;
}

/** Pods a workload selects (same namespace, matching spec.selector). */
export function podsOf(workload: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const ns = namespaceOf(workload);
  // Only asked for kinds whose spec.selector selects pods (POD_OWNERS, and a CronJob's Jobs).
  const selector = fieldOf(workload.spec, 'selector') as LabelSelector | undefined;
  if (!selector) return [];
  return pods.filter((p) => p.metadata.namespace === ns && matchesSelector(selector, p.metadata.labels));
}

/** Jobs a CronJob created (owner reference), newest first. */
export function jobsOf(cronJob: KubeObject, jobs: readonly KubeObject[]): KubeObject[] {
  return jobs
    .filter(
      (j) =>
        j.metadata.namespace === namespaceOf(cronJob) &&
        (j.metadata.ownerReferences ?? []).some((o) => o.kind === 'CronJob' && o.name === cronJob.metadata.name),
    )
    .sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')));
}

/** Whether an event's involved object belongs to the workload (itself, its pods, ReplicaSets, PVCs or Jobs). */
function eventBelongs(workload: KubeObject, podNames: ReadonlySet<string>, involved: IObjectReference | undefined): boolean {
  if (!involved) return false;
  const name = involved.name ?? '';
  const kind = involved.kind ?? '';
  if (kind === workload.kind && name === workload.metadata.name) return true;
  if (kind === 'Pod' && podNames.has(name)) return true;
  const w = workload.metadata.name;
  const group = groupOf(workload.apiVersion);
  if (group === 'apps' && workload.kind === 'Deployment' && kind === 'ReplicaSet') return new RegExp(`^${escape(w)}-[a-z0-9]+$`).test(name);
  // Jobs a CronJob schedules are named <cronjob>-<scheduled minute>.
  if (workload.kind === 'CronJob' && kind === 'Job') return new RegExp(`^${escape(w)}-\\d+$`).test(name);
  if (workload.kind === 'StatefulSet' && kind === 'PersistentVolumeClaim') {
    const templates = (asKind<IStatefulSet>(workload).spec?.volumeClaimTemplates ?? [])
      .map((t) => t.metadata?.name)
      .filter((n): n is string => !!n);
    return templates.some((t) => new RegExp(`^${escape(t)}-${escape(w)}-\\d+$`).test(name));
  }
  if (workload.kind === 'PersistentVolumeClaim' && kind === 'PersistentVolumeClaim') return name === w;
  return false;
}

/** What an event is about: `involvedObject` (core/v1) or `regarding` (events.k8s.io/v1). */
function involvedOf(e: KubeObject): IObjectReference | undefined {
  const f = eventFields(e);
  return f.involvedObject ?? f.regarding;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function eventTime(e: KubeObject): string {
  const f = eventFields(e);
  return String(f.lastTimestamp ?? f.series?.lastObservedTime ?? f.eventTime ?? f.firstTimestamp ?? e.metadata.creationTimestamp ?? '');
}

function eventCount(e: KubeObject): number {
  const f = eventFields(e);
  const n = f.series?.count ?? f.count;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/**
 * Warning events about a workload and what it owns, merged by reason and message, newest first.
 * Events that only repeat what a pod's status already says (BackOff on a crash-looping container,
 * FailedScheduling on an unschedulable pod) are left out.
 */
export function eventProblems(
  workload: KubeObject,
  pods: readonly KubeObject[],
  events: readonly KubeObject[],
  alreadyReported: readonly Problem[] = [],
): Problem[] {
  const podNames = new Set(pods.map((p) => p.metadata.name));
  const ns = namespaceOf(workload);
  const podsWith = (reasons: string[]): Set<string> =>
    new Set(
      alreadyReported
        .filter((p) => reasons.includes(p.reason))
        .flatMap((p) => p.subjects.map((s) => /^pod (\S+)/.exec(s)?.[1]).filter((x): x is string => !!x)),
    );
  const crashing = podsWith([
    'CrashLoopBackOff',
    'ImagePullBackOff',
    'ErrImagePull',
    'CreateContainerConfigError',
    'CreateContainerError',
    'InvalidImageName',
    'RunContainerError',
  ]);
  const unschedulable = podsWith(['Unschedulable']);

  const merged = new Map<string, Problem & { time: string }>();
  const relevant = events
    .filter((e) => eventFields(e).type === 'Warning')
    .filter((e) => !ns || (e.metadata.namespace ?? ns) === ns)
    .filter((e) => eventBelongs(workload, podNames, involvedOf(e)))
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
  for (const e of relevant) {
    const f = eventFields(e);
    // eventBelongs kept only events with an involved object
    const involved = involvedOf(e)!;
    const reason = f.reason ?? 'Warning';
    const message = squash(String(f.message ?? f.note ?? ''));
    const involvedName = involved.name ?? '';
    if (involved.kind === 'Pod' && ['BackOff', 'Failed'].includes(reason) && crashing.has(involvedName)) continue;
    if (involved.kind === 'Pod' && reason === 'FailedScheduling' && unschedulable.has(involvedName)) continue;
    const key = `${reason}\u0000${message}`;
    const subject = involved.kind === 'Pod' ? `pod ${involved.name}` : `${involved.kind} ${involved.name}`;
    const existing = merged.get(key);
    if (existing) {
      existing.count += eventCount(e);
      if (!existing.subjects.includes(subject)) existing.subjects.push(subject);
    } else {
      merged.set(key, { reason, message, subjects: [subject], count: eventCount(e), time: eventTime(e) });
    }
  }
  return [...merged.values()].map(({ time: _time, ...p }) => p);
}

/** Merges identical problems seen on several pods into one line listing the pods. */
export function mergeProblems(problems: readonly Problem[]): Problem[] {
  const merged = new Map<string, Problem>();
  for (const p of problems) {
    const subjectKind = p.subjects[0]?.replace(/^pod \S+ ?/, '') ?? '';
    const key = `${p.reason}\u0000${p.message}\u0000${subjectKind}`;
    const existing = merged.get(key);
    if (existing) {
      existing.count += p.count;
      for (const s of p.subjects) if (!existing.subjects.includes(s)) existing.subjects.push(s);
    } else {
      merged.set(key, { ...p, subjects: [...p.subjects] });
    }
  }
  return [...merged.values()];
}

/** Kinds whose `spec.selector` selects their pods (other kinds' selectors mean something else). */
const POD_OWNERS: ReadonlySet<string> = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job']);

export interface DiagnosisInput {
  pods?: readonly KubeObject[];
  events?: readonly KubeObject[];
  /** Jobs of the namespace (for a CronJob's last run). */
  jobs?: readonly KubeObject[];
}

/** Everything known to be wrong with one workload (or PVC), pod problems first, then events. */
export function diagnose(workload: KubeObject, input: DiagnosisInput): Problem[] {
  const allPods = input.pods ?? [];
  let pods: KubeObject[];
  const problems: Problem[] = [];
  if (workload.kind === 'CronJob') {
    const lastJob = jobsOf(workload, input.jobs ?? [])[0];
    pods = lastJob ? podsOf(lastJob, allPods) : [];
    const failedCondition = lastJob ? conditionOf(lastJob, 'Failed') : undefined;
    if (lastJob && failedCondition?.status === 'True') {
      problems.push({
        reason: failedCondition.reason ?? 'JobFailed',
        message: `last run failed${failedCondition.message ? `: ${squash(failedCondition.message)}` : ''}`,
        subjects: [`Job ${lastJob.metadata.name}`],
        count: 1,
      });
    }
  } else if (workload.kind === 'Pod' && groupOf(workload.apiVersion) === '') {
    pods = [workload];
  } else if (POD_OWNERS.has(`${groupOf(workload.apiVersion)}/${workload.kind}`)) {
    pods = podsOf(workload, allPods);
  } else {
    pods = [];
  }
  problems.push(...mergeProblems(pods.flatMap(podProblems)));
  problems.push(...eventProblems(workload, pods, input.events ?? [], problems));
  return problems;
}

/** `pods api-1, api-2 container api: CrashLoopBackOff: restarted 4 times... (x12)` */
export function formatProblem(p: Problem): string {
  let subjects: string;
  if (p.subjects.length > 1 && p.subjects.every((s) => s.startsWith('pod '))) {
    const rest = p.subjects[0].replace(/^pod \S+ ?/, '');
    const names = p.subjects.map((s) => /^pod (\S+)/.exec(s)![1]);
    const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    subjects = `pods ${shown}${rest ? ` ${rest}` : ''}`;
  } else {
    subjects = p.subjects.length > 3 ? `${p.subjects.slice(0, 3).join(', ')} and ${p.subjects.length - 3} more` : p.subjects.join(', ');
  }
  return `${subjects}: ${p.reason}: ${p.message}${p.count > 1 ? ` (x${p.count})` : ''}`;
}

/** One object that is not ready: what it is, what its status says, and what went wrong. */
export interface NotReady {
  object: KubeObject;
  /** The verdict's message: `0 of 1 pods ready`. */
  status: string;
  problems: Problem[];
}

/** Lines explaining what is not ready and why (at most `maxProblems` per object). */
export function formatNotReady(entries: readonly NotReady[], maxProblems = 6): string[] {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`  ${describeObject(e.object)}: ${e.status}`);
    for (const p of e.problems.slice(0, maxProblems)) lines.push(`    - ${formatProblem(p)}`);
    if (e.problems.length > maxProblems) lines.push(`    - ... and ${e.problems.length - maxProblems} more`);
    if (e.problems.length === 0) lines.push('    - no pod or event explains it yet');
  }
  return lines;
}
