import { Testing } from 'cdk8s';
import { GitOpsApplication, GitOpsApplicationProps, hpaManagedWorkloads } from '../../lib/output/argocd';
import { GITOPS, shopObjects } from './fixtures';

const gitHelm = {
  type: 'git-helm' as const,
  repoUrl: GITOPS.repoUrl,
  targetRevision: 'main',
  path: 'dist/helm/shop',
  valueFiles: ['values-dev.yaml'],
};
const props = (over: Partial<GitOpsApplicationProps> = {}): GitOpsApplicationProps => ({
  name: 'dev-shop',
  project: 'dev',
  source: gitHelm,
  destinationNamespace: 'shop',
  ...over,
});
const render = (over: Partial<GitOpsApplicationProps> = {}) => {
  const chart = Testing.chart();
  new GitOpsApplication(chart, 'app', props(over));
  const [app] = Testing.synth(chart);
  return app;
};

describe('GitOpsApplication', () => {
  test('automated sync with prune and self-heal, retries with exponential back-off, foreground prune last', () => {
    const app = render();
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.retry).toEqual({ limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } });
    expect(app.spec.syncPolicy.syncOptions).toEqual(['PrunePropagationPolicy=foreground', 'PruneLast=true', 'FailOnSharedResource=true']);
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'shop' });
    expect(app.metadata).toMatchObject({ name: 'dev-shop', namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '0' } });
    // No cascading finalizer: deleting the Application never deletes the stack's data.
    expect(app.metadata.finalizers).toBeUndefined();
  });

  test('a stack from this repository: Helm chart path, environment values file, release name', () => {
    expect(render().spec.source).toEqual({
      repoURL: GITOPS.repoUrl,
      targetRevision: 'main',
      path: 'dist/helm/shop',
      helm: { releaseName: 'dev-shop', valueFiles: ['values-dev.yaml'] },
    });
  });

  test('a platform chart: Helm repository, pinned version, values object, CreateNamespace with Pod Security labels, ServerSideApply', () => {
    const app = render({
      source: {
        type: 'helm-repository',
        repoUrl: 'https://charts.example.com',
        chart: 'operator',
        version: '1.2.3',
        releaseName: 'operator',
        values: { installCRDs: true },
      },
      createNamespace: true,
      namespaceLabels: { 'pod-security.kubernetes.io/enforce': 'baseline' },
      serverSideApply: true,
      syncWave: -10,
    });
    expect(app.spec.source).toEqual({
      repoURL: 'https://charts.example.com',
      chart: 'operator',
      targetRevision: '1.2.3',
      helm: { releaseName: 'operator', valuesObject: { installCRDs: true } },
    });
    expect(app.spec.syncPolicy.syncOptions).toEqual(expect.arrayContaining(['CreateNamespace=true', 'ServerSideApply=true']));
    expect(app.spec.syncPolicy.managedNamespaceMetadata).toEqual({ labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } });
    expect(app.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-10');
  });

  test('ignoreDifferences on /spec/replicas only for workloads an HPA of the same objects scales', () => {
    const app = render({ objects: shopObjects() });
    expect(app.spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'shop', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    const none = render({ objects: shopObjects({ hpa: false }) });
    expect(none.spec.ignoreDifferences).toBeUndefined();
    expect(none.spec.syncPolicy.syncOptions).not.toContain('RespectIgnoreDifferences=true');
  });

  test('hpaManagedWorkloads derives targets from the objects (the fixed-size worker, the StatefulSet and a foreign target are left alone)', () => {
    expect(hpaManagedWorkloads(shopObjects())).toEqual([{ group: 'apps', kind: 'Deployment', name: 'web', namespace: 'shop' }]);
  });

  test('cascadeDelete opts into the resources finalizer; automated: false leaves syncing to people', () => {
    const app = render({ cascadeDelete: true, automated: false });
    expect(app.metadata.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    expect(app.spec.syncPolicy.automated).toBeUndefined();
  });

  test('snapshot', () => {
    expect(
      render({ objects: shopObjects(), retry: { limit: 3, backoffDuration: '5s', backoffFactor: 3, backoffMaxDuration: '10m' } }),
    ).toMatchSnapshot();
  });

  test.each([
    ['bad name', { name: 'Dev_Shop' }, /GitOpsApplication 'Dev_Shop': name: got "Dev_Shop"; expected a DNS-1123 label/],
    ['bad destination namespace', { destinationNamespace: 'Shop' }, /destinationNamespace: got "Shop"; expected a namespace name/],
    [
      'repo URL with a token',
      { source: { ...gitHelm, repoUrl: 'https://bot:ghp_x@github.com/org/repo.git' } },
      /source.repoUrl: got "https:\/\/bot:ghp_x@github.com\/org\/repo.git"; expected an https or ssh Git URL without credentials/,
    ],
    [
      'http repo URL',
      { source: { ...gitHelm, repoUrl: 'http://github.com/org/repo.git' } },
      /source.repoUrl: got "http:\/\/github.com\/org\/repo.git"; expected an https or ssh Git URL/,
    ],
    [
      'bad revision',
      { source: { ...gitHelm, targetRevision: 'main..dev' } },
      /source.targetRevision: got "main..dev"; expected a branch, tag or commit SHA/,
    ],
    [
      'path escaping the repository',
      { source: { ...gitHelm, path: '../other' } },
      /source.path: got "..\/other"; expected a folder inside the repository/,
    ],
    [
      'values file outside the chart',
      { source: { ...gitHelm, valueFiles: ['../secrets.yaml'] } },
      /source.valueFiles\[0\]: got "..\/secrets.yaml"; expected a YAML file inside the chart folder/,
    ],
    [
      'chart version range',
      { source: { type: 'helm-repository', repoUrl: 'https://charts.example.com', chart: 'x', version: '^1.2.0' } },
      /source.version: got "\^1.2.0"; expected an exact semantic version/,
    ],
    [
      'Helm repository over http',
      { source: { type: 'helm-repository', repoUrl: 'http://charts.example.com', chart: 'x', version: '1.2.0' } },
      /source.repoUrl: got "http:\/\/charts.example.com"; expected an https Helm repository URL/,
    ],
    ['non-integer wave', { syncWave: 1.5 }, /syncWave: got 1.5; expected an integer/],
    [
      'namespace labels without CreateNamespace',
      { namespaceLabels: { a: 'b' } },
      /namespaceLabels: got \{"a":"b"\}; expected unset unless createNamespace is true/,
    ],
    ['negative retry limit', { retry: { limit: -1 } }, /retry.limit: got -1; expected an integer from 0 to 100/],
    [
      'bad back-off',
      { retry: { backoffDuration: '10 seconds' } },
      /retry.backoffDuration: got "10 seconds"; expected a duration such as '10s'/,
    ],
    [
      'max back-off below the first',
      { retry: { backoffDuration: '5m', backoffMaxDuration: '1m' } },
      /retry.backoffMaxDuration: got "1m"; expected a duration >= backoffDuration \(5m\)/,
    ],
    ['fractional factor', { retry: { backoffFactor: 1.5 } }, /retry.backoffFactor: got 1.5; expected an integer >= 1/],
    [
      'a back-off in days (Argo CD parses Go durations: s, m, h)',
      { retry: { backoffMaxDuration: '1d' } },
      /retry.backoffMaxDuration: got "1d"; expected a duration such as '3m'/,
    ],
    ['a name over 63 characters', { name: 'a'.repeat(64) }, /name: got "a{64}"; expected a DNS-1123 label/],
    ['a bad project', { project: 'Platform' }, /project: got "Platform"; expected an AppProject name/],
    [
      'a release name over 53 characters',
      { source: { ...gitHelm, releaseName: 'r'.repeat(54) } },
      /source.releaseName: got "r{54}"; expected a Helm release name/,
    ],
    [
      'a chart name that is not a DNS label',
      { source: { type: 'helm-repository', repoUrl: 'https://charts.example.com', chart: 'My_Chart', version: '1.2.0' } },
      /source.chart: got "My_Chart"; expected a chart name/,
    ],
  ])('rejects %s', (_, over, message) => {
    expect(() => render(over as Partial<GitOpsApplicationProps>)).toThrow(message);
  });
});
