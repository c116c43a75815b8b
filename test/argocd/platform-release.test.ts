import { PlatformRelease, platformReleaseProblems } from '../../lib/output/argocd';
import { platformReleases } from './fixtures';

const ingress = (): PlatformRelease => platformReleases()[0];
const problems = (over: Partial<Record<keyof PlatformRelease, unknown>>): string[] =>
  platformReleaseProblems({ ...ingress(), ...over } as PlatformRelease);

describe('platformReleaseProblems', () => {
  test('a valid release has none', () => {
    expect(platformReleaseProblems(ingress())).toEqual([]);
    expect(problems({ name: 'a'.repeat(63), releaseName: 'r'.repeat(53), clusterResources: [{ group: '', kind: 'Namespace' }] })).toEqual(
      [],
    );
  });

  test.each([
    ['a name that is not a DNS label', { name: 'Ingress' }, /\.name: got "Ingress"; expected a DNS-1123 label/],
    ['a name over 63 characters', { name: 'a'.repeat(64) }, /\.name: got "a{64}"; expected a DNS-1123 label/],
    ['a release name over 53 characters', { releaseName: 'r'.repeat(54) }, /\.releaseName: got "r{54}"; expected a Helm release name/],
    ['a chart name with an underscore', { chart: 'my_chart' }, /\.chart: got "my_chart"; expected a chart name/],
    ['a namespace with capitals', { namespace: 'Ingress' }, /\.namespace: got "Ingress"; expected a namespace name/],
    [
      'an API group that is not a DNS subdomain',
      { clusterResources: [{ group: 'RBAC', kind: 'ClusterRole' }] },
      /\.clusterResources\[0\]\.group: got "RBAC"; expected an API group/,
    ],
    [
      'an API group over 253 characters',
      { clusterResources: [{ group: `${'a'.repeat(63)}.`.repeat(4) + 'io', kind: 'ClusterRole' }] },
      /\.clusterResources\[0\]\.group: got "a{63}\.a{63}\.a{63}\.a{63}\.io"; expected an API group/,
    ],
    [
      'a kind that is not PascalCase',
      { clusterResources: [{ group: 'rbac.authorization.k8s.io', kind: 'clusterRole' }] },
      /\.clusterResources\[0\]\.kind: got "clusterRole"; expected a kind such as 'ClusterRole'/,
    ],
    [
      'a wildcard kind',
      { clusterResources: [{ group: 'rbac.authorization.k8s.io', kind: '*' }] },
      /\.clusterResources\[0\]\.kind: got "\*"; expected a kind/,
    ],
  ])('reports %s', (_, over, message) => {
    const found = problems(over);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});
