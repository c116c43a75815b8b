import { Testing } from 'cdk8s';
import { AppOfApps, AppOfAppsProps, APP_WAVES } from '../../lib/output/argocd';
import { primaryNamespaceOf } from '../../lib/output/argocd/manifest-facts';
import { SchemaCheck } from '../../lib/checks/schema-check';
import { BestPracticesCheck } from '../../lib/checks/best-practices-check';
import { GITOPS, platformReleases, shopObjects } from './fixtures';
import { Doc } from '../support/doc';

const clusterConfig = () => ({
  name: 'platform',
  file: 'platform.k8s.yaml',
  objects: [
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'local-ca' },
      spec: { ca: { secretName: 'local-ca-root' } },
    },
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'local-ca-root', namespace: 'operator' },
      spec: { isCA: true, secretName: 'local-ca-root' },
    },
  ],
});
const props = (over: Partial<AppOfAppsProps> = {}): AppOfAppsProps => ({
  environment: 'dev',
  gitops: GITOPS,
  platform: platformReleases(),
  clusterConfig: clusterConfig(),
  stacks: [{ name: 'shop', objects: shopObjects() }],
  labels: { 'app.kubernetes.io/part-of': 'gitops', 'app.kubernetes.io/managed-by': 'cdk8s' },
  ...over,
});
const render = (over: Partial<AppOfAppsProps> = {}) => {
  const chart = Testing.chart();
  const aoa = new AppOfApps(chart, 'aoa', props(over));
  return { aoa, objects: Testing.synth(chart) };
};
const wave = (o: Doc) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);

describe('AppOfApps', () => {
  test('one project, one root, platform charts, cluster configuration and stacks', () => {
    const { objects } = render();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'AppProject/dev',
      'Application/dev-root',
      'Application/dev-operator',
      'Application/dev-ingress',
      'Application/dev-platform',
      'Application/dev-shop',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'argocd')).toBe(true);
  });

  test('sync waves: project, then CRD operators, then cluster configuration, then operators that need it, then stacks', () => {
    const { objects } = render();
    const byName = Object.fromEntries(objects.map((o) => [o.metadata.name, wave(o)]));
    expect(byName).toEqual({
      dev: APP_WAVES.project,
      'dev-root': 0,
      'dev-operator': -10,
      'dev-ingress': -6,
      'dev-platform': APP_WAVES.clusterConfig,
      'dev-shop': APP_WAVES.stacks,
    });
    expect(byName.dev).toBeLessThan(byName['dev-operator']);
    expect(byName['dev-operator']).toBeLessThan(byName['dev-platform']);
    expect(byName['dev-platform']).toBeLessThan(byName['dev-ingress']);
    expect(byName['dev-ingress']).toBeLessThan(byName['dev-shop']);
  });

  test('the root syncs dist/argocd/<env> of this repository; each stack its chart with values-<env>.yaml', () => {
    const { objects } = render();
    const app = (n: string) => objects.find((o) => o.metadata.name === n);
    expect(app('dev-root').spec.source).toEqual({
      repoURL: GITOPS.repoUrl,
      targetRevision: 'main',
      path: 'dist/argocd/dev',
      directory: { recurse: false },
    });
    expect(app('dev-root').spec.destination.namespace).toBe('argocd');
    expect(app('dev-shop').spec.source).toEqual({
      repoURL: GITOPS.repoUrl,
      targetRevision: 'main',
      path: 'dist/helm/shop',
      helm: { releaseName: 'shop', valueFiles: ['values-dev.yaml'] },
    });
    expect(app('dev-shop').spec.destination.namespace).toBe('shop');
    expect(app('dev-platform').spec.source).toEqual({
      repoURL: GITOPS.repoUrl,
      targetRevision: 'main',
      path: 'dist/dev',
      directory: { recurse: false, include: 'platform.k8s.yaml' },
    });
    expect(app('dev-operator').spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(app('dev-ingress').spec.syncPolicy.syncOptions).not.toContain('ServerSideApply=true');
    for (const o of objects.filter((x) => x.kind === 'Application')) {
      expect(o.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(o.spec.syncPolicy.retry.backoff).toBeDefined();
    }
  });

  test('ignoreDifferences only on the stack whose workloads an HPA scales', () => {
    const { objects } = render({
      stacks: [
        { name: 'shop', objects: shopObjects() },
        { name: 'blog', objects: shopObjects({ namespace: 'blog', hpa: false }) },
      ],
    });
    const app = (n: string) => objects.find((o) => o.metadata.name === n);
    expect(app('dev-shop').spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', name: 'web', namespace: 'shop', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(app('dev-blog').spec.ignoreDifferences).toBeUndefined();
    for (const n of ['dev-root', 'dev-operator', 'dev-ingress', 'dev-platform']) expect(app(n).spec.ignoreDifferences).toBeUndefined();
  });

  test('the project allows this repository and the pinned chart repositories, the namespaces used, the cluster kinds emitted', () => {
    const { aoa, objects } = render();
    const project = objects.find((o) => o.kind === 'AppProject');
    expect(project.spec.sourceRepos).toEqual([GITOPS.repoUrl, 'https://charts.example.com/ingress', 'https://charts.example.com/operator']);
    expect(project.spec.destinations.map((d: Doc) => d.namespace)).toEqual(['argocd', 'ingress', 'operator', 'shop']);
    expect(project.spec.clusterResourceWhitelist).toEqual([
      { group: '', kind: 'Namespace' },
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
      { group: 'cert-manager.io', kind: 'ClusterIssuer' },
      { group: 'networking.k8s.io', kind: 'IngressClass' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    ]);
    // Outside the lists: refused.
    expect(aoa.project.allowsSource('https://github.com/attacker/evil.git')).toBe(false);
    expect(aoa.project.allowsDestination('kube-system')).toBe(false);
    expect(aoa.project.allowsClusterResource('rbac.authorization.k8s.io', 'ClusterRoleBinding')).toBe(false);
    // Every child is permitted.
    for (const app of [aoa.root, ...aoa.children]) {
      expect(aoa.project.allowsSource(app.repoUrl)).toBe(true);
      expect(aoa.project.allowsDestination(app.destinationNamespace)).toBe(true);
    }
  });

  test('platform namespaces get their Pod Security level; kube-system style releases create nothing', () => {
    const [ingress, operator] = platformReleases();
    const { objects } = render({ platform: [ingress, { ...operator, createNamespace: false }] });
    const app = (n: string) => objects.find((o) => o.metadata.name === n);
    expect(app('dev-ingress').spec.syncPolicy.managedNamespaceMetadata).toEqual({
      labels: {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/audit': 'baseline',
        'pod-security.kubernetes.io/warn': 'baseline',
      },
      annotations: { 'platform/pod-security-reason': 'needs no host access; not verified restricted' },
    });
    expect(app('dev-operator').spec.syncPolicy.syncOptions).not.toContain('CreateNamespace=true');
  });

  test('every generated object passes the project schema check (argoproj.io CRD schema, unknown fields are errors) and best practices', () => {
    const { objects } = render({ stacks: [{ name: 'shop', objects: shopObjects() }] });
    const manifests = objects.map((object, index) => ({ env: 'argocd', file: 'argocd/dev/test.yaml', index, object }));
    expect(new SchemaCheck().run({ objects: manifests, environments: {} })).toEqual([]);
    expect(new BestPracticesCheck().run({ objects: manifests, environments: {} })).toEqual([]);
  });

  test('snapshot', () => {
    expect(render().objects).toMatchSnapshot();
  });

  test.each([
    [
      'a repository URL with credentials',
      { gitops: { repoUrl: 'https://user:pass@git.example.com/x.git', targetRevision: 'main' } },
      /AppOfApps 'dev': gitops.repoUrl: got "https:\/\/user:pass@git.example.com\/x.git"; expected an https or ssh Git URL without credentials/,
    ],
    [
      'a bad target revision',
      { gitops: { repoUrl: GITOPS.repoUrl, targetRevision: 'feature branch' } },
      /AppOfApps 'dev': gitops.targetRevision: got "feature branch"; expected a branch, tag or commit SHA/,
    ],
    [
      'a chart version range',
      { platform: [{ ...platformReleases()[0], version: '1.x' }] },
      /platform chart 'ingress'.version: got "1.x"; expected an exact semantic version/,
    ],
    [
      'a chart repository over http',
      { platform: [{ ...platformReleases()[0], repoUrl: 'http://charts.example.com' }] },
      /platform chart 'ingress'.repoUrl: got "http:\/\/charts.example.com"; expected an https Helm repository URL/,
    ],
    [
      'an operator wave among the stacks',
      { platform: [{ ...platformReleases()[0], syncWave: 0 }] },
      /platform chart 'ingress'.syncWave: got 0; expected an integer from -10 to -5/,
    ],
    [
      'a stack named like a platform chart',
      { stacks: [{ name: 'ingress', objects: shopObjects() }] },
      /stack 'ingress' and platform chart 'ingress' would both be Application 'dev-ingress'/,
    ],
    [
      'a stack spread evenly over two Namespaces (no destination)',
      { stacks: [{ name: 'shop', objects: [...shopObjects(), ...shopObjects({ namespace: 'other' })] }] },
      /stack 'shop': creates namespaces 'shop', 'other' with \d+ objects each in the largest; expected one namespace holding most of the objects/,
    ],
    ['a bad environment name', { environment: 'Dev' }, /AppOfApps 'Dev': environment: got "Dev"; expected a DNS-1123 label/],
    [
      'an environment name over 40 characters',
      { environment: 'e'.repeat(41) },
      /environment: got "e{41}"; expected a DNS-1123 label of at most 40 characters/,
    ],
    [
      'a stack name that is not a DNS label',
      { stacks: [{ name: 'Shop', objects: shopObjects() }] },
      /stack name: got "Shop"; expected a DNS-1123 label/,
    ],
    [
      'a stack whose Application name would pass 63 characters',
      { stacks: [{ name: 's'.repeat(60), objects: shopObjects() }] },
      /Application name 'dev-s{60}' is not a DNS-1123 label of at most 63 characters/,
    ],
  ])('rejects %s', (_, over, message) => {
    expect(() => render(over as Partial<AppOfAppsProps>)).toThrow(message);
  });
});

describe('primaryNamespaceOf', () => {
  test('a stack with a node agent in a namespace of its own targets the namespace holding most of its objects', () => {
    const agent = shopObjects({ namespace: 'logging' })
      .filter((o) => o.kind === 'Namespace' || o.kind === 'ConfigMap')
      .slice(0, 2);
    expect(agent.some((o) => o.kind === 'Namespace')).toBe(true);
    expect(primaryNamespaceOf([...agent, ...shopObjects()], "stack 'shop'")).toBe('shop');
    expect(primaryNamespaceOf([...shopObjects(), ...agent], "stack 'shop'")).toBe('shop');
  });
});
