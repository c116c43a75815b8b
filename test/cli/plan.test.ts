import * as path from 'path';
import { listStacks, loadManifests, ManifestObject } from '../../cli/manifests';
import { describeObject, groupOf, KubeObject, namespaceOf } from '../../cli/objects';
import { placementOf, planDeployment, referencedNamespaces, STAGE_NAMES } from '../../cli/plan';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, spec?: unknown): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...(spec ? { spec } : {}),
});
const items = (objects: KubeObject[], stack = 'test'): ManifestObject[] =>
  objects.map((object, index) => ({ object, stack, file: `dev/${stack}.k8s.yaml`, index }));
const order = (objects: KubeObject[]): string[] => planDeployment(items(objects)).items.map((i) => describeObject(i.object));
const position = (list: string[], what: string): number => {
  const i = list.indexOf(what);
  if (i < 0) throw new Error(`${what} not in plan: ${list.join(', ')}`);
  return i;
};

const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
  group: 'example.com',
  names: { kind: 'Widget', plural: 'widgets' },
  scope: 'Namespaced',
  versions: [{ name: 'v1', served: true, storage: true }],
});

// Deliberately in the worst order: every dependant before what it depends on.
const shuffled: KubeObject[] = [
  obj('batch/v1', 'CronJob', 'backup', 'shop'),
  obj('apps/v1', 'Deployment', 'api', 'shop'),
  obj('example.com/v1', 'Widget', 'w1', 'shop'),
  obj('batch/v1', 'Job', 'migrate', 'shop'),
  obj('apps/v1', 'StatefulSet', 'postgres', 'shop'),
  obj('external-secrets.io/v1', 'ExternalSecret', 'db-credentials', 'shop'),
  obj('external-secrets.io/v1', 'SecretStore', 'aws', 'shop'),
  obj('generators.external-secrets.io/v1alpha1', 'Password', 'db-password', 'shop'),
  obj('v1', 'Secret', 'tls', 'shop'),
  obj('v1', 'ConfigMap', 'postgres-config', 'shop'),
  obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'reader', 'shop'),
  obj('v1', 'ServiceAccount', 'reader', 'shop'),
  obj('cert-manager.io/v1', 'Certificate', 'root', 'shop'),
  obj('cert-manager.io/v1', 'ClusterIssuer', 'ca'),
  obj('v1', 'PersistentVolumeClaim', 'uploads', 'shop'),
  obj('v1', 'Service', 'api', 'shop'),
  obj('networking.k8s.io/v1', 'Ingress', 'api', 'shop'),
  obj('policy/v1', 'PodDisruptionBudget', 'api', 'shop'),
  obj('monitoring.coreos.com/v1', 'ServiceMonitor', 'api', 'shop'),
  obj('v1', 'Namespace', 'shop'),
  crd,
];

describe('planDeployment ordering', () => {
  const planned = order(shuffled);

  test('stages come in dependency order', () => {
    expect(STAGE_NAMES).toEqual(['crds', 'namespaces', 'config', 'stores', 'jobs', 'apps', 'cronjobs']);
    const plan = planDeployment(items(shuffled));
    expect(plan.stages.map((s) => [s.name, s.items.length])).toEqual([
      ['crds', 1],
      ['namespaces', 1],
      ['config', 10],
      ['stores', 2],
      ['jobs', 1],
      ['apps', 5],
      ['cronjobs', 1],
    ]);
    expect(plan.items).toHaveLength(shuffled.length);
  });

  test('CRDs come before the custom resources they define', () => {
    expect(position(planned, 'CustomResourceDefinition widgets.example.com')).toBe(0);
    expect(position(planned, 'CustomResourceDefinition widgets.example.com')).toBeLessThan(position(planned, 'Widget shop/w1'));
    expect([...planDeployment(items(shuffled)).definedKinds]).toEqual(['example.com/Widget']);
  });

  test('Namespaces come before every namespaced object', () => {
    const ns = position(planned, 'Namespace shop');
    for (const o of shuffled.filter((x) => namespaceOf(x) === 'shop')) {
      expect([describeObject(o), position(planned, describeObject(o)) > ns]).toEqual([describeObject(o), true]);
    }
  });

  test('Secrets, ExternalSecrets and ConfigMaps come before the stores', () => {
    const store = position(planned, 'StatefulSet shop/postgres');
    for (const dep of [
      'Secret shop/tls',
      'ExternalSecret shop/db-credentials',
      'ConfigMap shop/postgres-config',
      'SecretStore shop/aws',
      'Password shop/db-password',
    ]) {
      expect([dep, position(planned, dep) < store]).toEqual([dep, true]);
    }
  });

  test('secret generators before SecretStores before ExternalSecrets; ServiceAccounts before RoleBindings; issuers before certificates', () => {
    expect(position(planned, 'Password shop/db-password')).toBeLessThan(position(planned, 'SecretStore shop/aws'));
    expect(position(planned, 'SecretStore shop/aws')).toBeLessThan(position(planned, 'ExternalSecret shop/db-credentials'));
    expect(position(planned, 'ServiceAccount shop/reader')).toBeLessThan(position(planned, 'RoleBinding shop/reader'));
    expect(position(planned, 'ClusterIssuer ca')).toBeLessThan(position(planned, 'Certificate shop/root'));
  });

  test('PVCs and StatefulSets before Jobs before Deployments; CronJobs last', () => {
    expect(position(planned, 'PersistentVolumeClaim shop/uploads')).toBeLessThan(position(planned, 'StatefulSet shop/postgres'));
    expect(position(planned, 'StatefulSet shop/postgres')).toBeLessThan(position(planned, 'Job shop/migrate'));
    expect(position(planned, 'Job shop/migrate')).toBeLessThan(position(planned, 'Deployment shop/api'));
    expect(position(planned, 'Deployment shop/api')).toBeLessThan(position(planned, 'Ingress shop/api'));
    expect(planned[planned.length - 1]).toBe('CronJob shop/backup');
  });

  test('unknown custom kinds go with the apps, after the known ones', () => {
    expect(placementOf('example.com/v1', 'Widget')).toEqual({ stage: 'apps', rank: 4 });
    expect(position(planned, 'ServiceMonitor shop/api')).toBeLessThan(position(planned, 'Widget shop/w1'));
    expect(position(planned, 'Widget shop/w1')).toBeLessThan(position(planned, 'CronJob shop/backup'));
  });

  test('objects of the same rank keep their manifest order', () => {
    const cms = order([obj('v1', 'ConfigMap', 'b', 'x'), obj('v1', 'Secret', 'a', 'x'), obj('v1', 'ConfigMap', 'c', 'x')]);
    expect(cms).toEqual(['ConfigMap x/b', 'Secret x/a', 'ConfigMap x/c']);
  });

  test('an object defined twice is refused, naming both places', () => {
    const twice = [...items([obj('v1', 'ConfigMap', 'a', 'x')], 'one'), ...items([obj('v1', 'ConfigMap', 'a', 'x')], 'two')];
    expect(() => planDeployment(twice)).toThrow(
      'ConfigMap x/a is defined twice: dev/one.k8s.yaml (document 1) and dev/two.k8s.yaml (document 1)',
    );
  });

  test('the same name in different namespaces or kinds is not a duplicate', () => {
    expect(() =>
      planDeployment(items([obj('v1', 'ConfigMap', 'a', 'x'), obj('v1', 'ConfigMap', 'a', 'y'), obj('v1', 'Secret', 'a', 'x')])),
    ).not.toThrow();
  });
});

describe('planDeployment on the committed dist/dev manifests', () => {
  const dist = path.resolve(__dirname, '..', '..', 'dist');
  const stacks = listStacks(dist, 'dev');
  const plan = planDeployment(loadManifests(dist, 'dev', stacks));
  const planned = plan.items.map((i) => i.object);

  test('every object is planned exactly once', () => {
    expect(plan.items).toHaveLength(loadManifests(dist, 'dev', stacks).length);
  });

  test('every namespaced object comes after the Namespace the plan creates for it', () => {
    for (const ns of plan.namespaces) {
      const nsAt = planned.findIndex((o) => o.kind === 'Namespace' && o.metadata.name === ns);
      planned.forEach((o, i) => {
        if (namespaceOf(o) === ns) expect([describeObject(o), i > nsAt]).toEqual([describeObject(o), true]);
      });
    }
    expect(referencedNamespaces(plan).has('wondernest')).toBe(true);
  });

  test('StatefulSets before Deployments; CronJobs last; custom resources after their config', () => {
    const last = (kind: string): number => Math.max(...planned.map((o, i) => (o.kind === kind ? i : -1)));
    const first = (kind: string): number => planned.findIndex((o) => o.kind === kind);
    expect(last('StatefulSet')).toBeLessThan(first('Deployment'));
    expect(last('ExternalSecret')).toBeLessThan(first('StatefulSet'));
    expect(last('ConfigMap')).toBeLessThan(first('StatefulSet'));
    expect(planned.slice(first('CronJob')).every((o) => o.kind === 'CronJob')).toBe(true);
    expect(planned.filter((o) => groupOf(o.apiVersion) === 'batch' && o.kind === 'CronJob').length).toBeGreaterThan(0);
  });
});
