import type { IContainer } from 'kubernetes-models/v1/Container';
import { loadEnvironment } from '../../config';
import { postgresRecreateRestoreScript, postgresSafetyDumpScript } from '../../lib/constructs/backup/backup-scripts';
import { memoryBytes } from '../../lib/core/formats';
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
import { envConfig, find, synthStack } from '../support/synth';
import { Doc } from '../support/doc';

const dev = synthStack('pagodirecto', loadEnvironment(envConfig('dev')));
const prod = synthStack('pagodirecto', loadEnvironment(envConfig('prod')));
const container = (objects: readonly Doc[], kind: string, name: string, i = 0): Doc =>
  find(objects, kind, name).spec.template.spec.containers[i];
const SCHEMAS = ['identity', 'customers', 'sales', 'catalog', 'billing', 'payments', 'communications', 'audit'];

describe.each([
  ['dev', dev],
  ['prod', prod],
])('pagodirecto %s', (name, objects) => {
  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('namespace pagodirecto enforces Pod Security restricted', () => {
    expectRestrictedNamespace(objects, 'pagodirecto');
  });

  test('every pod is restricted, pinned, resourced and tokenless', () => {
    expectRestrictedPods(objects, name === 'dev' ? 7 : 5);
  });

  test('long-running containers have readiness and liveness probes', () => {
    expectProbes(objects);
  });

  test('no secret value is rendered', () => {
    expectNoSecretValues(objects);
  });

  test('every object carries the stack labels', () => {
    for (const o of objects)
      expect([o.kind, o.metadata.name, o.metadata.labels?.['app.kubernetes.io/part-of']]).toEqual([o.kind, o.metadata.name, 'pagodirecto']);
  });

  test('backend: Spring Boot probes, JVM sized from the limit, secrets and CORS from config', () => {
    const backend = container(objects, 'Deployment', 'backend');
    const env = envOf(backend);
    expect(backend.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(backend.readinessProbe.httpGet.path).toBe('/actuator/health/readiness');
    expect(backend.livenessProbe.httpGet.path).toBe('/actuator/health/liveness');
    expect(backend.startupProbe.httpGet.path).toBe('/actuator/health/liveness');
    expect(backend.startupProbe.failureThreshold * backend.startupProbe.periodSeconds).toBeGreaterThanOrEqual(120);
    expect(backend.securityContext.runAsUser).toBe(name === 'prod' ? 1001 : 101); // dev: the nginx stand-in's uid
    expect(env.JAVA_TOOL_OPTIONS).toMatch(/^-XX:\+UseG1GC .*-XX:MaxRAMPercentage=75\.0 .*-XX:\+ExitOnOutOfMemoryError/);
    expect(env.JAVA_TOOL_OPTIONS).not.toMatch(/-Xmx/);
    expect(env).toMatchObject({
      SERVER_PORT: '8080',
      SERVER_SHUTDOWN: 'graceful',
      SPRING_PROFILES_ACTIVE: name,
      // TLS, server verified against the mounted CA (Flyway uses the same URL).
      SPRING_DATASOURCE_URL:
        'jdbc:postgresql://postgres.pagodirecto.svc.cluster.local:5432/pagodirecto_crm?sslmode=verify-full&sslrootcert=/etc/postgresql-ca/ca.crt',
      SPRING_DATASOURCE_USERNAME: 'pagodirecto_app',
      SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE: name === 'prod' ? '20' : '10',
      SPRING_DATASOURCE_HIKARI_MINIMUMIDLE: name === 'prod' ? '5' : '2',
      SPRING_FLYWAY_USER: 'pagodirecto_owner',
      MANAGEMENT_METRICS_DISTRIBUTION_PERCENTILESHISTOGRAM_HTTP_SERVER_REQUESTS: 'true',
      APP_TENANT_SETTING: 'app.tenant_id',
      SPRING_DATASOURCE_PASSWORD: { secretKeyRef: { name: 'postgres-credentials', key: 'APP_PASSWORD' } },
      SPRING_FLYWAY_PASSWORD: { secretKeyRef: { name: 'postgres-credentials', key: 'OWNER_PASSWORD' } },
      JWT_SECRET: { secretKeyRef: { name: 'backend-secrets', key: 'JWT_SECRET' } },
    });
    expect(env.CORS_ALLOWED_ORIGINS).toBe(
      name === 'prod' ? 'https://crm.pagodirecto.example' : 'http://localhost:3000,https://crm.pagodirecto.localtest.me',
    );
    const deploy = find(objects, 'Deployment', 'backend');
    expect(deploy.spec.template.spec.volumes).toContainEqual({
      name: 'secret-0',
      secret: { secretName: 'postgres-tls', defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(backend.volumeMounts).toContainEqual({ name: 'secret-0', mountPath: '/etc/postgresql-ca', readOnly: true });
    expect(deploy.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    // Graceful shutdown: preStop drain + Spring's shutdown phase fit in the grace period.
    expect(backend.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    expect(env.SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE).toBe('30s');
    expect(deploy.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(10 + 30);
    const monitor = find(objects, 'ServiceMonitor', 'backend');
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/actuator/prometheus' })]);
  });

  test('frontend: unprivileged nginx serving the SPA from a ConfigMap nginx.conf', () => {
    const deploy = find(objects, 'Deployment', 'frontend');
    const c = deploy.spec.template.spec.containers[0];
    expect(c.securityContext).toMatchObject({ runAsUser: 101, readOnlyRootFilesystem: true });
    expect(c.readinessProbe.httpGet.path).toBe('/health');
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'config-0', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
        { name: 'app-rw-0', mountPath: '/tmp' },
      ]),
    );
    expect(deploy.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    const conf = find(objects, 'ConfigMap', 'frontend-config').data['nginx.conf'];
    expect(conf).toMatch(/^pid \/tmp\/nginx\.pid;$/m);
    expect(conf).toMatch(/^\s+listen 8080;$/m);
    expect(conf).toMatch(/^\s+gzip on;$/m);
    expect(conf).toMatch(/location = \/health \{[^}]*return 200/);
    expect(conf).toMatch(/location = \/index\.html \{\s+add_header Cache-Control "no-cache, no-store, must-revalidate" always;/);
    expect(conf).toMatch(/location \^~ \/assets\/ \{[^}]*immutable[^}]*try_files \$uri =404;/);
    expect(conf).toMatch(/try_files \$uri \$uri\/ \/index\.html;/);
  });

  test('postgres 16: database, eight schemas, extensions, least-privilege roles, row-level security', () => {
    const sts = find(objects, 'StatefulSet', 'postgres');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const [pg] = sts.spec.template.spec.containers;
    expect(pg.image).toMatch(/^postgres:16\./);
    expect(envOf(pg).POSTGRES_DB).toBe('pagodirecto_crm');
    const init = find(objects, 'ConfigMap', 'postgres-init').data['10-init-database.sh'];
    for (const schema of SCHEMAS) expect(init).toContain(`CREATE SCHEMA IF NOT EXISTS "${schema}" AUTHORIZATION "pagodirecto_owner";`);
    for (const ext of ['uuid-ossp', 'pgcrypto', 'pg_stat_statements', 'pg_trgm'])
      expect(init).toContain(`CREATE EXTENSION IF NOT EXISTS "${ext}";`);
    expect(init).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "customers" TO "pagodirecto_app";');
    expect(init).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA "customers" TO "pagodirecto_readonly";');
    expect(init).toContain(`ALTER DATABASE :"dbname" SET app.tenant_id = '';`);
    expect(init).toContain('ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY');
    expect(init).toContain('CREATE EVENT TRIGGER tenant_isolation ON ddl_command_end');
    expect(init).toMatch(/NOBYPASSRLS/);
  });

  test('postgres tuning: memory settings derived from the memory limit and max_connections', () => {
    const conf = find(objects, 'ConfigMap', 'postgres-config').data['postgresql.conf'];
    // 25 %, 75 %, 1/16 of the limit; work_mem (limit - shared_buffers) / max_connections
    const expected =
      name === 'prod'
        ? {
            shared_buffers: "'512MB'",
            effective_cache_size: "'1536MB'",
            maintenance_work_mem: "'128MB'",
            work_mem: "'10MB'",
            max_connections: '150',
          }
        : {
            shared_buffers: "'128MB'",
            effective_cache_size: "'384MB'",
            maintenance_work_mem: "'32MB'",
            work_mem: "'7MB'",
            max_connections: '50',
          };
    for (const [k, v] of Object.entries({
      ...expected,
      random_page_cost: '1.1',
      autovacuum: 'on',
      log_lock_waits: 'on',
      log_checkpoints: 'on',
    })) {
      expect(conf).toContain(`\n${k} = ${v}\n`);
    }
    expect(conf).toMatch(/shared_preload_libraries = 'pg_stat_statements'/);
    const pg = container(objects, 'StatefulSet', 'postgres');
    if (name === 'prod') expect(pg.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } });
    else expect(memoryBytes(pg.resources.limits.memory)).toBeLessThanOrEqual(memoryBytes('512Mi'));
  });

  test('network policies hold exactly the declared graph', () => {
    expect(find(objects, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policySources(objects, 'frontend')).toEqual(['ns:traefik']);
    expect(policySources(objects, 'backend')).toEqual(['ns:monitoring', 'ns:traefik']);
    expect(policyDestinations(objects, 'frontend')).toEqual([]);
    expect(policyDestinations(objects, 'backend')).toEqual(['postgres:5432']);
    const pgSources = [
      'backend',
      'ns:monitoring',
      'postgres-backup',
      'postgres-reconcile',
      'postgres-restore',
      ...(name === 'dev' ? ['adminer'] : ['postgres-promote', 'postgres-replica']),
      // prod: point-in-time recovery's base backups (pg_basebackup).
      ...(name === 'prod' ? ['postgres-basebackup'] : []),
    ].sort();
    expect(policySources(objects, 'postgres')).toEqual(pgSources);
    if (name === 'prod') {
      // The standby streams from the primary; the promotion Job reaches both (to fence and to promote).
      // ... and, with point-in-time recovery, carries the archiver so a promoted standby keeps archiving WAL to S3.
      expect(policyDestinations(objects, 'postgres-replica')).toEqual(['0.0.0.0/0:443', 'postgres:5432']);
      const replica = find(objects, 'StatefulSet', 'postgres-replica').spec.template.spec;
      const primary = find(objects, 'StatefulSet', 'postgres').spec.template.spec;
      expect(replica.serviceAccountName).toBe(primary.serviceAccountName);
      expect(replica.containers.map((c: Doc) => c.name)).toContain('wal-ship');
      expect(replica.containers.find((c: Doc) => c.name === 'wal-ship').env).toEqual(
        primary.containers.find((c: Doc) => c.name === 'wal-ship').env,
      );
      expect(policyDestinations(objects, 'postgres-promote')).toEqual(['postgres-replica:5432', 'postgres:5432'].sort());
    }
    const s3 = name === 'dev' ? 'localstack:4566' : '0.0.0.0/0:443';
    // prod: the wal-ship sidecar in the PostgreSQL pod uploads WAL to S3, and the PITR restore reaches S3 only.
    expect(policyDestinations(objects, 'postgres')).toEqual(name === 'prod' ? [s3] : []);
    expect(policyDestinations(objects, 'postgres-backup')).toEqual(['postgres:5432', s3].sort());
    expect(policyDestinations(objects, 'postgres-restore')).toEqual(['postgres:5432', s3].sort());
    if (name === 'prod') {
      expect(policyDestinations(objects, 'postgres-basebackup')).toEqual(['postgres:5432', s3].sort());
      expect(policyDestinations(objects, 'postgres-pitr-restore')).toEqual([s3]);
    }
    if (name === 'dev') {
      expect(policySources(objects, 'adminer')).toEqual([]);
      expect(policyDestinations(objects, 'adminer')).toEqual(['postgres:5432']);
      expect(policySources(objects, 'localstack')).toEqual(['postgres-backup', 'postgres-restore']);
    }
  });

  test('edge: one host and certificate, / -> frontend, /api -> backend, stricter limit on auth', () => {
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(
      ingresses.map((i) => [
        i.metadata.name,
        i.spec.rules[0].http.paths.map((p: Doc) => `${p.path}->${p.backend.service.name}:${p.backend.service.port.number}`),
      ]),
    ).toEqual([
      ['edge', ['/->frontend:8080']],
      ['edge-api', ['/api->backend:8080']],
      ['edge-auth', ['/api/v1/auth->backend:8080']],
    ]);
    const host = name === 'prod' ? 'crm.pagodirecto.example' : 'crm.pagodirecto.localtest.me';
    for (const i of ingresses) {
      expect(i.spec.tls).toEqual([{ hosts: [host], secretName: 'edge-tls' }]);
      expect(i.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints']).toBe('websecure');
    }
    // Only one Ingress asks cert-manager for the certificate the others share.
    expect(ingresses.map((i) => i.metadata.annotations['cert-manager.io/cluster-issuer'])).toEqual([
      name === 'prod' ? 'letsencrypt-prod' : 'local-ca',
      undefined,
      undefined,
    ]);
    const chain = (i: Doc) => i.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'].split(',');
    const mw = (n: string) => `pagodirecto-edge-${n}@kubernetescrd`;
    expect(chain(ingresses[0])).toEqual([mw('security-headers'), mw('cors'), mw('body-limit'), mw('compress')]);
    expect(chain(ingresses[1])).toEqual([mw('security-headers'), mw('cors'), mw('api-rate-limit'), mw('body-limit'), mw('compress')]);
    expect(chain(ingresses[2])).toEqual([mw('security-headers'), mw('cors'), mw('auth-rate-limit'), mw('body-limit'), mw('compress')]);
    expect(find(objects, 'Middleware', 'edge-api-rate-limit').spec.rateLimit).toEqual({
      average: 10,
      burst: 20,
      period: '1s',
      sourceCriterion: { ipStrategy: { depth: 0 } },
    });
    expect(find(objects, 'Middleware', 'edge-auth-rate-limit').spec.rateLimit).toEqual({
      average: 5,
      burst: 5,
      period: '1m',
      sourceCriterion: { ipStrategy: { depth: 0 } },
    });
    const headers = find(objects, 'Middleware', 'edge-security-headers').spec.headers;
    expect(headers).toMatchObject({
      frameDeny: true,
      contentTypeNosniff: true,
      stsSeconds: 31536000,
      stsIncludeSubdomains: true,
      referrerPolicy: 'strict-origin-when-cross-origin',
    });
    expect(headers.contentSecurityPolicy).toMatch(/^default-src 'self'; .*frame-ancestors 'none'/);
    expect(find(objects, 'Middleware', 'edge-cors').spec.headers.accessControlAllowOriginList).toEqual(
      envOf(container(objects, 'Deployment', 'backend')).CORS_ALLOWED_ORIGINS.split(','),
    );
    expect(find(objects, 'Middleware', 'edge-body-limit').spec.buffering).toEqual({ maxRequestBodyBytes: 10485760 });
    expect(find(objects, 'Middleware', 'edge-compress').spec).toEqual({ compress: {} });
  });

  test('backups: daily, verified, 30-day retention; restore = verify, safety dump + upload, recreate, verify', () => {
    const cj = find(objects, 'CronJob', 'postgres-backup');
    expect(cj.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', suspend: false });
    expect(envOf(cj.spec.jobTemplate.spec.template.spec.containers[0]).RETENTION_DAYS).toBe('30');
    const restore = find(objects, 'CronJob', 'postgres-restore');
    expect(restore.spec.suspend).toBe(true);
    const pod = restore.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: IContainer) => [c.name, c.command?.[1]])).toEqual([
      ['download', '/scripts/download.sh'],
      ['safety-dump', '/scripts/safety-dump.sh'],
      ['safety-upload', '/scripts/upload.sh'],
    ]);
    expect(pod.containers.map((c: IContainer) => [c.name, c.command?.[1]])).toEqual([['restore', '/scripts/restore.sh']]);
    expect(envOf(pod.initContainers[2]).S3_PREFIX).toBe('pagodirecto/postgres/pre-restore');
    expect(envOf(pod.containers[0])).toMatchObject({ PGUSER: 'postgres', PGDATABASE: 'pagodirecto_crm', RESTORE_KEEP_PREVIOUS: 'no' });
    const scripts = find(objects, 'ConfigMap', 'postgres-backup-scripts').data;
    expect(scripts['restore.sh']).toBe(postgresRecreateRestoreScript);
    expect(scripts['safety-dump.sh']).toBe(postgresSafetyDumpScript);
  });

  test('monitoring: ServiceMonitors and the seed SLO alerts', () => {
    expect(
      objects
        .filter((o) => o.kind === 'ServiceMonitor')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['backend', 'postgres', ...(name === 'prod' ? ['postgres-replica'] : [])]);
    const rules = find(objects, 'PrometheusRule', 'pagodirecto').spec.groups.flatMap((g: Doc) => g.rules);
    const byName = Object.fromEntries(rules.map((r: Doc) => [r.alert, r]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'BackendDown',
        'BackendHighLatency',
        'BackendHighErrorRatio',
        'BackendConnectionPoolSaturated',
        'PostgresDown',
        'DatabaseConnectionsHigh',
        'PostgresBackupMissing',
        'PostgresBackupFailed',
      ]),
    );
    expect(byName.BackendHighLatency.expr).toMatch(
      /histogram_quantile\(0\.95, .*http_server_requests_seconds_bucket\{namespace="pagodirecto",job="backend".*\) > 0\.2$/,
    );
    expect(byName.BackendConnectionPoolSaturated.expr).toContain('hikaricp_connections_active{namespace="pagodirecto",job="backend"}');
    expect(byName.DatabaseConnectionsHigh.expr).toMatch(name === 'prod' ? /> 120$/ : /> 40$/);
    expect(byName.PostgresBackupMissing.expr).toContain('cronjob="postgres-backup"');
    for (const m of [...objects.filter((o) => o.kind === 'ServiceMonitor'), find(objects, 'PrometheusRule', 'pagodirecto')])
      expect(m.metadata.labels.release).toBe('kube-prometheus-stack');
    const dashboard = find(objects, 'ConfigMap', 'pagodirecto');
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(Object.values(dashboard.data).join('')).toContain('hikaricp_connections_active');
  });
});

describe('pagodirecto dev vs prod', () => {
  test('Adminer, LocalStack and stand-ins only in dev', () => {
    for (const [n, kind] of [
      ['adminer', 'Deployment'],
      ['localstack', 'StatefulSet'],
    ]) {
      expect(dev.some((o) => o.kind === kind && o.metadata.name === n)).toBe(true);
      expect(prod.some((o) => o.metadata.name === n)).toBe(false);
    }
    expect(envOf(container(dev, 'Deployment', 'adminer'))).toMatchObject({
      ADMINER_DEFAULT_SERVER: 'postgres.pagodirecto.svc.cluster.local',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/postgresql-ca/ca.crt',
    });
    expect(container(dev, 'Deployment', 'backend').image).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(container(dev, 'Deployment', 'frontend').image).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(container(prod, 'Deployment', 'backend').image).toBe('ghcr.io/pagodirecto/backend:1.0.0');
    expect(container(prod, 'Deployment', 'frontend').image).toBe('ghcr.io/pagodirecto/frontend:1.0.0');
    // The dev frontend stand-in serves the real SPA config, not the generic stand-in one.
    expect(find(dev, 'ConfigMap', 'frontend-config').data['nginx.conf']).toBe(
      find(prod, 'ConfigMap', 'frontend-config').data['nginx.conf'],
    );
  });

  test('prod: HPA owns backend and frontend replicas, PDBs, zone spread; 1.5 GiB / 2 CPU backend', () => {
    for (const n of ['backend', 'frontend']) {
      expect(find(prod, 'Deployment', n).spec.replicas).toBeUndefined();
      expect(find(prod, 'HorizontalPodAutoscaler', n).spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
      expect(find(prod, 'PodDisruptionBudget', n).spec.maxUnavailable).toBe(1);
      expect(find(prod, 'Deployment', n).spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
      expect(find(dev, 'Deployment', n).spec.replicas).toBe(1);
    }
    expect(container(prod, 'Deployment', 'backend').resources).toEqual({
      requests: { cpu: '1', memory: '1536Mi' },
      limits: { cpu: '2', memory: '1536Mi' },
    });
    expect(dev.some((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  test('secrets generated once in dev, from AWS Secrets Manager in prod; backups to LocalStack in dev, S3 via IRSA in prod', () => {
    expect(find(dev, 'ExternalSecret', 'postgres-credentials').spec.refreshPolicy).toBe('CreatedOnce');
    expect(find(dev, 'Password', 'postgres-credentials').spec.secretKeys).toEqual([
      'POSTGRES_PASSWORD',
      'OWNER_PASSWORD',
      'APP_PASSWORD',
      'READONLY_PASSWORD',
      'EXPORTER_PASSWORD',
    ]);
    expect(find(prod, 'ExternalSecret', 'backend-secrets').spec.data[0].remoteRef).toEqual({
      key: 'prod/pagodirecto/backend-secrets',
      property: 'JWT_SECRET',
    });
    const devUpload = envOf(find(dev, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0]);
    expect(devUpload.S3_ENDPOINT_URL).toBe('http://localstack.pagodirecto.svc.cluster.local:4566');
    expect(find(prod, 'ServiceAccount', 'postgres-backup').metadata.annotations['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::123456789012:role/pagodirecto-prod-backup',
    );
  });

  test("resource totals: dev fits well under the seed's 4 GB minimum", () => {
    const d = resourceTotals(dev);
    expect(d.steady.memoryLimitBytes + d.jobs.memoryLimitBytes).toBeLessThanOrEqual(memoryBytes('2560Mi'));
    expect(d.steady.memoryRequestBytes).toBeLessThanOrEqual(memoryBytes('1280Mi'));
    const p = resourceTotals(prod);
    // Seed production: 2 GB DB + 1.5 GB per backend + 512 MB per frontend (HA: two of each app).
    expect(p.steady.memoryLimitBytes).toBeGreaterThanOrEqual(memoryBytes('2Gi') + 2 * memoryBytes('1536Mi') + 2 * memoryBytes('512Mi'));
  });
});
