import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEnvironment } from '../../config';
import { analyzeReachability, loadConstructMetadata, loadManifests } from '../../lib/checks';
import { memoryBytes } from '../../lib/core/formats';
import { synthesizeAll } from '../../main';
import {
  envOf,
  expectNoSecretValues,
  expectProbes,
  expectRestrictedNamespace,
  expectRestrictedPods,
  policyDestinations,
  policySources,
  resourceTotals,
} from '../support/stack-assertions';
import { configProblems, envConfig, find, synthStack } from '../support/synth';
import { Doc } from '../support/doc';

const dev = synthStack('ecommerce', loadEnvironment(envConfig('dev')));
const prod = synthStack('ecommerce', loadEnvironment(envConfig('prod')));
const container = (objects: Doc[], kind: string, name: string, i = 0): Doc => find(objects, kind, name).spec.template.spec.containers[i];
const names = (objects: Doc[], kind: string): string[] => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name as string);

describe.each([
  ['dev', dev],
  ['prod', prod],
])('ecommerce %s', (name, objects) => {
  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('namespace ecommerce enforces Pod Security restricted; every pod restricted, pinned, resourced; probes; no secret values', () => {
    expectRestrictedNamespace(objects, 'ecommerce');
    expectRestrictedPods(objects, name === 'dev' ? 8 : 6);
    expectProbes(objects);
    expectNoSecretValues(objects);
  });

  test('gateway: port 5921, /ready, /live, /health while starting, /metrics scraped, graceful shutdown', () => {
    const gw = container(objects, 'Deployment', 'gateway');
    if (name === 'prod') {
      expect(gw.ports).toEqual([{ name: 'http', containerPort: 5921, protocol: 'TCP' }]);
      expect([gw.readinessProbe.httpGet.path, gw.livenessProbe.httpGet.path, gw.startupProbe.httpGet.path]).toEqual([
        '/ready',
        '/live',
        '/health',
      ]);
      expect(envOf(gw)).toMatchObject({
        GATEWAY_PORT: '5921',
        BACKEND_URL: 'http://backend.ecommerce.svc.cluster.local:3847',
        SENTRY_DSN: { secretKeyRef: { name: 'error-tracking-dsn', key: 'GATEWAY_DSN' } },
      });
    }
    expect(gw.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    expect(find(objects, 'Deployment', 'gateway').spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(find(objects, 'ServiceMonitor', 'gateway').spec.endpoints[0].path).toBe('/metrics');
  });

  test('backend: port 3847, /api/health, /api/metrics, MongoDB app user and the object store from config', () => {
    const be = container(objects, 'Deployment', 'backend');
    const env = envOf(be);
    expect(find(objects, 'ServiceMonitor', 'backend').spec.endpoints[0].path).toBe('/api/metrics');
    expect(env).toMatchObject({
      BACKEND_PORT: '3847',
      MONGO_DATABASE: 'ecommerce',
      MONGO_APP_USERNAME: 'app_user',
      MONGO_APP_PASSWORD: { secretKeyRef: { name: 'mongodb-credentials', key: 'APP_PASSWORD' } },
      S3_BUCKET: name === 'dev' ? 'ecommerce' : 'example-ecommerce-prod',
    });
    expect(env.MONGO_URI).not.toMatch(/@/); // no credentials in the connection string
    if (name === 'dev') {
      expect(env).toMatchObject({ AWS_ENDPOINT_URL: 'http://minio.ecommerce.svc.cluster.local:9000', S3_FORCE_PATH_STYLE: 'true' });
      expect(env.AWS_SECRET_ACCESS_KEY).toEqual({ secretKeyRef: { name: 'minio-root', key: 'MINIO_ROOT_PASSWORD' } });
    } else {
      // IRSA: no keys, the role on the backend's own ServiceAccount.
      expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
      expect(env.MONGO_URI).toMatch(/tls=true/);
      expect(find(objects, 'ServiceAccount', 'backend').metadata.annotations).toMatchObject({
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ecommerce-prod-backend',
      });
    }
  });

  test('only the gateway is public: ingress -> gateway, gateway -> backend, nothing else reaches them', () => {
    expect(policySources(objects, 'gateway')).toEqual(['ns:monitoring', 'ns:traefik']);
    expect(policySources(objects, 'backend')).toEqual(['gateway', 'ns:monitoring']);
    expect(policyDestinations(objects, 'gateway')).toEqual(['backend:3847']);
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    const backends = ingresses.flatMap((i) => i.spec.rules[0].http.paths.map((p: Doc) => p.backend.service.name as string));
    expect(backends).toEqual(name === 'dev' ? ['gateway', 'minio'] : ['gateway']);
  });

  test('MongoDB: the replica set size of the environment, exporter scraped, PVCs retained, TLS in prod', () => {
    const sts = find(objects, 'StatefulSet', 'mongodb');
    expect(sts.spec.replicas).toBe(name === 'dev' ? 1 : 3);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.template.spec.containers.map((c: Doc) => c.name)).toEqual(['mongodb', 'exporter']);
    expect(find(objects, 'ServiceMonitor', 'mongodb').spec.endpoints[0].port).toBe('metrics');
    expect(policySources(objects, 'mongodb')).toEqual(expect.arrayContaining(['backend', 'mongodb', 'mongodb-backup', 'mongodb-restore']));
    expect(policySources(objects, 'mongodb')).not.toContain('gateway');
    expect(names(objects, 'Certificate')).toEqual(name === 'prod' ? ['internal-ca-root', 'mongodb-tls'] : []);
  });

  test('buckets: the seed three with versioning by an idempotent Job; Amazon S3 also encryption, TLS only, lifecycle', () => {
    const setupCm = objects.find((o) => o.kind === 'ConfigMap' && (o.metadata.name as string).startsWith('bucket-setup'));
    const files = Object.keys(setupCm.data as Record<string, string>);
    const buckets =
      name === 'dev'
        ? ['ecommerce', 'backups', 'logs']
        : ['example-ecommerce-prod', 'example-ecommerce-prod-backups', 'example-ecommerce-prod-logs'];
    for (const b of buckets) expect(files).toContain(`${b}.versioning.json`);
    const backupPolicy = JSON.parse((setupCm.data as Record<string, string>)[`${buckets[1]}.policy.json`]);
    expect(backupPolicy.Statement.map((s: Doc) => s.Sid)).toEqual(
      name === 'dev' ? ['KeepBackupVersions'] : ['DenyInsecureTransport', 'KeepBackupVersions'],
    );
    if (name === 'prod') {
      expect(files).toEqual(
        expect.arrayContaining([`${buckets[0]}.encryption.json`, `${buckets[0]}.lifecycle.json`, `${buckets[0]}.public-access-block.json`]),
      );
      expect(JSON.parse((setupCm.data as Record<string, string>)[`${buckets[0]}.lifecycle.json`])).toMatchObject({
        Rules: expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
      });
    }
  });

  test('backups: daily 02:00 mongodump, restore suspended, mirror of the app bucket, retention of the environment', () => {
    const dump = find(objects, 'CronJob', 'mongodb-backup');
    expect(dump.spec.schedule).toBe('0 2 * * *');
    expect(find(objects, 'CronJob', 'mongodb-restore').spec.suspend).toBe(true);
    expect(envOf(dump.spec.jobTemplate.spec.template.spec.containers[0]).RETENTION_DAYS).toBe(name === 'dev' ? '7' : '30');
    expect(find(objects, 'CronJob', 'objects-mirror').spec.schedule).toBe('30 2 * * *');
  });

  test('the mirror writes encrypted as the backups: SSE-KMS with backups.kmsKeyId and REQUIRE_SSE in prod, none on MinIO (dev)', () => {
    const mirror = find(objects, 'CronJob', 'objects-mirror').spec.jobTemplate.spec.template.spec;
    const upload = envOf(find(objects, 'CronJob', 'mongodb-backup').spec.jobTemplate.spec.template.spec.containers[0]);
    const sse = (env: Record<string, unknown>) => ({ S3_SSE: env.S3_SSE, S3_SSE_KMS_ID: env.S3_SSE_KMS_ID, REQUIRE_SSE: env.REQUIRE_SSE });
    expect(mirror.initContainers).toBeUndefined();
    expect(envOf(mirror.containers[0]).MIRROR_STEP).toBe('copy');
    expect(sse(envOf(mirror.containers[0]))).toEqual(
      name === 'prod'
        ? { S3_SSE: 'aws:kms', S3_SSE_KMS_ID: 'arn:aws:kms:eu-west-1:123456789012:alias/ecommerce-prod-backups', REQUIRE_SSE: 'true' }
        : { S3_SSE: undefined, S3_SSE_KMS_ID: undefined, REQUIRE_SSE: undefined },
    );
    expect(sse(envOf(mirror.containers[0]))).toEqual(sse(upload));
  });

  test("alerts: the seed's with the corrected latency expression, MongoDB, resources, volumes, backups; four dashboards", () => {
    const rules = find(objects, 'PrometheusRule', 'ecommerce').spec.groups.flatMap((g: Doc) => g.rules) as Doc[];
    const byName = new Map(rules.map((r) => [r.alert as string, r]));
    expect(byName.get('GatewayHighErrorRate')).toMatchObject({ for: '10m', labels: { severity: 'critical' } });
    expect(byName.get('GatewayHighErrorRate').expr).toContain('> 0.05');
    expect(byName.get('BackendHighLatency')).toMatchObject({ for: '5m', labels: { severity: 'warning' } });
    expect(byName.get('BackendHighLatency').expr).toContain(
      'histogram_quantile(0.95, sum by (namespace, job, le) (rate(http_request_duration_seconds_bucket',
    );
    for (const a of [
      'GatewayDown',
      'BackendDown',
      'MongoDBDown',
      'MongoDBConnectionsNearLimit',
      'EcommerceVolumeSpaceLow',
      'EcommerceContainerMemoryNearLimit',
    ])
      expect(byName.has(a)).toBe(true);
    expect(byName.has('MongoDBNoPrimary')).toBe(name === 'prod');
    const dashboards = objects
      .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1')
      .map((o) => (JSON.parse(Object.values(o.data as Record<string, string>)[0]) as { title: string }).title);
    expect(dashboards.sort()).toEqual(
      ['E-commerce · MongoDB', 'E-commerce · Platform Overview', 'E-commerce · Service Health', 'E-commerce · System Resources'].sort(),
    );
  });
});

describe('ecommerce dev specifics', () => {
  test('MinIO: API 9000 for clients, console 9001 only through the tools ingress with the IP allow-list', () => {
    expect(policySources(dev, 'minio')).toEqual(expect.arrayContaining(['backend', 'ns:traefik']));
    const tools = find(dev, 'Ingress', 'tools');
    expect(tools.spec.rules[0].http.paths[0].backend.service.port.number).toBe(9001);
    expect(tools.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toMatch(
      /^ecommerce-tools-ip-allow-list@kubernetescrd,/,
    );
    expect(find(dev, 'Middleware', 'tools-ip-allow-list').spec).toEqual({
      ipAllowList: { sourceRange: ['127.0.0.1/32', '172.16.0.0/12'] },
    });
  });

  test('no error tracking on kind yet: no DSN Secret, the apps start without SENTRY_DSN', () => {
    expect(names(dev, 'ExternalSecret')).not.toContain('error-tracking-dsn');
    expect(envOf(container(dev, 'Deployment', 'gateway')).SENTRY_DSN).toBeUndefined();
  });

  test('requests stay well inside the 4 GiB the stack may use on kind with its observability half', () => {
    const d = resourceTotals(dev);
    expect(d.steady.memoryRequestBytes).toBeLessThanOrEqual(memoryBytes('1536Mi'));
  });
});

describe('ecommerce prod specifics', () => {
  test('apps: HPA 3-10 and a PDB, spread across zones', () => {
    for (const app of ['gateway', 'backend']) {
      expect(find(prod, 'HorizontalPodAutoscaler', app).spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
      expect(find(prod, 'PodDisruptionBudget', app).spec.maxUnavailable).toBe(1);
      expect(find(prod, 'Deployment', app).spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    }
  });

  test('nothing but the gateway is exposed: no object store server, no console, no tools ingress', () => {
    expect(names(prod, 'StatefulSet')).toEqual(['mongodb']);
    expect(names(prod, 'Ingress')).toEqual(['gateway']);
  });
});

describe('ecommerce reachability (the NetworkPolicies as the API server would evaluate them)', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecommerce-reach-'));
  synthesizeAll(outdir, { recordMetadata: true });
  const metadata = loadConstructMetadata(outdir)!;
  const result = analyzeReachability({ objects: loadManifests(outdir), environments: metadata.environments });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test.each(['dev', 'prod'])('%s: gateway <- ingress controller (and Prometheus) only; backend <- gateway (and Prometheus) only', (env) => {
    const ns = result.namespaces.find((n) => n.env === env && n.namespace === 'ecommerce')!;
    const into = (to: string) => [...new Set(ns.flows.filter((f) => f.to === to).map((f) => f.from))].sort();
    expect(into('gateway')).toEqual(['ingress-controller', 'prometheus']);
    expect(into('backend')).toEqual(['gateway', 'prometheus']);
    expect(result.violations.filter((v) => v.message.includes('ecommerce'))).toEqual([]);
  });
});

describe('ecommerce config', () => {
  const cfg = (env: 'dev' | 'prod'): Doc => envConfig(env);
  test.each<[string, 'dev' | 'prod', (c: Doc) => void, string]>([
    ['no gateway host', 'dev', (c) => delete c.stacks.ecommerce.host, 'stacks.ecommerce.host: got nothing; expected a required value'],
    [
      'a bucket name S3 would refuse',
      'prod',
      (c) => (c.stacks.ecommerce.objectStore.buckets.app = 'Shop_Files'),
      'stacks.ecommerce.objectStore.buckets.app: got "Shop_Files"; expected an S3 bucket name',
    ],
    [
      'an even replica set',
      'prod',
      (c) => (c.stacks.ecommerce.mongodb.replicas = 4),
      'stacks.ecommerce.mongodb.replicas: got 4; expected an odd number of members (1, 3, 5 or 7): an even replica set cannot keep a majority',
    ],
    [
      'MongoDB without TLS in prod',
      'prod',
      (c) => (c.stacks.ecommerce.mongodb.tls = false),
      'stacks.ecommerce.mongodb.tls: got false; expected true in a prod profile',
    ],
    [
      'the in-cluster object store in prod',
      'prod',
      (c) => (c.stacks.ecommerce.objectStore.provider = 'in-cluster'),
      'stacks.ecommerce.backups.target: got "object-store"; expected \'s3\' in a prod profile',
    ],
    [
      'an in-cluster store without its server',
      'dev',
      (c) => delete c.stacks.ecommerce.objectStore.server,
      'stacks.ecommerce.objectStore.server: got nothing; expected the in-cluster server',
    ],
    [
      'the console without a tools ingress',
      'dev',
      (c) => delete c.stacks.ecommerce.tools,
      'stacks.ecommerce.tools: got nothing; expected a host and allowedCidrs for the tools ingress',
    ],
    [
      'a tools allow-list entry that is no CIDR',
      'dev',
      (c) => (c.stacks.ecommerce.tools.allowedCidrs = ['0.0.0.0/33']),
      'stacks.ecommerce.tools.allowedCidrs[0]: got "0.0.0.0/33"; expected an IPv4 or IPv6 CIDR',
    ],
  ])('%s fails naming the field', (_name, env, change, message) => {
    const c = cfg(env);
    change(c);
    expect(configProblems(c)).toContain(message);
  });
});
