import type { IMetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import { loadEnvironment } from '../../config';
import { configProblems, envConfig, find, podSpecs, synthStack } from '../support/synth';
import { Doc } from '../support/doc';
import { envOf } from '../support/stack-assertions';

const dev = synthStack('wondernest', loadEnvironment(envConfig('dev')));
const prod = synthStack('wondernest', loadEnvironment(envConfig('prod')));

describe.each([
  ['dev', dev],
  ['prod', prod],
])('wondernest %s', (name, objects) => {
  test('snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('namespace enforces Pod Security restricted', () => {
    const ns = find(objects, 'Namespace', 'wondernest');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  test('every pod is restricted, pinned, resourced and tokenless', () => {
    const pods = podSpecs(objects);
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const { owner, spec } of pods) {
      expect([owner, spec.automountServiceAccountToken]).toEqual([owner, false]);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const where = `${owner}/${c.name}`;
        expect([where, c.securityContext]).toEqual([
          where,
          expect.objectContaining({
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          }),
        ]);
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        expect(c.image).toMatch(/:[A-Za-z0-9][A-Za-z0-9._-]*$/);
        expect(c.image).not.toMatch(/:latest$/);
        expect([where, Object.keys(c.resources.requests).sort(), Object.keys(c.resources.limits)]).toEqual([
          where,
          ['cpu', 'memory'],
          expect.arrayContaining(['memory']),
        ]);
      }
    }
  });

  test('long-running containers have readiness and liveness probes', () => {
    // Jobs and CronJobs run to completion: no probes
    for (const { owner, spec } of podSpecs(objects.filter((o) => o.kind !== 'CronJob' && o.kind !== 'Job'))) {
      for (const c of spec.containers) {
        expect([`${owner}/${c.name}`, !!c.readinessProbe, !!c.livenessProbe]).toEqual([`${owner}/${c.name}`, true, true]);
      }
    }
  });

  test('no secret value is rendered', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const { owner, spec } of podSpecs(objects)) {
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|TOKEN|_KEY/.test(e.name)) expect([owner, e.name, e.value]).toEqual([owner, e.name, undefined]);
        }
      }
    }
  });

  test('api is wired to postgres, redis and its secrets', () => {
    const api = find(objects, 'Deployment', 'api').spec.template.spec.containers[0];
    const env = envOf(api);
    expect(env).toMatchObject({
      DB_HOST: 'postgres.wondernest.svc.cluster.local',
      DB_PORT: '5432',
      DB_NAME: 'wondernest_prod',
      DB_USERNAME: 'wondernest_app',
      DB_URL:
        'jdbc:postgresql://postgres.wondernest.svc.cluster.local:5432/wondernest_prod?sslmode=verify-full&sslrootcert=/etc/postgresql-ca/ca.crt',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/postgresql-ca/ca.crt',
      REDIS_HOST: 'redis.wondernest.svc.cluster.local',
      DB_PASSWORD: { secretKeyRef: { name: 'postgres-credentials', key: 'APP_PASSWORD' } },
      REDIS_PASSWORD: { secretKeyRef: { name: 'redis-credentials', key: 'REDIS_PASSWORD' } },
      JWT_SECRET: { secretKeyRef: { name: 'api-secrets', key: 'JWT_SECRET' } },
      SENDGRID_API_KEY: { secretKeyRef: { name: 'api-secrets', key: 'SENDGRID_API_KEY' } },
    });
    expect(env.CORS_ALLOWED_ORIGINS).toMatch(/^https?:\/\//);
    expect(api.readinessProbe.httpGet.path).toBe('/health');
    expect(api.livenessProbe.httpGet.path).toBe('/health');
    expect(api.startupProbe.failureThreshold * api.startupProbe.periodSeconds).toBeGreaterThanOrEqual(60);
    expect(api.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const deploy = find(objects, 'Deployment', 'api');
    expect(deploy.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(api.volumeMounts).toContainEqual({ name: 'secret-0', mountPath: '/etc/postgresql-ca', readOnly: true });
  });

  test('postgres requires TLS: Certificate from the namespace CA, hostssl only, clients verify-full', () => {
    const cert = find(objects, 'Certificate', 'postgres-tls');
    expect(cert.spec.issuerRef).toEqual({ name: 'internal-ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(cert.spec.dnsNames).toContain('postgres.wondernest.svc.cluster.local');
    const hba = find(objects, 'ConfigMap', 'postgres-config').data['pg_hba.conf'] as string;
    const tcpRows = hba.split('\n').filter((l) => /^host/.test(l));
    expect(tcpRows.slice(0, 2).every((l) => /^hostnossl .* reject$/.test(l))).toBe(true);
    expect(tcpRows.slice(2).every((l) => l.startsWith('hostssl '))).toBe(true);
    for (const name of ['postgres-backup', 'postgres-restore', 'postgres-reconcile']) {
      const pod = find(objects, 'CronJob', name).spec.jobTemplate.spec.template.spec;
      const pgClients = [...(pod.initContainers ?? []), ...pod.containers].filter((c: { env?: Array<{ name: string }> }) =>
        (c.env ?? []).some((e) => e.name === 'PGHOST'),
      );
      expect(pgClients.length).toBeGreaterThan(0);
      for (const c of pgClients) expect(envOf(c)).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/postgresql-ca/ca.crt' });
    }
  });

  test('postgres: retained PVC, tuned config, SCRAM, init script, exporter', () => {
    const sts = find(objects, 'StatefulSet', 'postgres');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toMatch(/Gi$/);
    const [pg, exporter] = sts.spec.template.spec.containers;
    expect(pg.securityContext.runAsUser).toBe(999);
    expect(pg.readinessProbe.exec.command[0]).toBe('pg_isready');
    expect(exporter.ports[0]).toMatchObject({ name: 'metrics', containerPort: 9187 });
    const conf = find(objects, 'ConfigMap', 'postgres-config').data;
    expect(conf['postgresql.conf']).toMatch(/shared_preload_libraries = 'pg_stat_statements'/);
    expect(conf['postgresql.conf']).toMatch(/password_encryption = 'scram-sha-256'/);
    expect(conf['pg_hba.conf']).not.toMatch(/\btrust\b|\bmd5\b/);
    const init = find(objects, 'ConfigMap', 'postgres-init').data['10-init-database.sh'];
    for (const schema of ['core', 'family', 'subscription', 'content', 'audio', 'analytics', 'ml', 'safety', 'audit'])
      expect(init).toContain(schema);
    expect(init).toMatch(/wondernest_app/);
    expect(init).toMatch(
      name === 'prod' ? /"wondernest_app" WITH .* CONNECTION LIMIT 170 / : /"wondernest_app" WITH .* CONNECTION LIMIT 50 /,
    );
    expect(init).toMatch(/"wondernest_analytics" WITH .* CONNECTION LIMIT 10 /);
  });

  test("postgres: the seed's production settings in prod, memory settings derived from the limit", () => {
    const conf: string = find(objects, 'ConfigMap', 'postgres-config').data['postgresql.conf'];
    const settings = Object.fromEntries(
      conf
        .split('\n')
        .filter((l) => l.includes(' = '))
        .map((l) => l.split(' = ')),
    );
    const pg = find(objects, 'StatefulSet', 'postgres').spec.template.spec.containers[0];
    if (name === 'prod') {
      expect(pg.resources.limits.memory).toBe('8Gi');
      expect(settings).toMatchObject({
        max_connections: '200',
        shared_buffers: "'2048MB'",
        effective_cache_size: "'6144MB'",
        maintenance_work_mem: "'512MB'",
        work_mem: "'30MB'",
        idle_in_transaction_session_timeout: "'60min'",
        effective_io_concurrency: '200',
        checkpoint_completion_target: '0.9',
        wal_buffers: "'64MB'",
        random_page_cost: '1.1',
      });
    } else {
      expect(settings).toMatchObject({
        max_connections: '100',
        shared_buffers: "'128MB'",
        effective_cache_size: "'384MB'",
        work_mem: "'3MB'",
      });
    }
    const env = Object.fromEntries(
      (find(objects, 'Deployment', 'api').spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(env).toMatchObject(
      name === 'prod' ? { DB_POOL_MAX_SIZE: '15', DB_POOL_MIN_IDLE: '10' } : { DB_POOL_MAX_SIZE: '10', DB_POOL_MIN_IDLE: '2' },
    );
    // The seed's HikariConfig timeouts.
    expect(env).toMatchObject({
      DB_POOL_CONNECTION_TIMEOUT_MS: '30000',
      DB_POOL_IDLE_TIMEOUT_MS: '600000',
      DB_POOL_MAX_LIFETIME_MS: '1800000',
      DB_POOL_LEAK_DETECTION_MS: '60000',
    });
  });

  test('redis: AOF + RDB, maxmemory LRU, password not in the config, authenticated probe', () => {
    const conf = find(objects, 'ConfigMap', 'redis-config').data['redis.conf'];
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^save( \d+ \d+)+$/m);
    expect(conf).toMatch(/^maxmemory-policy allkeys-lru$/m);
    expect(conf).not.toMatch(/^requirepass/m);
    const redis = find(objects, 'StatefulSet', 'redis').spec.template.spec.containers[0];
    expect(redis.readinessProbe.exec.command.join(' ')).toContain('REDISCLI_AUTH');
  });

  test('default-deny plus DNS, and one policy per component', () => {
    const deny = find(objects, 'NetworkPolicy', 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const dns = find(objects, 'NetworkPolicy', 'allow-dns');
    expect(dns.spec.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    const api = find(objects, 'NetworkPolicy', 'api');
    expect(api.spec.ingress.map((r: Doc) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'])).toEqual(
      expect.arrayContaining(['traefik', 'monitoring']),
    );
    const pg = find(objects, 'NetworkPolicy', 'postgres');
    const sources = pg.spec.ingress.map((r: Doc) => r.from[0].podSelector?.matchLabels?.['app.kubernetes.io/name']);
    expect(sources).toEqual(expect.arrayContaining(['api', 'postgres-backup', 'postgres-restore']));
    expect(sources).not.toContain('redis');
  });

  test('ingress: TLS via cert-manager, websecure only, security headers', () => {
    const ing = find(objects, 'Ingress', 'api');
    expect(ing.spec.tls[0]).toEqual({ hosts: [ing.spec.rules[0].host], secretName: 'api-tls' });
    expect(ing.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints']).toBe('websecure');
    expect(ing.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe(
      'wondernest-api-security-headers@kubernetescrd',
    );
    const headers = find(objects, 'Middleware', 'api-security-headers').spec.headers;
    expect(headers).toMatchObject({
      frameDeny: true,
      contentTypeNosniff: true,
      browserXssFilter: true,
      stsSeconds: 31536000,
      stsIncludeSubdomains: true,
      contentSecurityPolicy: "default-src 'self'",
    });
  });

  test('backups: Forbid, deadlines, history limits, retention; restore is suspended', () => {
    for (const n of ['postgres-backup', 'redis-backup']) {
      const cj = find(objects, 'CronJob', n);
      expect(cj.spec).toMatchObject({
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        suspend: false,
      });
      expect(cj.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3600);
      const upload = cj.spec.jobTemplate.spec.template.spec.containers[0];
      expect(envOf(upload).RETENTION_DAYS).toBe(name === 'prod' ? '30' : '7');
    }
    expect(find(objects, 'CronJob', 'postgres-restore').spec.suspend).toBe(true);
  });

  test('PostgreSQL: a standby in another zone in prod (blocked primary drain, -ro Service, replication alerts); a single server in dev', () => {
    const standby = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres-replica');
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'postgres');
    const alerts = find(objects, 'PrometheusRule', 'wondernest').spec.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => r.alert));
    if (name === 'dev') {
      expect([standby, pdb]).toEqual([undefined, undefined]);
      expect(alerts).not.toContain('PostgresPrimaryNodeCordoned');
      return;
    }
    expect(standby!.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
      'topology.kubernetes.io/zone',
    );
    expect(pdb!.spec.maxUnavailable).toBe(0);
    expect(find(objects, 'Service', 'postgres-ro').spec.selector['app.kubernetes.io/name']).toBe('postgres-replica');
    expect(find(objects, 'CronJob', 'postgres-promote').spec.suspend).toBe(true);
    expect(find(objects, 'ExternalSecret', 'postgres-credentials').spec.data.map((d: Doc) => d.secretKey)).toContain(
      'REPLICATION_PASSWORD',
    );
    expect(alerts).toEqual(
      expect.arrayContaining([
        'PostgresReplicaLagging',
        'PostgresStandbyNotStreaming',
        'PostgresReplicationSlotAtRisk',
        'PostgresPrimaryNodeCordoned',
      ]),
    );
  });

  test('ServiceMonitors and rules carry the release label', () => {
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'api',
      'postgres',
      ...(name === 'prod' ? ['postgres-replica'] : []),
      'redis',
    ]);
    for (const m of [...monitors, find(objects, 'PrometheusRule', 'wondernest')])
      expect(m.metadata.labels.release).toBe('kube-prometheus-stack');
    const alerts = find(objects, 'PrometheusRule', 'wondernest').spec.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(['HighErrorRate', 'DatabaseConnectionsHigh']));
    expect(find(objects, 'ConfigMap', 'wondernest').metadata.labels.grafana_dashboard).toBe('1');
  });
});

describe('dev vs prod', () => {
  test('dev tools and the stand-in exist only in dev', () => {
    expect(dev.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'pgadmin')).toBe(true);
    expect(dev.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'localstack')).toBe(true);
    expect(prod.some((o) => ['pgadmin', 'localstack'].includes(o.metadata.name))).toBe(false);
    expect(find(dev, 'Deployment', 'api').spec.template.spec.containers[0].image).toMatch(/^nginxinc\/nginx-unprivileged:/);
    expect(find(prod, 'Deployment', 'api').spec.template.spec.containers[0].image).toBe('ghcr.io/wondernest/api:0.1.0');
  });

  test('prod: HPA (CPU + memory) owns replicas, PDB, zone spread', () => {
    const deploy = find(prod, 'Deployment', 'api');
    expect(deploy.spec.replicas).toBeUndefined();
    const hpa = find(prod, 'HorizontalPodAutoscaler', 'api');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec.metrics.map((m: IMetricSpec) => m.resource?.name)).toEqual(['cpu', 'memory']);
    expect(find(prod, 'PodDisruptionBudget', 'api').spec.maxUnavailable).toBe(1);
    expect(deploy.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
      // a cordoned node is left out of the skew: the pod a drain evicts may go to another zone (issue 15)
      nodeTaintsPolicy: 'Honor',
    });
    expect(dev.some((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(find(dev, 'Deployment', 'api').spec.replicas).toBe(1);
  });

  test('secrets: generated once in dev, AWS Secrets Manager in prod', () => {
    const devEs = find(dev, 'ExternalSecret', 'postgres-credentials');
    expect(devEs.spec.refreshPolicy).toBe('CreatedOnce');
    expect(devEs.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(find(dev, 'Password', 'postgres-credentials').spec.secretKeys).toEqual([
      'POSTGRES_PASSWORD',
      'APP_PASSWORD',
      'ANALYTICS_PASSWORD',
      'EXPORTER_PASSWORD',
    ]);
    const prodEs = find(prod, 'ExternalSecret', 'postgres-credentials');
    expect(prodEs.spec.secretStoreRef).toEqual({ name: 'wondernest-aws-secrets-manager', kind: 'ClusterSecretStore' });
    expect(find(prod, 'ClusterSecretStore', 'wondernest-aws-secrets-manager').spec.conditions).toEqual([{ namespaces: ['wondernest'] }]);
    expect(prodEs.spec.data[0].remoteRef).toEqual({ key: 'prod/wondernest/postgres-credentials', property: 'POSTGRES_PASSWORD' });
    expect(find(prod, 'ServiceAccount', 'external-secrets-reader').metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:aws:iam::/,
    );
    expect(prod.some((o) => o.kind === 'Password')).toBe(false);
  });

  test('backups go to LocalStack in dev and to S3 via IRSA in prod', () => {
    const devUpload = envOf(find(dev, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0]);
    expect(devUpload.S3_ENDPOINT_URL).toBe('http://localstack.wondernest.svc.cluster.local:4566');
    const prodUpload = envOf(find(prod, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0]);
    expect(prodUpload.S3_ENDPOINT_URL).toBeUndefined();
    expect(prodUpload.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(find(prod, 'ServiceAccount', 'postgres-backup').metadata.annotations['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::123456789012:role/wondernest-prod-backup',
    );
    const egress = find(prod, 'NetworkPolicy', 'postgres-backup').spec.egress;
    expect(egress).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          to: [{ ipBlock: expect.objectContaining({ cidr: '0.0.0.0/0' }) }],
          ports: [{ protocol: 'TCP', port: 443 }],
        }),
      ]),
    );
  });

  test('storage classes come from config', () => {
    expect(find(dev, 'StatefulSet', 'postgres').spec.volumeClaimTemplates[0].spec.storageClassName).toBe('standard');
    expect(find(prod, 'StatefulSet', 'postgres').spec.volumeClaimTemplates[0].spec.storageClassName).toBe('gp3-encrypted');
  });
});

describe('api AWS access, Flyway and uploads', () => {
  const apiOf = (objects: Doc[]): Doc => find(objects, 'Deployment', 'api');

  test.each([
    ['dev', dev],
    ['prod', prod],
  ])("%s: the seed's Flyway settings, the uploads bucket, and no volume at /app/uploads", (_, objects) => {
    const pod = apiOf(objects).spec.template.spec;
    const env = envOf(pod.containers[0]);
    expect(env).toMatchObject({ FLYWAY_ENABLED: 'true', FLYWAY_BASELINE_ON_MIGRATE: 'true', UPLOADS_S3_PREFIX: 'uploads' });
    expect(env.UPLOADS_S3_BUCKET).toMatch(/^wondernest-(prod-)?uploads$/);
    expect(pod.containers[0].volumeMounts.map((m: Doc) => m.mountPath)).not.toContain('/app/uploads');
    expect(pod.volumes.filter((v: Doc) => v.persistentVolumeClaim)).toEqual([]);
    expect(pod.serviceAccountName).toBe('api');
  });

  test('prod: IRSA role on the api ServiceAccount, region only, no AWS keys, HTTPS egress', () => {
    const sa = find(prod, 'ServiceAccount', 'api');
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/wondernest-prod-api');
    expect(sa.automountServiceAccountToken).toBe(false);
    const env = envOf(apiOf(prod).spec.template.spec.containers[0]);
    expect(env.AWS_REGION).toBe('eu-west-1');
    expect(Object.keys(env).filter((k) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|ENDPOINT_URL)$/.test(k))).toEqual([]);
    expect(env.SNS_TOPIC_ARNS).toBe('arn:aws:sns:eu-west-1:123456789012:wondernest-notifications');
    const egress = find(prod, 'NetworkPolicy', 'api').spec.egress;
    expect(egress).toContainEqual(expect.objectContaining({ ports: [{ protocol: 'TCP', port: 443 }] }));
  });

  test('dev: LocalStack endpoint and generated keys, egress only to LocalStack (no internet)', () => {
    expect(find(dev, 'ServiceAccount', 'api').metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
    const env = envOf(apiOf(dev).spec.template.spec.containers[0]);
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: 'http://localstack.wondernest.svc.cluster.local:4566',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'api-aws-credentials', key: 'AWS_ACCESS_KEY_ID' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'api-aws-credentials', key: 'AWS_SECRET_ACCESS_KEY' } },
    });
    expect(find(dev, 'ExternalSecret', 'api-aws-credentials').spec.refreshPolicy).toBe('CreatedOnce');
    const egress = find(dev, 'NetworkPolicy', 'api').spec.egress;
    expect(egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'wondernest', 'app.kubernetes.io/name': 'localstack' } } }],
      ports: [{ protocol: 'TCP', port: 4566 }],
    });
    expect(JSON.stringify(egress)).not.toContain('0.0.0.0/0');
    const ingress = find(dev, 'NetworkPolicy', 'localstack').spec.ingress;
    expect(JSON.stringify(ingress)).toContain('"app.kubernetes.io/name":"api"');
  });

  test("dev: LocalStack creates the uploads bucket beside the backups', the topics and queues, and verifies the sender", () => {
    const init = find(dev, 'ConfigMap', 'localstack-init').data['10-resources.sh'];
    expect(init).toContain('awslocal s3 mb s3://wondernest-backups');
    expect(init).toContain('awslocal s3 mb s3://wondernest-uploads');
    expect(init).toContain('awslocal sns create-topic --name wondernest-notifications');
    expect(init).toContain('awslocal sqs create-queue --queue-name wondernest-jobs');
    expect(init).toContain('awslocal ses verify-domain-identity --domain wondernest.localtest.me');
  });
});

describe('dev tools keep their data on retained PVCs', () => {
  test.each([
    ['localstack', '/var/lib/localstack', '2Gi', 1000],
    ['pgadmin', '/var/lib/pgadmin', '512Mi', 5050],
  ])('%s: %s on a %s PVC the StatefulSet retains, restricted, fsGroup %s', (name, dataPath, size, uid) => {
    const sts = find(dev, 'StatefulSet', name);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'standard',
      resources: { requests: { storage: size } },
    });
    const pod = sts.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: dataPath });
    expect(pod.volumes.map((v: Doc) => v.name)).not.toContain('data');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, fsGroup: uid });
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(dev.filter((o) => o.kind === 'Deployment' && o.metadata.name === name)).toEqual([]);
  });

  test('pgadmin: servers.json and config_distro.py still mounted file by file into /pgadmin4; LocalStack keeps the backup and uploads buckets on its PVC', () => {
    const mounts = find(dev, 'StatefulSet', 'pgadmin').spec.template.spec.containers[0].volumeMounts;
    expect(mounts).toContainEqual({ name: 'config', mountPath: '/pgadmin4/servers.json', subPath: 'servers.json', readOnly: true });
    expect(mounts).toContainEqual({ name: 'config', mountPath: '/pgadmin4/config_distro.py', subPath: 'config_distro.py', readOnly: true });
    const localstack = envOf(find(dev, 'StatefulSet', 'localstack').spec.template.spec.containers[0]);
    expect(localstack.S3_MIRROR_BUCKETS?.split(' ').sort()).toEqual(['wondernest-backups', 'wondernest-uploads']);
    expect(localstack.S3_MIRROR_DIR).toBe('/var/lib/localstack/s3-mirror');
  });
});

describe('wondernest AWS config', () => {
  test('a bad api role ARN fails naming the field, the value and the allowed form', () => {
    const cfg = envConfig('prod');
    cfg.stacks.wondernest.aws.apiRoleArn = 'arn:aws:iam::wondernest:role/api';
    expect(configProblems(cfg)).toContain(
      `stacks.wondernest.aws.apiRoleArn: got "arn:aws:iam::wondernest:role/api"; expected an IAM role ARN such as 'arn:aws:iam::123456789012:role/name'`,
    );
  });

  test('a missing api role ARN in prod fails', () => {
    const cfg = envConfig('prod');
    delete cfg.stacks.wondernest.aws.apiRoleArn;
    expect(configProblems(cfg)).toContain('stacks.wondernest.aws.apiRoleArn: got nothing; expected a required value');
  });

  test.each([
    ['apiAws.uploads.bucket', (c: Doc) => (c.apiAws.uploads.bucket = 'Uploads'), 'got "Uploads"; expected an S3 bucket name'],
    ['apiAws.uploads.prefix', (c: Doc) => (c.apiAws.uploads.prefix = 'up loads'), 'got "up loads"; expected a key prefix'],
    ['apiAws.topics[0]', (c: Doc) => (c.apiAws.topics = ['a b']), 'got "a b"; expected an SNS topic or SQS queue name'],
    ['apiAws.emailIdentity', (c: Doc) => (c.apiAws.emailIdentity = '*.example.com'), 'got "*.example.com"; expected an SES identity'],
    ['pgadmin.storage', (c: Doc) => delete c.pgadmin.storage, 'got nothing; expected a PVC'],
    ['localstack.storage', (c: Doc) => delete c.localstack.storage, 'got nothing; expected a PVC'],
  ])('dev: a bad %s', (field, mutate, message) => {
    const cfg = envConfig('dev');
    mutate(cfg.stacks.wondernest);
    expect(configProblems(cfg)).toContain(`stacks.wondernest.${field}: ${message}`);
  });
});
