import type { IDaemonSetStatus } from 'kubernetes-models/apps/v1/DaemonSetStatus';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IDeploymentStatus } from 'kubernetes-models/apps/v1/DeploymentStatus';
import type { IStatefulSetSpec } from 'kubernetes-models/apps/v1/StatefulSetSpec';
import type { IStatefulSetStatus } from 'kubernetes-models/apps/v1/StatefulSetStatus';
import type { ICronJobSpec } from 'kubernetes-models/batch/v1/CronJobSpec';
import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import type { IJobStatus } from 'kubernetes-models/batch/v1/JobStatus';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import { Condition, KubeObject } from '../../cli/objects';
import { evaluateReadiness, isWorkload, workloadCounts } from '../../cli/readiness';

const meta = (name: string, generation = 3, namespace = 'wondernest') => ({
  name,
  namespace,
  generation,
  uid: 'u',
  resourceVersion: '1234',
});

// Shapes as `kubectl get -o json` returns them.
function deployment(status: IDeploymentStatus | undefined, spec: Partial<IDeploymentSpec> = {}, generation = 3): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('api', generation),
    spec: { replicas: 3, selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, strategy: { type: 'RollingUpdate' }, ...spec },
    status,
  };
}

describe('Deployment', () => {
  const rolledOut = {
    observedGeneration: 3,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: 'ReplicaSet "api-6d8f9c7b5" has successfully progressed.',
      },
    ],
  };

  test('rolled out: ready', () => {
    expect(evaluateReadiness(deployment(rolledOut))).toEqual({ state: 'ready', message: '3 of 3 replicas available' });
    expect(workloadCounts(deployment(rolledOut))).toEqual({ ready: 3, desired: 3 });
  });

  test('new spec not yet observed: progressing, even when the old status looked ready', () => {
    expect(evaluateReadiness(deployment({ ...rolledOut, observedGeneration: 2 }))).toEqual({
      state: 'progressing',
      message: 'waiting for the deployment controller to observe the new spec',
    });
    expect(evaluateReadiness(deployment(undefined)).state).toBe('progressing');
  });

  test('mid rollout: updating, old replicas terminating, new ones not available', () => {
    expect(evaluateReadiness(deployment({ ...rolledOut, updatedReplicas: 1, replicas: 4 })).message).toBe('1 of 3 new replicas updated');
    expect(evaluateReadiness(deployment({ ...rolledOut, replicas: 4 })).message).toBe('1 old replica pending termination');
    expect(evaluateReadiness(deployment({ ...rolledOut, availableReplicas: 1, readyReplicas: 1, unavailableReplicas: 2 }))).toEqual({
      state: 'progressing',
      message: '1 of 3 updated replicas available',
    });
  });

  test('progress deadline exceeded: failed with the controller message', () => {
    const stuck = {
      observedGeneration: 3,
      replicas: 4,
      updatedReplicas: 1,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "api-7c9d" has timed out progressing.',
        },
      ],
    };
    expect(evaluateReadiness(deployment(stuck))).toEqual({
      state: 'failed',
      message: 'exceeded its progress deadline: ReplicaSet "api-7c9d" has timed out progressing.',
    });
  });

  test('replicas left to an HPA default to 1; scaled to zero is ready', () => {
    expect(
      evaluateReadiness(
        deployment({ observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, { replicas: undefined }),
      ).state,
    ).toBe('ready');
    expect(evaluateReadiness(deployment({ observedGeneration: 3 }, { replicas: 0 }))).toEqual({
      state: 'ready',
      message: '0 of 0 replicas available',
    });
  });
});

describe('StatefulSet', () => {
  const sts = (status: Partial<IStatefulSetStatus> | undefined, spec: Partial<IStatefulSetSpec> = {}): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('postgres', 2),
    spec: { replicas: 1, serviceName: 'postgres', updateStrategy: { type: 'RollingUpdate' }, ...spec },
    status,
  });
  const done = {
    observedGeneration: 2,
    replicas: 1,
    readyReplicas: 1,
    currentReplicas: 1,
    updatedReplicas: 1,
    availableReplicas: 1,
    currentRevision: 'postgres-5d4f7b9c8',
    updateRevision: 'postgres-5d4f7b9c8',
    collisionCount: 0,
  };

  test('all pods ready at the current revision: ready', () => {
    expect(evaluateReadiness(sts(done))).toEqual({ state: 'ready', message: '1 of 1 pods ready' });
    expect(workloadCounts(sts(done))).toEqual({ ready: 1, desired: 1 });
  });

  test('pods not ready: progressing with counts', () => {
    expect(evaluateReadiness(sts({ ...done, readyReplicas: 0, availableReplicas: 0 }))).toEqual({
      state: 'progressing',
      message: '0 of 1 pods ready',
    });
    expect(evaluateReadiness(sts({ observedGeneration: 2, replicas: 1, currentReplicas: 1, updatedReplicas: 1 })).message).toBe(
      '0 of 1 pods ready',
    );
  });

  test('rolling update not finished: progressing with the revision', () => {
    expect(
      evaluateReadiness(
        sts({ ...done, replicas: 3, readyReplicas: 3, updatedReplicas: 1, updateRevision: 'postgres-7f6c' }, { replicas: 3 }),
      ),
    ).toEqual({
      state: 'progressing',
      message: 'rolling update: 1 of 3 pods at revision postgres-7f6c',
    });
  });

  test('partitioned rollout: done once the pods above the partition are updated', () => {
    const partitioned = { updateStrategy: { type: 'RollingUpdate' as const, rollingUpdate: { partition: 2 } }, replicas: 3 };
    expect(
      evaluateReadiness(sts({ ...done, replicas: 3, readyReplicas: 3, updatedReplicas: 0, updateRevision: 'x' }, partitioned)).message,
    ).toBe('partitioned rollout: 0 of 1 new pods updated');
    expect(
      evaluateReadiness(sts({ ...done, replicas: 3, readyReplicas: 3, updatedReplicas: 1, updateRevision: 'x' }, partitioned)).state,
    ).toBe('ready');
  });

  test('unobserved generation: progressing', () => {
    expect(evaluateReadiness(sts({ ...done, observedGeneration: 1 })).message).toBe(
      'waiting for the statefulset controller to observe the new spec',
    );
  });
});

describe('DaemonSet', () => {
  const ds = (status: Partial<IDaemonSetStatus>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('node-exporter', 1),
    spec: { updateStrategy: { type: 'RollingUpdate' } },
    status,
  });
  test('all nodes updated and available: ready', () => {
    const s = {
      observedGeneration: 1,
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberReady: 3,
      numberAvailable: 3,
      numberMisscheduled: 0,
    };
    expect(evaluateReadiness(ds(s))).toEqual({ state: 'ready', message: '3 of 3 pods available' });
    expect(workloadCounts(ds(s))).toEqual({ ready: 3, desired: 3 });
  });
  test('not updated or not available: progressing', () => {
    expect(
      evaluateReadiness(ds({ observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 })).message,
    ).toBe('2 of 3 new pods updated');
    expect(
      evaluateReadiness(
        ds({ observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1, numberUnavailable: 2 }),
      ).message,
    ).toBe('1 of 3 pods available');
  });
});

describe('Job', () => {
  const job = (status: IJobStatus, spec: Partial<IJobSpec> = {}): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('migrate', 1),
    spec: { completions: 1, backoffLimit: 2, ...spec },
    status,
  });
  test('complete: ready', () => {
    const s = {
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:00:09Z',
      succeeded: 1,
      ready: 0,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    };
    expect(evaluateReadiness(job(s))).toEqual({ state: 'ready', message: 'complete (1 of 1 succeeded)' });
    expect(workloadCounts(job(s))).toEqual({ ready: 1, desired: 1 });
  });
  test('backoff limit exceeded: failed with reason and message', () => {
    const s = {
      failed: 3,
      conditions: [
        { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
      ],
    };
    expect(evaluateReadiness(job(s))).toEqual({
      state: 'failed',
      message: 'job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });
  test('deadline exceeded: failed', () => {
    expect(
      evaluateReadiness(
        job({
          conditions: [
            { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
          ],
        }),
      ).message,
    ).toBe('job failed: DeadlineExceeded: Job was active longer than specified deadline');
  });
  test('running with failed attempts: progressing with counts', () => {
    expect(evaluateReadiness(job({ active: 1, failed: 2, ready: 0 }))).toEqual({
      state: 'progressing',
      message: '0 of 1 completions, 1 running, 2 failed attempts',
    });
  });
  test('suspended: nothing to wait for', () => {
    expect(evaluateReadiness(job({}, { suspend: true }))).toEqual({ state: 'ready', message: 'suspended' });
  });
});

describe('CronJob, PVC, CRD, Namespace, Pod', () => {
  test('CronJob: ready once applied; says when suspended', () => {
    const cj = (spec: Partial<ICronJobSpec>): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('postgres-backup'),
      spec,
      status: {},
    });
    expect(evaluateReadiness(cj({ schedule: '0 2 * * *' }))).toEqual({ state: 'ready', message: "scheduled '0 2 * * *'" });
    expect(evaluateReadiness(cj({ schedule: '0 2 * * *', suspend: true }))).toEqual({ state: 'ready', message: 'suspended' });
    expect(workloadCounts(cj({}))).toBeUndefined();
  });

  test('PVC: Bound ready, Lost failed, Pending waits unless the class binds on first consumer', () => {
    const pvc = (phase: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('uploads'),
      spec: { storageClassName: 'standard' },
      status: { phase },
    });
    expect(evaluateReadiness(pvc('Bound')).state).toBe('ready');
    expect(evaluateReadiness(pvc('Lost'))).toEqual({ state: 'failed', message: 'the bound volume was lost' });
    expect(evaluateReadiness(pvc('Pending'))).toEqual({
      state: 'progressing',
      message: 'waiting for a volume to be provisioned and bound',
    });
    expect(evaluateReadiness(pvc('Pending'), { volumeBindingMode: 'WaitForFirstConsumer' })).toEqual({
      state: 'ready',
      message: 'pending until a pod uses it (WaitForFirstConsumer)',
    });
  });

  test('CRD: Established ready; names conflict failed', () => {
    const crd = (conditions: Condition[]): KubeObject => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com', generation: 1 },
      status: { conditions },
    });
    expect(
      evaluateReadiness(
        crd([
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' },
        ]),
      ).state,
    ).toBe('ready');
    expect(
      evaluateReadiness(
        crd([
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' },
        ]),
      ),
    ).toEqual({ state: 'progressing', message: 'waiting to be established: the initial names have been accepted' });
    expect(
      evaluateReadiness(
        crd([{ type: 'NamesAccepted', status: 'False', reason: 'MultipleNameConflict', message: '"widgets" is already in use' }]),
      ),
    ).toEqual({ state: 'failed', message: 'names not accepted: "widgets" is already in use' });
  });

  test('Namespace: Active ready, Terminating failed', () => {
    expect(
      evaluateReadiness({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wondernest' }, status: { phase: 'Active' } }).state,
    ).toBe('ready');
    expect(
      evaluateReadiness({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'wondernest', deletionTimestamp: '2026-01-01T00:00:00Z' },
        status: { phase: 'Terminating' },
      }),
    ).toEqual({ state: 'failed', message: 'the namespace is being deleted (Terminating)' });
  });

  test('Pod: running and ready, succeeded, failed', () => {
    const pod = (status: IPodStatus): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('debug'), status });
    expect(evaluateReadiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })).state).toBe('ready');
    expect(evaluateReadiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })).state).toBe('progressing');
    expect(evaluateReadiness(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }))).toEqual({
      state: 'failed',
      message: 'pod failed: Evicted: The node was low on resource: memory.',
    });
  });
});

describe('custom resources with a Ready condition', () => {
  const es = (status: { conditions?: Condition[]; observedGeneration?: number } | undefined, generation = 1): KubeObject => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: meta('postgres-credentials', generation),
    spec: {},
    status,
  });

  test('ExternalSecret synced: ready', () => {
    const s = {
      binding: { name: 'postgres-credentials' },
      refreshTime: '2026-01-01T00:00:00Z',
      syncedResourceVersion: '1-abc',
      conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }],
    };
    expect(evaluateReadiness(es(s))).toEqual({ state: 'ready', message: 'Ready: secret synced' });
  });

  test('ExternalSecret failing to sync: progressing with the reason (the timeout summary shows it)', () => {
    const s = {
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' }],
    };
    expect(evaluateReadiness(es(s))).toEqual({
      state: 'progressing',
      message: 'not Ready: SecretSyncedError: could not get secret data from provider',
    });
  });

  test('no status yet (operator not running): waits instead of calling it ready', () => {
    expect(evaluateReadiness(es(undefined))).toEqual({
      state: 'progressing',
      message: 'waiting for its controller to report Ready (is the operator running?)',
    });
  });

  test('Certificate Ready for an older generation: progressing', () => {
    const cert: KubeObject = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: meta('root', 2),
      spec: {},
      status: { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] },
    };
    expect(evaluateReadiness(cert)).toEqual({ state: 'progressing', message: 'waiting for its controller to observe the new spec' });
  });

  test('kinds without a notion of readiness are ready once applied', () => {
    expect(
      evaluateReadiness({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta('api', 1), spec: {} }),
    ).toEqual({ state: 'ready', message: 'applied' });
    expect(evaluateReadiness({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: {} }).state).toBe('ready');
  });

  test('isWorkload: the kinds status lists', () => {
    expect(['Deployment', 'StatefulSet', 'DaemonSet'].every((k) => isWorkload({ apiVersion: 'apps/v1', kind: k }))).toBe(true);
    expect(isWorkload({ apiVersion: 'batch/v1', kind: 'CronJob' })).toBe(true);
    expect(isWorkload({ apiVersion: 'v1', kind: 'Service' })).toBe(false);
  });
});
