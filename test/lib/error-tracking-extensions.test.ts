/**
 * Library features added for error tracking, usable by any stack: UUID-form generated secrets,
 * backups of a second PostgreSQL/Redis under their own names, one egress rule per component and
 * port, and the Deployment availability alert.
 */
import { Testing } from 'cdk8s';
import { IMAGES } from '../../config/images';
import { deploymentDownRules } from '../../lib/constructs/monitoring';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import { RedisCache } from '../../lib/constructs/data/redis-cache';
import { redisBackup } from '../../lib/stack/stack-wiring';
import { AmazonS3Storage } from '../../lib/constructs/storage';
import { Doc } from '../support/doc';

describe("SecretsBackend format 'uuid-hex'", () => {
  test('generated: 16 random characters hex-encoded (32 hex digits, a UUID without dashes); the default stays 32 characters', () => {
    const chart = Testing.chart();
    const secrets = new SecretsBackend(chart, 'secrets', { namespace: 'ns', provider: { kind: 'generated' } });
    secrets.secret('keys', ['A_KEY'], { format: 'uuid-hex' });
    secrets.secret('passwords', ['A_PASSWORD']);
    const generators: Doc[] = Testing.synth(chart).filter((o) => o.kind === 'Password');
    expect(generators.map((g) => [g.metadata.name, g.spec.length, g.spec.encoding])).toEqual([
      ['keys', 16, 'hex'],
      ['passwords', 32, undefined],
    ]);
  });

  test('an unknown format names the secret, the value and the allowed ones', () => {
    const secrets = new SecretsBackend(Testing.chart(), 'secrets', { namespace: 'ns', provider: { kind: 'generated' } });
    expect(() => secrets.secret('keys', ['A_KEY'], { format: 'uuid' as never })).toThrow(
      "SecretsBackend: secret 'keys' format 'uuid'; expected 'password' or 'uuid-hex'",
    );
  });
});

test('ServiceGraph.allowInternet: the same component and port twice is one egress rule', () => {
  const chart = Testing.chart();
  const graph = new ServiceGraph(chart, 'graph', { namespace: 'ns' });
  graph.addComponent({ name: 'app', podLabels: { 'app.kubernetes.io/name': 'app' }, ports: { http: 8080 } });
  graph.allowInternet('app', 443);
  graph.allowInternet('app', 443);
  graph.allowInternet('app', 8443);
  expect(graph.flows.filter((f) => f.from === 'app').map((f) => f.port)).toEqual([443, 8443]);
});

test('redisBackup with a name: CronJobs, graph components and Helm prefix of their own, beside a default one', () => {
  const chart = Testing.chart();
  const redis = (name: string) =>
    new RedisCache(chart, name, {
      namespace: 'ns',
      name,
      partOf: 'app',
      image: IMAGES.redis72,
      password: { secret: 's', key: 'REDIS_PASSWORD' },
      maxmemory: '32mb',
      resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
      storage: { size: '1Gi', storageClassName: 'standard' },
    });
  const common = {
    namespace: 'ns',
    partOf: 'app',
    image: IMAGES.redis72,
    schedule: '0 3 * * *',
    backups: {
      retentionDays: 7,
      uploaderImage: IMAGES.awsCli,
      resources: { cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
    },
    target: new AmazonS3Storage({ region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/backup' }).target({
      bucket: 'app-backups',
      prefix: 'app/redis',
    }),
  };
  const a = redisBackup(chart, redis('redis'), common);
  const b = redisBackup(chart, redis('cache-redis'), { ...common, name: 'cache-redis-backup', helmPrefix: 'backups.cacheRedis' });
  expect([a.component.name, a.restoreComponent?.name, b.component.name, b.restoreComponent?.name]).toEqual([
    'redis-backup',
    'redis-restore',
    'cache-redis-backup',
    'cache-redis-restore',
  ]);
  const cronJobs = Testing.synth(chart)
    .filter((o) => o.kind === 'CronJob')
    .map((o) => o.metadata.name);
  expect(cronJobs).toEqual(expect.arrayContaining(['redis-backup', 'redis-restore', 'cache-redis-backup', 'cache-redis-restore']));
});

describe('deploymentDownRules', () => {
  const props = {
    namespace: 'shop',
    deployments: ['glitchtip-web', 'glitchtip-worker'],
    alert: 'ErrorTrackerDown',
    what: 'The error tracker',
  };

  test('one critical alert over both Deployments: no available pod, or no series at all, for 5m', () => {
    const [rule] = deploymentDownRules(props);
    const s = (d: string) => `kube_deployment_status_replicas_available{job="kube-state-metrics",namespace="shop",deployment="${d}"}`;
    expect(rule).toMatchObject({ alert: 'ErrorTrackerDown', for: '5m', labels: { severity: 'critical' } });
    expect(rule.expr).toBe(
      `(max by (namespace, deployment) (${s('glitchtip-web')}) == 0) or absent(${s('glitchtip-web')}) or ` +
        `(max by (namespace, deployment) (${s('glitchtip-worker')}) == 0) or absent(${s('glitchtip-worker')})`,
    );
    expect(rule.annotations.summary).toBe('The error tracker is down');
  });

  test.each<[string, object, string]>([
    ['no Deployment', { deployments: [] }, 'deploymentDownRules: deployments must be at least one Deployment name'],
    ['a Deployment name with capitals', { deployments: ['Web'] }, 'deploymentDownRules: deployments[0] must be a Kubernetes object name'],
    ['an alert name with a hyphen', { alert: 'Error-Tracker' }, 'deploymentDownRules: alert must be an alert name'],
    ['a zero duration', { for: '0m' }, 'deploymentDownRules: for must be a positive Prometheus duration'],
    ['a bad namespace', { namespace: 'Shop' }, 'deploymentDownRules: namespace must be'],
  ])('rejects %s', (_what, override, message) => {
    expect(() => deploymentDownRules({ ...props, ...override })).toThrow(message);
  });
});
