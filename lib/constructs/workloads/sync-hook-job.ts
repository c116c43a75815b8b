import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** Job names get `-` and this many hex digits of the hash of their inputs. */
export const JOB_HASH_LENGTH = 8;
/** A Job's name is a pod label value (`job-name`, at most 63 characters): the base name keeps room for the hash. */
export const MAX_HASHED_JOB_BASE_NAME = 63 - 1 - JOB_HASH_LENGTH;

/**
 * `<base>-<first 8 hex digits of sha256(JSON of inputs)>`: a name that changes whenever the inputs
 * do. A Job's pod template is immutable, so a Job whose work changed must be a new Job: under
 * `kubectl apply` a new name creates (and runs) it, the same name is a no-op.
 */
export function contentHashedName(base: string, inputs: unknown): string {
  return `${base}-${createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, JOB_HASH_LENGTH)}`;
}

export interface SyncHookJobProps {
  /** The Job's name, usually {@link contentHashedName} of what it does. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly template: k8s.PodTemplateSpec;
  readonly backoffLimit: number;
  /** Hard time limit, seconds. */
  readonly activeDeadlineSeconds: number;
  /** Seconds a finished Job (and its pod's logs) is kept. */
  readonly ttlSecondsAfterFinished: number;
}

/**
 * A setup Job that is also an Argo CD Sync hook, deleted before the next one is created: Argo CD
 * runs it on each sync and does not count it in the Application's sync status, so the TTL deleting
 * the finished Job is not drift that self-heal would re-create (and re-run) every day.
 */
export function syncHookJob(scope: Construct, id: string, props: SyncHookJobProps): k8s.KubeJob {
  return new k8s.KubeJob(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: { ...props.labels },
      annotations: { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' },
    },
    spec: {
      backoffLimit: props.backoffLimit,
      activeDeadlineSeconds: props.activeDeadlineSeconds,
      ttlSecondsAfterFinished: props.ttlSecondsAfterFinished,
      template: props.template,
    },
  });
}
