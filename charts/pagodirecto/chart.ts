import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PlatformConfig } from '../../lib/config/platform-schema';
import { StackProps } from '../../lib/config/stack-module';
import { LocalStack } from '../../lib/constructs/data/localstack';
import { PostgresDatabase } from '../../lib/constructs/data/postgres-database';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import { stackLabels } from '../../lib/core/labels';
import {
  connectionPoolPanels,
  jvmHttpPanels,
  jvmHttpRules,
  jvmPanels,
  latencySloPanels,
  METRICS,
  postgresPanels,
  postgresRules,
  postgresWalArchiveRules,
} from '../../lib/constructs/monitoring';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { SPRING_BOOT_PATHS, SPRING_BOOT_POOL_ENV, SPRING_BOOT_SECRET_ENV, springBootEnv } from '../../lib/constructs/workloads/spring-boot';
import { TlsIngress } from '../../lib/constructs/network/tls-ingress';
import { WebService } from '../../lib/constructs/workloads/web-service';
import {
  BackupTargets,
  backupJobs,
  devLocalStack,
  postgresBackup,
  postgresClientEnv,
  postgresFromConfig,
  postgresStandbyRules,
  postgresPointInTimeRecovery,
  postgresWalArchive,
  stackFoundation,
  stackMonitoring,
  wireBackupJobs,
} from '../../lib/stack/stack-wiring';

import { WalArchive } from '../../lib/constructs/backup/wal-archive';
import { PagoDirectoConfig } from './schema';

type SecretRefs = ReturnType<SecretsBackend['secret']>;

/**
 * The seed's "API latency < 200ms (p95)" as an SLO: at least 95 % of requests answered within
 * 200 ms. The 30-day window is ours: it is the prod Prometheus retention (seed 003), so the whole
 * window can be queried, and the usual SLO period.
 */
const LATENCY_SLO = { thresholdSeconds: 0.2, objective: 0.95, window: '30d' } as const;

/** Seconds the backend keeps serving after removal from endpoints, then finishes in-flight requests. */
const BACKEND_DRAIN = { preStopSeconds: 10, shutdownSeconds: 30 };

/**
 * PagoDirecto CRM (seed 004): Spring Boot backend, React frontend on unprivileged nginx,
 * PostgreSQL 16 with row-level security, the seed's Nginx edge policies as Traefik middlewares,
 * backups with a recreate-style restore, monitoring, and in dev Adminer and LocalStack.
 * Composes library constructs only.
 */
export class PagoDirectoChart extends Chart {
  public readonly graph: ServiceGraph;
  private readonly cfg: PagoDirectoConfig;
  private readonly platform: PlatformConfig;
  private readonly secrets: SecretsBackend;
  /** What every construct of the stack is told: where it lives and what it belongs to. */
  private readonly stack: { readonly namespace: string; readonly partOf: string; readonly release: string };

  constructor(scope: Construct, id: string, props: StackProps<PagoDirectoConfig>) {
    const { config: cfg, platform } = props;
    const partOf = 'pagodirecto';
    super(scope, id, { namespace: cfg.namespace, disableResourceNameHashes: true, labels: stackLabels(partOf) });
    this.cfg = cfg;
    this.platform = platform;
    this.stack = { namespace: cfg.namespace, partOf, release: platform.monitoring.release };
    const { graph, secrets } = stackFoundation(this, platform, { namespace: cfg.namespace, partOf, aws: cfg.aws });
    this.graph = graph;
    this.secrets = secrets;
    const pgSecret = secrets.secret('postgres-credentials', [
      'POSTGRES_PASSWORD',
      'OWNER_PASSWORD',
      'APP_PASSWORD',
      'READONLY_PASSWORD',
      'EXPORTER_PASSWORD',
      ...(cfg.postgres.standby.enabled ? ['REPLICATION_PASSWORD'] : []),
    ]);
    const backendSecret = secrets.secret('backend-secrets', ['JWT_SECRET']);

    const walArchive = postgresWalArchive(this, secrets, { ...this.stack, backups: cfg.backups, aws: cfg.aws });
    const postgres = this.database(pgSecret, walArchive);
    const localstack = devLocalStack(this, graph, cfg.localstack, {
      namespace: cfg.namespace,
      partOf,
      services: ['s3'],
      buckets: [cfg.backups.bucket],
    });
    const backend = this.backend(postgres, pgSecret, backendSecret);
    const frontend = this.frontend();
    for (const c of [frontend, backend]) graph.allow('ingress-controller', c, 'http');
    this.edge(frontend, backend);
    if (cfg.adminer.enabled) this.adminer(postgres);
    this.backups(postgres, localstack, walArchive);
    this.monitoring(backend, postgres);
  }

  /** PostgreSQL 16: bounded-context schemas, least-privilege roles, row-level security. */
  private database(pgSecret: SecretRefs, walArchive: WalArchive | undefined): PostgresDatabase {
    const { cfg } = this;
    const roles = cfg.roles;
    return postgresFromConfig(this, this.graph, cfg.postgres, {
      ...this.stack,
      ...(walArchive ? { walArchive } : {}),
      rowLevelSecurity: cfg.postgres.rowLevelSecurity,
      superuserPassword: pgSecret.POSTGRES_PASSWORD,
      roles: [
        { name: roles.owner.name, access: 'owner', connectionLimit: roles.owner.connectionLimit, password: pgSecret.OWNER_PASSWORD },
        { name: roles.app.name, access: 'readwrite', connectionLimit: roles.app.connectionLimit, password: pgSecret.APP_PASSWORD },
        {
          name: roles.readonly.name,
          access: 'readonly',
          connectionLimit: roles.readonly.connectionLimit,
          password: pgSecret.READONLY_PASSWORD,
        },
      ],
      exporterPassword: pgSecret.EXPORTER_PASSWORD,
      replicationPassword: pgSecret.REPLICATION_PASSWORD,
    });
  }

  /** The Spring Boot (Java 17) API: Hikari pool from config (a client of the database), Flyway as the owner role, graceful drain. */
  private backend(postgres: PostgresDatabase, pgSecret: SecretRefs, backendSecret: SecretRefs): WebService {
    const { cfg, platform, stack } = this;
    const roles = cfg.roles;
    const backend = new WebService(this, 'backend', {
      namespace: stack.namespace,
      name: 'backend',
      partOf: stack.partOf,
      image: cfg.backend.image,
      standIn: cfg.backend.standIn,
      port: 8080,
      runAs: { user: 1001 },
      resources: cfg.backend.resources,
      readinessPath: SPRING_BOOT_PATHS.readiness,
      livenessPath: SPRING_BOOT_PATHS.liveness,
      // JVM start plus Flyway migrations.
      startupSeconds: 180,
      metricsPath: SPRING_BOOT_PATHS.metrics,
      release: stack.release,
      replicas: cfg.backend.replicas,
      autoscaling: cfg.backend.autoscaling,
      spreadAcrossZones: platform.spreadAcrossZones,
      jvm: { gc: 'G1', maxRamPercentage: cfg.backend.jvmMaxRamPercentage },
      preStopSleepSeconds: BACKEND_DRAIN.preStopSeconds,
      terminationGracePeriodSeconds: BACKEND_DRAIN.preStopSeconds + BACKEND_DRAIN.shutdownSeconds + 5,
      writablePaths: [{ path: '/tmp', sizeLimit: '256Mi' }],
      env: {
        ...springBootEnv({
          port: 8080,
          profiles: [platform.profile],
          shutdownSeconds: BACKEND_DRAIN.shutdownSeconds,
          // A 200 ms bucket makes the SLO's share of fast requests exact (the error budget panels).
          latencySloSeconds: [LATENCY_SLO.thresholdSeconds],
          datasource: {
            host: postgres.host,
            port: postgres.port,
            database: postgres.database,
            username: roles.app.name,
            migrationUsername: roles.owner.name,
            ...(postgres.clientTls ? { sslRootCert: postgres.clientTls.caPath } : {}),
          },
        }),
        APP_TENANT_SETTING: cfg.postgres.rowLevelSecurity.tenantSetting,
        CORS_ALLOWED_ORIGINS: cfg.corsAllowedOrigins.join(','),
      },
      secretEnv: {
        [SPRING_BOOT_SECRET_ENV.datasourcePassword]: pgSecret.APP_PASSWORD,
        [SPRING_BOOT_SECRET_ENV.flywayPassword]: pgSecret.OWNER_PASSWORD,
        JWT_SECRET: backendSecret.JWT_SECRET,
      },
      secretFiles: postgresClientEnv(postgres).secretFiles,
    });
    // The Hikari pool, declared once: sets its variables and counts it in the app role's connection budget.
    postgres.client(backend.deployment, {
      role: roles.app.name,
      poolSize: cfg.backend.connectionPoolSize,
      minIdle: cfg.backend.connectionPoolMinIdle,
      env: SPRING_BOOT_POOL_ENV,
    });
    this.graph.addComponent(backend);
    this.graph.allow(backend, postgres, 'postgres');
    return backend;
  }

  /** The React build on unprivileged nginx (SPA routing, long-term caching of /assets/). */
  private frontend(): WebService {
    const { cfg, platform, stack } = this;
    const frontend = new WebService(this, 'frontend', {
      namespace: stack.namespace,
      name: 'frontend',
      partOf: stack.partOf,
      component: 'frontend',
      image: cfg.frontend.image,
      standIn: cfg.frontend.standIn,
      port: 8080,
      runAs: { user: 101 },
      resources: cfg.frontend.resources,
      readinessPath: '/health',
      replicas: cfg.frontend.replicas,
      autoscaling: cfg.frontend.autoscaling,
      spreadAcrossZones: platform.spreadAcrossZones,
      staticSite: { immutablePaths: ['/assets/'] },
      writablePaths: [{ path: '/tmp', sizeLimit: '64Mi' }],
    });
    this.graph.addComponent(frontend);
    return frontend;
  }

  /** The edge policies the seed's Nginx applies, as Traefik middlewares: rate limits (API, auth), headers, CORS, body size (values: base.ts). */
  private edge(frontend: WebService, backend: WebService): void {
    const { cfg, platform, stack } = this;
    new TlsIngress(this, 'ingress', {
      namespace: stack.namespace,
      name: 'edge',
      host: cfg.host,
      className: platform.ingress.className,
      clusterIssuer: platform.tls.clusterIssuer,
      routes: [
        { path: '/', serviceName: frontend.name, servicePort: 8080 },
        { path: '/api', serviceName: backend.name, servicePort: 8080, name: 'api', rateLimit: cfg.edge.apiRateLimit },
        { path: cfg.edge.authPath, serviceName: backend.name, servicePort: 8080, name: 'auth', rateLimit: cfg.edge.authRateLimit },
      ],
      edge: {
        securityHeaders: {
          contentSecurityPolicy: cfg.edge.contentSecurityPolicy,
          // The seed asks for HSTS and X-Frame-Options without values. Chosen: one year (the minimum
          // browsers' preload lists accept), no framing at all, and the browsers' default referrer policy made explicit.
          hstsSeconds: 31536000,
          frameOptions: 'DENY',
          referrerPolicy: 'strict-origin-when-cross-origin',
        },
        corsAllowedOrigins: cfg.corsAllowedOrigins,
        maxRequestBodyBytes: cfg.edge.maxRequestBodyBytes,
        compress: true,
      },
    });
  }

  /** Adminer (dev only): reaches postgres and nothing else; use kubectl port-forward. */
  private adminer(postgres: PostgresDatabase): void {
    const { cfg, stack } = this;
    const adminer = new WebService(this, 'adminer', {
      namespace: stack.namespace,
      name: 'adminer',
      partOf: stack.partOf,
      component: 'dev-tool',
      image: cfg.adminer.image,
      port: 8080,
      runAs: { user: 1000 },
      resources: cfg.adminer.resources,
      readinessPath: '/',
      replicas: 1,
      // PHP's pgsql is libpq: PGSSLMODE/PGSSLROOTCERT make it verify the server.
      env: { ADMINER_DEFAULT_SERVER: postgres.host, ...postgresClientEnv(postgres).env },
      secretFiles: postgresClientEnv(postgres).secretFiles,
      writablePaths: [{ path: '/tmp', sizeLimit: '64Mi' }],
    });
    this.graph.addComponent(adminer);
    this.graph.allow(adminer, postgres, 'postgres');
  }

  /** Daily verified pg_dump; restore = safety dump, terminate, recreate, verify. */
  private backups(postgres: PostgresDatabase, localstack: LocalStack | undefined, walArchive: WalArchive | undefined): void {
    const { cfg, stack } = this;
    const targets = new BackupTargets(this.secrets, {
      partOf: stack.partOf,
      backups: cfg.backups,
      aws: cfg.aws,
      ...(localstack ? { inCluster: { server: localstack, port: localstack.s3Port } } : {}),
    });
    const pgBackup = postgresBackup(this, postgres, {
      ...stack,
      image: cfg.postgres.image,
      schedule: cfg.backups.schedule,
      backups: cfg.backups,
      target: targets.for('postgres'),
      restoreMode: 'recreate',
    });
    wireBackupJobs(this.graph, backupJobs(pgBackup, postgres, 'postgres'), targets.storage);
    if (walArchive) {
      postgresPointInTimeRecovery(this, this.graph, postgres, walArchive, {
        ...stack,
        pg: cfg.postgres,
        backups: cfg.backups,
        dumpTarget: targets.for('postgres'),
        storage: targets.storage,
      });
    }
  }

  /** The seed's SLOs: p95 latency, 5xx ratio, connection pool; PostgreSQL; backups. */
  private monitoring(backend: WebService, postgres: PostgresDatabase): void {
    const { namespace: ns, release } = this.stack;
    const maxConnections = Number(this.cfg.postgres.settings.max_connections);
    const pitr = this.cfg.backups.postgresPitr.enabled;
    stackMonitoring(this, {
      namespace: ns,
      name: 'pagodirecto',
      title: 'PagoDirecto CRM',
      release,
      rules: [
        // p95 above 200 ms, 5xx ratio, HikariCP (hikaricp_connections_active) near its maximum.
        ...jvmHttpRules({
          namespace: ns,
          job: backend.name,
          alertPrefix: 'Backend',
          latencyP95Seconds: LATENCY_SLO.thresholdSeconds,
          errorRatioThreshold: 0.05,
          connectionPoolRatio: 0.9,
        }),
        ...postgresRules({ namespace: ns, job: postgres.name, alertPrefix: '', connectionsThreshold: Math.floor(maxConnections * 0.8) }),
        ...postgresStandbyRules(postgres),
        ...(pitr
          ? postgresWalArchiveRules({
              namespace: ns,
              job: postgres.name,
              alertPrefix: '',
              maxArchiveAgeHours: this.cfg.backups.maxAgeHours,
            })
          : []),
      ],
      panels: [...jvmHttpPanels({ job: backend.name }), ...postgresPanels({ job: postgres.name })],
      backups: {
        cronJobs: [
          { cronJob: 'postgres-backup', label: 'Postgres' },
          ...(pitr ? [{ cronJob: `${postgres.name}-basebackup`, label: 'PostgresBase' }] : []),
        ],
        maxAgeHours: this.cfg.backups.maxAgeHours,
      },
      dashboards: [
        {
          // Seed 004 names no dashboard; this one shows its performance criterion (p95 < 200 ms) and the JVM.
          name: 'pagodirecto-performance',
          title: 'PagoDirecto CRM Performance',
          panels: [
            ...latencySloPanels({
              job: backend.name,
              bucketMetric: METRICS.springRequestsBucket,
              excludeUriRegex: '/actuator.*',
              slo: LATENCY_SLO,
            }),
            ...jvmPanels({ job: backend.name }),
            ...connectionPoolPanels({ job: backend.name }),
          ],
        },
      ],
    });
  }
}
