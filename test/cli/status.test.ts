import { ManifestObject } from '../../cli/manifests';
import { KubeObject } from '../../cli/objects';
import { collectStatus, formatStatusTable } from '../../cli/status';
import { FakeCluster, fakeClock } from './support/fake-cluster';

const NS = 'wondernest';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const podTemplate = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `${app}:1` }] } });
const manifest: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: NS }, data: {} },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'postgres', namespace: NS },
    spec: { replicas: 1, selector: { matchLabels: { app: 'postgres' } }, template: podTemplate('postgres') },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: podTemplate('api') },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'pgadmin', namespace: NS },
    spec: { replicas: 1, selector: { matchLabels: { app: 'pgadmin' } }, template: podTemplate('pgadmin') },
  },
  { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'postgres-backup', namespace: NS }, spec: { schedule: '0 2 * * *' } },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'postgres-restore', namespace: NS },
    spec: { schedule: '0 0 1 1 *', suspend: true },
  },
];
const items: ManifestObject[] = manifest.map((object, index) => ({ object, stack: 'wondernest', file: 'dev/wondernest.k8s.yaml', index }));

async function deployed(): Promise<FakeCluster> {
  const cluster = new FakeCluster({
    clock: fakeClock(NOW),
    stuck: ['Deployment wondernest/api'],
  });
  for (const o of manifest.filter((x) => x.metadata.name !== 'pgadmin'))
    await cluster.apply(o, { dryRun: false, fieldManager: 'm', force: true });
  return cluster;
}

describe('status', () => {
  test('one row per workload with ready/desired, state, details and problems', async () => {
    const cluster = await deployed();
    cluster.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-6d8f-x2', namespace: NS, labels: { app: 'api' } },
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'api',
            image: 'api:1',
            ready: false,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "api:1"' } },
          },
        ],
      },
    });
    const owner = [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'postgres-backup', uid: 'c', controller: true }];
    cluster.add({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'postgres-backup-29001440', namespace: NS, ownerReferences: owner, creationTimestamp: '2026-03-01T02:00:00Z' },
      spec: { selector: { matchLabels: { job: 'j1' } } },
      status: {
        failed: 3,
        conditions: [
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
        ],
      },
    });
    const cron = (await cluster.get({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'postgres-backup', namespace: NS }))!;
    cluster.add({ ...cron, status: { lastScheduleTime: '2026-03-01T02:00:00Z', lastSuccessfulTime: '2026-02-28T02:00:07Z' } });

    const rows = await collectStatus(items, cluster, NOW);
    expect(rows.map((r) => [r.kind, r.name, r.ready, r.state, r.detail])).toEqual([
      ['StatefulSet', 'postgres', '1/1', 'Ready', '1 of 1 pods ready'],
      ['Deployment', 'api', '0/2', 'Progressing', '0 of 2 updated replicas available'],
      ['Deployment', 'pgadmin', '-', 'Missing', 'not found on the cluster (not deployed yet?)'],
      [
        'CronJob',
        'postgres-backup',
        '-',
        'Failed',
        "schedule '0 2 * * *'; last run 10h0m0s ago, last success 33h59m53s ago; last job postgres-backup-29001440 failed",
      ],
      ['CronJob', 'postgres-restore', '-', 'Suspended', "schedule '0 0 1 1 *'; never run"],
    ]);
    expect(rows[1].problems.map((p) => p.reason)).toEqual(['ImagePullBackOff']);
    expect(rows[3].problems.map((p) => p.reason)).toEqual(['BackoffLimitExceeded']);

    const table = formatStatusTable(rows);
    expect(table[0]).toMatch(/^STACK\s+KIND\s+NAMESPACE\/NAME\s+READY\s+STATUS\s+DETAILS$/);
    expect(table[1]).toMatch(/^wondernest\s+StatefulSet\s+wondernest\/postgres\s+1\/1\s+Ready\s+1 of 1 pods ready$/);
    expect(table).toContain('    ! pod api-6d8f-x2 container api: ImagePullBackOff: image api:1: Back-off pulling image "api:1"');
    expect(table[table.length - 1]).toBe('5 workloads, 3 not ready');
    // Columns line up.
    const statusColumn = table[0].indexOf('STATUS');
    for (const line of table.slice(1, 6).filter((l) => !l.startsWith('    !')))
      expect(line.slice(statusColumn).split(/\s+/)[0]).toMatch(/^(Ready|Progressing|Missing|Failed|Suspended)$/);
  });

  test('everything ready: a healthy summary', async () => {
    const cluster = new FakeCluster({ clock: fakeClock(NOW) });
    for (const o of manifest) await cluster.apply(o, { dryRun: false, fieldManager: 'm', force: true });
    const rows = await collectStatus(items, cluster, NOW);
    expect(rows.map((r) => r.state)).toEqual(['Ready', 'Ready', 'Ready', 'Scheduled', 'Suspended']);
    expect(formatStatusTable(rows).pop()).toBe('5 workloads, all ready');
  });

  test('a ready workload still shows a current pod problem (a restarted OOM-killed container)', async () => {
    const cluster = new FakeCluster({ clock: fakeClock(NOW) });
    for (const o of manifest) await cluster.apply(o, { dryRun: false, fieldManager: 'm', force: true });
    cluster.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'postgres-0', namespace: NS, labels: { app: 'postgres' } },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'postgres',
            ready: true,
            restartCount: 1,
            state: { running: {} },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      },
    });
    cluster.add({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'old', namespace: NS },
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Readiness probe failed',
      involvedObject: { kind: 'Pod', name: 'postgres-0' },
    });
    const [postgres] = await collectStatus(items, cluster, NOW);
    expect(postgres.state).toBe('Ready');
    expect(postgres.problems.map((p) => p.reason)).toEqual(['OOMKilled']);
  });

  test('no workloads', () => {
    expect(formatStatusTable([])).toEqual(['no workloads in the selected manifests']);
  });
});
