import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliError } from '../../cli/errors';
import { ConnectedCluster, expectedClusters, main, MainDeps, projectRoot } from '../../cli/main';
import { KubeContextInfo } from '../../cli/context-guard';
import { FakeCluster, fakeClock } from './support/fake-cluster';

const ENVS = { dev: { kind: 'kind', name: 'backends-dev' }, prod: { kind: 'eks', name: 'backends-prod' } };
const DEV_CONTEXT: KubeContextInfo = { name: 'kind-backends-dev', cluster: 'kind-backends-dev', server: 'https://127.0.0.1:40123' };
const OTHER_CONTEXT: KubeContextInfo = { name: 'kind-scratch', cluster: 'kind-scratch', server: 'https://127.0.0.1:40999' };

let dist: string;

beforeAll(() => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-main-'));
  fs.mkdirSync(path.join(dist, 'dev'));
  fs.writeFileSync(
    path.join(dist, 'dev', 'platform.k8s.yaml'),
    ['apiVersion: cert-manager.io/v1', 'kind: ClusterIssuer', 'metadata:', '  name: local-ca', 'spec:', '  selfSigned: {}', ''].join('\n'),
  );
  fs.writeFileSync(
    path.join(dist, 'dev', 'shop.k8s.yaml'),
    [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata:',
      '  name: shop',
      '  namespace: shop',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: cfg',
      '  namespace: shop',
      'data:',
      '  A: "1"',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: api',
      '  namespace: shop',
      'spec:',
      '  replicas: 1',
      '  selector:',
      '    matchLabels: {app: api}',
      '  template:',
      '    metadata:',
      '      labels: {app: api}',
      '    spec:',
      '      containers:',
      '        - name: api',
      '          image: api:1',
      '',
    ].join('\n'),
  );
});

afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

function harness(cluster: FakeCluster | undefined, context: KubeContextInfo = DEV_CONTEXT) {
  const out: string[] = [];
  const err: string[] = [];
  const connects: unknown[] = [];
  const deps: Partial<MainDeps> = {
    stdout: { isTTY: false, write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    environments: () => ENVS,
    defaultDistDir: dist,
    cwd: dist,
    clock: fakeClock(),
    pollIntervalMs: 1000,
    connect: async (options): Promise<ConnectedCluster> => {
      connects.push(options);
      if (!cluster) throw new CliError('no kubeconfig: KUBECONFIG is not set and /root/.kube/config does not exist.');
      return { cluster, context, contexts: [context, DEV_CONTEXT], source: 'test' };
    },
  };
  return { deps, stdout: () => out.join(''), stderr: () => err.join(''), connects };
}

describe('main', () => {
  test('deploy: applies everything and exits 0', async () => {
    const cluster = new FakeCluster();
    const h = harness(cluster);
    expect(await main(['deploy', 'dev'], h.deps)).toBe(0);
    expect(cluster.applied.map((a) => a.what)).toEqual([
      'Namespace shop',
      'ConfigMap shop/cfg',
      'ClusterIssuer local-ca',
      'Deployment shop/api',
    ]);
    expect(h.stdout()).toContain('Deploying 4 objects in 7 stages to context fake (https://fake.invalid)');
    expect(h.stdout()).toContain('deployed 4 objects; every stage is ready');
  });

  test('deploy --dry-run=server --stack shop: platform included, nothing persisted', async () => {
    const cluster = new FakeCluster({ namespaces: ['shop'] });
    const h = harness(cluster);
    expect(await main(['deploy', 'dev', '--dry-run=server', '--stack', 'shop'], h.deps)).toBe(0);
    expect(cluster.applied.every((a) => a.dryRun)).toBe(true);
    expect(h.stdout()).toContain('  ok       cert-manager.io/v1 ClusterIssuer local-ca');
    expect(h.stdout()).toContain('dry run: 4 accepted by the API server, 0 skipped, 0 failed');
  });

  test('deploy: a stuck workload times out with exit 1 and the summary', async () => {
    const cluster = new FakeCluster({ stuck: ['Deployment shop/api'] });
    const h = harness(cluster);
    expect(await main(['deploy', 'dev', '--timeout', '10s'], h.deps)).toBe(1);
    expect(h.stdout()).toContain("deploy failed: stage 'apps' not ready after 10s (timeout 10s): 1 of 1 objects not ready:");
    expect(h.stdout()).toContain('  Deployment shop/api: 0 of 1 updated replicas available');
  });

  test('a mismatched context is refused before any request, unless --force', async () => {
    const cluster = new FakeCluster();
    const h = harness(cluster, OTHER_CONTEXT);
    expect(await main(['deploy', 'dev'], h.deps)).toBe(1);
    expect(h.stderr()).toContain("error: refusing to use kube context 'kind-scratch' (https://127.0.0.1:40999) for environment 'dev'");
    expect(h.stderr()).toContain('use --context kind-backends-dev, or pass --force');
    expect(cluster.applied).toEqual([]);

    const forced = harness(cluster, OTHER_CONTEXT);
    expect(await main(['deploy', 'dev', '--force'], forced.deps)).toBe(0);
    expect(forced.stderr()).toContain("warning: kube context 'kind-scratch' (https://127.0.0.1:40999) does not match environment 'dev'");
  });

  test('--context, --kubeconfig and the cluster of the environment reach the connection (kubeconfig relative to the working directory)', async () => {
    const h = harness(new FakeCluster());
    await main(['status', 'dev', '--context', 'kind-backends-dev', '--kubeconfig', 'kc.yaml'], h.deps);
    expect(h.connects).toEqual([{ context: 'kind-backends-dev', kubeconfig: path.join(dist, 'kc.yaml'), cluster: ENVS.dev }]);
  });

  test('status: table; exit 1 while a workload is missing, 0 once deployed', async () => {
    const cluster = new FakeCluster();
    const before = harness(cluster);
    expect(await main(['status', 'dev'], before.deps)).toBe(1);
    expect(before.stdout()).toMatch(/shop\s+Deployment\s+shop\/api\s+-\s+Missing\s+not found on the cluster/);
    await main(['deploy', 'dev'], harness(cluster).deps);
    const after = harness(cluster);
    expect(await main(['status', 'dev'], after.deps)).toBe(0);
    expect(after.stdout()).toMatch(/shop\s+Deployment\s+shop\/api\s+1\/1\s+Ready/);
    expect(after.stdout()).toContain('1 workloads, all ready');
  });

  test('diff: exit 1 with changes, 0 without, 2 on errors', async () => {
    const cluster = new FakeCluster();
    const first = harness(cluster);
    expect(await main(['diff', 'dev'], first.deps)).toBe(1);
    expect(first.stdout()).toContain('+ v1 Namespace shop (create)');
    expect(first.stdout()).toContain("+ v1 ConfigMap shop/cfg (create; not validated: namespace 'shop' is created by this deploy)");
    expect(cluster.applied.every((a) => a.dryRun)).toBe(true);

    await main(['deploy', 'dev'], harness(cluster).deps);
    const same = harness(cluster);
    expect(await main(['diff', 'dev'], same.deps)).toBe(0);
    expect(same.stdout()).toContain('diff: 0 to create, 0 to change, 4 unchanged');

    const live = (await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', namespace: 'shop' }))!;
    cluster.add({ ...live, data: { A: '2' } });
    const changed = harness(cluster);
    expect(await main(['diff', 'dev'], changed.deps)).toBe(1);
    expect(changed.stdout()).toContain('~ v1 ConfigMap shop/cfg (1 field)\n    ~ data.A: "2" -> "1"');

    const broken = harness(new FakeCluster({ resources: [] }));
    expect(await main(['diff', 'dev'], broken.deps)).toBe(2);
  });

  test('usage errors exit 2 and name what is allowed; they happen before connecting', async () => {
    const h = harness(new FakeCluster());
    expect(await main(['deploy', 'dev', '--stack', 'nope'], h.deps)).toBe(2);
    expect(h.stderr()).toBe("error: unknown stack 'nope'; allowed: platform, shop\n(run with --help for usage)\n");
    expect(await main(['deploy', 'qa'], h.deps)).toBe(2);
    expect(h.stderr()).toContain("unknown environment 'qa'; allowed: dev, prod");
    expect(h.connects).toEqual([]);
  });

  test('an environment without manifests says to synthesize; no kubeconfig is explained', async () => {
    const h = harness(undefined);
    expect(await main(['deploy', 'prod'], h.deps)).toBe(1);
    expect(h.stderr()).toContain(`${path.join(dist, 'prod')} does not exist: run 'npm run synth'`);
    expect(await main(['deploy', 'dev', '--dry-run=server'], h.deps)).toBe(1);
    expect(h.stderr()).toContain('error: no kubeconfig: KUBECONFIG is not set');
    expect(await main(['diff', 'dev'], h.deps)).toBe(2);
  });

  test('--help prints usage and exits 0', async () => {
    const h = harness(undefined);
    expect(await main(['--help'], h.deps)).toBe(0);
    expect(h.stdout()).toContain('Usage:');
  });

  test('expectedClusters reads only cluster, and refuses a malformed one', () => {
    expect(expectedClusters({ dev: { cluster: { kind: 'kind', name: 'backends-dev' } } })).toEqual({
      dev: { kind: 'kind', name: 'backends-dev' },
    });
    // EKS: the region is secrets.awsRegion (for the `aws eks update-kubeconfig --region` hint); kind has none.
    expect(
      expectedClusters({
        prod: { cluster: { kind: 'eks', name: 'backends-prod' }, secrets: { provider: 'aws-secrets-manager', awsRegion: 'eu-west-1' } },
        dev: { cluster: { kind: 'kind', name: 'backends-dev' }, secrets: { awsRegion: 'eu-west-1' } },
        qa: { cluster: { kind: 'eks', name: 'backends-qa' }, secrets: { provider: 'generated' } },
      }),
    ).toEqual({
      prod: { kind: 'eks', name: 'backends-prod', region: 'eu-west-1' },
      dev: { kind: 'kind', name: 'backends-dev' },
      qa: { kind: 'eks', name: 'backends-qa' },
    });
    expect(() => expectedClusters({ qa: { cluster: { kind: 'gke', name: 'x' } } })).toThrow(
      "config/qa.ts: cluster must be { kind: 'kind' | 'eks', name: <cluster name> }",
    );
  });

  test('projectRoot finds the package root from cli/ and from build/cli/', () => {
    const root = path.resolve(__dirname, '..', '..');
    expect(projectRoot(path.join(root, 'cli'))).toBe(root);
    expect(projectRoot(path.join(root, 'build', 'cli'))).toBe(root);
  });
});
