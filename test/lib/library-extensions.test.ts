/**
 * Library features added for PagoDirecto, usable by any stack: static-site nginx, JVM options,
 * Spring Boot environment, per-route edge rate limits, row-level security, recreate-style restore,
 * LocalStack.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { DatabaseBackup, DatabaseBackupProps } from '../../lib/constructs/backup/database-backup';
import { PostgresBackupEngine } from '../../lib/constructs/backup/postgres-backup-engine';
import { jvmToolOptions } from '../../lib/constructs/workloads/jvm-options';
import { LocalStack, LocalStackProps } from '../../lib/constructs/data/localstack';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { devLocalStack } from '../../lib/stack/stack-wiring';
import { PostgresInitSpec, renderInitSql } from '../../lib/constructs/data/postgres-config';
import { PostgresDatabase, PostgresDatabaseProps } from '../../lib/constructs/data/postgres-database';
import { springBootEnv } from '../../lib/constructs/workloads/spring-boot';
import { renderStaticSiteConfig } from '../../lib/constructs/workloads/static-site-config';
import { TlsIngress, TlsIngressProps } from '../../lib/constructs/network/tls-ingress';
import { WebService, WebServiceProps } from '../../lib/constructs/workloads/web-service';
import { Doc } from '../support/doc';

const resources = { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '256Mi' };
const web = (over: Partial<WebServiceProps> = {}): WebServiceProps => ({
  namespace: 'ns',
  name: 'web',
  partOf: 'app',
  image: 'repo/web:1.0.0',
  port: 8080,
  runAs: { user: 101 },
  resources,
  readinessPath: '/health',
  replicas: 1,
  ...over,
});
const synth = (build: (chart: Chart) => void): Doc[] => {
  const chart = Testing.chart();
  build(chart);
  return Testing.synth(chart);
};

describe('WebService staticSite', () => {
  test("mounts a rendered nginx.conf over the image's and rolls pods when it changes", () => {
    const out = synth((c) => new WebService(c, 'web', web({ staticSite: { immutablePaths: ['/static/'] } })));
    const cm = out.find((o) => o.kind === 'ConfigMap');
    expect(cm.metadata.name).toBe('web-config');
    expect(cm.data['nginx.conf']).toBe(
      renderStaticSiteConfig({ port: 8080, healthPath: '/health', immutablePaths: ['/static/'], tempDir: '/tmp' }),
    );
    const pod = out.find((o) => o.kind === 'Deployment').spec.template;
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({
      name: 'config-0',
      mountPath: '/etc/nginx/nginx.conf',
      subPath: 'nginx.conf',
      readOnly: true,
    });
    const other = synth((c) => new WebService(c, 'web', web({ staticSite: { immutablePaths: ['/assets/'] } })));
    expect(other.find((o) => o.kind === 'Deployment').spec.template.metadata.annotations['checksum/config']).not.toBe(
      pod.metadata.annotations['checksum/config'],
    );
  });

  test('a stand-in serves the same static-site config with the public nginx image', () => {
    const out = synth((c) => new WebService(c, 'web', web({ standIn: true, staticSite: {} })));
    expect(out.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(out.filter((o) => o.kind === 'ConfigMap').map((c) => Object.keys(c.data))).toEqual([['nginx.conf']]);
  });

  test.each([
    [
      'metrics on a static site',
      { staticSite: {}, metricsPath: '/metrics', release: 'kps' },
      /WebService 'web': metricsPath '\/metrics' is set with staticSite; expected no metricsPath/,
    ],
    [
      'a separate liveness path',
      { staticSite: {}, livenessPath: '/live' },
      /livenessPath '\/live' differs from readinessPath '\/health' with staticSite/,
    ],
    [
      'a config under /etc/nginx',
      { staticSite: {}, configs: [{ path: '/etc/nginx/conf.d', files: { 'x.conf': '' } }] },
      /configs mount under \/etc\/nginx with staticSite/,
    ],
    [
      'an immutable prefix without a trailing slash',
      { staticSite: { immutablePaths: ['/assets'] } },
      /WebService 'web': static site immutablePaths\[0\]: got "\/assets"; expected a path prefix starting and ending with '\/'/,
    ],
    ['a relative root', { staticSite: { root: 'html' } }, /static site root: got "html"; expected an absolute directory/],
  ])('rejects %s', (_, over, message) => {
    expect(() => new WebService(Testing.chart(), 'web', web(over as Partial<WebServiceProps>))).toThrow(message);
  });
});

describe('renderStaticSiteConfig', () => {
  const conf = renderStaticSiteConfig({ port: 8080 });
  test('SPA fallback, no-cache index.html, immutable hashed assets that 404 when missing, gzip, health', () => {
    expect(conf).toContain('try_files $uri $uri/ /index.html;');
    expect(conf).toMatch(/location = \/index\.html \{\n\s+add_header Cache-Control "no-cache, no-store, must-revalidate" always;/);
    expect(conf).toMatch(/location \^~ \/assets\/ \{[^}]*max-age=31536000, immutable[^}]*try_files \$uri =404;/);
    expect(conf).toMatch(/gzip_types [^;]*text\/css[^;]*application\/javascript/);
    expect(conf).toMatch(/location = \/health \{[^}]*return 200 '\{"status":"UP"\}';/);
    expect(conf).toContain('server_tokens off;');
    for (const dir of ['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path'])
      expect(conf).toMatch(new RegExp(`${dir} /tmp/`));
  });
  test('without SPA fallback unknown paths are 404', () => {
    expect(renderStaticSiteConfig({ port: 8080, spaFallback: false })).toContain('try_files $uri $uri/ =404;');
  });
  test.each([
    [{ port: 80 }, /port: got 80; expected an unprivileged port/],
    [{ port: 8080, healthPath: '/' }, /healthPath: got "\/"; expected an absolute URL path/],
    [{ port: 8080, healthPath: '/assets/health' }, /healthPath: got "\/assets\/health"; expected a path outside the immutable prefixes/],
    [{ port: 8080, immutablePaths: ['/a/', '/a/'] }, /immutablePaths: got \["\/a\/","\/a\/"\]; expected each prefix once/],
    [{ port: 8080, workerProcesses: 0 }, /workerProcesses: got 0; expected an integer between 1 and 64/],
    [{ port: 8080, tempDir: '/tmp/' }, /tempDir: got "\/tmp\/"; expected an absolute directory/],
    [{ port: 8080, defaultMaxAgeSeconds: -1 }, /defaultMaxAgeSeconds: got -1; expected an integer >= 0/],
  ])('rejects %j', (options, message) => {
    expect(() => renderStaticSiteConfig(options)).toThrow(message);
  });
});

describe('JVM options', () => {
  test('G1 with a heap share of the container limit, exit on OOM', () => {
    expect(jvmToolOptions({}, '1536Mi')).toBe(
      '-XX:+UseG1GC -XX:MaxGCPauseMillis=200 -XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50.0 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp',
    );
    expect(
      jvmToolOptions({ gc: 'Parallel', maxRamPercentage: 60, initialRamPercentage: 25, extraOptions: ['-Dfile.encoding=UTF-8'] }, '1Gi'),
    ).toBe(
      '-XX:+UseParallelGC -XX:MaxRAMPercentage=60.0 -XX:InitialRAMPercentage=25.0 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp -Dfile.encoding=UTF-8',
    );
  });
  test('WebService sets JAVA_TOOL_OPTIONS from jvm', () => {
    const out = synth((c) => new WebService(c, 'web', web({ jvm: { maxRamPercentage: 70 } })));
    const env = out.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
    expect(env).toEqual([{ name: 'JAVA_TOOL_OPTIONS', value: expect.stringContaining('-XX:MaxRAMPercentage=70.0') }]);
  });
  test.each([
    [
      'a heap share over 90%',
      { jvm: { maxRamPercentage: 95 } },
      /WebService 'web': jvm.maxRamPercentage: got 95; expected a number from 10 to 90/,
    ],
    [
      'an initial heap above the maximum',
      { jvm: { maxRamPercentage: 50, initialRamPercentage: 60 } },
      /jvm.initialRamPercentage: got 60; expected a number from 1 to maxRamPercentage \(50\)/,
    ],
    ['a fixed -Xmx', { jvm: { extraOptions: ['-Xmx1g'] } }, /jvm.extraOptions\[0\]: got "-Xmx1g"; expected no heap size option/],
    ['an option with a space', { jvm: { extraOptions: ['-Da=b c'] } }, /jvm.extraOptions\[0\]: got "-Da=b c"; expected one option/],
    [
      'a G1 pause goal with Parallel',
      { jvm: { gc: 'Parallel' as const, maxGcPauseMillis: 100 } },
      /jvm.maxGcPauseMillis: got 100; expected unset unless gc is 'G1'/,
    ],
    [
      'a tiny memory limit',
      { jvm: {}, resources: { ...resources, memoryRequest: '128Mi', memoryLimit: '128Mi' } },
      /jvm.memoryLimit: got "128Mi"; expected a container memory limit of at least 256Mi/,
    ],
    ['JAVA_TOOL_OPTIONS twice', { jvm: {}, env: { JAVA_TOOL_OPTIONS: '-Xmx1g' } }, /env.JAVA_TOOL_OPTIONS is set together with jvm/],
  ])('rejects %s', (_, over, message) => {
    expect(() => new WebService(Testing.chart(), 'web', web(over as Partial<WebServiceProps>))).toThrow(message);
  });
});

describe('springBootEnv', () => {
  test("actuator probes, histogram, graceful shutdown, Hikari datasource and Flyway user (the pool size is PostgresDatabase.client's)", () => {
    expect(
      springBootEnv({
        port: 8080,
        profiles: ['prod'],
        shutdownSeconds: 20,
        datasource: { host: 'pg.ns.svc', port: 5432, database: 'crm', username: 'app', migrationUsername: 'owner' },
      }),
    ).toEqual({
      SERVER_PORT: '8080',
      SERVER_SHUTDOWN: 'graceful',
      SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE: '20s',
      MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE: 'health,info,prometheus',
      MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED: 'true',
      MANAGEMENT_METRICS_DISTRIBUTION_PERCENTILESHISTOGRAM_HTTP_SERVER_REQUESTS: 'true',
      SPRING_PROFILES_ACTIVE: 'prod',
      SPRING_DATASOURCE_URL: 'jdbc:postgresql://pg.ns.svc:5432/crm',
      SPRING_DATASOURCE_USERNAME: 'app',
      SPRING_FLYWAY_USER: 'owner',
    });
  });
  test.each([
    [{ port: 80 }, /springBootEnv port: got 80/],
    [{ port: 8080, profiles: ['a b'] }, /profiles\[0\]: got "a b"/],
    [{ port: 8080, shutdownSeconds: 0 }, /shutdownSeconds: got 0; expected an integer >= 1/],
    [
      { port: 8080, datasource: { host: 'pg', port: 5432, database: 'crm', username: 'App' } },
      /datasource.username: got "App"; expected a PostgreSQL role name/,
    ],
  ])('rejects %j', (options, message) => {
    expect(() => springBootEnv(options as Doc)).toThrow(message);
  });
});

describe('TlsIngress per-route rate limits', () => {
  const props: TlsIngressProps = {
    namespace: 'ns',
    name: 'edge',
    host: 'a.example.com',
    className: 'traefik',
    clusterIssuer: 'ca',
    routes: [
      { path: '/', serviceName: 'web', servicePort: 8080 },
      { path: '/api/auth', serviceName: 'api', servicePort: 8080, name: 'auth', rateLimit: { average: 5, burst: 5, period: '1m' } },
      { path: '/public', serviceName: 'api', servicePort: 8080, name: 'public', rateLimit: 'none' },
    ],
    edge: { rateLimit: { average: 50, burst: 100 }, compress: true },
  };
  test('a route with its own limit gets its own Ingress for the same host and certificate', () => {
    let ing!: TlsIngress;
    const out = synth((c) => {
      ing = new TlsIngress(c, 'i', props);
    });
    expect(ing.ingresses.map((i) => i.name)).toEqual(['edge', 'edge-auth', 'edge-public']);
    expect(ing.middlewares).toEqual(['edge-security-headers', 'edge-rate-limit', 'edge-compress']);
    expect(ing.routeMiddlewares).toEqual({
      auth: ['edge-security-headers', 'edge-auth-rate-limit', 'edge-compress'],
      public: ['edge-security-headers', 'edge-compress'],
    });
    const ingresses = out.filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((i) => i.spec.tls[0].secretName)).toEqual(['edge-tls', 'edge-tls', 'edge-tls']);
    expect(ingresses.map((i) => 'cert-manager.io/cluster-issuer' in i.metadata.annotations)).toEqual([true, false, false]);
    expect(out.find((o) => o.kind === 'Middleware' && o.metadata.name === 'edge-auth-rate-limit').spec.rateLimit).toEqual({
      average: 5,
      burst: 5,
      period: '1m',
      sourceCriterion: { ipStrategy: { depth: 0 } },
    });
  });
  test.each([
    [
      'an own limit without a name',
      [
        { serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'w', servicePort: 1, rateLimit: 'none' as const },
      ],
      /routes\[1\] \(\/x\) has its own rateLimit but no name/,
    ],
    [
      'duplicate route names',
      [
        { serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'w', servicePort: 1, name: 'a' },
        { path: '/y', serviceName: 'w', servicePort: 1, name: 'a' },
      ],
      /routes\[2\].name 'a' is used twice/,
    ],
    [
      'a path routed twice',
      [
        { path: '/x', serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'v', servicePort: 1 },
      ],
      /routes\[1\].path '\/x' is routed twice/,
    ],
    [
      'a relative path',
      [{ path: 'api', serviceName: 'w', servicePort: 1 }],
      /routes\[0\].path 'api'; expected an absolute URL path prefix/,
    ],
    [
      'a bad route name',
      [
        { serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'w', servicePort: 1, name: 'Auth', rateLimit: 'none' as const },
      ],
      /routes\[1\].name 'Auth'; expected a DNS-1123 label/,
    ],
    [
      'no route with the shared settings',
      [{ path: '/x', serviceName: 'w', servicePort: 1, name: 'x', rateLimit: 'none' as const }],
      /every route has its own rateLimit; expected at least one route with the ingress-wide edge settings/,
    ],
    [
      'a bad period',
      [
        { serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'w', servicePort: 1, name: 'x', rateLimit: { average: 1, burst: 1, period: 'minute' } },
      ],
      /routes\[1\].rateLimit.period 'minute'; expected a duration/,
    ],
    [
      'a zero average',
      [
        { serviceName: 'w', servicePort: 1 },
        { path: '/x', serviceName: 'w', servicePort: 1, name: 'x', rateLimit: { average: 0, burst: 1 } },
      ],
      /routes\[1\].rateLimit.average 0; expected an integer >= 1/,
    ],
  ])('rejects %s', (_, routes, message) => {
    expect(() => new TlsIngress(Testing.chart(), 'i', { ...props, routes })).toThrow(message);
  });
});

describe('DatabaseBackup restoreMode', () => {
  const base: DatabaseBackupProps = {
    namespace: 'ns',
    partOf: 'app',
    name: 'db-backup',
    engine: new PostgresBackupEngine(),
    source: {
      image: 'postgres:16.9',
      runAsUser: 999,
      env: { PGHOST: 'db', PGUSER: 'postgres', PGDATABASE: 'app' },
      secretEnv: { PGPASSWORD: { secret: 'db', key: 'PASSWORD' } },
    },
    schedule: '0 2 * * *',
    retentionDays: 30,
    uploaderImage: 'amazon/aws-cli:2.22.35',
    resources,
    target: { bucket: 'my-backups', prefix: 'app/db/', region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/b' },
  };
  test('recreate: download, safety dump and its upload before the restore container', () => {
    const out = synth((c) => new DatabaseBackup(c, 'b', { ...base, engine: new PostgresBackupEngine({ restoreMode: 'recreate' }) }));
    const pod = out.find((o) => o.kind === 'CronJob' && o.metadata.name === 'db-restore').spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: IContainer) => c.name)).toEqual(['download', 'safety-dump', 'safety-upload']);
    expect(pod.initContainers[2].env).toContainEqual({ name: 'S3_PREFIX', value: 'app/db/pre-restore' });
    expect(Object.keys(out.find((o) => o.kind === 'ConfigMap').data).sort()).toEqual([
      'download.sh',
      'dump.sh',
      'restore.sh',
      'safety-dump.sh',
      'upload.sh',
    ]);
  });
  test('in-place stays the default', () => {
    const out = synth((c) => new DatabaseBackup(c, 'b', base));
    expect(
      out.find((o) => o.metadata.name === 'db-restore').spec.jobTemplate.spec.template.spec.initContainers.map((c: IContainer) => c.name),
    ).toEqual(['download']);
  });
  test('rejects an unknown mode', () => {
    expect(() => new PostgresBackupEngine({ restoreMode: 'swap' as 'recreate' })).toThrow(
      "PostgresBackupEngine: restoreMode 'swap'; expected 'in-place' or 'recreate'",
    );
  });
  test('rejects a mode without a restore', () => {
    expect(
      () =>
        new DatabaseBackup(Testing.chart(), 'b', {
          ...base,
          restore: false,
          engine: new PostgresBackupEngine({ restoreMode: 'recreate' }),
        }),
    ).toThrow(
      "DatabaseBackup 'db-backup': restore is false but engine 'postgres' was given restore options (restoreMode 'recreate'); expected restore true, or no restore options",
    );
  });
});

describe('LocalStack', () => {
  const props: LocalStackProps = {
    namespace: 'ns',
    partOf: 'app',
    image: 'localstack/localstack:4.0.3',
    resources,
    storage: { size: '2Gi', storageClassName: 'standard' },
    services: ['s3', 'sns', 'sqs', 'ses'],
    buckets: ['bk1', 'bk2'],
  };
  test('creates (or keeps) its buckets with versioning at every start', () => {
    const out = synth((c) => new LocalStack(c, 'l', props));
    const cm = out.find((o) => o.kind === 'ConfigMap');
    const init = cm.data['10-resources.sh'];
    expect(init).toContain(
      'awslocal s3api head-bucket --bucket bk1 2>/dev/null || awslocal s3 mb s3://bk1\nawslocal s3api put-bucket-versioning --bucket bk1 --versioning-configuration Status=Enabled\n',
    );
    expect(init).toContain('s3://bk2');
    const sts = out.find((o) => o.kind === 'StatefulSet');
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'init', configMap: { name: cm.metadata.name, defaultMode: 0o555 } });
  });
  test('keeps its volume directory on a retained PVC, restricted', () => {
    const out = synth((c) => new LocalStack(c, 'l', props));
    expect(out.filter((o) => o.kind === 'Deployment')).toEqual([]);
    const sts = out.find((o) => o.kind === 'StatefulSet');
    expect(sts.metadata.name).toBe('localstack');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'standard',
      resources: { requests: { storage: '2Gi' } },
    });
    const c = sts.spec.template.spec.containers[0];
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/localstack' });
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'SERVICES', value: 's3,sns,sqs,ses' }]));
    expect(c.readinessProbe.httpGet).toEqual({ path: '/_localstack/health', port: 'http' });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000 });
    expect(sts.spec.template.spec.securityContext.fsGroup).toBe(1000);
  });
  test("keeps its buckets' objects on the PVC: restored after the resources hook, saved at shutdown and every interval", () => {
    const out = synth((c) => new LocalStack(c, 'l', { ...props, mirrorIntervalSeconds: 600 }));
    const cms = Object.fromEntries(out.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data]));
    expect(Object.keys(cms['localstack-init'])).toEqual(['10-resources.sh', '20-restore-objects.sh']);
    expect(cms['localstack-init']['20-restore-objects.sh']).toBe(
      '#!/bin/sh\nexec /etc/localstack/s3-mirror/localstack-s3-mirror.sh restore\n',
    );
    expect(cms['localstack-shutdown']).toEqual({
      '10-save-objects.sh': '#!/bin/sh\nexec /etc/localstack/s3-mirror/localstack-s3-mirror.sh save\n',
    });
    expect(cms['localstack-s3-mirror']['localstack-s3-mirror.sh']).toContain('awslocal s3 sync "s3://$b" "$MIRROR_DIR/$b" --delete');
    const sts = out.find((o) => o.kind === 'StatefulSet');
    const pod = sts.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    const c = pod.containers[0];
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'S3_MIRROR_BUCKETS', value: 'bk1 bk2' },
        { name: 'S3_MIRROR_DIR', value: '/var/lib/localstack/s3-mirror' },
        { name: 'S3_MIRROR_INTERVAL_SECONDS', value: '600' },
      ]),
    );
    expect(c.env.map((e: { name: string }) => e.name)).not.toContain('PERSISTENCE');
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'shutdown', mountPath: '/etc/localstack/init/shutdown.d', readOnly: true },
        { name: 's3-mirror', mountPath: '/etc/localstack/s3-mirror', readOnly: true },
      ]),
    );
  });
  test('without buckets there is nothing to keep: no mirror hooks or env', () => {
    const out = synth((c) => new LocalStack(c, 'l', { ...props, services: ['sqs'], buckets: [] }));
    expect(out.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['localstack-init']);
    const c = out.find((o) => o.kind === 'StatefulSet').spec.template.spec.containers[0];
    expect(c.env.map((e: { name: string }) => e.name)).not.toContain('S3_MIRROR_BUCKETS');
  });
  test('creates its topics and queues and verifies its SES identities', () => {
    const out = synth(
      (c) =>
        new LocalStack(c, 'l', {
          ...props,
          topics: ['events', 'orders.fifo'],
          queues: ['jobs'],
          emailIdentities: ['example.com', 'noreply@example.com'],
        }),
    );
    const init = out.find((o) => o.kind === 'ConfigMap').data['10-resources.sh'];
    expect(init).toContain('awslocal sns create-topic --name events\n');
    expect(init).toContain('awslocal sns create-topic --name orders.fifo --attributes FifoTopic=true\n');
    expect(init).toContain('awslocal sqs create-queue --queue-name jobs\n');
    expect(init).toContain('awslocal ses verify-domain-identity --domain example.com\n');
    expect(init).toContain('awslocal ses verify-email-identity --email-address noreply@example.com\n');
  });
  test('the init script, run twice against a recording awslocal, creates a bucket once and sets everything each start', () => {
    const out = synth(
      (c) => new LocalStack(c, 'l', { ...props, buckets: ['bk1'], topics: ['t1'], queues: ['q1'], emailIdentities: ['a@example.com'] }),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localstack-init-'));
    try {
      fs.writeFileSync(path.join(dir, 'init.sh'), out.find((o) => o.kind === 'ConfigMap').data['10-resources.sh']);
      // A stand-in awslocal: logs its arguments; head-bucket fails until mb created the bucket.
      fs.writeFileSync(
        path.join(dir, 'awslocal'),
        '#!/bin/sh\necho "$*" >> "$LOG"\ncase "$*" in\n  "s3api head-bucket"*) [ -f "$STATE" ] ;;\n  "s3 mb"*) touch "$STATE" ;;\nesac\n',
        { mode: 0o755 },
      );
      const env = { PATH: `${dir}:/usr/bin:/bin`, LOG: path.join(dir, 'log'), STATE: path.join(dir, 'bucket') };
      execFileSync('sh', [path.join(dir, 'init.sh')], { env });
      const first = fs.readFileSync(env.LOG, 'utf8').trim().split('\n');
      fs.rmSync(env.LOG);
      execFileSync('sh', [path.join(dir, 'init.sh')], { env });
      const second = fs.readFileSync(env.LOG, 'utf8').trim().split('\n');
      const settings = [
        's3api put-bucket-versioning --bucket bk1 --versioning-configuration Status=Enabled',
        'sns create-topic --name t1',
        'sqs create-queue --queue-name q1',
        'ses verify-email-identity --email-address a@example.com',
      ];
      expect(first).toEqual(['s3api head-bucket --bucket bk1', 's3 mb s3://bk1', ...settings]);
      expect(second).toEqual(['s3api head-bucket --bucket bk1', ...settings]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('devLocalStack: nothing when disabled; enabled without storage names the field', () => {
    const chart = Testing.chart();
    const graph = new ServiceGraph(chart, 'graph', { namespace: 'ns', externals: {} });
    const cfg = { enabled: false, image: props.image, resources };
    expect(devLocalStack(chart, graph, cfg, { namespace: 'ns', partOf: 'app' })).toBeUndefined();
    expect(() => devLocalStack(chart, graph, { ...cfg, enabled: true }, { namespace: 'ns', partOf: 'app' })).toThrow(
      "localstack.storage is missing in 'ns'; expected a PVC such as { size: '2Gi', storageClassName: 'standard' }",
    );
  });
  test.each([
    ['an unknown service', { services: ['ec2'] }, /service 'ec2'; expected one of s3, ses/],
    [
      'a negative mirror interval',
      { mirrorIntervalSeconds: -1 },
      /mirrorIntervalSeconds -1; expected an integer from 0 \(only at shutdown\) to 86400/,
    ],
    ['a fractional mirror interval', { mirrorIntervalSeconds: 1.5 }, /mirrorIntervalSeconds 1.5; expected an integer/],
    ['buckets without s3', { services: ['sqs'] }, /buckets \["bk1","bk2"\] need the 's3' service/],
    ['topics without sns', { services: ['s3'], topics: ['t'] }, /topics \["t"\] need the 'sns' service/],
    ['queues without sqs', { services: ['s3'], queues: ['q'] }, /queues \["q"\] need the 'sqs' service/],
    [
      'identities without ses',
      { services: ['s3'], emailIdentities: ['example.com'] },
      /emailIdentities \["example.com"\] need the 'ses' service/,
    ],
    ['a bad bucket', { buckets: ['Bad_Bucket'] }, /bucket 'Bad_Bucket'; expected an S3 bucket name/],
    ['a bad topic', { topics: ['a b'] }, /topic 'a b'; expected an SNS topic or SQS queue name/],
    ['a bad queue', { queues: ['q;rm -rf /'] }, /queue 'q;rm -rf \/'; expected an SNS topic or SQS queue name/],
    ['a bad SES identity', { emailIdentities: ['$(id)@example.com'] }, /emailIdentities '\$\(id\)@example.com'; expected an SES identity/],
    ['no services', { services: [] }, /services is empty/],
  ])('rejects %s', (_, over, message) => {
    expect(() => new LocalStack(Testing.chart(), 'l', { ...props, ...over } as LocalStackProps)).toThrow(message);
  });
});

describe('row-level security', () => {
  const spec: PostgresInitSpec = {
    schemas: ['crm', 'audit'],
    extensions: ['uuid-ossp'],
    roles: [
      { name: 'owner', access: 'owner', connectionLimit: 5, passwordEnv: 'OWNER_PW' },
      { name: 'app', access: 'readwrite', connectionLimit: 5, passwordEnv: 'APP_PW' },
    ],
    rowLevelSecurity: { tenantSetting: 'app.tenant_id' },
  };
  test('renders the tenant setting, the helper, FORCEd policies and the event trigger inside the init transaction', () => {
    const sql = renderInitSql(spec);
    expect(sql.indexOf('ALTER DATABASE :"dbname" SET app.tenant_id = \'\';')).toBeGreaterThan(sql.indexOf('BEGIN;'));
    expect(sql.indexOf('CREATE EVENT TRIGGER tenant_isolation')).toBeLessThan(sql.indexOf('COMMIT;'));
    expect(sql).toContain("AS $fn$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $fn$;");
    expect(sql).toContain("ARRAY['crm', 'audit']::text[]");
    expect(sql).toContain('ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY');
    expect(sql).toContain('GRANT EXECUTE ON FUNCTION public.enable_tenant_isolation(regclass) TO "owner";');
    expect(sql).toContain('REVOKE ALL ON FUNCTION public.enable_tenant_isolation(regclass) FROM PUBLIC;');
  });
  test('tenant type, column and schemas are configurable', () => {
    const sql = renderInitSql({
      ...spec,
      rowLevelSecurity: { tenantSetting: 'crm.org', tenantColumn: 'org_id', tenantType: 'text', schemas: ['crm'] },
    });
    expect(sql).toContain("AS $fn$ SELECT NULLIF(current_setting('crm.org', true), '') $fn$;");
    expect(sql).toContain("a.attname = 'org_id'");
    expect(sql).toContain("ARRAY['crm']::text[]");
    expect(sql).not.toContain("'audit']::text[]");
  });
  test('no scaffolding without rowLevelSecurity', () => {
    expect(renderInitSql({ ...spec, rowLevelSecurity: undefined })).not.toMatch(/tenant|ROW LEVEL SECURITY/);
  });
  test.each([
    [{ tenantSetting: 'tenant_id' }, /rowLevelSecurity.tenantSetting: got "tenant_id"; expected a custom setting '<prefix>.<name>'/],
    [{ tenantSetting: 'pg_x.tenant' }, /rowLevelSecurity.tenantSetting: got "pg_x.tenant"/],
    [{ tenantSetting: 'app.tenant_id', tenantColumn: 'Tenant' }, /rowLevelSecurity.tenantColumn: got "Tenant"; expected an identifier/],
    [
      { tenantSetting: 'app.tenant_id', tenantType: 'json' },
      /rowLevelSecurity.tenantType: got "json"; expected one of "uuid", "bigint", "integer", "text"/,
    ],
    [
      { tenantSetting: 'app.tenant_id', schemas: ['nope'] },
      /rowLevelSecurity.schemas\[0\]: got "nope"; expected one of the spec's schemas \(crm, audit\)/,
    ],
    [{ tenantSetting: 'app.tenant_id', schemas: [] }, /rowLevelSecurity.schemas: got \[\]; expected a non-empty array/],
  ])('rejects %j', (rls, message) => {
    expect(() => renderInitSql({ ...spec, rowLevelSecurity: rls as Doc })).toThrow(message);
  });
  test('PostgresDatabase names itself in the error', () => {
    const props: PostgresDatabaseProps = {
      namespace: 'ns',
      partOf: 'app',
      image: 'postgres:16.9',
      database: 'crm',
      superuserPassword: { secret: 's', key: 'k' },
      schemas: ['crm'],
      roles: [{ name: 'owner', access: 'owner', connectionLimit: 5, password: { secret: 's', key: 'o' } }],
      settings: {},
      resources,
      storage: { size: '1Gi', storageClassName: 'standard' },
      rowLevelSecurity: { tenantSetting: 'tenant' },
    };
    expect(() => new PostgresDatabase(Testing.chart(), 'pg', props)).toThrow(
      /^PostgresDatabase 'postgres': rowLevelSecurity.tenantSetting: got "tenant"/,
    );
  });
});
