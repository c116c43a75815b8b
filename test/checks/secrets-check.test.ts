import { SecretsCheck } from '../../lib/checks/secrets-check';
import { goodDeployment, manifests, mutate } from './helpers';
import { Doc } from '../support/doc';

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
