import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { ENVIRONMENTS } from '../../config';
import { KUBE_PROMETHEUS_STACK, platformReleasesFor } from '../../config/platform-charts';
import { GRAFANA_ADMIN_KEYS, GrafanaAdminSecret, grafanaAdminManifests } from '../../lib/constructs/monitoring/grafana-admin-secret';
import { SecretsBackend, SecretsProvider } from '../../lib/constructs/platform/secrets-backend';
import { configProblems, envConfig } from '../support/synth';
import { Doc } from '../support/doc';

const aws: SecretsProvider = {
  kind: 'aws-secrets-manager',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::123456789012:role/monitoring-secrets',
  keyPrefix: 'prod/monitoring',
};

function render(props: Partial<ConstructorParameters<typeof GrafanaAdminSecret>[2]> = {}): Doc[] {
  const chart = new Chart(Testing.app(), 'platform');
  new GrafanaAdminSecret(chart, 'grafana-admin', { namespace: 'monitoring', provider: { kind: 'generated' }, ...props });
  return Testing.synth(chart);
}

describe('GrafanaAdminSecret', () => {
  test('generated: the password is made once in the cluster; the login is the fixed user; no value is rendered', () => {
    const objects = render();
    expect(objects.map((o) => o.kind).sort()).toEqual(['ExternalSecret', 'Password']);
    const generator = objects.find((o) => o.kind === 'Password');
    expect(generator.metadata).toMatchObject({ name: 'grafana-admin', namespace: 'monitoring' });
    expect(generator.spec.secretKeys).toEqual([GRAFANA_ADMIN_KEYS.password]);
    const es = objects.find((o) => o.kind === 'ExternalSecret');
    expect(es.spec.refreshPolicy).toBe('CreatedOnce');
    expect(es.spec.target).toMatchObject({
      name: 'grafana-admin',
      template: { mergePolicy: 'Merge', data: { [GRAFANA_ADMIN_KEYS.user]: 'admin' } },
    });
    expect(JSON.stringify(objects)).not.toMatch(/password"\s*:\s*"[^"]/i);
  });

  test('aws-secrets-manager: the password is <keyPrefix>/grafana-admin, property admin_password', () => {
    const es = render({ provider: aws }).find((o) => o.kind === 'ExternalSecret');
    expect(es.spec.data).toEqual([
      { secretKey: 'admin_password', remoteRef: { key: 'prod/monitoring/grafana-admin', property: 'admin_password' } },
    ]);
    expect(es.spec.target.template.data).toEqual({ admin_user: 'admin' });
  });

  test('values point the Grafana chart at the Secret and its keys', () => {
    const chart = new Chart(Testing.app(), 'platform');
    const s = new GrafanaAdminSecret(chart, 'g', {
      namespace: 'monitoring',
      provider: { kind: 'generated' },
      name: 'grafana-login',
      user: 'ops',
    });
    expect(s.values).toEqual({ existingSecret: 'grafana-login', userKey: 'admin_user', passwordKey: 'admin_password' });
    expect(Testing.synth(chart).find((o) => o.kind === 'ExternalSecret').spec.target.template.data).toEqual({ admin_user: 'ops' });
  });

  test.each([
    [{ namespace: 'Monitoring' }, /namespace.*"Monitoring"/],
    [{ name: 'Grafana_Admin' }, /name.*"Grafana_Admin"/],
    [{ user: 'ad min' }, /user: got "ad min"; expected a login/],
    [{ user: '' }, /user: got ""; expected a login/],
  ])('rejects %j', (props, message) => {
    expect(() => render(props)).toThrow(message);
  });

  test('grafanaAdminManifests returns the objects as plain manifests, outside any app', () => {
    const { manifests, values } = grafanaAdminManifests({ namespace: 'monitoring', provider: { kind: 'generated' } });
    expect(manifests.map((m) => m.kind)).toEqual(['Password', 'ExternalSecret']);
    expect(values.existingSecret).toBe('grafana-admin');
  });
});

describe('SecretsBackend plain keys', () => {
  const backend = () => new SecretsBackend(new Chart(Testing.app(), 'c'), 's', { namespace: 'ns', provider: { kind: 'generated' } });
  test('returns references to the plain keys too', () => {
    expect(backend().secret('login', ['PASSWORD'], { plain: { USER: 'admin' } })).toEqual({
      PASSWORD: { secret: 'login', key: 'PASSWORD' },
      USER: { secret: 'login', key: 'USER' },
    });
  });
  test.each([
    [{ PASSWORD: 'x' }, /plain key 'PASSWORD' is also a secret key/],
    [{ 'bad-key': 'x' }, /plain key 'bad-key'; expected/],
    [{ USER: '{{ .PASSWORD }}' }, /plain key 'USER': got "\{\{ \.PASSWORD \}\}"; expected a non-empty string without '\{\{'/],
    [{ USER: '' }, /plain key 'USER': got ""; expected a non-empty string/],
  ])('rejects plain %j', (plain, message) => {
    expect(() => backend().secret('login', ['PASSWORD'], { plain })).toThrow(message);
  });
});

describe('kube-prometheus-stack Grafana admin login', () => {
  const values = (name: 'dev' | 'prod') =>
    platformReleasesFor(ENVIRONMENTS[name] as Doc).find((r) => r.name === KUBE_PROMETHEUS_STACK.name)!.values as Doc;

  test.each(['dev', 'prod'] as const)('%s: Grafana reads the existing Secret, which the release ships in extraManifests', (name) => {
    const v = values(name);
    expect(v.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin_user', passwordKey: 'admin_password' });
    const es = v.extraManifests.find((m: Doc) => m.kind === 'ExternalSecret');
    expect(es.metadata).toMatchObject({ name: 'grafana-admin', namespace: 'monitoring' });
    expect(es.spec.target.name).toBe('grafana-admin');
    expect(v.grafana.adminPassword).toBeUndefined();
    expect(JSON.stringify(v)).not.toMatch(/adminPassword|prom-operator/);
  });

  test('dev generates the password; prod reads it from AWS Secrets Manager through a store only the monitoring namespace may use', () => {
    expect(values('dev').extraManifests.map((m: Doc) => m.kind)).toEqual(['Password', 'ExternalSecret']);
    const prod = values('prod').extraManifests;
    expect(prod.map((m: Doc) => m.kind)).toEqual(['ServiceAccount', 'ClusterSecretStore', 'ExternalSecret']);
    expect(prod.find((m: Doc) => m.kind === 'ClusterSecretStore').spec.conditions).toEqual([{ namespaces: ['monitoring'] }]);
    expect(prod.find((m: Doc) => m.kind === 'ExternalSecret').spec.data[0].remoteRef).toEqual({
      key: 'prod/monitoring/grafana-admin',
      property: 'admin_password',
    });
    expect(KUBE_PROMETHEUS_STACK.clusterResources).toContainEqual({ group: 'external-secrets.io', kind: 'ClusterSecretStore' });
  });

  test('no default or literal admin password anywhere in the committed output (dist/)', () => {
    const root = path.join(__dirname, '..', '..', 'dist');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(10);
    const offending = files.filter((f) => /adminPassword|prom-operator|GF_SECURITY_ADMIN_PASSWORD/.test(fs.readFileSync(f, 'utf8')));
    expect(offending).toEqual([]);
    const kps = fs.readFileSync(path.join(root, 'argocd', 'dev', 'Application.dev-kube-prometheus-stack.k8s.yaml'), 'utf8');
    expect(kps).toMatch(/existingSecret: grafana-admin/);
  });

  test('prod config without monitoring.aws is rejected, naming the field', () => {
    const cfg = envConfig('prod');
    delete cfg.monitoring.aws;
    expect(configProblems(cfg)).toMatch(/monitoring\.aws.*secretsRoleArn and secretsKeyPrefix/);
    const dev = envConfig('dev');
    dev.monitoring.aws = { secretsRoleArn: 'arn:aws:iam::123456789012:role/x', secretsKeyPrefix: 'dev/monitoring' };
    expect(configProblems(dev)).toMatch(/monitoring\.aws.*unset unless secrets\.provider is 'aws-secrets-manager'/);
  });
});
