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
  workloadTotals,
} from '../support/stack-assertions';
import { configProblems, envConfig, find, synthStack } from '../support/synth';
import { Doc } from '../support/doc';
import { parse } from 'yaml';

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
    // The log shipper's DaemonSet runs in its own privileged namespace (tested in test/lib/log-shipper.test.ts).
    expectRestrictedPods(
      objects.filter((o) => o.metadata?.namespace !== 'logging'),
      name === 'dev' ? 8 : 6,
    );
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
    // Besides the backend, the error tracker: GlitchTip's web Service in dev, the external service over HTTPS in prod.
    expect(policyDestinations(objects, 'gateway')).toEqual(
      name === 'dev' ? ['backend:3847', 'glitchtip-web:8000'] : ['0.0.0.0/0:443', 'backend:3847'],
    );
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    const backends = ingresses.flatMap((i) => i.spec.rules[0].http.paths.map((p: Doc) => p.backend.service.name as string));
    expect(backends).toEqual(name === 'dev' ? ['gateway', 'minio', 'kibana'] : ['gateway']);
  });

  test('MongoDB: the replica set size of the environment, exporter scraped, PVCs retained, TLS in prod', () => {
    const sts = find(objects, 'StatefulSet', 'mongodb');
    expect(sts.spec.replicas).toBe(name === 'dev' ? 1 : 3);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.template.spec.containers.map((c: Doc) => c.name)).toEqual(['mongodb', 'exporter']);
    expect(find(objects, 'ServiceMonitor', 'mongodb').spec.endpoints[0].port).toBe('metrics');
    expect(policySources(objects, 'mongodb')).toEqual(expect.arrayContaining(['backend', 'mongodb', 'mongodb-backup', 'mongodb-restore']));
    expect(policySources(objects, 'mongodb')).not.toContain('gateway');
    // One namespace CA for MongoDB and Elasticsearch.
    expect(names(objects, 'Certificate')).toEqual(
      name === 'prod' ? ['internal-ca-root', 'mongodb-tls', 'elasticsearch-tls', 'log-shipper-client-tls'] : [],
    );
    expect(names(objects, 'Issuer')).toEqual(name === 'prod' ? ['internal-ca-bootstrap', 'internal-ca'] : []);
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

  test('Elasticsearch: the heap of the environment, auth on, the exporter as its own user with index stats', () => {
    const sts = find(objects, 'StatefulSet', 'elasticsearch');
    expect(sts.spec.replicas).toBe(name === 'dev' ? 1 : 3);
    const [node, exporter] = sts.spec.template.spec.containers as Doc[];
    expect(envOf(node).ES_JAVA_OPTS).toBe(name === 'dev' ? '-Xms512m -Xmx512m' : '-Xms1g -Xmx1g');
    expect(node.resources.limits.memory).toBe(name === 'dev' ? '1Gi' : '2Gi');
    expect(envOf(node).ELASTIC_PASSWORD).toEqual({ secretKeyRef: { name: 'elasticsearch-credentials', key: 'ELASTIC_PASSWORD' } });
    expect(envOf(exporter)).toMatchObject({
      ES_USERNAME: 'metrics-exporter',
      ES_PASSWORD: { secretKeyRef: { name: 'elasticsearch-credentials', key: 'EXPORTER_PASSWORD' } },
    });
    expect(exporter.args).toEqual(expect.arrayContaining(['--collector.clustersettings', '--es.indices']));
  });

  test('search setup: least-privilege users and roles, passwords from Secrets; log streams kept 7/30 days; daily snapshots to the logs bucket', () => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'search-setup')!;
    const data = cm.data as Record<string, string>;
    const json = (file: string): Doc => JSON.parse(data[file]);
    const plan = data.plan.trim().split('\n');
    expect(plan.filter((l) => l.includes('/_security/'))).toEqual([
      'put es /_security/role/log-writer role.log-writer.json',
      'putpw es /_security/user/log-shipper user.log-shipper.json PASSWORD_LOG_SHIPPER',
      'put es /_security/role/metrics-reader role.metrics-reader.json',
      'putpw es /_security/user/metrics-exporter user.metrics-exporter.json PASSWORD_METRICS_EXPORTER',
      'put es /_security/role/log-reader role.log-reader.json',
      'putpw es /_security/user/grafana user.grafana.json PASSWORD_GRAFANA',
      'putpw es /_security/user/kibana_system/_password password.kibana_system.json PASSWORD_KIBANA_SYSTEM',
    ]);
    expect(json('role.log-writer.json').indices).toEqual([
      { names: ['gateway-logs-*', 'backend-logs-*', 'logs-*'], privileges: ['create_doc', 'auto_configure'] },
    ]);
    expect(json('role.log-writer.json').cluster).toBeUndefined();
    expect(json('role.metrics-reader.json')).toMatchObject({ cluster: ['monitor'], indices: [{ names: ['*'], privileges: ['monitor'] }] });
    const days = name === 'dev' ? 7 : 30;
    expect(json(`ilm-policy.logs-${days}d.json`).policy.phases.delete.min_age).toBe(`${days}d`);
    expect(json('snapshot-repository.log-snapshots.json').settings).toMatchObject({
      bucket: name === 'dev' ? 'logs' : 'example-ecommerce-prod-logs',
      base_path: 'elasticsearch',
    });
    expect(json('slm-policy.daily-logs.json')).toMatchObject({ schedule: '0 30 1 * * ?', retention: { expire_after: `${days}d` } });
    const job = objects.find((o) => o.kind === 'Job' && (o.metadata.name as string).startsWith('search-setup-'))!;
    expect(envOf(job.spec.template.spec.containers[0])).toMatchObject({
      ES_USERNAME: 'elastic',
      ES_PASSWORD: { secretKeyRef: { name: 'elasticsearch-credentials', key: 'ELASTIC_PASSWORD' } },
      PASSWORD_LOG_SHIPPER: { secretKeyRef: { name: 'elasticsearch-log-shipper', key: 'PASSWORD' } },
      PASSWORD_KIBANA_SYSTEM: { secretKeyRef: { name: 'kibana-credentials', key: 'KIBANA_SYSTEM_PASSWORD' } },
    });
  });

  test('Kibana: kibana_system over the cluster URL (CA with TLS), encryption keys from its Secret', () => {
    const kibana = parse((find(objects, 'ConfigMap', 'kibana-config').data as Record<string, string>)['kibana.yml']);
    expect(kibana).toMatchObject({
      'elasticsearch.hosts': [`${name === 'dev' ? 'http' : 'https'}://elasticsearch.ecommerce.svc.cluster.local:9200`],
      'elasticsearch.username': 'kibana_system',
      'elasticsearch.password': '${KIBANA_SYSTEM_PASSWORD}',
    });
    expect(kibana['elasticsearch.ssl.certificateAuthorities'] !== undefined).toBe(name === 'prod');
    expect(envOf(container(objects, 'Deployment', 'kibana')).KIBANA_SECURITY_KEY).toEqual({
      secretKeyRef: { name: 'kibana-credentials', key: 'SECURITY_KEY' },
    });
    expect(policyDestinations(objects, 'kibana')).toEqual(['elasticsearch:9200']);
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
    // The in-cluster error tracker's alerts exist where it runs (dev).
    for (const a of ['ErrorTrackerDown', 'ErrorTrackerPostgresDown', 'ErrorTrackerRedisDown', 'ErrorTrackerPostgresBackupMissing'])
      expect([a, byName.has(a)]).toEqual([a, name === 'dev']);
    for (const a of [
      'GatewayDown',
      'BackendDown',
      'MongoDBDown',
      'MongoDBConnectionsNearLimit',
      'EcommerceVolumeSpaceLow',
      'EcommerceContainerMemoryNearLimit',
      'ElasticsearchClusterNotGreen',
      'ElasticsearchClusterRed',
      'ElasticsearchDiskWatermarkNear',
      'ElasticsearchExporterDown',
      'LogShippingStopped',
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

  test("error tracking in the cluster: GlitchTip with its own PostgreSQL and Redis (backed up), the apps' DSNs composed from generated keys", () => {
    expect(names(dev, 'ExternalSecret')).not.toContain('error-tracking-dsn');
    expect(names(dev, 'ExternalSecret')).toEqual(expect.arrayContaining(['glitchtip-credentials', 'error-tracking-keys']));
    expect(find(dev, 'Password', 'error-tracking-keys').spec).toMatchObject({ length: 16, encoding: 'hex' });
    for (const [app, id] of [
      ['backend', 1],
      ['gateway', 2],
    ] as const) {
      const env = envOf(container(dev, 'Deployment', app));
      expect(env.SENTRY_DSN).toBe(`http://$(ERROR_TRACKING_DSN_KEY)@glitchtip-web.ecommerce.svc.cluster.local:8000/${id}`);
      expect(env.ERROR_TRACKING_DSN_KEY).toEqual({
        secretKeyRef: { name: 'error-tracking-keys', key: `${app.toUpperCase()}_PUBLIC_KEY` },
      });
    }
    expect(names(dev, 'StatefulSet')).toEqual(expect.arrayContaining(['glitchtip-postgres', 'glitchtip-redis']));
    expect(find(dev, 'CronJob', 'glitchtip-postgres-backup').spec.schedule).toBe('0 3 * * *');
    expect(find(dev, 'CronJob', 'glitchtip-redis-backup').spec.schedule).toBe('15 3 * * *');
    // Only the two apps send events; only GlitchTip's own pods, backups and Prometheus reach its stores.
    expect(policySources(dev, 'glitchtip-web')).toEqual(['backend', 'gateway']);
    expect(policySources(dev, 'glitchtip-postgres')).toEqual(
      [
        'glitchtip-postgres-backup',
        'glitchtip-postgres-reconcile',
        'glitchtip-postgres-restore',
        'glitchtip-setup',
        'glitchtip-web',
        'glitchtip-worker',
        'ns:monitoring',
      ].sort(),
    );
    expect(policySources(dev, 'glitchtip-redis')).toEqual(
      ['glitchtip-redis-backup', 'glitchtip-redis-restore', 'glitchtip-setup', 'glitchtip-web', 'glitchtip-worker', 'ns:monitoring'].sort(),
    );
  });

  test('requests stay inside the 4 GiB the stack may use on kind, both halves and the log shipper included', () => {
    const d = resourceTotals(dev);
    // Apps, MongoDB, MinIO, Elasticsearch (1Gi, request = limit), Kibana, GlitchTip with its stores: about 3 GiB.
    const shipper = workloadTotals(dev, 'DaemonSet', 'log-shipper');
    expect(d.steady.memoryRequestBytes + shipper.memoryRequestBytes).toBeLessThanOrEqual(memoryBytes('4Gi'));
  });

  test('Kibana on its own host through an Ingress with the tools IP allow-list, reached from the ingress controller', () => {
    const ingress = find(dev, 'Ingress', 'kibana');
    expect(ingress.spec.rules[0].host).toBe('kibana.ecommerce.localtest.me');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'kibana', port: { number: 5601 } });
    expect(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toMatch(
      /^ecommerce-kibana-ip-allow-list@kubernetescrd,/,
    );
    expect(find(dev, 'Middleware', 'kibana-ip-allow-list').spec).toEqual({
      ipAllowList: { sourceRange: ['127.0.0.1/32', '172.16.0.0/12'] },
    });
    expect(policySources(dev, 'kibana')).toEqual(['ns:traefik', 'search-setup']);
  });

  test("Grafana's logs datasource: a template in the password's Secret, labelled for the sidecar; the logs panel on it", () => {
    const es = find(dev, 'ExternalSecret', 'grafana-elasticsearch');
    expect(es.spec.target.template.metadata.labels).toEqual({ grafana_datasource: '1' });
    const datasource = es.spec.target.template.data['ecommerce-elasticsearch-datasource.yaml'] as string;
    expect(datasource).toContain('url: http://elasticsearch.ecommerce.svc.cluster.local:9200');
    expect(datasource).toContain('basicAuthUser: grafana');
    expect(datasource).toContain('basicAuthPassword: {{ .PASSWORD | toJson }}');
    const overview = JSON.parse((find(dev, 'ConfigMap', 'ecommerce').data as Record<string, string>)['ecommerce.json']) as {
      panels: Doc[];
    };
    const logs = overview.panels.find((p) => p.type === 'logs')!;
    expect(logs.datasource).toEqual({ type: 'elasticsearch', uid: 'ecommerce-logs' });
    expect(logs.targets[0].query).toBe('kubernetes.namespace_name:"ecommerce"');
    expect(policySources(dev, 'elasticsearch')).toContain('ns:monitoring');
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

  test('error tracking is the external service: DSNs from Secrets Manager, no GlitchTip', () => {
    expect(envOf(container(prod, 'Deployment', 'backend')).SENTRY_DSN).toEqual({
      secretKeyRef: { name: 'error-tracking-dsn', key: 'BACKEND_DSN' },
    });
    expect(prod.filter((o) => String(o.metadata.name).startsWith('glitchtip'))).toEqual([]);
  });

  test('nothing but the gateway is exposed: no object store server, no console, no tools ingress, no Kibana ingress', () => {
    expect(names(prod, 'StatefulSet')).toEqual(['mongodb', 'elasticsearch']);
    expect(names(prod, 'Ingress')).toEqual(['gateway']);
    expect(policySources(prod, 'kibana')).toEqual(['search-setup']);
    const kibana = parse((find(prod, 'ConfigMap', 'kibana-config').data as Record<string, string>)['kibana.yml']);
    expect(kibana['server.publicBaseUrl']).toBe('http://localhost:5601');
  });

  test("Grafana's logs datasource over HTTPS: the cluster's CA copied next to the password, by an account that may get only that Secret", () => {
    const es = find(prod, 'ExternalSecret', 'grafana-elasticsearch');
    expect(es.spec.data).toContainEqual({
      secretKey: 'CA_CERT',
      sourceRef: { storeRef: { name: 'in-namespace', kind: 'SecretStore' } },
      remoteRef: { key: 'elasticsearch-tls', property: 'ca.crt' },
    });
    const datasource = parse(
      (es.spec.target.template.data['ecommerce-elasticsearch-datasource.yaml'] as string)
        .replace('{{ .PASSWORD | toJson }}', '"pw"')
        .replace('{{ .CA_CERT | toJson }}', JSON.stringify('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')),
    ).datasources[0];
    expect(datasource).toMatchObject({
      url: 'https://elasticsearch.ecommerce.svc.cluster.local:9200',
      jsonData: { tlsAuthWithCACert: true },
      secureJsonData: { tlsCACert: expect.stringContaining('BEGIN CERTIFICATE') },
    });
    // The host Grafana verifies is one the server certificate carries.
    expect(find(prod, 'Certificate', 'elasticsearch-tls').spec.dnsNames).toContain('elasticsearch.ecommerce.svc.cluster.local');
    expect(find(prod, 'Role', 'external-secrets-in-namespace').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['elasticsearch-tls'] },
    ]);
    expect(policySources(prod, 'elasticsearch')).toContain('ns:monitoring');
    const overview = JSON.parse((find(prod, 'ConfigMap', 'ecommerce').data as Record<string, string>)['ecommerce.json']) as {
      panels: Doc[];
    };
    expect(overview.panels.find((p) => p.type === 'logs')!.datasource).toEqual({ type: 'elasticsearch', uid: 'ecommerce-logs' });
  });

  test("Elasticsearch: the seed's cluster name, 3 nodes with 1g heaps across zones, TLS from the namespace CA, snapshots through IRSA", () => {
    const sts = find(prod, 'StatefulSet', 'elasticsearch');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    expect(envOf(sts.spec.template.spec.containers[0]).ES_JAVA_OPTS).toBe('-Xms1g -Xmx1g');
    const settings = parse((find(prod, 'ConfigMap', 'elasticsearch-settings').data as Record<string, string>)['elasticsearch.yml']);
    expect(settings).toMatchObject({ 'cluster.name': 'ecommerce-prod', 'xpack.security.http.ssl.enabled': true });
    expect(find(prod, 'Certificate', 'elasticsearch-tls').spec.issuerRef).toEqual({
      name: 'internal-ca',
      kind: 'Issuer',
      group: 'cert-manager.io',
    });
    expect(find(prod, 'ServiceAccount', 'elasticsearch').metadata.annotations).toMatchObject({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ecommerce-prod-search-snapshots',
    });
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
    // Only the apps reach the error tracker (dev; prod runs none).
    expect(into('glitchtip-web')).toEqual(env === 'dev' ? ['backend', 'gateway'] : []);
    // Only Kibana, the setup Job, the log shipper, the nodes themselves, Prometheus (the exporter) and Grafana (logs) reach Elasticsearch.
    expect(into('elasticsearch')).toEqual(['elasticsearch', 'grafana', 'kibana', 'log-shipper', 'prometheus', 'search-setup']);
    expect(into('kibana')).toEqual(env === 'dev' ? ['ingress-controller', 'search-setup'] : ['search-setup']);
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
    [
      'an error-tracking mode that does not exist',
      'dev',
      (c) => (c.stacks.ecommerce.errorTracking.mode = 'sentry'),
      "stacks.ecommerce.errorTracking.mode: got \"sentry\"; expected one of 'in-cluster', 'external', 'disabled'",
    ],
    [
      'in-cluster error tracking without its server',
      'dev',
      (c) => delete c.stacks.ecommerce.errorTracking.server,
      "stacks.ecommerce.errorTracking.server: got nothing; expected the GlitchTip server's image",
    ],
    [
      'a server with external error tracking',
      'dev',
      (c) => (c.stacks.ecommerce.errorTracking.mode = 'external'),
      'stacks.ecommerce.errorTracking.server: got "{...}"; expected nothing with mode \'external\'',
    ],
    [
      'a GlitchTip image that is not pinned',
      'dev',
      (c) => (c.stacks.ecommerce.errorTracking.server.image = 'glitchtip/glitchtip:latest'),
      'stacks.ecommerce.errorTracking.server.image: got "glitchtip/glitchtip:latest"; expected',
    ],
    [
      'a heap above half the memory limit',
      'dev',
      (c) => (c.stacks.ecommerce.search.heap = '768m'),
      'stacks.ecommerce.search.heap: got "768m"; expected at most half of search.resources.memoryLimit (1Gi)',
    ],
    [
      'an even number of nodes',
      'prod',
      (c) => (c.stacks.ecommerce.search.nodes = 2),
      'stacks.ecommerce.search.nodes: got 2; expected an odd number of nodes (1, 3, 5 or 7)',
    ],
    [
      'several nodes without TLS',
      'dev',
      (c) => (c.stacks.ecommerce.search.nodes = 3),
      'stacks.ecommerce.search.tls: got false; expected true with 3 nodes',
    ],
    [
      'Elasticsearch without TLS in prod',
      'prod',
      (c) => (c.stacks.ecommerce.search.tls = false),
      'stacks.ecommerce.search.tls: got false; expected true in a prod profile',
    ],
    [
      'a heap in kilobytes',
      'dev',
      (c) => (c.stacks.ecommerce.search.heap = '524288k'),
      "stacks.ecommerce.search.heap: got \"524288k\"; expected a JVM heap size such as '512m' or '1g'",
    ],
    [
      'a snapshot folder with a trailing slash',
      'dev',
      (c) => (c.stacks.ecommerce.search.snapshots.prefix = 'elasticsearch/'),
      'stacks.ecommerce.search.snapshots.prefix: got "elasticsearch/"; expected a folder',
    ],
    [
      'a Unix cron for the snapshots',
      'dev',
      (c) => (c.stacks.ecommerce.search.snapshots.schedule = '30 1 * * *'),
      'stacks.ecommerce.search.snapshots.schedule: got "30 1 * * *"; expected an Elasticsearch cron expression with seconds first',
    ],
    [
      "Kibana's ingress in prod",
      'prod',
      (c) => (c.stacks.ecommerce.kibana.ingress = { enabled: true, host: 'kibana.example.com' }),
      'stacks.ecommerce.kibana.ingress.enabled: got true; expected false: kibana.ingress is a development tool',
    ],
    [
      "Kibana's ingress without a host",
      'dev',
      (c) => delete c.stacks.ecommerce.kibana.ingress.host,
      'stacks.ecommerce.kibana.ingress.host: got nothing; expected the host Kibana is reached on',
    ],
  ])('%s fails naming the field', (_name, env, change, message) => {
    const c = cfg(env);
    change(c);
    expect(configProblems(c)).toContain(message);
  });
});

describe('ecommerce README', () => {
  /** The workloads of both halves, as the README's resource table lists them. */
  const ROWS: Array<[string, 'Deployment' | 'StatefulSet' | 'DaemonSet', string]> = [
    ['gateway', 'Deployment', 'gateway'],
    ['backend', 'Deployment', 'backend'],
    ['MongoDB (+ exporter)', 'StatefulSet', 'mongodb'],
    ['MinIO (dev only)', 'StatefulSet', 'minio'],
    ['Elasticsearch (+ exporter)', 'StatefulSet', 'elasticsearch'],
    ['Kibana', 'Deployment', 'kibana'],
    ['GlitchTip web (dev only)', 'Deployment', 'glitchtip-web'],
    ['GlitchTip worker (dev only)', 'Deployment', 'glitchtip-worker'],
    ['GlitchTip PostgreSQL (+ exporter, dev only)', 'StatefulSet', 'glitchtip-postgres'],
    ['GlitchTip Redis (+ exporter, dev only)', 'StatefulSet', 'glitchtip-redis'],
    ['log shipper (Fluent Bit, per node; not in the total)', 'DaemonSet', 'log-shipper'],
  ];
  const mi = (bytes: number) => `${bytes / 1024 ** 2}Mi`;
  const cell = (objects: Doc[], kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', name: string): string => {
    if (!objects.some((o) => o.kind === kind && o.metadata.name === name)) return '– | – | –';
    const t = workloadTotals(objects, kind, name);
    const pods = kind === 'DaemonSet' ? 'each node' : `${t.pods} ${t.pods === 1 ? 'pod' : 'pods'}`;
    return `${pods}: ${t.cpuRequestMillis}m | ${mi(t.memoryRequestBytes)} | ${mi(t.memoryLimitBytes)}`;
  };
  /** The table, rendered from the synthesized objects. */
  function table(): string {
    const total = (objects: Doc[]) => {
      const t = resourceTotals(objects).steady;
      return `${t.cpuRequestMillis}m | ${mi(t.memoryRequestBytes)} | ${mi(t.memoryLimitBytes)}`;
    };
    return [
      '| E-commerce (steady state) | dev pods: CPU request | dev memory request | dev memory limit | prod pods: CPU request | prod memory request | prod memory limit |',
      '|---|---|---|---|---|---|---|',
      ...ROWS.map(([label, kind, name]) => `| ${label} | ${cell(dev, kind, name)} | ${cell(prod, kind, name)} |`),
      `| **total** | ${total(dev)} | ${total(prod)} |`,
    ].join('\n');
  }

  test('the resource table is what the charts synthesize (both halves: apps and data, search)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(table());
  });
});
