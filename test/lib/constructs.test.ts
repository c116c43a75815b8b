import { Testing } from 'cdk8s';
import { renderContainer } from '../../lib/constructs/workloads/container';
import { Doc } from '../support/doc';
import { AppNamespace } from '../../lib/constructs/platform/app-namespace';
import { DatabaseBackup, DatabaseBackupProps } from '../../lib/constructs/backup/database-backup';
import { PostgresBackupEngine } from '../../lib/constructs/backup/postgres-backup-engine';
import { RedisBackupEngine } from '../../lib/constructs/backup/redis-backup-engine';
import { restrictedPodSecurityContext } from '../../lib/constructs/workloads/pod-security';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { RATE_LIMIT_SOURCE, TlsIngress } from '../../lib/constructs/network/tls-ingress';
import { WebService, WebServiceProps } from '../../lib/constructs/workloads/web-service';

const resources = { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const web = (over: Partial<WebServiceProps> = {}): WebServiceProps => ({
  namespace: 'ns',
  name: 'web',
  partOf: 'app',
  image: 'repo/web:1.0.0',
  port: 8080,
  runAs: { user: 1001 },
  resources,
  readinessPath: '/health',
  replicas: 1,
  ...over,
});

describe('WebService', () => {
  test('renders Deployment, Service, HPA and PDB; no replica count under an HPA', () => {
    const chart = Testing.chart();
    new WebService(chart, 'web', web({ autoscaling: { minReplicas: 2, maxReplicas: 4 }, metricsPath: '/metrics', release: 'kps' }));
    const out = Testing.synth(chart);
    expect(out.map((o) => o.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']
        .filter((k) => k !== 'ConfigMap')
        .sort(),
    );
    expect(out.find((o) => o.kind === 'Deployment').spec.replicas).toBeUndefined();
  });
  test('three probe paths: readiness, liveness, and startup (a deeper check only while starting)', () => {
    const chart = Testing.chart();
    new WebService(chart, 'web', web({ readinessPath: '/ready', livenessPath: '/live', startupPath: '/health', startupSeconds: 30 }));
    const c = Testing.synth(chart).find((o: Doc) => o.kind === 'Deployment').spec.template.spec.containers[0];
    expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual([
      '/ready',
      '/live',
      '/health',
    ]);
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBe(30);
  });
  test('the stand-in answers every probe path', () => {
    const chart = Testing.chart();
    new WebService(chart, 'web', web({ standIn: true, readinessPath: '/ready', livenessPath: '/live', startupPath: '/health' }));
    const conf = Object.values(Testing.synth(chart).find((o: Doc) => o.kind === 'ConfigMap').data as Record<string, string>).join('\n');
    for (const path of ['/ready', '/live', '/health']) expect(conf).toContain(`location = ${path} `);
  });
  test('its own ServiceAccount for IRSA: annotated, no API token, used by the pods', () => {
    const chart = Testing.chart();
    const svc = new WebService(
      chart,
      'web',
      web({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' } }),
    );
    const out = Testing.synth(chart);
    const sa = out.find((o: Doc) => o.kind === 'ServiceAccount');
    expect(sa.metadata).toMatchObject({ name: 'web', annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/web' } });
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = out.find((o: Doc) => o.kind === 'Deployment').spec.template.spec;
    expect([pod.serviceAccountName, pod.automountServiceAccountToken, svc.serviceAccountName]).toEqual(['web', false, 'web']);
  });
  test.each([
    ['privileged port', { port: 80 }, /port 80; expected an unprivileged port between 1024 and 65535/],
    ['negative replicas', { replicas: -1 }, /replicas -1; expected an integer >= 0/],
    [
      'HPA min > max',
      { autoscaling: { minReplicas: 5, maxReplicas: 2 } },
      /autoscaling.maxReplicas 2; expected an integer >= minReplicas \(5\)/,
    ],
    ['relative probe path', { readinessPath: 'health' }, /readinessPath 'health'; expected an absolute URL path/],
    ['relative startup path', { startupPath: 'health' }, /startupPath 'health'; expected an absolute URL path/],
    ['metrics without release', { metricsPath: '/metrics' }, /metricsPath is set but release is missing/],
    [
      'memory limit below request',
      { resources: { ...resources, memoryLimit: '64Mi' } },
      /memoryLimit: got '64Mi'; expected a value >= memoryRequest '128Mi'/,
    ],
    ['root user', { runAs: { user: 0 } }, /runAs.user: got 0; expected a non-root numeric id/],
    ['bad env name', { env: { 'BAD-NAME': 'x' } }, /env: got 'BAD-NAME'; expected an environment variable name/],
  ])('rejects %s', (_, over, message) => {
    expect(() => new WebService(Testing.chart(), 'web', web(over as Partial<WebServiceProps>))).toThrow(message);
  });
});

describe('ServiceGraph', () => {
  const graph = () => {
    const g = new ServiceGraph(Testing.chart(), 'g', { namespace: 'ns', externals: { prometheus: { namespace: 'monitoring' } } });
    g.addComponent({ name: 'a', podLabels: { app: 'a' }, ports: { http: 8080 } });
    g.addComponent({ name: 'b', podLabels: { app: 'b' }, ports: { db: 5432 } });
    return g;
  };
  test('records flows and opens metrics ports to the scraper', () => {
    const g = graph();
    g.addComponent({ name: 'c', podLabels: { app: 'c' }, ports: { metrics: 9100 }, metricsPorts: ['metrics'] });
    g.allow('a', 'b', 'db');
    expect(g.flows).toEqual([
      { from: 'a', to: 'b', port: 5432, protocol: 'TCP' },
      { from: 'prometheus', to: 'c', port: 9100, protocol: 'TCP' },
    ]);
  });
  test.each([
    ['unknown component', (g: ServiceGraph) => g.allow('a', 'zzz', 80), /to 'zzz' is unknown/],
    ['unknown port name', (g: ServiceGraph) => g.allow('a', 'b', 'http'), /port 'http' is unknown; expected one of: db/],
    ['port out of range', (g: ServiceGraph) => g.allow('a', 'b', 70000), /port 70000; expected an integer between 1 and 65535/],
    [
      'duplicate component',
      (g: ServiceGraph) => g.addComponent({ name: 'a', podLabels: { x: 'y' }, ports: {} }),
      /component 'a' is already in the graph/,
    ],
    ['no pod labels', (g: ServiceGraph) => g.addComponent({ name: 'z', podLabels: {}, ports: {} }), /has no podLabels/],
    ['external to external', (g: ServiceGraph) => g.allow('prometheus', 'prometheus', 80), /connects two external peers/],
  ])('rejects %s', (_, act, message) => {
    expect(() => act(graph())).toThrow(message);
  });
});

describe('SecretsBackend', () => {
  test('never renders a value', () => {
    const chart = Testing.chart();
    new SecretsBackend(chart, 's', { namespace: 'ns', provider: { kind: 'generated' } }).secret('creds', ['PASSWORD']);
    const out = Testing.synth(chart);
    expect(out.map((o) => o.kind)).toEqual(['Password', 'ExternalSecret']);
    expect(JSON.stringify(out)).not.toMatch(/"data":\{/);
  });
  test.each([
    [
      'duplicate secret',
      (b: SecretsBackend) => {
        b.secret('x', ['A']);
        b.secret('x', ['B']);
      },
      /secret 'x' is declared twice/,
    ],
    [
      'bad key',
      (b: SecretsBackend) => b.secret('x', ['bad-key']),
      /key 'bad-key'; expected a name of letters, digits and _ not starting with a digit/,
    ],
    ['no keys', (b: SecretsBackend) => b.secret('x', []), /has no keys/],
    ['bad name', (b: SecretsBackend) => b.secret('X_Y', ['A']), /secret name 'X_Y'; expected a DNS-1123 label/],
  ])('rejects %s', (_, act, message) => {
    expect(() => act(new SecretsBackend(Testing.chart(), 's', { namespace: 'ns', provider: { kind: 'generated' } }))).toThrow(message);
  });
  test('rejects a bad AWS region', () => {
    expect(
      () =>
        new SecretsBackend(Testing.chart(), 's', {
          namespace: 'ns',
          provider: { kind: 'aws-secrets-manager', region: 'mars-1', roleArn: 'arn:aws:iam::123456789012:role/x', keyPrefix: 'p' },
        }),
    ).toThrow(/provider.region: got 'mars-1'; expected an AWS region/);
  });
});

describe('TlsIngress', () => {
  const props = {
    namespace: 'ns',
    name: 'web',
    host: 'a.example.com',
    className: 'traefik',
    clusterIssuer: 'ca',
    routes: [{ serviceName: 'web', servicePort: 8080 }],
  };
  test('edge options become middlewares in order', () => {
    const chart = Testing.chart();
    const ing = new TlsIngress(chart, 'i', {
      ...props,
      edge: {
        corsAllowedOrigins: ['https://app.example.com'],
        rateLimit: { average: 10, burst: 20 },
        maxRequestBodyBytes: 1048576,
        compress: true,
      },
    });
    expect(ing.middlewares).toEqual(['web-security-headers', 'web-cors', 'web-rate-limit', 'web-body-limit', 'web-compress']);
  });
  test('an IP allow-list is the first middleware: other clients are refused before anything else runs', () => {
    const chart = Testing.chart();
    const ing = new TlsIngress(chart, 'i', {
      ...props,
      edge: { ipAllowList: ['127.0.0.1/32', '172.16.0.0/12'], rateLimit: { average: 5, burst: 5 } },
    });
    expect(ing.middlewares).toEqual(['web-ip-allow-list', 'web-security-headers', 'web-rate-limit']);
    const mw = Testing.synth(chart).find((o: Doc) => o.kind === 'Middleware' && o.metadata.name === 'web-ip-allow-list');
    expect(mw.spec).toEqual({ ipAllowList: { sourceRange: ['127.0.0.1/32', '172.16.0.0/12'] } });
  });
  test('every rate limit, ingress-wide or per route, counts clients by their connection address, never X-Forwarded-For', () => {
    const chart = Testing.chart();
    new TlsIngress(chart, 'i', {
      ...props,
      routes: [
        { serviceName: 'web', servicePort: 8080 },
        { path: '/auth', serviceName: 'web', servicePort: 8080, name: 'auth', rateLimit: { average: 5, burst: 5, period: '1m' } },
      ],
      edge: { rateLimit: { average: 10, burst: 20 } },
    });
    const limits = Testing.synth(chart)
      .filter((o: Doc) => o.kind === 'Middleware' && o.spec.rateLimit)
      .map((o: Doc) => [o.metadata.name, o.spec.rateLimit.sourceCriterion]);
    expect(limits).toEqual([
      ['web-rate-limit', { ipStrategy: { depth: 0 } }],
      ['web-auth-rate-limit', { ipStrategy: { depth: 0 } }],
    ]);
    expect(RATE_LIMIT_SOURCE).toEqual({ ipStrategy: { depth: 0 } });
  });
  test.each([
    [
      'origin with a path',
      { corsAllowedOrigins: ['https://app.example.com/x'] },
      /corsAllowedOrigins entry 'https:\/\/app.example.com\/x'; expected an origin/,
    ],
    ['zero rate', { rateLimit: { average: 0, burst: 1 } }, /rateLimit.average 0; expected an integer >= 1/],
    ['zero body limit', { maxRequestBodyBytes: 0 }, /maxRequestBodyBytes 0; expected an integer >= 1/],
    ['an empty IP allow-list', { ipAllowList: [] }, /ipAllowList is empty; expected at least one CIDR \(omit it to admit every client\)/],
    [
      'an IP allow-list entry that is no CIDR',
      { ipAllowList: ['10.0.0.0/8', '10.0.0.300/32'] },
      /ipAllowList\[1\] '10.0.0.300\/32'; expected an IPv4 or IPv6 CIDR/,
    ],
  ])('rejects %s', (_, edge, message) => {
    expect(() => new TlsIngress(Testing.chart(), 'i', { ...props, edge })).toThrow(message);
  });
  test('rejects no routes', () => {
    expect(() => new TlsIngress(Testing.chart(), 'i', { ...props, routes: [] })).toThrow(/routes is empty/);
  });
});

describe('DatabaseBackup', () => {
  const base: DatabaseBackupProps = {
    namespace: 'ns',
    partOf: 'app',
    name: 'db-backup',
    engine: new PostgresBackupEngine(),
    source: {
      image: 'postgres:15.13',
      runAsUser: 999,
      env: { PGHOST: 'db', PGUSER: 'postgres', PGDATABASE: 'app' },
      secretEnv: { PGPASSWORD: { secret: 'db', key: 'PASSWORD' } },
    },
    schedule: '0 2 * * *',
    retentionDays: 30,
    uploaderImage: 'amazon/aws-cli:2.22.35',
    resources,
    target: { bucket: 'my-backups', prefix: 'app/db', region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/b' },
  };
  test('renders a backup CronJob and a suspended restore CronJob', () => {
    const chart = Testing.chart();
    new DatabaseBackup(chart, 'b', base);
    const crons = Testing.synth(chart).filter((o) => o.kind === 'CronJob');
    expect(crons.map((c) => [c.metadata.name, c.spec.suspend, c.spec.concurrencyPolicy])).toEqual([
      ['db-backup', false, 'Forbid'],
      ['db-restore', true, 'Forbid'],
    ]);
  });
  test.each([
    ['bad cron', { schedule: 'daily' }, /schedule 'daily'; expected a five-field cron expression/],
    ['zero retention', { retentionDays: 0 }, /retentionDays 0; expected an integer >= 1/],
    ['bad bucket', { target: { ...base.target, bucket: 'My_Bucket' } }, /target.bucket 'My_Bucket'; expected an S3 bucket name/],
    [
      'static keys on AWS',
      { target: { ...base.target, credentials: { accessKeyId: { secret: 's', key: 'a' }, secretAccessKey: { secret: 's', key: 'b' } } } },
      /credentials are only for an S3-compatible endpoint/,
    ],
    [
      'redis restore without its data volume',
      {
        engine: new RedisBackupEngine(),
        source: { ...base.source, env: { REDIS_HOST: 'r' }, secretEnv: { REDISCLI_AUTH: { secret: 'r', key: 'P' } } },
        restore: true,
      },
      /a redis restore needs the store's data volume/,
    ],
    [
      "a source without the engine's env",
      { source: { ...base.source, env: { PGHOST: 'db' } } },
      /source lacks PGUSER, PGDATABASE; engine 'postgres' needs PGHOST, PGUSER, PGPASSWORD, PGDATABASE/,
    ],
  ])('rejects %s', (_, over, message) => {
    expect(() => new DatabaseBackup(Testing.chart(), 'b', { ...base, ...over })).toThrow(message);
  });
});

describe('AppNamespace and pod security', () => {
  test('a weaker level needs a reason', () => {
    expect(() => new AppNamespace(Testing.chart(), 'n', { name: 'agents', podSecurity: 'privileged' })).toThrow(
      /podSecurity 'privileged' needs podSecurityReason/,
    );
    expect(
      () =>
        new AppNamespace(Testing.chart(), 'n', {
          name: 'agents',
          podSecurity: 'privileged',
          podSecurityReason: 'log shipper reads host logs',
        }),
    ).not.toThrow();
  });
  test('uid 0 is refused', () => {
    expect(() => restrictedPodSecurityContext({ user: 1000, fsGroup: 0 })).toThrow(/runAs.fsGroup: got 0/);
  });
});

describe('renderContainer startup probe', () => {
  test('the startup allowance is startupSeconds, whatever period and threshold the liveness check sets', () => {
    const c = renderContainer({
      name: 'db',
      image: 'postgres:15.13-bookworm',
      runAs: { user: 999 },
      resources,
      readiness: { exec: ['pg_isready'], periodSeconds: 10 },
      liveness: { exec: ['pg_isready'], periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 6 },
      startupSeconds: 300,
    });
    expect(c.livenessProbe).toMatchObject({ periodSeconds: 15, failureThreshold: 6 });
    expect(c.startupProbe).toMatchObject({ exec: { command: ['pg_isready'] }, periodSeconds: 5, timeoutSeconds: 10, failureThreshold: 60 });
  });
});
