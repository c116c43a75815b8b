import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import { stackLabels } from '../lib/core/labels';
import { jvmHttpPanels, jvmHttpRules, postgresPanels, postgresRules } from '../lib/constructs/monitoring';
import { ServiceGraph } from '../lib/constructs/network/service-graph';
import { SPRING_BOOT_PATHS, SPRING_BOOT_SECRET_ENV, springBootEnv } from '../lib/constructs/workloads/spring-boot';
import { TlsIngress } from '../lib/constructs/network/tls-ingress';
import { WebService } from '../lib/constructs/workloads/web-service';
import { BackupTargets, backupJobs, devLocalStack, postgresBackup, postgresFromConfig, stackFoundation, stackMonitoring, wireBackupJobs } from './stack-wiring';

export interface PagoDirectoChartProps {
  readonly env: EnvironmentConfig;
}

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

  constructor(scope: Construct, id: string, props: PagoDirectoChartProps) {
    const { env } = props;
    const cfg = env.stacks.pagodirecto;
    const ns = cfg.namespace;
    const partOf = 'pagodirecto';
    super(scope, id, { namespace: ns, disableResourceNameHashes: true, labels: stackLabels(partOf) });
    const release = env.monitoring.release;
    const roles = cfg.roles;
    /** What every construct of the stack is told: where it lives and what it belongs to. */
    const stack = { namespace: ns, partOf, release };

    const { graph, secrets } = stackFoundation(this, env, { namespace: ns, partOf, aws: cfg.aws });
    this.graph = graph;
    const pgSecret = secrets.secret('postgres-credentials', ['POSTGRES_PASSWORD', 'OWNER_PASSWORD', 'APP_PASSWORD', 'READONLY_PASSWORD', 'EXPORTER_PASSWORD']);
    const backendSecret = secrets.secret('backend-secrets', ['JWT_SECRET']);

    // --- PostgreSQL 16: bounded-context schemas, least-privilege roles, row-level security ---
    const postgres = postgresFromConfig(this, graph, cfg.postgres, {
      ...stack,
      rowLevelSecurity: cfg.postgres.rowLevelSecurity,
      superuserPassword: pgSecret.POSTGRES_PASSWORD,
      roles: [
        { name: roles.owner.name, access: 'owner', connectionLimit: roles.owner.connectionLimit, password: pgSecret.OWNER_PASSWORD },
        { name: roles.app.name, access: 'readwrite', connectionLimit: roles.app.connectionLimit, password: pgSecret.APP_PASSWORD },
        { name: roles.readonly.name, access: 'readonly', connectionLimit: roles.readonly.connectionLimit, password: pgSecret.READONLY_PASSWORD },
      ],
      exporterPassword: pgSecret.EXPORTER_PASSWORD,
    });

    const localstackHost = devLocalStack(this, graph, cfg.localstack, { namespace: ns, partOf, services: ['s3'], buckets: [cfg.backups.bucket] });

    // --- backend (Spring Boot, Java 17) --------------------------------------------------------
    const backend = new WebService(this, 'backend', {
      namespace: ns,
      name: 'backend',
      partOf,
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
      release,
      replicas: cfg.backend.replicas,
      autoscaling: cfg.backend.autoscaling,
      spreadAcrossZones: env.spreadAcrossZones,
      jvm: { gc: 'G1', maxRamPercentage: cfg.backend.jvmMaxRamPercentage },
      preStopSleepSeconds: BACKEND_DRAIN.preStopSeconds,
      terminationGracePeriodSeconds: BACKEND_DRAIN.preStopSeconds + BACKEND_DRAIN.shutdownSeconds + 5,
      writablePaths: [{ path: '/tmp', sizeLimit: '256Mi' }],
      env: {
        ...springBootEnv({
          port: 8080,
          profiles: [env.profile],
          shutdownSeconds: BACKEND_DRAIN.shutdownSeconds,
          datasource: {
            host: postgres.host,
            port: postgres.port,
            database: postgres.database,
            username: roles.app.name,
            maxPoolSize: cfg.backend.connectionPoolSize,
            migrationUsername: roles.owner.name,
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
    });
    graph.addComponent(backend);
    graph.allow(backend, postgres, 'postgres');

    // --- frontend (React build on unprivileged nginx) ---------------------------------------
    const frontend = new WebService(this, 'frontend', {
      namespace: ns,
      name: 'frontend',
      partOf,
      component: 'frontend',
      image: cfg.frontend.image,
      standIn: cfg.frontend.standIn,
      port: 8080,
      runAs: { user: 101 },
      resources: cfg.frontend.resources,
      readinessPath: '/health',
      replicas: cfg.frontend.replicas,
      autoscaling: cfg.frontend.autoscaling,
      spreadAcrossZones: env.spreadAcrossZones,
      staticSite: { immutablePaths: ['/assets/'] },
      writablePaths: [{ path: '/tmp', sizeLimit: '64Mi' }],
    });
    graph.addComponent(frontend);
    for (const c of [frontend, backend]) graph.allow('ingress-controller', c, 'http');

    // --- edge: the seed's Nginx policies as Traefik middlewares -------------------------------
    new TlsIngress(this, 'ingress', {
      namespace: ns,
      name: 'edge',
      host: cfg.host,
      className: env.ingress.className,
      clusterIssuer: env.tls.clusterIssuer,
      routes: [
        { path: '/', serviceName: frontend.name, servicePort: 8080 },
        { path: '/api', serviceName: backend.name, servicePort: 8080, name: 'api', rateLimit: cfg.edge.apiRateLimit },
        { path: cfg.edge.authPath, serviceName: backend.name, servicePort: 8080, name: 'auth', rateLimit: cfg.edge.authRateLimit },
      ],
      edge: {
        securityHeaders: { contentSecurityPolicy: cfg.edge.contentSecurityPolicy, hstsSeconds: 31536000, frameOptions: 'DENY', referrerPolicy: 'strict-origin-when-cross-origin' },
        corsAllowedOrigins: cfg.corsAllowedOrigins,
        maxRequestBodyBytes: cfg.edge.maxRequestBodyBytes,
        compress: true,
      },
    });

    // --- Adminer (dev only): reaches postgres and nothing else; use kubectl port-forward ------
    if (cfg.adminer.enabled) {
      const adminer = new WebService(this, 'adminer', {
        namespace: ns,
        name: 'adminer',
        partOf,
        component: 'dev-tool',
        image: cfg.adminer.image,
        port: 8080,
        runAs: { user: 1000 },
        resources: cfg.adminer.resources,
        readinessPath: '/',
        replicas: 1,
        env: { ADMINER_DEFAULT_SERVER: postgres.host },
        writablePaths: [{ path: '/tmp', sizeLimit: '64Mi' }],
      });
      graph.addComponent(adminer);
      graph.allow(adminer, postgres, 'postgres');
    }

    // --- backups: daily verified pg_dump; restore = safety dump, terminate, recreate, verify ---
    const backupTarget = new BackupTargets(secrets, cfg.backups, partOf, cfg.aws, localstackHost).for('postgres');
    const pgBackup = postgresBackup(this, postgres, { ...stack, image: cfg.postgres.image, schedule: cfg.backups.schedule, backups: cfg.backups, target: backupTarget, restoreMode: 'recreate' });
    wireBackupJobs(graph, backupJobs(pgBackup, postgres, 'postgres'), localstackHost);

    // --- monitoring: the seed's SLOs ------------------------------------------------------------
    const maxConnections = Number(cfg.postgres.settings.max_connections);
    stackMonitoring(this, {
      namespace: ns,
      name: 'pagodirecto',
      title: 'PagoDirecto CRM',
      release,
      rules: [
        // p95 above 200 ms, 5xx ratio, HikariCP (hikaricp_connections_active) near its maximum.
        ...jvmHttpRules({ namespace: ns, job: backend.name, alertPrefix: 'Backend', latencyP95Seconds: 0.2, errorRatioThreshold: 0.05, connectionPoolRatio: 0.9 }),
        ...postgresRules({ namespace: ns, job: postgres.name, alertPrefix: '', connectionsThreshold: Math.floor(maxConnections * 0.8) }),
      ],
      panels: [...jvmHttpPanels({ job: backend.name }), ...postgresPanels({ job: postgres.name })],
      backups: { cronJobs: [{ cronJob: 'postgres-backup', label: 'Postgres' }], maxAgeHours: cfg.backups.maxAgeHours },
    });
  }
}
