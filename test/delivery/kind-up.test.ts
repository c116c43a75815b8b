import { ENVIRONMENTS } from '../../config';
import { platformReleasesFor } from '../../config/platform-charts';
import { PlatformRelease } from '../../lib/output/argocd';
import { DeliveryError, kindDown, KindUpDeps, KindUpOptions, kindUp, ManifestFile } from '../../lib/delivery';
import { shopObjects } from '../argocd/fixtures';
import { Call, FakeRunner } from './fake-runner';
import { Doc } from '../support/doc';

const TOOLS = { docker: '/usr/bin/docker', kind: '/usr/local/bin/kind', kubectl: '/usr/bin/kubectl', helm: '/repo/.tools/bin/helm' };
const RELEASES: PlatformRelease[] = platformReleasesFor(ENVIRONMENTS.dev);

const platformFile: ManifestFile = {
  name: 'platform',
  path: 'dist/dev/platform.k8s.yaml',
  objects: [
    { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'local-ca-bootstrap' }, spec: { selfSigned: {} } },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'local-ca-root', namespace: 'cert-manager' },
      spec: { isCA: true, secretName: 'local-ca-root' },
    },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'local-ca' },
      spec: { ca: { secretName: 'local-ca-root' } },
    },
  ],
};
const shopFile: ManifestFile = {
  name: 'shop',
  path: 'dist/dev/shop.k8s.yaml',
  objects: [
    ...shopObjects({ hpa: false }),
    { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'db-credentials', namespace: 'shop' }, spec: {} },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        tls: [{ hosts: ['shop.localtest.me'], secretName: 'web-tls' }],
        rules: [
          {
            host: 'shop.localtest.me',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
          },
        ],
      },
    },
  ],
};

const options = (over: Partial<KindUpOptions> = {}): KindUpOptions => ({
  clusterName: 'backends-dev',
  kindConfigPath: '/repo/kind-config.yaml',
  tools: TOOLS,
  releases: RELEASES,
  manifests: [platformFile, shopFile],
  retryDelayMs: 1,
  ...over,
});

interface Harness {
  runner: FakeRunner;
  deps: KindUpDeps;
  logs: string[];
  tempFiles: Record<string, string>;
  removed: string[];
  sleeps: number[];
}
function harness(): Harness {
  const runner = new FakeRunner();
  const logs: string[] = [];
  const tempFiles: Record<string, string> = {};
  const removed: string[] = [];
  const sleeps: number[] = [];
  runner.on((c) => (c.line === 'docker info --format {{.ServerVersion}}' ? { stdout: '27.3.1\n' } : undefined));
  return {
    runner,
    logs,
    tempFiles,
    removed,
    sleeps,
    deps: {
      runner,
      log: (l) => logs.push(l),
      writeTempFile: (name, content) => {
        tempFiles[`/tmp/${name}`] = content;
        return `/tmp/${name}`;
      },
      removeFile: (f) => removed.push(f),
      sleep: (ms) => sleeps.push(ms),
    },
  };
}

const has = (c: Call, ...parts: string[]) => parts.every((p) => c.args.includes(p));
const arg = (c: Call, flag: string) => c.args[c.args.indexOf(flag) + 1];
const MUTATING = /^(kind (create|export|delete)|helm (upgrade|install|uninstall)|kubectl .*\bapply\b)/;

/** A cluster that does not exist yet. */
function freshCluster(h: Harness): void {
  let created = false;
  h.runner.on((c) => {
    if (c.line === 'kind get clusters') return created ? { stdout: 'backends-dev\n' } : { stdout: '', stderr: 'No kind clusters found.\n' };
    if (c.command === TOOLS.kind && has(c, 'create', 'cluster')) {
      created = true;
      return { status: 0 };
    }
    if (c.line === 'kubectl config get-contexts -o name') return { stdout: created ? 'kind-backends-dev\n' : '' };
    if (c.command === TOOLS.kubectl && has(c, 'get', 'namespace'))
      return { status: 1, stderr: 'Error from server (NotFound): namespaces not found' };
    if (c.command === TOOLS.helm && has(c, 'list')) return { stdout: '[]' };
    if (c.command === TOOLS.kubectl && has(c, 'diff')) return { status: 1, stdout: '+ created' };
    return undefined;
  });
}

/** A cluster that already matches the repository. */
function currentCluster(h: Harness, releases: readonly PlatformRelease[] = RELEASES): void {
  h.runner.on((c) => {
    if (c.line === 'kind get clusters') return { stdout: 'other\nbackends-dev\n' };
    if (c.line === 'kubectl config get-contexts -o name') return { stdout: 'kind-other\nkind-backends-dev\n' };
    if (c.command === TOOLS.kubectl && has(c, 'get', 'nodes')) return { stdout: 'node/backends-dev-control-plane\n' };
    if (c.command === TOOLS.kubectl && has(c, 'get', 'namespace')) {
      const r = releases.find((x) => x.namespace === c.args[c.args.indexOf('namespace') + 1])!;
      const level = r.podSecurity!;
      return {
        stdout: JSON.stringify({
          metadata: {
            labels: {
              'kubernetes.io/metadata.name': r.namespace,
              'pod-security.kubernetes.io/enforce': level,
              'pod-security.kubernetes.io/audit': level,
              'pod-security.kubernetes.io/warn': level,
            },
            annotations: { 'platform/pod-security-reason': r.podSecurityReason },
          },
        }),
      };
    }
    if (c.command === TOOLS.helm && has(c, 'list')) {
      const r = releases.find((x) => x.namespace === arg(c, '--namespace'))!;
      return {
        stdout: JSON.stringify([
          {
            name: r.releaseName,
            namespace: r.namespace,
            revision: '1',
            status: 'deployed',
            chart: `${r.chart}-${r.version}`,
            app_version: 'x',
          },
        ]),
      };
    }
    if (c.command === TOOLS.helm && has(c, 'get', 'values')) {
      const r = releases.find((x) => x.releaseName === c.args[2])!;
      // Same values, keys in another order.
      return { stdout: JSON.stringify(Object.fromEntries(Object.entries(r.values).reverse())) };
    }
    if (c.command === TOOLS.kubectl && has(c, 'diff')) return { status: 0 };
    return undefined;
  });
}

const batchKinds = (c: Call): string[] => [...new Set((JSON.parse(c.input!).items as Doc[]).map((o) => o.kind))];

describe('kindUp on a machine without the cluster', () => {
  const h = harness();
  freshCluster(h);
  const report = kindUp(options(), h.deps);
  const calls = h.runner.calls;
  const index = (pred: (c: Call) => boolean) => calls.findIndex(pred);

  test('creates the cluster from kind-config.yaml first', () => {
    const create = index((c) => c.command === TOOLS.kind && has(c, 'create'));
    expect(calls[create].line).toBe('kind create cluster --config /repo/kind-config.yaml --wait 180s');
    expect(calls.slice(0, create).every((c) => !MUTATING.test(c.line))).toBe(true);
    expect(report.clusterCreated).toBe(true);
  });

  test('installs the pinned platform charts in sync-wave order, each into its labelled namespace, with --wait', () => {
    const upgrades = calls.filter((c) => c.command === TOOLS.helm && has(c, 'upgrade'));
    expect(upgrades.map((c) => c.args[2])).toEqual([
      'cert-manager',
      'external-secrets',
      'kube-prometheus-stack',
      'metrics-server',
      'traefik',
    ]);
    for (const r of RELEASES) {
      const up = calls.find((c) => c.command === TOOLS.helm && has(c, 'upgrade') && c.args[2] === r.releaseName)!;
      expect(up.args).toEqual([
        'upgrade',
        '--install',
        r.releaseName,
        r.chart,
        '--repo',
        r.repoUrl,
        '--version',
        r.version,
        '--namespace',
        r.namespace,
        '--kube-context',
        'kind-backends-dev',
        '--values',
        `/tmp/${r.name}-values.json`,
        '--wait',
        '--timeout',
        '10m',
      ]);
      // The same values as Argo CD's Application (config/platform-charts.ts).
      expect(JSON.parse(h.tempFiles[`/tmp/${r.name}-values.json`])).toEqual(r.values);
      if (r.createNamespace) {
        const ns = index(
          (c) =>
            has(c, 'apply') && !!c.input && JSON.parse(c.input).kind === 'Namespace' && JSON.parse(c.input).metadata.name === r.namespace,
        );
        expect(ns).toBeGreaterThanOrEqual(0);
        expect(ns).toBeLessThan(calls.indexOf(up));
        expect(JSON.parse(calls[ns].input!).metadata.labels['pod-security.kubernetes.io/enforce']).toBe(r.podSecurity);
      }
    }
    expect(h.removed.sort()).toEqual(RELEASES.map((r) => `/tmp/${r.name}-values.json`).sort());
  });

  test('applies the platform manifests after the charts and before the stacks, each stack wave by wave', () => {
    const applies = calls.filter((c) => c.command === TOOLS.kubectl && has(c, 'apply') && JSON.parse(c.input!).kind === 'List');
    expect(applies.every((c) => has(c, '--server-side', '--field-manager=backends-kind', '--context', 'kind-backends-dev'))).toBe(true);
    expect(applies.map(batchKinds)).toEqual([
      ['ClusterIssuer'],
      ['Certificate'],
      ['Namespace'],
      ['ConfigMap', 'ExternalSecret'],
      ['StatefulSet'],
      ['Deployment', 'Ingress'],
    ]);
    const lastHelm = Math.max(...calls.map((c, i) => (c.command === TOOLS.helm && has(c, 'upgrade') ? i : -1)));
    expect(calls.indexOf(applies[0])).toBeGreaterThan(lastHelm);
  });

  test('waits for the dev secrets, the local CA, then data stores, then apps', () => {
    const waits = calls
      .filter((c) => has(c, 'wait') || has(c, 'rollout'))
      .map((c) => c.args.filter((a) => /\//.test(a) && !a.startsWith('--')).join(' '));
    expect(waits).toEqual([
      'certificate.cert-manager.io/local-ca-root',
      'clusterissuer.cert-manager.io/local-ca-bootstrap',
      'clusterissuer.cert-manager.io/local-ca',
      'externalsecret.external-secrets.io/db-credentials',
      'statefulset/db',
      'deployment/web',
      'deployment/worker',
    ]);
  });

  test('prints the URLs and how to trust the local CA', () => {
    const text = report.summary.join('\n');
    expect(text).toContain("Cluster 'backends-dev' is ready (context kind-backends-dev).");
    expect(text).toMatch(/https:\/\/shop\.localtest\.me\/\s+paths \/ {2}\(shop\/web\)/);
    expect(text).toContain(
      "kubectl --context kind-backends-dev -n cert-manager get secret local-ca-root -o jsonpath='{.data.ca\\.crt}' | base64 -d > local-ca.crt",
    );
    expect(text).toContain('sudo update-ca-certificates');
    expect(text).toContain('curl --cacert local-ca.crt https://shop.localtest.me/');
    expect(text).not.toContain('/etc/hosts');
  });
});

describe('kindUp when the cluster already matches the repository', () => {
  test('a second run changes nothing', () => {
    const h = harness();
    currentCluster(h);
    const report = kindUp(options(), h.deps);
    expect(h.runner.lines(MUTATING)).toEqual([]);
    expect(report.changes).toEqual([]);
    expect(report.clusterCreated).toBe(false);
    expect(report.releases.every((r) => r.action === 'unchanged')).toBe(true);
    expect(report.batches.every((b) => b.action === 'unchanged')).toBe(true);
    expect(report.summary).toContain("Nothing to do: cluster 'backends-dev' already matches the repository (context kind-backends-dev).");
    // It still checks that everything is ready.
    expect(h.runner.lines(/rollout status/)).toHaveLength(3);
  });

  test('a changed value upgrades exactly that release', () => {
    const h = harness();
    currentCluster(h);
    const changed = RELEASES.map((r) => (r.name === 'traefik' ? { ...r, values: { ...r.values, deployment: { replicas: 2 } } } : r));
    const report = kindUp(options({ releases: changed }), h.deps);
    expect(h.runner.lines(MUTATING).map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['helm upgrade --install traefik']);
    expect(report.releases.find((r) => r.name === 'traefik')!.action).toBe('upgraded');
  });

  test('a new chart version upgrades; a failed release is reinstalled', () => {
    const h = harness();
    currentCluster(h);
    h.runner.on((c) =>
      c.command === TOOLS.helm && has(c, 'list') && arg(c, '--namespace') === 'cert-manager'
        ? { stdout: JSON.stringify([{ name: 'cert-manager', status: 'failed', chart: 'cert-manager-v1.21.1' }]) }
        : undefined,
    );
    const bumped = RELEASES.map((r) => (r.name === 'metrics-server' ? { ...r, version: '3.13.1' } : r));
    kindUp(options({ releases: bumped }), h.deps);
    expect(h.runner.lines(/^helm upgrade/).map((l) => l.split(' ')[3])).toEqual(['cert-manager', 'metrics-server']);
  });

  test('a kube context missing from the kubeconfig is exported again', () => {
    const h = harness();
    currentCluster(h);
    h.runner.on((c) => (c.line === 'kubectl config get-contexts -o name' ? { stdout: 'kind-other\n' } : undefined));
    kindUp(options(), h.deps);
    expect(h.runner.lines(MUTATING)).toEqual(['kind export kubeconfig --name backends-dev']);
  });
});

describe('kindUp --dry-run', () => {
  test('without a cluster: prints the whole plan, runs nothing against a cluster', () => {
    const h = harness();
    freshCluster(h);
    const report = kindUp(options({ dryRun: true }), h.deps);
    expect(h.runner.lines()).toEqual(['docker info --format {{.ServerVersion}}', 'kind get clusters']);
    expect(report.changes[0]).toBe('/usr/local/bin/kind create cluster --config /repo/kind-config.yaml --wait 180s');
    expect(report.changes.filter((l) => l.includes('helm upgrade'))).toHaveLength(RELEASES.length);
    expect(report.summary.join('\n')).toMatch(/Dry run: \d+ command\(s\) would change the cluster; nothing was changed\./);
    expect(h.logs.some((l) => l.startsWith('  would wait: '))).toBe(true);
  });

  test('with a cluster that drifted: queries, but applies nothing', () => {
    const h = harness();
    currentCluster(h);
    h.runner.on((c) => (c.command === TOOLS.kubectl && has(c, 'diff') && c.input!.includes('"StatefulSet"') ? { status: 1 } : undefined));
    const report = kindUp(options({ dryRun: true }), h.deps);
    expect(h.runner.lines(MUTATING)).toEqual([]);
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]).toContain('apply --server-side');
  });
});

describe('kindUp failures', () => {
  test('Docker installed but its daemon down: a clear error, nothing else runs', () => {
    const h = harness();
    h.runner.on((c) =>
      c.command === TOOLS.docker
        ? { status: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' }
        : undefined,
    );
    expect(() => kindUp(options(), h.deps)).toThrow(
      /Docker is installed \(\/usr\/bin\/docker\) but its daemon is not reachable: Cannot connect to the Docker daemon[^\n]*Start Docker Desktop, or `sudo systemctl start docker`/,
    );
    expect(h.runner.lines()).toEqual(['docker info --format {{.ServerVersion}}']);
  });

  test('kind create failing names the command and how to clean up', () => {
    const h = harness();
    freshCluster(h);
    h.runner.on((c) =>
      c.command === TOOLS.kind && has(c, 'create')
        ? { status: 1, stderr: 'ERROR: failed to create cluster: node(s) already exist' }
        : undefined,
    );
    expect(() => kindUp(options(), h.deps)).toThrow(
      /creating the kind cluster failed \(exit 1\): \/usr\/local\/bin\/kind create cluster --config \/repo\/kind-config.yaml --wait 180s\nERROR: failed to create cluster[^\n]*\n[^\n]*kind delete cluster --name backends-dev/,
    );
  });

  test('an apply refused by a webhook that is still starting is retried, then succeeds', () => {
    const h = harness();
    freshCluster(h);
    let failures = 2;
    h.runner.on((c) =>
      has(c, 'apply') && c.input?.includes('"ClusterIssuer"') && failures-- > 0
        ? { status: 1, stderr: 'Error from server (InternalError): failed calling webhook "webhook.cert-manager.io": connection refused' }
        : undefined,
    );
    kindUp(options({ retryDelayMs: 7 }), h.deps);
    expect(h.sleeps).toEqual([7, 7]);
    expect(h.logs.filter((l) => l.includes('apply failed (attempt'))).toHaveLength(2);
  });

  test('an apply that keeps failing stops with the error and a hint', () => {
    const h = harness();
    freshCluster(h);
    h.runner.on((c) =>
      has(c, 'apply') && c.input?.includes('"ClusterIssuer"')
        ? { status: 1, stderr: 'failed calling webhook "webhook.cert-manager.io"' }
        : undefined,
    );
    expect(() => kindUp(options({ applyAttempts: 3 }), h.deps)).toThrow(
      /applying dist\/dev\/platform.k8s.yaml wave -2 \(2 ClusterIssuer\) failed \(exit 1\)[^\n]*\nfailed calling webhook[^\n]*\nA webhook that is not ready yet/,
    );
    expect(h.sleeps).toHaveLength(2);
  });

  test('a rollout that does not finish names the object and how to inspect it', () => {
    const h = harness();
    freshCluster(h);
    h.runner.on((c) =>
      has(c, 'rollout') && c.args.includes('statefulset/db')
        ? { status: 1, stderr: 'error: timed out waiting for the condition' }
        : undefined,
    );
    expect(() => kindUp(options({ timeout: '2m' }), h.deps)).toThrow(
      /waiting for statefulset shop\/db failed \(exit 1\): [^\n]*rollout status statefulset\/db --timeout=2m\nerror: timed out waiting for the condition\nInspect: kubectl --context kind-backends-dev -n shop describe statefulset\/db; kubectl --context kind-backends-dev -n shop get pods/,
    );
  });

  test('a failed Helm install names the release and where to look', () => {
    const h = harness();
    freshCluster(h);
    h.runner.on((c) =>
      c.command === TOOLS.helm && has(c, 'upgrade') && c.args[2] === 'kube-prometheus-stack' ? { status: 1 } : undefined,
    );
    expect(() => kindUp(options(), h.deps)).toThrow(
      /installing kube-prometheus-stack \(kube-prometheus-stack 88.2.0\) failed \(exit 1\): [^\n]* \(see the output above\)\nInspect: kubectl --context kind-backends-dev -n monitoring get pods/,
    );
  });
});

describe('kindDown', () => {
  test('deletes the cluster when it exists', () => {
    const runner = new FakeRunner().on((c) => (c.line === 'kind get clusters' ? { stdout: 'backends-dev\n' } : undefined));
    const logs: string[] = [];
    expect(kindDown({ clusterName: 'backends-dev', tools: TOOLS }, { runner, log: (l) => logs.push(l) })).toEqual({ deleted: true });
    expect(runner.lines()).toEqual([
      'docker info --format {{.ServerVersion}}',
      'kind get clusters',
      'kind delete cluster --name backends-dev',
    ]);
  });

  test('does nothing when it does not exist, or in a dry run', () => {
    const absent = new FakeRunner().on((c) => (c.line === 'kind get clusters' ? { stdout: 'other\n' } : undefined));
    expect(kindDown({ clusterName: 'backends-dev', tools: TOOLS }, { runner: absent, log: () => undefined })).toEqual({ deleted: false });
    expect(absent.lines(/delete/)).toEqual([]);
    const present = new FakeRunner().on((c) => (c.line === 'kind get clusters' ? { stdout: 'backends-dev\n' } : undefined));
    const logs: string[] = [];
    kindDown({ clusterName: 'backends-dev', tools: TOOLS, dryRun: true }, { runner: present, log: (l) => logs.push(l) });
    expect(present.lines(/delete/)).toEqual([]);
    expect(logs).toEqual(['would run: /usr/local/bin/kind delete cluster --name backends-dev']);
  });

  test('a failing delete is a DeliveryError', () => {
    const runner = new FakeRunner().on((c) =>
      c.line === 'kind get clusters' ? { stdout: 'backends-dev\n' } : c.args[0] === 'delete' ? { status: 1 } : undefined,
    );
    expect(() => kindDown({ clusterName: 'backends-dev', tools: TOOLS }, { runner, log: () => undefined })).toThrow(DeliveryError);
  });
});
