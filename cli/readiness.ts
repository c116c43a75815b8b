/**
 * Readiness verdicts from live objects (what the API server returns), following the rules of
 * `kubectl rollout status` for workloads and the conditions operators publish for their kinds.
 * Pure: give it the object as JSON.
 */
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { asKind, conditionOf, fieldOf, groupOf, KubeObject, KubeObjectAs } from './objects';

export type ReadyState = 'ready' | 'progressing' | 'failed';

export interface Verdict {
  state: ReadyState;
  /** Why, in words: `1 of 3 updated replicas are available`. */
  message: string;
}

export interface ReadinessContext {
  /** `volumeBindingMode` of a PVC's StorageClass (or of the default class when it names none). */
  volumeBindingMode?: string;
}

/** Ready/desired counts of a workload, as `kubectl get` shows them. */
export interface Counts {
  ready: number;
  desired: number;
}

/** Kinds whose operators publish a `Ready` condition that must be True before dependants can use them. */
const READY_CONDITION_KINDS: ReadonlySet<string> = new Set([
  'external-secrets.io/ExternalSecret',
  'external-secrets.io/ClusterExternalSecret',
  'external-secrets.io/SecretStore',
  'external-secrets.io/ClusterSecretStore',
  'cert-manager.io/Certificate',
  'cert-manager.io/Issuer',
  'cert-manager.io/ClusterIssuer',
]);

/** Kinds `status` lists: the workloads. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
]);

export function isWorkload(obj: { apiVersion: string; kind: string }): boolean {
  return WORKLOAD_KINDS.has(`${groupOf(obj.apiVersion)}/${obj.kind}`);
}

const ready = (message: string): Verdict => ({ state: 'ready', message });
const progressing = (message: string): Verdict => ({ state: 'progressing', message });
const failed = (message: string): Verdict => ({ state: 'failed', message });
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** False while the controller has not yet seen the latest spec (status describes an older generation). */
function observed(obj: KubeObject): boolean {
  const generation = obj.metadata.generation;
  const observedGeneration = fieldOf(obj.status, 'observedGeneration');
  if (generation === undefined) return true;
  return typeof observedGeneration === 'number' && observedGeneration >= generation;
}

function deployment(obj: KubeObjectAs<IDeployment>): Verdict {
  if (!observed(obj)) return progressing('waiting for the deployment controller to observe the new spec');
  const s = obj.status ?? {};
  const progress = conditionOf(obj, 'Progressing');
  if (progress?.reason === 'ProgressDeadlineExceeded') {
    return failed(`exceeded its progress deadline${progress.message ? `: ${progress.message}` : ''}`);
  }
  const desired = num(obj.spec?.replicas, 1);
  const updated = num(s.updatedReplicas);
  const total = num(s.replicas);
  const available = num(s.availableReplicas);
  if (updated < desired) return progressing(`${updated} of ${desired} new replicas updated`);
  if (total > updated) return progressing(`${plural(total - updated, 'old replica')} pending termination`);
  if (available < updated) return progressing(`${available} of ${updated} updated replicas available`);
  return ready(`${available} of ${desired} replicas available`);
}

function statefulSet(obj: KubeObjectAs<IStatefulSet>): Verdict {
  const s: Partial<NonNullable<IStatefulSet['status']>> = obj.status ?? {};
  const desired = num(obj.spec?.replicas, 1);
  const readyReplicas = num(s.readyReplicas);
  const strategy = obj.spec?.updateStrategy?.type ?? 'RollingUpdate';
  if (!observed(obj)) {
    return progressing('waiting for the statefulset controller to observe the new spec');
  }
  if (readyReplicas < desired) return progressing(`${readyReplicas} of ${desired} pods ready`);
  if (strategy === 'OnDelete') return ready(`${readyReplicas} of ${desired} pods ready (OnDelete: pods update when deleted)`);
  const partition = num(obj.spec?.updateStrategy?.rollingUpdate?.partition);
  if (partition > 0) {
    const updated = num(s.updatedReplicas);
    if (updated < desired - partition) return progressing(`partitioned rollout: ${updated} of ${desired - partition} new pods updated`);
    return ready(`partitioned rollout complete (${desired - partition} of ${desired} pods updated)`);
  }
  if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision) {
    return progressing(`rolling update: ${num(s.updatedReplicas)} of ${desired} pods at revision ${s.updateRevision}`);
  }
  return ready(`${readyReplicas} of ${desired} pods ready`);
}

function daemonSet(obj: KubeObjectAs<IDaemonSet>): Verdict {
  if (!observed(obj)) return progressing('waiting for the daemonset controller to observe the new spec');
  const s: Partial<NonNullable<IDaemonSet['status']>> = obj.status ?? {};
  const desired = num(s.desiredNumberScheduled);
  const updated = num(s.updatedNumberScheduled);
  const available = num(s.numberAvailable);
  if (obj.spec?.updateStrategy?.type !== 'OnDelete' && updated < desired) return progressing(`${updated} of ${desired} new pods updated`);
  if (available < desired) return progressing(`${available} of ${desired} pods available`);
  return ready(`${available} of ${desired} pods available`);
}

function replicaSet(obj: KubeObjectAs<IReplicaSet>): Verdict {
  if (!observed(obj)) return progressing('waiting for the controller to observe the new spec');
  const desired = num(obj.spec?.replicas, 1);
  const readyReplicas = num(obj.status?.readyReplicas);
  return readyReplicas < desired
    ? progressing(`${readyReplicas} of ${desired} pods ready`)
    : ready(`${readyReplicas} of ${desired} pods ready`);
}

function job(obj: KubeObjectAs<IJob>): Verdict {
  const failedCondition = conditionOf(obj, 'Failed');
  if (failedCondition?.status === 'True') {
    return failed(`job failed: ${failedCondition.reason ?? 'Failed'}${failedCondition.message ? `: ${failedCondition.message}` : ''}`);
  }
  const failureTarget = conditionOf(obj, 'FailureTarget');
  if (failureTarget?.status === 'True') {
    return failed(`job is failing: ${failureTarget.reason ?? 'FailureTarget'}${failureTarget.message ? `: ${failureTarget.message}` : ''}`);
  }
  const completions = num(obj.spec?.completions, 1);
  const succeeded = num(obj.status?.succeeded);
  if (conditionOf(obj, 'Complete')?.status === 'True') return ready(`complete (${succeeded} of ${completions} succeeded)`);
  if (conditionOf(obj, 'SuccessCriteriaMet')?.status === 'True')
    return progressing(`success criteria met, finishing (${succeeded} of ${completions} succeeded)`);
  if (obj.spec?.suspend === true) return ready('suspended');
  const active = num(obj.status?.active);
  const failures = num(obj.status?.failed);
  return progressing(
    `${succeeded} of ${completions} completions, ${active} running${failures > 0 ? `, ${plural(failures, 'failed attempt')}` : ''}`,
  );
}

function cronJob(obj: KubeObjectAs<ICronJob>): Verdict {
  if (obj.spec?.suspend === true) return ready('suspended');
  const active = obj.status?.active;
  const running = Array.isArray(active) ? active.length : 0;
  return ready(`scheduled '${obj.spec?.schedule ?? '?'}'${running > 0 ? `, ${running} running` : ''}`);
}

function pvc(obj: KubeObjectAs<IPersistentVolumeClaim>, ctx: ReadinessContext): Verdict {
  const phase = obj.status?.phase;
  if (phase === 'Bound') return ready('bound');
  if (phase === 'Lost') return failed('the bound volume was lost');
  if (ctx.volumeBindingMode === 'WaitForFirstConsumer') return ready('pending until a pod uses it (WaitForFirstConsumer)');
  return progressing('waiting for a volume to be provisioned and bound');
}

function crd(obj: KubeObject): Verdict {
  const names = conditionOf(obj, 'NamesAccepted');
  if (names?.status === 'False') return failed(`names not accepted: ${names.message ?? names.reason ?? ''}`.trim());
  const established = conditionOf(obj, 'Established');
  if (established?.status === 'True') return ready('established');
  return progressing(`waiting to be established${established?.message ? `: ${established.message}` : ''}`);
}

function namespace(obj: KubeObjectAs<INamespace>): Verdict {
  if (obj.status?.phase === 'Terminating' || obj.metadata.deletionTimestamp) return failed('the namespace is being deleted (Terminating)');
  return ready('active');
}

function pod(obj: KubeObjectAs<IPod>): Verdict {
  const phase = obj.status?.phase;
  if (phase === 'Succeeded') return ready('succeeded');
  if (phase === 'Failed')
    return failed(`pod failed${obj.status?.reason ? `: ${obj.status.reason}` : ''}${obj.status?.message ? `: ${obj.status.message}` : ''}`);
  if (phase === 'Running' && conditionOf(obj, 'Ready')?.status === 'True') return ready('running and ready');
  return progressing(`${phase ?? 'Pending'}, not ready`);
}

/** A `Ready` condition, required for the kinds in READY_CONDITION_KINDS, used when present on any other kind. */
function readyCondition(obj: KubeObject, required: boolean): Verdict {
  const condition = conditionOf(obj, 'Ready');
  if (!condition) {
    return required ? progressing('waiting for its controller to report Ready (is the operator running?)') : ready('applied');
  }
  const generation = obj.metadata.generation;
  const stale = generation !== undefined && condition.observedGeneration !== undefined && condition.observedGeneration < generation;
  if (condition.status === 'True' && !stale) return ready(condition.message ? `Ready: ${condition.message}` : 'Ready');
  if (stale) return progressing('waiting for its controller to observe the new spec');
  return progressing(`not Ready${condition.reason ? `: ${condition.reason}` : ''}${condition.message ? `: ${condition.message}` : ''}`);
}

/** The readiness of one live object. Kinds without a notion of readiness are ready once applied. */
export function evaluateReadiness(obj: KubeObject, ctx: ReadinessContext = {}): Verdict {
  const key = `${groupOf(obj.apiVersion)}/${obj.kind}`;
  switch (key) {
    case 'apps/Deployment':
      return deployment(asKind<IDeployment>(obj));
    case 'apps/StatefulSet':
      return statefulSet(asKind<IStatefulSet>(obj));
    case 'apps/DaemonSet':
      return daemonSet(asKind<IDaemonSet>(obj));
    case 'apps/ReplicaSet':
      return replicaSet(asKind<IReplicaSet>(obj));
    case 'batch/Job':
      return job(asKind<IJob>(obj));
    case 'batch/CronJob':
      return cronJob(asKind<ICronJob>(obj));
    case '/PersistentVolumeClaim':
      return pvc(asKind<IPersistentVolumeClaim>(obj), ctx);
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      return crd(obj);
    case '/Namespace':
      return namespace(asKind<INamespace>(obj));
    case '/Pod':
      return pod(asKind<IPod>(obj));
    default:
      break;
  }
  // Custom kinds: only when their controller publishes status.observedGeneration.
  if (typeof fieldOf(obj.status, 'observedGeneration') === 'number' && !observed(obj))
    return progressing('waiting for its controller to observe the new spec');
  return readyCondition(obj, READY_CONDITION_KINDS.has(key));
}

/** Ready/desired counts of a workload (undefined for kinds without replicas, such as CronJob). */
export function workloadCounts(obj: KubeObject): Counts | undefined {
  switch (`${groupOf(obj.apiVersion)}/${obj.kind}`) {
    case 'apps/Deployment':
    case 'apps/StatefulSet':
    case 'apps/ReplicaSet': {
      const w = asKind<IDeployment | IStatefulSet | IReplicaSet>(obj);
      return { ready: num(w.status?.readyReplicas), desired: num(w.spec?.replicas, 1) };
    }
    case 'apps/DaemonSet': {
      const status = asKind<IDaemonSet>(obj).status;
      return { ready: num(status?.numberReady), desired: num(status?.desiredNumberScheduled) };
    }
    case 'batch/Job': {
      const j = asKind<IJob>(obj);
      return { ready: num(j.status?.succeeded), desired: num(j.spec?.completions, 1) };
    }
    default:
      return undefined;
  }
}
