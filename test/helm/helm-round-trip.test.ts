/**
 * Round trip through the real helm binary: the generated chart must render
 * exactly each environment's cdk8s output. Requires helm (`npm run helm:install`);
 * without it every test here fails with that instruction.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { HelmValues, writeHelmChart } from '../../lib/output/helm';
import { helmBinary, helmLint, helmTemplate, helmTemplateRaw, objectKey, sortObjects } from '../support/helm';
import { shopStack, ShopStack, tempDir, testApp, TestEnvName } from './test-stack';
import { Doc } from '../support/doc';

/** JSON pointers at which `a` and `b` differ (leaves, or the container whose shape differs). */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (a === b) return [];
  const bothObjects = typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [at || '/'];
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...keys].flatMap((k) => differences(ra[k], rb[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
}

/** Objects keyed by 'apiVersion kind ns/name' (fails on duplicates). */
function byKey(objects: Doc[]): Record<string, Doc> {
  const result: Record<string, Doc> = {};
  for (const o of objects) {
    const key = objectKey(o);
    if (key in result) throw new Error(`duplicate object ${key}`);
    result[key] = o;
  }
  return result;
}

describe('helm round trip', () => {
  let dir: string;
  const stacks = {} as Record<TestEnvName, ShopStack>;

  beforeAll(() => {
    helmBinary(); // fails the suite with install instructions when helm is missing
    dir = tempDir('helm-round-trip-');
    stacks.dev = shopStack('dev');
    stacks.prod = shopStack('prod');
    writeHelmChart({
      name: 'shop',
      version: '0.1.0',
      appVersion: '2.4.1',
      description: 'Shop test stack',
      outdir: dir,
      environments: [
        { name: 'dev', chart: stacks.dev },
        { name: 'prod', chart: stacks.prod },
      ],
      defaultEnvironment: 'prod',
      notes: 'Release {{ .Release.Name }} deployed to {{ .Values.environment }}.\n',
    });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each<TestEnvName>(['dev', 'prod'])('helm template -f values-%s.yaml renders exactly the plain manifests', (env) => {
    const rendered = helmTemplate(dir, { valuesFiles: [`values-${env}.yaml`] });
    const expected = stacks[env].toJson();
    expect(rendered.length).toBe(expected.length);
    expect(sortObjects(rendered)).toStrictEqual(sortObjects(expected));
  });

  test('the dev-only object and the structural variant are rendered per environment', () => {
    const dev = byKey(helmTemplate(dir, { valuesFiles: ['values-dev.yaml'] }));
    const prod = byKey(helmTemplate(dir, { valuesFiles: ['values-prod.yaml'] }));
    expect(dev['apps/v1 Deployment shop/mailhog']).toBeDefined();
    expect(prod['apps/v1 Deployment shop/mailhog']).toBeUndefined();
    expect(dev['v1 Service shop/api'].spec.type).toBe('ClusterIP');
    expect(prod['v1 Service shop/api'].spec.type).toBe('LoadBalancer');
  });

  test('a third environment is a values file: prod with mailhog switched on and a NodePort Service', () => {
    const staging = path.join(dir, 'values-staging-test.yaml');
    fs.writeFileSync(
      staging,
      YAML.stringify({ environment: 'staging', mailhog: { enabled: true, replicas: 2 }, service: { spec: { type: 'NodePort' } } }),
    );
    try {
      const rendered = byKey(helmTemplate(dir, { valuesFiles: ['values-prod.yaml', staging] }));
      const prod = byKey(stacks.prod.toJson());
      expect(Object.keys(rendered).sort()).toEqual([...Object.keys(prod), 'apps/v1 Deployment shop/mailhog'].sort());
      expect(rendered['apps/v1 Deployment shop/mailhog'].spec.replicas).toBe(2);
      expect(rendered['v1 Service shop/api'].spec.type).toBe('NodePort');
      // prod's annotations stay; everything else is prod's
      expect(rendered['v1 Service shop/api'].metadata.annotations).toEqual(prod['v1 Service shop/api'].metadata.annotations);
      expect(differences(rendered['apps/v1 Deployment shop/api'], prod['apps/v1 Deployment shop/api'])).toEqual([]);
    } finally {
      fs.rmSync(staging);
    }
  });

  test('values.yaml alone renders the default environment', () => {
    expect(sortObjects(helmTemplate(dir))).toStrictEqual(sortObjects(stacks.prod.toJson()));
  });

  test('--set api.image.tag=9.9.9 changes exactly that field', () => {
    const rendered = byKey(helmTemplate(dir, { valuesFiles: ['values-dev.yaml'], set: { 'api.image.tag': '9.9.9' } }));
    const expected = byKey(stacks.dev.toJson());
    expect(differences(rendered, expected)).toEqual(['/apps~1v1 Deployment shop~1api/spec/template/spec/containers/0/image']);
    expect(rendered['apps/v1 Deployment shop/api'].spec.template.spec.containers[0].image).toBe('registry.example.com:5000/shop/api:9.9.9');
  });

  test('--set of whole-field and integer template values keeps their types', () => {
    const rendered = byKey(
      helmTemplate(dir, {
        valuesFiles: ['values-prod.yaml'],
        set: { 'api.replicas': 7, 'database.port': 15432, 'api.automountServiceAccountToken': true },
      }),
    );
    const expected = byKey(stacks.prod.toJson());
    expect(differences(rendered, expected).sort()).toEqual([
      '/apps~1v1 Deployment shop~1api/spec/replicas',
      '/apps~1v1 Deployment shop~1api/spec/template/spec/automountServiceAccountToken',
      '/v1 ConfigMap shop~1api-config/data/DATABASE_ADDR',
    ]);
    const api = rendered['apps/v1 Deployment shop/api'];
    expect(api.spec.replicas).toBe(7);
    expect(api.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(rendered['v1 ConfigMap shop/api-config'].data.DATABASE_ADDR).toBe('shop.cluster-abc.eu-west-1.rds.amazonaws.com:15432');
  });

  test.each<[string, Record<string, string | number>, Record<string, string>, RegExp]>([
    ['a negative replica count', { 'api.replicas': -1 }, {}, /api\.replicas: Must be greater than or equal to 0/],
    ['a string for an integer', { 'api.replicas': 'many' }, {}, /api\.replicas: Invalid type\. Expected: integer, given: string/],
    [
      'a number for a string',
      { 'api.resources.memoryLimit': 512 },
      {},
      /api\.resources\.memoryLimit: Invalid type\. Expected: string, given: integer/,
    ],
    ['an environment name that is not a DNS label', { environment: 'Staging_1' }, {}, /environment: Does not match pattern/],
    ['an unknown value', { 'api.replicaz': 2 }, {}, /Additional property replicaz is not allowed/],
    ['a tag violating its pattern', {}, { 'api.image.tag': 'bad tag!' }, /api\.image\.tag: Does not match pattern/],
    ['a log level outside the enum', {}, { 'api.logLevel': 'trace' }, /api\.logLevel/],
  ])('helm template fails through values.schema.json on %s', (_name, set, setString, message) => {
    const r = helmTemplateRaw(dir, { valuesFiles: ['values-dev.yaml'], set, setString });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toMatch(message);
  });

  test.each<TestEnvName>(['dev', 'prod'])('helm lint --strict passes with values-%s.yaml', (env) => {
    const r = helmLint(dir, { valuesFiles: [`values-${env}.yaml`], strict: true });
    expect({ status: r.status, output: r.stdout + r.stderr }).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe('helm round trip with three environments', () => {
  /**
   * A stack whose Service type differs per env, with a ConfigMap only in dev and staging.
   * Integers of a million and more check that values read from files (float64 in Helm)
   * are not rendered in exponent form, neither whole nor inside a template.
   */
  function stack(env: string): Chart {
    const chart = new Chart(testApp(), 'web', { namespace: 'web', disableResourceNameHashes: true });
    const replicas = { dev: 1, staging: 2, prod: 4 }[env]!;
    const deploy = new k8s.KubeDeployment(chart, 'web', {
      metadata: { name: 'web' },
      spec: {
        replicas,
        progressDeadlineSeconds: 3_000_000 + replicas,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: `nginx:1.27.${replicas}` }] } },
      },
    });
    HelmValues.of(chart).bind(deploy, '/spec/replicas', 'web.replicas', { type: 'integer', minimum: 1, description: 'Replicas' });
    HelmValues.of(chart).bind(deploy, '/spec/progressDeadlineSeconds', 'web.progressDeadlineSeconds', {
      type: 'integer',
      minimum: 1,
      description: 'Progress deadline',
    });
    const cache = new k8s.KubeConfigMap(chart, 'cache', { metadata: { name: 'cache' }, data: { size: `lru-${12_000_000 * replicas}` } });
    HelmValues.of(chart).bindTemplate(cache, '/data/size', '{policy}-{bytes}', {
      policy: { path: 'cache.policy', schema: { type: 'string', description: 'Eviction policy' } },
      bytes: { path: 'cache.bytes', schema: { type: 'integer', minimum: 0, description: 'Cache size in bytes' } },
    });
    HelmValues.of(chart).bindTemplate(deploy, '/spec/template/spec/containers/0/image', '{repository}:{tag}', {
      repository: { path: 'web.image.repository', schema: { type: 'string', description: 'Repository' } },
      tag: { path: 'web.image.tag', schema: { type: 'string', description: 'Tag' } },
    });
    new k8s.KubeService(chart, 'svc', {
      metadata: { name: 'web' },
      spec: { type: env === 'dev' ? 'ClusterIP' : 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    if (env !== 'prod') {
      new k8s.KubeConfigMap(chart, 'debug', { metadata: { name: 'debug' }, data: { env } });
    }
    return chart;
  }

  let dir: string;
  const envs = ['dev', 'staging', 'prod'];
  const charts: Record<string, Chart> = {};
  beforeAll(() => {
    helmBinary();
    dir = tempDir('helm-three-envs-');
    for (const env of envs) charts[env] = stack(env);
    writeHelmChart({
      name: 'web',
      version: '1.0.0',
      appVersion: '1.27',
      description: 'web',
      outdir: dir,
      environments: envs.map((name) => ({ name, chart: charts[name] })),
      defaultEnvironment: 'dev',
    });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(envs)('renders %s exactly', (env) => {
    expect(sortObjects(helmTemplate(dir, { valuesFiles: [`values-${env}.yaml`] }))).toStrictEqual(sortObjects(charts[env].toJson()));
    expect(helmLint(dir, { valuesFiles: [`values-${env}.yaml`] }).status).toBe(0);
  });
});
