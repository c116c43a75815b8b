import { Testing } from 'cdk8s';
import { SecretsCheck } from '../../lib/checks/secrets-check';
import { SecretsBackend, SecretsProvider } from '../../lib/constructs/platform/secrets-backend';
import { goodDeployment, manifests, mutate } from './helpers';
import { Doc } from '../support/doc';
import { AWS_PROVIDER } from '../support/secrets-providers';

const check = new SecretsCheck();
const run = (...objects: Doc[]) => check.run({ objects: manifests(objects), environments: {} });
const withEnv = (env: Doc[]) =>
  mutate(goodDeployment(), (d) => {
    d.spec.template.spec.containers[0].env = env;
  });
const configMap = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cfg', namespace: 'shop' },
  data,
});

describe('secrets check', () => {
  test('a Secret with data or stringData fails; an empty one passes', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'shop' },
      data: { password: 'aHVudGVyMg==' },
      stringData: { token: 'x' },
    };
    expect(run(secret).map((v) => [v.rule, v.field])).toEqual([
      ['secrets/secret-data', 'data'],
      ['secrets/secret-data', 'stringData'],
    ]);
    expect(run({ ...secret, data: undefined, stringData: undefined })).toEqual([]);
  });

  test.each(['DB_PASSWORD', 'JWT_SECRET', 'GITHUB_TOKEN', 'SENDGRID_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'redis_password'])(
    'a literal %s value fails',
    (name) => {
      const v = run(withEnv([{ name, value: 'hunter2hunter2' }]));
      expect(v).toEqual([expect.objectContaining({ rule: 'secrets/env-literal', field: 'spec.template.spec.containers[0].env[0].value' })]);
      expect(v[0].message).not.toContain('hunter2hunter2');
    },
  );

  test('references, file paths and secretKeyRefs pass', () => {
    expect(
      run(
        withEnv([
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'REDIS_PASSWORD_FILE', value: '/run/secrets/redis' },
          { name: 'JWT_SECRET', value: '$(JWT_SECRET_FROM_VOLUME)' },
          { name: 'DB_HOST', value: 'postgres' },
        ]),
      ),
    ).toEqual([]);
  });

  test('credentials inside URLs fail anywhere in an object; env references pass', () => {
    const v = run(withEnv([{ name: 'DATABASE_URL', value: 'postgresql://app:s3cret@postgres:5432/app' }]));
    expect(v).toEqual([
      expect.objectContaining({ rule: 'secrets/url-credentials', field: 'spec.template.spec.containers[0].env[0].value' }),
    ]);
    expect(v[0].message).not.toContain('s3cret');
    expect(run(withEnv([{ name: 'DATABASE_URL', value: 'postgresql://app:$(DB_PASSWORD)@postgres:5432/app' }]))).toEqual([]);
    expect(run(configMap({ 'app.yaml': 'sentry: https://key:secretpart@sentry.io/1' }))[0].rule).toBe('secrets/url-credentials');
  });

  test.each([
    ['an assignment', { 'app.properties': 'spring.datasource.password=Sup3rS3cret' }],
    ['a YAML key', { 'app.yaml': 'db:\n  password: Sup3rS3cret\n' }],
    ['a JSON key', { 'servers.json': '{"Password":"Sup3rS3cret"}' }],
    ['a redis directive', { 'redis.conf': 'appendonly yes\nrequirepass Sup3rS3cret\n' }],
    ['a private key', { 'tls.key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----' }],
    ['an AWS access key', { env: 'AWS_ACCESS_KEY_ID_IS AKIAIOSFODNN7EXAMPLE' }],
  ])('credentials in a ConfigMap (%s) fail', (_what, data) => {
    expect(run(configMap(data))).toEqual([expect.objectContaining({ rule: 'secrets/config-credentials' })]);
  });

  test('placeholders and interpolation in ConfigMaps pass', () => {
    expect(
      run(
        configMap({
          'init.sql': "ALTER ROLE app WITH LOGIN PASSWORD :'app_password';",
          'app.properties': 'spring.datasource.password=${DB_PASSWORD}',
          'redis.conf': 'include /etc/redis/secret/auth.conf',
          'pg_hba.conf': 'host all all 0.0.0.0/0 scram-sha-256',
          'app.yaml': 'password: ""\n',
        }),
      ),
    ).toEqual([]);
  });

  test('annotations are scanned too', () => {
    const d = mutate(goodDeployment(), (x) => {
      x.metadata.annotations = { note: 'token=abcdef123456' };
    });
    expect(run(d)).toEqual([expect.objectContaining({ rule: 'secrets/config-credentials', field: 'metadata.annotations.note' })]);
  });
});

describe('secrets check: ExternalSecret stores', () => {
  /** What SecretsBackend declares for one Secret with a copied key, per provider. */
  const declared = (provider: SecretsProvider): Doc[] => {
    const chart = Testing.chart();
    new SecretsBackend(chart, 'secrets', { namespace: 'shop', provider }).secret('grafana-logs', ['PASSWORD'], {
      copied: { CA_CERT: { secret: 'search-tls', key: 'ca.crt' } },
    });
    return Testing.synth(chart);
  };
  const rules = (objects: Doc[], env = 'dev') =>
    check.run({ objects: manifests(objects, env), environments: {} }).map((v) => [v.rule, v.field]);
  const without = (objects: Doc[], kind: string, name?: string) =>
    objects.filter((o) => !(o.kind === kind && (name === undefined || o.metadata.name === name)));

  test.each<[string, SecretsProvider]>([
    ['generated', { kind: 'generated' }],
    ['aws-secrets-manager, namespaced store', AWS_PROVIDER],
    ['aws-secrets-manager, cluster store', { ...AWS_PROVIDER, storeScope: 'cluster' }],
  ])('what SecretsBackend declares passes (%s)', (_name, provider) => {
    expect(rules(declared(provider))).toEqual([]);
  });

  test('a store that is not in the output fails, naming the entry', () => {
    expect(rules(without(declared(AWS_PROVIDER), 'SecretStore', 'aws-secrets-manager'))).toEqual([['secrets/store-ref', 'spec.data[0]']]);
    expect(rules(without(declared(AWS_PROVIDER), 'SecretStore', 'in-namespace'))).toEqual([['secrets/store-ref', 'spec.data[1]']]);
    const cluster = without(declared({ ...AWS_PROVIDER, storeScope: 'cluster' }), 'ClusterSecretStore');
    const v = check.run({ objects: manifests(cluster), environments: {} });
    expect(v.map((x) => x.message)).toEqual([
      expect.stringContaining('reads from ClusterSecretStore shop-aws-secrets-manager, which is not in the output'),
    ]);
  });

  test("another environment's store does not count", () => {
    const docs = declared(AWS_PROVIDER);
    const objects = [
      ...manifests(
        docs.filter((o) => o.kind !== 'SecretStore'),
        'dev',
      ),
      ...manifests(
        docs.filter((o) => o.kind === 'SecretStore'),
        'prod',
      ),
    ];
    expect(check.run({ objects, environments: {} }).map((v) => [v.object?.env, v.rule])).toEqual([
      ['dev', 'secrets/store-ref'],
      ['dev', 'secrets/store-ref'],
    ]);
  });

  test('an entry with no store at all fails; a generator entry needs none', () => {
    const docs = declared({ kind: 'generated' });
    const external = docs.find((o) => o.kind === 'ExternalSecret')!;
    delete external.spec.data[0].sourceRef;
    expect(rules(docs)).toEqual([['secrets/store-ref', 'spec.data[0]']]);
    expect(check.run({ objects: manifests(docs), environments: {} })[0].message).toMatch(/names no store/);
  });

  test.each<[string, (objects: Doc[]) => void]>([
    ['the Role does not name the Secret', (o) => (o.find((x) => x.kind === 'Role')!.rules[0].resourceNames = ['other-tls'])],
    ['the Role only lists Secrets', (o) => (o.find((x) => x.kind === 'Role')!.rules[0].verbs = ['list'])],
    ['the Role is about ConfigMaps', (o) => (o.find((x) => x.kind === 'Role')!.rules[0].resources = ['configmaps'])],
    ['the RoleBinding binds another account', (o) => (o.find((x) => x.kind === 'RoleBinding')!.subjects[0].name = 'default')],
    [
      'the store reads another namespace',
      (o) => (o.find((x) => x.metadata.name === 'in-namespace')!.spec.provider.kubernetes.remoteNamespace = 'kube-system'),
    ],
  ])('a copied Secret the store account may not get fails: %s', (_case, breakIt) => {
    const docs = declared(AWS_PROVIDER);
    breakIt(docs);
    const v = check.run({ objects: manifests(docs), environments: {} });
    expect(v.map((x) => [x.rule, x.field])).toEqual([['secrets/store-access', 'spec.data[1]']]);
    expect(v[0].message).toMatch(
      /reads Secret '.*\/search-tls' through SecretStore shop\/in-namespace, but service account 'shop\/external-secrets-in-namespace' may not get it/,
    );
  });

  test('no Role or RoleBinding at all fails', () => {
    expect(rules(without(without(declared(AWS_PROVIDER), 'Role'), 'RoleBinding'))).toEqual([['secrets/store-access', 'spec.data[1]']]);
  });
});
