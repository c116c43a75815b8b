import { ApiError } from '../../cli/cluster';
import { deploy, DeployOptions } from '../../cli/deploy';
import { ManifestObject } from '../../cli/manifests';
import { KubeObject } from '../../cli/objects';
import { planDeployment } from '../../cli/plan';
import { ProgressPrinter } from '../../cli/progress';
import { BUILT_IN_RESOURCES, FakeCluster, fakeClock } from './support/fake-cluster';

const NS = 'shop';
const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string | undefined,
  rest: Partial<KubeObject> = {},
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...rest,
});
const selector = (app: string) => ({ matchLabels: { app } });
const podTemplate = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `${app}:1` }] } });

const manifests: KubeObject[] = [
  obj('batch/v1', 'CronJob', 'backup', NS, { spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: podTemplate('backup') } } } }),
  obj('apps/v1', 'Deployment', 'api', NS, { spec: { replicas: 2, selector: selector('api'), template: podTemplate('api') } }),
  obj('apps/v1', 'StatefulSet', 'postgres', NS, {
    spec: {
      replicas: 1,
      serviceName: 'postgres',
      selector: selector('postgres'),
      template: podTemplate('postgres'),
      volumeClaimTemplates: [{ metadata: { name: 'data' } }],
    },
  }),
  obj('external-secrets.io/v1', 'ExternalSecret', 'db', NS, { spec: {} }),
  obj('v1', 'ConfigMap', 'postgres-config', NS, { data: { a: 'b' } }),
  obj('v1', 'Service', 'postgres', NS, { spec: { clusterIP: 'None' } }),
  obj('v1', 'Namespace', NS, NS),
  obj('cert-manager.io/v1', 'ClusterIssuer', 'local-ca', undefined, { spec: { selfSigned: {} } }),
];
const items = (objects: KubeObject[]): ManifestObject[] =>
  objects.map((object, index) => ({ object, stack: 'shop', file: 'dev/shop.k8s.yaml', index }));

function output(isTTY = false) {
  const chunks: string[] = [];
  const stream = { isTTY, columns: 200, write: (s: string) => chunks.push(s) };
  return { stream, text: () => chunks.join('') };
}

const OPTIONS: DeployOptions = {
  dryRun: false,
  timeoutMs: 60_000,
  fieldManager: 'backends-cli',
  forceConflicts: true,
  pollIntervalMs: 2000,
};

async function run(
  cluster: FakeCluster,
  clock: ReturnType<typeof fakeClock>,
  options: Partial<DeployOptions> = {},
  objects = manifests,
  isTTY = false,
) {
  const out = output(isTTY);
  const report = await deploy(
    planDeployment(items(objects)),
    cluster,
    { ...OPTIONS, ...options },
    new ProgressPrinter(out.stream, () => clock.now()),
    clock,
  );
  return { report, text: out.text() };
}

describe('deploy against a healthy cluster', () => {
  test('applies in stage order with the field manager and force, waits, and succeeds', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, readyAfterMs: { 'StatefulSet shop/postgres': 5000, 'Deployment shop/api': 3000 } });
    const { report, text } = await run(cluster, clock);
    expect(report.ok).toBe(true);
    expect(cluster.applied.map((a) => a.what)).toEqual([
      'Namespace shop',
      'ConfigMap shop/postgres-config',
      'ExternalSecret shop/db',
      'ClusterIssuer local-ca',
      'Service shop/postgres',
      'StatefulSet shop/postgres',
      'Deployment shop/api',
      'CronJob shop/backup',
    ]);
    expect(cluster.applied.every((a) => a.fieldManager === 'backends-cli' && a.force && !a.dryRun)).toBe(true);
    expect(text).toContain('[1/7] crds: nothing to apply');
    expect(text).toContain('[3/7] config: 4 objects applied and ready');
    expect(text).toContain('[4/7] stores: 1 object applied and ready (6s)');
    expect(text).toContain('[6/7] apps: 1 object applied and ready (4s)');
    expect(text).toContain('deployed 8 objects; every stage is ready');
    expect(report.summary).toEqual(['deployed 8 objects; every stage is ready']);
  });

  test('the next stage starts only once the previous one is ready', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, readyAfterMs: { 'StatefulSet shop/postgres': 10_000 } });
    const applyTimes: Record<string, number> = {};
    const apply = cluster.apply.bind(cluster);
    cluster.apply = async (o, opts) => {
      applyTimes[`${o.kind}/${o.metadata.name}`] = clock.now();
      return apply(o, opts);
    };
    await run(cluster, clock);
    expect(applyTimes['Deployment/api'] - applyTimes['StatefulSet/postgres']).toBeGreaterThanOrEqual(10_000);
  });

  test('a CRD in the plan is established before its custom resources are applied', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({
      clock,
      resources: [...BUILT_IN_RESOURCES],
      readyAfterMs: { 'CustomResourceDefinition widgets.example.com': 4000 },
    });
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    const { report, text } = await run(cluster, clock, {}, [
      obj('example.com/v1', 'Widget', 'w', NS, { spec: {} }),
      obj('v1', 'Namespace', NS, undefined),
      crd,
    ]);
    expect(report.ok).toBe(true);
    expect(cluster.applied.map((a) => a.what)).toEqual(['CustomResourceDefinition widgets.example.com', 'Namespace shop', 'Widget shop/w']);
    expect(cluster.discoveryRefreshes).toBe(1);
    expect(text).toContain('[1/7] crds: 1 object applied and ready (4s)');
  });

  test('on a terminal the stage line is updated in place', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, readyAfterMs: { 'StatefulSet shop/postgres': 4000 } });
    const { text } = await run(cluster, clock, {}, manifests, true);
    expect(text).toContain('\r\x1b[2K[4/7] stores: applied 1/1, ready 0/1, 0s; waiting for StatefulSet shop/postgres: 0 of 1 pods ready');
    expect(text).toContain('\r\x1b[2K[4/7] stores: 1 object applied and ready (4s)\n');
  });
});

describe('deploy failures', () => {
  test('timeout: exits with what is not ready and why (pods and events), and what was not deployed', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, stuck: ['StatefulSet shop/postgres'] });
    cluster.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'postgres-0', namespace: NS, labels: { app: 'postgres' } },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'postgres',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                message: 'FATAL: could not write lock file "postmaster.pid": Read-only file system',
              },
            },
          },
        ],
      },
    });
    cluster.add({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'data-postgres-0.1', namespace: NS },
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message: 'storageclass.storage.k8s.io "gp3-encrypted" not found',
      involvedObject: { kind: 'PersistentVolumeClaim', name: 'data-postgres-0' },
      count: 7,
    });
    const { report, text } = await run(cluster, clock, { timeoutMs: 30_000 });
    expect(report.ok).toBe(false);
    expect(report.failedStage).toBe('stores');
    expect(report.summary).toEqual([
      "deploy failed: stage 'stores' not ready after 30s (timeout 30s): 1 of 1 objects not ready:",
      '  StatefulSet shop/postgres: 0 of 1 pods ready',
      '    - pod postgres-0 container postgres: CrashLoopBackOff: restarted 4 times; last exit code 1 (Error): FATAL: could not write lock file "postmaster.pid": Read-only file system',
      '    - PersistentVolumeClaim data-postgres-0: ProvisioningFailed: storageclass.storage.k8s.io "gp3-encrypted" not found (x7)',
      'not deployed: apps (1 object), cronjobs (1 object)',
    ]);
    expect(text).toContain('[4/7] stores: TIMED OUT (0/1 ready)');
    expect(cluster.applied.map((a) => a.what)).not.toContain('Deployment shop/api');
    // Polled every 2s until the 30s limit, never beyond it.
    expect(clock.sleeps.every((ms) => ms <= 2000)).toBe(true);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(30_000);
  });

  test('an ExternalSecret that never syncs stops the deploy before the stores', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, stuck: ['ExternalSecret shop/db'] });
    const { report } = await run(cluster, clock, { timeoutMs: 10_000 });
    expect(report.summary.slice(0, 2)).toEqual([
      "deploy failed: stage 'config' not ready after 10s (timeout 10s): 1 of 4 objects not ready:",
      '  ExternalSecret shop/db: not Ready: SecretSyncedError: could not get secret data from provider',
    ]);
    expect(report.summary[report.summary.length - 1]).toBe('not deployed: stores (1 object), apps (1 object), cronjobs (1 object)');
  });

  test('a failed Job fails its stage at once, without waiting for the timeout', async () => {
    const clock = fakeClock();
    const failedJob = {
      failed: 2,
      conditions: [
        { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
      ],
    };
    const cluster = new FakeCluster({ clock, readyAfterMs: { 'Job shop/migrate': 2000 } });
    const job = obj('batch/v1', 'Job', 'migrate', NS, { spec: { backoffLimit: 1, template: podTemplate('migrate') } });
    const get = cluster.get.bind(cluster);
    // Running at apply, failed at the first poll.
    cluster.get = async (ref) => {
      const live = await get(ref);
      return live && ref.kind === 'Job' ? { ...live, status: failedJob } : live;
    };
    const { report } = await run(cluster, clock, { timeoutMs: 600_000 }, [obj('v1', 'Namespace', NS, undefined), job]);
    expect(report.ok).toBe(false);
    expect(report.summary[0]).toBe("deploy failed: stage 'jobs': 1 object failed (after 2s):");
    expect(report.summary[1]).toBe('  Job shop/migrate: job failed: BackoffLimitExceeded: Job has reached the specified backoff limit');
    expect(clock.sleeps).toEqual([2000]);
  });

  test('the API server refusing an object stops before waiting, with its field errors', async () => {
    const clock = fakeClock();
    const invalid = new ApiError(422, 'Invalid', 'StatefulSet.apps "postgres" is invalid: spec.serviceName: Required value', [
      { field: 'spec.serviceName', message: 'Required value' },
      { field: 'spec.replicas', message: 'must be greater than or equal to 0' },
    ]);
    const cluster = new FakeCluster({ clock, applyErrors: { 'StatefulSet shop/postgres': invalid } });
    const { report } = await run(cluster, clock);
    expect(report.summary).toEqual([
      "deploy failed: stage 'stores': the API server refused 1 object:",
      '  apps/v1 StatefulSet shop/postgres: StatefulSet.apps "postgres" is invalid: spec.serviceName: Required value\n      spec.replicas: must be greater than or equal to 0',
      'not deployed: apps (1 object), cronjobs (1 object)',
    ]);
    expect(clock.sleeps).toEqual([]);
  });

  test('missing operators and namespaces are reported before anything is applied', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, resources: [...BUILT_IN_RESOURCES] });
    const certificate = obj('cert-manager.io/v1', 'Certificate', 'root', 'cert-manager', { spec: {} });
    const { report } = await run(cluster, clock, {}, [...manifests, certificate]);
    expect(report.ok).toBe(false);
    expect(cluster.applied).toEqual([]);
    expect(report.summary).toEqual([
      'deploy failed before applying anything: the cluster lacks prerequisites',
      '  - 1 object: the cluster does not serve external-secrets.io/v1 ExternalSecret: install External Secrets Operator (it provides the CRD)',
      '  - 1 object: the cluster does not serve cert-manager.io/v1 ClusterIssuer: install cert-manager (it provides the CRD)',
      '  - 1 object: the cluster does not serve cert-manager.io/v1 Certificate: install cert-manager (it provides the CRD)',
      "  - 1 object in namespace 'cert-manager', which does not exist and is not part of this deploy",
    ]);
  });

  test('an unreachable API server aborts with the connection error', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock });
    cluster.resourceInfo = async () => {
      throw new ApiError(
        0,
        'Unreachable',
        'cannot reach the API server of context kind-backends-dev (https://127.0.0.1:6443): connect ECONNREFUSED 127.0.0.1:6443',
      );
    };
    const { report } = await run(cluster, clock);
    expect(report.ok).toBe(false);
    expect(report.summary).toEqual([
      'deploy failed: cannot reach the API server of context kind-backends-dev (https://127.0.0.1:6443): connect ECONNREFUSED 127.0.0.1:6443',
    ]);
  });
});

describe('deploy --dry-run=server', () => {
  test('every object is sent as a dry run; nothing is stored and nothing is waited for', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, namespaces: ['default', NS] });
    const { report, text } = await run(cluster, clock, { dryRun: true });
    expect(report.ok).toBe(true);
    expect(cluster.applied).toHaveLength(manifests.length);
    expect(cluster.applied.every((a) => a.dryRun)).toBe(true);
    expect([...cluster.objects.keys()].filter((k) => !k.startsWith('/Namespace/'))).toEqual([]);
    expect(clock.sleeps).toEqual([]);
    expect(text).toContain('  ok       apps/v1 StatefulSet shop/postgres');
    expect(report.summary).toEqual(['dry run: 8 accepted by the API server, 0 skipped, 0 failed']);
  });

  test('objects in a namespace the deploy creates are skipped with the reason; missing kinds fail', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({ clock, resources: [...BUILT_IN_RESOURCES] });
    const { report, text } = await run(cluster, clock, { dryRun: true });
    expect(report.ok).toBe(false);
    expect(text).toContain('  ok       v1 Namespace shop');
    expect(text).toContain("  skipped  v1 ConfigMap shop/postgres-config: namespace 'shop' does not exist yet (created by this deploy)");
    expect(text).toContain(
      '  FAILED   cert-manager.io/v1 ClusterIssuer local-ca: the cluster does not serve cert-manager.io/v1 ClusterIssuer: install cert-manager (it provides the CRD)',
    );
    expect(report.summary).toEqual([
      'dry run: 1 accepted by the API server, 5 skipped, 2 failed',
      'note: skipped objects live in a namespace or have a CRD that this deploy creates: the API server cannot dry-run them until it exists.',
      '      They are validated by the real deploy, stage by stage; a dry run after the first deploy covers them.',
    ]);
    expect(cluster.applied.map((a) => a.what)).toEqual(['Namespace shop']);
  });

  test('server-side validation errors are listed per object and make the dry run fail', async () => {
    const clock = fakeClock();
    const cluster = new FakeCluster({
      clock,
      namespaces: [NS],
      applyErrors: {
        'Deployment shop/api': new ApiError(
          422,
          'Invalid',
          'Deployment.apps "api" is invalid: spec.template.spec.containers[0].image: Required value',
        ),
      },
    });
    const { report, text } = await run(cluster, clock, { dryRun: true });
    expect(report.ok).toBe(false);
    expect(text).toContain(
      '  FAILED   apps/v1 Deployment shop/api: Deployment.apps "api" is invalid: spec.template.spec.containers[0].image: Required value',
    );
    expect(report.summary).toEqual(['dry run: 7 accepted by the API server, 0 skipped, 1 failed']);
  });
});
