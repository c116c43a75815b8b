import { Testing } from 'cdk8s';
import { GitOpsProject, GitOpsProjectProps } from '../../lib/output/argocd';
import { GITOPS } from './fixtures';

const props = (over: Partial<GitOpsProjectProps> = {}): GitOpsProjectProps => ({
  name: 'dev',
  sourceRepos: [GITOPS.repoUrl, 'https://charts.example.com/ingress'],
  destinationNamespaces: ['shop', 'argocd', 'ingress'],
  clusterResources: [
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    { group: '', kind: 'Namespace' },
  ],
  ...over,
});

describe('GitOpsProject', () => {
  test('allows exactly the listed sources, namespaces and cluster-scoped kinds', () => {
    const chart = Testing.chart();
    const p = new GitOpsProject(chart, 'p', props());
    const [obj] = Testing.synth(chart);
    expect(obj.spec).toEqual({
      sourceRepos: [GITOPS.repoUrl, 'https://charts.example.com/ingress'],
      destinations: ['argocd', 'ingress', 'shop'].map((namespace) => ({ server: 'https://kubernetes.default.svc', namespace })),
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      ],
    });
    expect(obj.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-20');

    expect(p.allowsSource(GITOPS.repoUrl)).toBe(true);
    expect(p.allowsSource('https://github.com/someone-else/repo.git')).toBe(false);
    expect(p.allowsSource('https://charts.example.com/other')).toBe(false);
    expect(p.allowsDestination('shop')).toBe(true);
    expect(p.allowsDestination('kube-system')).toBe(false);
    expect(p.allowsDestination('shop', 'https://other-cluster.example.com')).toBe(false);
    expect(p.allowsClusterResource('rbac.authorization.k8s.io', 'ClusterRole')).toBe(true);
    expect(p.allowsClusterResource('rbac.authorization.k8s.io', 'ClusterRoleBinding')).toBe(false);
    expect(p.allowsClusterResource('', 'PersistentVolume')).toBe(false);
  });

  test.each([
    [
      'a wildcard source',
      { sourceRepos: ['*'] },
      /sourceRepos\[0\]: got "\*"; expected an exact https\/ssh Git URL or https Helm repository URL without credentials \(no wildcards\)/,
    ],
    ['no source', { sourceRepos: [] }, /sourceRepos: got \[\]; expected at least one repository URL/],
    [
      'a wildcard namespace',
      { destinationNamespaces: ['shop-*'] },
      /destinationNamespaces\[0\]: got "shop-\*"; expected an exact namespace name/,
    ],
    ['a wildcard kind', { clusterResources: [{ group: '*', kind: '*' }] }, /clusterResources\[0\].group: got "\*"; expected an API group/],
    ['a bad name', { name: 'Dev' }, /GitOpsProject 'Dev': name: got "Dev"; expected a DNS-1123 label/],
    [
      'a kind that is not PascalCase',
      { clusterResources: [{ group: 'rbac.authorization.k8s.io', kind: 'clusterrole' }] },
      /clusterResources\[0\].kind: got "clusterrole"; expected a kind such as 'ClusterRole'/,
    ],
    [
      'an API group with capitals',
      { clusterResources: [{ group: 'RBAC.authorization.k8s.io', kind: 'ClusterRole' }] },
      /clusterResources\[0\].group: got "RBAC.authorization.k8s.io"; expected an API group/,
    ],
  ])('rejects %s', (_, over, message) => {
    expect(() => new GitOpsProject(Testing.chart(), 'p', props(over as Partial<GitOpsProjectProps>))).toThrow(message);
  });
});
