import type { IContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import { KubeObject, ObjectMeta } from '../../cli/objects';
import { diagnose, eventProblems, formatNotReady, formatProblem, jobsOf, mergeProblems, podProblems, podsOf } from '../../cli/report';

const NS = 'wondernest';
const labels = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'wondernest' };

const apiDeployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: NS, generation: 2 },
  spec: { replicas: 2, selector: { matchLabels: labels } },
  status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 0, availableReplicas: 0 },
};

/** A pod status whose container statuses carry only the fields a test is about. */
type PodStatusFixture = Omit<IPodStatus, 'containerStatuses' | 'initContainerStatuses'> & {
  containerStatuses?: Array<Partial<IContainerStatus>>;
  initContainerStatuses?: Array<Partial<IContainerStatus>>;
};

function pod(
  name: string,
  status: PodStatusFixture,
  podLabels: Record<string, string> = labels,
  extra: Partial<ObjectMeta> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { ...podLabels, 'pod-template-hash': '6d8f9c7b5' }, ...extra },
    spec: {},
    status,
  };
}

function event(involved: { kind: string; name: string }, reason: string, message: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${involved.name}.17a${reason.length}`, namespace: NS },
    involvedObject: { ...involved, namespace: NS },
    reason,
    message,
    type: 'Warning',
    count: 1,
    firstTimestamp: '2026-03-01T10:00:00Z',
    lastTimestamp: '2026-03-01T10:05:00Z',
    ...extra,
  };
}

const crashLooping = pod('api-6d8f9c7b5-x2xkq', {
  phase: 'Running',
  conditions: [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [api]' },
  ],
  containerStatuses: [
    {
      name: 'api',
      image: 'ghcr.io/acme/api:1.4.2',
      ready: false,
      restartCount: 5,
      started: false,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 2m40s restarting failed container=api pod=api-6d8f9c7b5-x2xkq_wondernest(0b1c)',
        },
      },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: 'Error',
          message: 'Exception in thread "main" java.net.UnknownHostException: postgres',
          startedAt: '2026-03-01T10:04:00Z',
          finishedAt: '2026-03-01T10:04:02Z',
        },
      },
    },
  ],
});

describe('podProblems', () => {
  test('CrashLoopBackOff: restarts and the last exit with its message', () => {
    expect(podProblems(crashLooping)).toEqual([
      {
        reason: 'CrashLoopBackOff',
        message: 'restarted 5 times; last exit code 1 (Error): Exception in thread "main" java.net.UnknownHostException: postgres',
        subjects: ['pod api-6d8f9c7b5-x2xkq container api'],
        count: 1,
      },
    ]);
  });

  test('ImagePullBackOff and ErrImagePull: the image and the registry message', () => {
    const p = pod('api-1', {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'api',
          image: 'ghcr.io/acme/api:1.4.3',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/api:1.4.3"' } },
        },
      ],
    });
    expect(podProblems(p)).toEqual([
      {
        reason: 'ImagePullBackOff',
        message: 'image ghcr.io/acme/api:1.4.3: Back-off pulling image "ghcr.io/acme/api:1.4.3"',
        subjects: ['pod api-1 container api'],
        count: 1,
      },
    ]);
    const e = pod('api-2', {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'api',
          image: 'nope:1',
          state: {
            waiting: {
              reason: 'ErrImagePull',
              message: 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nope:1": not found',
            },
          },
        },
      ],
    });
    expect(podProblems(e)[0]).toMatchObject({ reason: 'ErrImagePull', message: expect.stringContaining('not found') });
  });

  test('CreateContainerConfigError: the missing Secret', () => {
    const p = pod('postgres-0', {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'postgres',
          image: 'postgres:15.13-bookworm',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "postgres-credentials" not found' } },
        },
      ],
    });
    expect(podProblems(p)).toEqual([
      {
        reason: 'CreateContainerConfigError',
        message: 'secret "postgres-credentials" not found',
        subjects: ['pod postgres-0 container postgres'],
        count: 1,
      },
    ]);
  });

  test('Pending unschedulable: the scheduler message', () => {
    const p = pod('postgres-0', {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message:
            '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
        },
      ],
    });
    const [problem] = podProblems(p);
    expect(problem.reason).toBe('Unschedulable');
    expect(problem.message).toContain('2 Insufficient memory');
    expect(problem.subjects).toEqual(['pod postgres-0']);
  });

  test('failing readiness probe: running but not ready', () => {
    const p = pod('api-3', {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        { name: 'api', ready: false, restartCount: 0, started: true, state: { running: { startedAt: '2026-03-01T10:00:00Z' } } },
      ],
    });
    expect(podProblems(p)).toEqual([
      {
        reason: 'NotReady',
        message: 'running but not ready: its readiness probe does not pass',
        subjects: ['pod api-3 container api'],
        count: 1,
      },
    ]);
  });

  test('OOMKilled: in the last state of a restarted container', () => {
    const p = pod('redis-0', {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'redis',
          ready: true,
          restartCount: 2,
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
    });
    expect(podProblems(p)).toEqual([
      {
        reason: 'OOMKilled',
        message: 'restarted 2 times; last killed for exceeding its memory limit',
        subjects: ['pod redis-0 container redis'],
        count: 1,
      },
    ]);
  });

  test('failed init container and evicted pod', () => {
    const init = pod('postgres-0', {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'init-permissions',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 2, reason: 'Error' } },
        },
      ],
      containerStatuses: [{ name: 'postgres', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(podProblems(init)).toEqual([
      {
        reason: 'CrashLoopBackOff',
        message: 'restarted 3 times; last exit code 2 (Error)',
        subjects: ['pod postgres-0 init container init-permissions'],
        count: 1,
      },
    ]);
    const evicted = pod('api-4', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
    expect(podProblems(evicted)).toEqual([
      { reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.', subjects: ['pod api-4'], count: 1 },
    ]);
  });

  test('a starting pod and a pod being deleted are not problems', () => {
    expect(
      podProblems(
        pod('api-5', { phase: 'Pending', containerStatuses: [{ name: 'api', state: { waiting: { reason: 'ContainerCreating' } } }] }),
      ),
    ).toEqual([]);
    expect(
      podProblems(
        pod(
          'api-6',
          { phase: 'Running', containerStatuses: [{ name: 'api', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
          labels,
          { deletionTimestamp: '2026-03-01T10:00:00Z' },
        ),
      ),
    ).toEqual([]);
  });
});

describe('events', () => {
  test("probe failures on the workload's pods, merged and counted", () => {
    const pods = [pod('api-a', { phase: 'Running' }), pod('api-b', { phase: 'Running' })];
    const events = [
      event({ kind: 'Pod', name: 'api-a' }, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { count: 12 }),
      event({ kind: 'Pod', name: 'api-b' }, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { count: 3 }),
      event({ kind: 'Pod', name: 'other-pod' }, 'Unhealthy', 'Liveness probe failed'),
      { ...event({ kind: 'Pod', name: 'api-a' }, 'Pulled', 'Successfully pulled image'), type: 'Normal' },
    ];
    expect(eventProblems(apiDeployment, pods, events)).toEqual([
      {
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        subjects: ['pod api-a', 'pod api-b'],
        count: 15,
      },
    ]);
  });

  test('ReplicaSet FailedCreate (admission refused the pods) counts for the Deployment', () => {
    const events = [
      event(
        { kind: 'ReplicaSet', name: 'api-6d8f9c7b5' },
        'FailedCreate',
        'Error creating: pods "api-6d8f9c7b5-abcde" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true',
      ),
    ];
    expect(eventProblems(apiDeployment, [], events)).toEqual([
      {
        reason: 'FailedCreate',
        message: 'Error creating: pods "api-6d8f9c7b5-abcde" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true',
        subjects: ['ReplicaSet api-6d8f9c7b5'],
        count: 1,
      },
    ]);
  });

  test('StatefulSet: provisioning failures of its claim template PVCs', () => {
    const sts: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'postgres', namespace: NS },
      spec: { selector: { matchLabels: { app: 'postgres' } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
    };
    const events = [
      event(
        { kind: 'PersistentVolumeClaim', name: 'data-postgres-0' },
        'ProvisioningFailed',
        'storageclass.storage.k8s.io "gp3-encrypted" not found',
      ),
      event({ kind: 'PersistentVolumeClaim', name: 'data-postgres-exporter-0' }, 'ProvisioningFailed', 'unrelated'),
    ];
    expect(eventProblems(sts, [], events)).toEqual([
      {
        reason: 'ProvisioningFailed',
        message: 'storageclass.storage.k8s.io "gp3-encrypted" not found',
        subjects: ['PersistentVolumeClaim data-postgres-0'],
        count: 1,
      },
    ]);
  });

  test('events repeating a pod status problem (BackOff, FailedScheduling) are left out', () => {
    const unschedulable = pod('api-u', {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }],
    });
    const events = [
      event({ kind: 'Pod', name: 'api-6d8f9c7b5-x2xkq' }, 'BackOff', 'Back-off restarting failed container api'),
      event({ kind: 'Pod', name: 'api-u' }, 'FailedScheduling', '0/1 nodes are available'),
      event({ kind: 'Pod', name: 'api-6d8f9c7b5-x2xkq' }, 'Unhealthy', 'Liveness probe failed: connection refused'),
    ];
    const problems = diagnose(apiDeployment, { pods: [crashLooping, unschedulable], events });
    expect(problems.map((p) => p.reason)).toEqual(['CrashLoopBackOff', 'Unschedulable', 'Unhealthy']);
  });
});

describe('diagnose and formatting', () => {
  test("only the workload's own pods (selector and namespace)", () => {
    const mine = pod('api-a', { phase: 'Running' });
    const otherApp = pod('redis-0', { phase: 'Running' }, { 'app.kubernetes.io/name': 'redis' });
    const otherNs = { ...pod('api-z', { phase: 'Running' }), metadata: { ...mine.metadata, name: 'api-z', namespace: 'other' } };
    expect(podsOf(apiDeployment, [mine, otherApp, otherNs]).map((p) => p.metadata.name)).toEqual(['api-a']);
  });

  test('the same problem on several pods is one line listing the pods', () => {
    const second = { ...crashLooping, metadata: { ...crashLooping.metadata, name: 'api-6d8f9c7b5-q9w8e' } };
    const merged = mergeProblems([...podProblems(crashLooping), ...podProblems(second)]);
    expect(merged).toHaveLength(1);
    expect(formatProblem(merged[0])).toBe(
      'pods api-6d8f9c7b5-x2xkq, api-6d8f9c7b5-q9w8e container api: CrashLoopBackOff: restarted 5 times; last exit code 1 (Error): Exception in thread "main" java.net.UnknownHostException: postgres (x2)',
    );
  });

  test('CronJob: the last job failed, and why its pod failed', () => {
    const cron: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'postgres-backup', namespace: NS },
      spec: { schedule: '0 2 * * *' },
    };
    const owner = [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'postgres-backup', uid: 'c1', controller: true }];
    const older: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'postgres-backup-29000000', namespace: NS, ownerReferences: owner, creationTimestamp: '2026-02-28T02:00:00Z' },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'j0' } } },
      status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
    };
    const newer: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'postgres-backup-29001440', namespace: NS, ownerReferences: owner, creationTimestamp: '2026-03-01T02:00:00Z' },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'j1' } } },
      status: {
        failed: 3,
        conditions: [
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
        ],
      },
    };
    expect(jobsOf(cron, [older, newer]).map((j) => j.metadata.name)).toEqual(['postgres-backup-29001440', 'postgres-backup-29000000']);
    const jobPod = pod(
      'postgres-backup-29001440-k2j4n',
      {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'upload',
            state: {
              terminated: {
                exitCode: 255,
                reason: 'Error',
                message: 'upload failed: Could not connect to the endpoint URL: "http://localstack:4566/backups"',
              },
            },
          },
        ],
      },
      { 'batch.kubernetes.io/controller-uid': 'j1' },
    );
    const problems = diagnose(cron, { jobs: [older, newer], pods: [jobPod], events: [] });
    expect(problems.map(formatProblem)).toEqual([
      'Job postgres-backup-29001440: BackoffLimitExceeded: last run failed: Job has reached the specified backoff limit',
      'pod postgres-backup-29001440-k2j4n: Failed: the pod failed',
      'pod postgres-backup-29001440-k2j4n container upload: Failed: terminated with exit code 255 (Error): upload failed: Could not connect to the endpoint URL: "http://localstack:4566/backups"',
    ]);
  });

  test('CronJob events: its scheduled Jobs only, not those of a CronJob with a longer name', () => {
    const cron: KubeObject = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'postgres-backup', namespace: NS }, spec: {} };
    const events = [
      event({ kind: 'Job', name: 'postgres-backup-29001440' }, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      event({ kind: 'Job', name: 'postgres-backup-verify-29001440' }, 'BackoffLimitExceeded', 'other cronjob'),
      event(
        { kind: 'CronJob', name: 'postgres-backup' },
        'FailedNeedsStart',
        'Cannot determine if job needs to be started: too many missed start times',
      ),
    ];
    expect(eventProblems(cron, [], events).map((p) => p.subjects[0])).toEqual(['Job postgres-backup-29001440', 'CronJob postgres-backup']);
  });

  test('formatNotReady: one block per object; says so when nothing explains it', () => {
    const lines = formatNotReady([
      { object: apiDeployment, status: '0 of 2 updated replicas available', problems: podProblems(crashLooping) },
      {
        object: { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'api-secrets', namespace: NS } },
        status: 'not Ready: SecretSyncedError',
        problems: [],
      },
    ]);
    expect(lines).toEqual([
      '  Deployment wondernest/api: 0 of 2 updated replicas available',
      '    - pod api-6d8f9c7b5-x2xkq container api: CrashLoopBackOff: restarted 5 times; last exit code 1 (Error): Exception in thread "main" java.net.UnknownHostException: postgres',
      '  ExternalSecret wondernest/api-secrets: not Ready: SecretSyncedError',
      '    - no pod or event explains it yet',
    ]);
  });

  test('long messages are cut to one line', () => {
    const p = pod('api-l', {
      phase: 'Pending',
      containerStatuses: [{ name: 'api', state: { waiting: { reason: 'RunContainerError', message: `line one\n${'x'.repeat(400)}` } } }],
    });
    const [problem] = podProblems(p);
    expect(problem.message).not.toContain('\n');
    expect(problem.message.length).toBe(300);
    expect(problem.message.endsWith('...')).toBe(true);
  });
});
