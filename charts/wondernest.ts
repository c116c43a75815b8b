import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';
import { stackLabels } from '../lib/core/labels';
import { httpServicePanels, httpServiceRules, postgresPanels, postgresRules, redisPanels, redisRules } from '../lib/constructs/monitoring';
import { RedisCache } from '../lib/constructs/data/redis-cache';
import { ServiceGraph } from '../lib/constructs/network/service-graph';
import { TlsIngress } from '../lib/constructs/network/tls-ingress';
import { WebService } from '../lib/constructs/workloads/web-service';
import { BackupTargets, backupJobs, devLocalStack, postgresBackup, postgresFromConfig, redisBackup, stackFoundation, stackMonitoring, wireBackupJobs } from './stack-wiring';

export interface WonderNestChartProps {
  readonly env: EnvironmentConfig;
}

/**
 * WonderNest (seed 000): Ktor API, PostgreSQL 15, Redis 7.2, backups, monitoring,
 * and in dev pgAdmin and LocalStack. Composes library constructs only.
 */
export class WonderNestChart extends Chart {
  public readonly graph: ServiceGraph;

  constructor(scope: Construct, id: string, props: WonderNestChartProps) {
    const { env } = props;
    const cfg = env.stacks.wondernest;
    const ns = cfg.namespace;
    super(scope, id, { namespace: ns, disableResourceNameHashes: true, labels: stackLabels('wondernest') });
    const partOf = 'wondernest';
    const release = env.monitoring.release;

    const { graph, secrets } = stackFoundation(this, env, { namespace: ns, partOf, aws: cfg.aws });
    this.graph = graph;

    const pgSecret = secrets.secret('postgres-credentials', ['POSTGRES_PASSWORD', 'APP_PASSWORD', 'ANALYTICS_PASSWORD', 'EXPORTER_PASSWORD']);
    const redisSecret = secrets.secret('redis-credentials', ['REDIS_PASSWORD']);
    const apiSecret = secrets.secret('api-secrets', ['JWT_SECRET', 'SENDGRID_API_KEY']);

    // --- data stores ---------------------------------------------------------------------
    const postgres = postgresFromConfig(this, graph, cfg.postgres, {
      namespace: ns,
      partOf,
      release,
      superuserPassword: pgSecret.POSTGRES_PASSWORD,
      roles: [
        { name: 'wondernest_app', access: 'owner', connectionLimit: cfg.appConnectionLimit, password: pgSecret.APP_PASSWORD },
        { name: 'wondernest_analytics', access: 'readonly', connectionLimit: cfg.analyticsConnectionLimit, password: pgSecret.ANALYTICS_PASSWORD },
      ],
      exporterPassword: pgSecret.EXPORTER_PASSWORD,
    });

    const redis = new RedisCache(this, 'redis', {
      namespace: ns,
      partOf,
      image: cfg.redis.image,
      password: redisSecret.REDIS_PASSWORD,
      maxmemory: cfg.redis.maxmemory,
      maxmemoryPolicy: cfg.redis.maxmemoryPolicy,
      resources: cfg.redis.resources,
      storage: cfg.redis.storage,
      exporter: { image: cfg.redis.exporterImage, resources: cfg.redis.exporterResources },
      release,
    });
    graph.addComponent(redis);

    // --- dev tools -----------------------------------------------------------------------
    const localstackHost = devLocalStack(this, graph, cfg.localstack, { namespace: ns, partOf, services: ['s3', 'ses', 'sns', 'sqs'], buckets: [cfg.backups.bucket] });

    // --- api -----------------------------------------------------------------------------
    const api = new WebService(this, 'api', {
      namespace: ns,
      name: 'api',
      partOf,
      image: cfg.api.image,
      standIn: cfg.api.standIn,
      port: 8080,
      runAs: { user: 1001 },
      resources: cfg.api.resources,
      readinessPath: '/health',
      startupSeconds: 60,
      metricsPath: '/metrics',
      release,
      replicas: cfg.api.replicas,
      autoscaling: cfg.api.autoscaling,
      spreadAcrossZones: env.spreadAcrossZones,
      env: {
        DB_HOST: postgres.host,
        DB_PORT: String(postgres.port),
        DB_NAME: postgres.database,
        DB_USERNAME: 'wondernest_app',
        REDIS_HOST: redis.host,
        REDIS_PORT: String(redis.port),
        CORS_ALLOWED_ORIGINS: cfg.corsAllowedOrigins.join(','),
        JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError',
        ...(localstackHost ? { AWS_ENDPOINT_URL: `http://${localstackHost}:4566` } : {}),
      },
      secretEnv: {
        DB_PASSWORD: pgSecret.APP_PASSWORD,
        REDIS_PASSWORD: redisSecret.REDIS_PASSWORD,
        JWT_SECRET: apiSecret.JWT_SECRET,
        SENDGRID_API_KEY: apiSecret.SENDGRID_API_KEY,
      },
    });
    graph.addComponent(api);
    graph.allow('ingress-controller', api, 'http');
    graph.allow(api, postgres, 'postgres');
    graph.allow(api, redis, 'redis');
    if (localstackHost) graph.allow(api, 'localstack', 'http');
    else graph.allowInternet(api, 443); // SendGrid and AWS APIs

    new TlsIngress(this, 'ingress', {
      namespace: ns,
      name: 'api',
      labels: { 'app.kubernetes.io/part-of': partOf },
      host: cfg.host,
      className: env.ingress.className,
      clusterIssuer: env.tls.clusterIssuer,
      routes: [{ serviceName: 'api', servicePort: 8080 }],
      edge: { securityHeaders: { contentSecurityPolicy: "default-src 'self'", hstsSeconds: 31536000, frameOptions: 'DENY' } },
    });

    if (cfg.pgadmin.enabled) {
      const pgadminSecret = secrets.secret('pgadmin-credentials', ['PGADMIN_DEFAULT_PASSWORD']);
      const pgadmin = new WebService(this, 'pgadmin', {
        namespace: ns,
        name: 'pgadmin',
        partOf,
        component: 'dev-tool',
        image: cfg.pgadmin.image,
        port: 5050,
        runAs: { user: 5050 },
        resources: cfg.pgadmin.resources,
        readinessPath: '/misc/ping',
        startupSeconds: 120,
        replicas: 1,
        env: {
          PGADMIN_DEFAULT_EMAIL: cfg.pgadmin.email,
          PGADMIN_LISTEN_PORT: '5050',
          PGADMIN_SERVER_JSON_FILE: '/pgadmin4/servers.json',
          PGADMIN_DISABLE_POSTFIX: 'true',
        },
        secretEnv: { PGADMIN_DEFAULT_PASSWORD: pgadminSecret.PGADMIN_DEFAULT_PASSWORD },
        configs: [{
          path: '/pgadmin4',
          asFiles: true,
          files: {
            'servers.json': JSON.stringify({ Servers: { 1: { Name: 'WonderNest', Group: 'Servers', Host: postgres.host, Port: postgres.port, MaintenanceDB: postgres.database, Username: 'wondernest_app', SSLMode: 'prefer' } } }, null, 2),
            // A non-empty config_distro.py stops the entrypoint from writing into the read-only image.
            'config_distro.py': "CA_FILE = '/etc/ssl/certs/ca-certificates.crt'\nLOG_FILE = '/dev/null'\nHELP_PATH = '../../docs'\nUPGRADE_CHECK_ENABLED = False\n",
          },
        }],
        writablePaths: [{ path: '/var/lib/pgadmin', sizeLimit: '256Mi' }, { path: '/tmp', sizeLimit: '128Mi' }],
      });
      graph.addComponent(pgadmin);
      graph.allow(pgadmin, postgres, 'postgres');
    }

    // --- backups -------------------------------------------------------------------------
    const targets = new BackupTargets(secrets, cfg.backups, partOf, cfg.aws, localstackHost);
    const pgBackup = postgresBackup(this, postgres, {
      namespace: ns,
      partOf,
      image: cfg.postgres.image,
      schedule: cfg.backups.postgresSchedule,
      backups: cfg.backups,
      target: targets.for('postgres'),
    });
    const redisJobs = redisBackup(this, redis, {
      namespace: ns,
      partOf,
      image: cfg.redis.image,
      schedule: cfg.backups.redisSchedule,
      backups: cfg.backups,
      target: targets.for('redis'),
    });
    wireBackupJobs(graph, [...backupJobs(pgBackup, postgres, 'postgres'), ...backupJobs(redisJobs, redis, 'redis')], localstackHost);

    // --- monitoring ----------------------------------------------------------------------
    stackMonitoring(this, {
      namespace: ns,
      name: 'wondernest',
      title: 'WonderNest',
      release,
      rules: [
        // The seed's HighErrorRate keeps its name; the other alerts are prefixed per component.
        ...httpServiceRules({ namespace: ns, job: 'api', alertPrefix: '', errorMetric: 'http_requests_total', statusLabel: 'status', errorRateThreshold: 0.1 }),
        ...postgresRules({ namespace: ns, job: 'postgres', alertPrefix: '', connectionsThreshold: 80 }),
        ...redisRules({ namespace: ns, job: 'redis', alertPrefix: '', memoryRatio: 0.9 }),
      ],
      panels: [
        ...httpServicePanels({ job: 'api', errorMetric: 'http_requests_total', statusLabel: 'status' }),
        ...postgresPanels({ job: 'postgres' }),
        ...redisPanels({ job: 'redis' }),
      ],
      backups: { cronJobs: [{ cronJob: 'postgres-backup', label: 'Postgres' }, { cronJob: 'redis-backup', label: 'Redis' }], maxAgeHours: cfg.backups.maxAgeHours },
    });
  }
}
