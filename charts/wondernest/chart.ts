import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PlatformConfig } from '../../lib/config/platform-schema';
import { StackProps } from '../../lib/config/stack-module';
import { stackLabels } from '../../lib/core/labels';
import {
  httpServicePanels,
  httpServiceRules,
  connectionPoolPanels,
  jvmPanels,
  latencySloPanels,
  postgresPanels,
  postgresRules,
  postgresWalArchiveRules,
  redisHitRatioPanels,
  redisPanels,
  redisRules,
} from '../../lib/constructs/monitoring';
import { PostgresDatabase } from '../../lib/constructs/data/postgres-database';
import { RedisCache } from '../../lib/constructs/data/redis-cache';
import { LocalStack } from '../../lib/constructs/data/localstack';
import { StatefulStore } from '../../lib/constructs/data/stateful-store';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { TlsIngress } from '../../lib/constructs/network/tls-ingress';
import { WebService } from '../../lib/constructs/workloads/web-service';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
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
  redisBackup,
  stackFoundation,
  stackMonitoring,
  wireBackupJobs,
  workloadAwsAccess,
} from '../../lib/stack/stack-wiring';
import { WorkloadAwsAccess } from '../../lib/constructs/workloads/workload-aws-access';
import { WalArchive } from '../../lib/constructs/backup/wal-archive';

import { WonderNestConfig } from './schema';

type SecretRefs = ReturnType<SecretsBackend['secret']>;

/** The stack's Secrets (generated in dev, from AWS Secrets Manager in prod). */
interface WonderNestCredentials {
  readonly pgSecret: SecretRefs;
  readonly redisSecret: SecretRefs;
  readonly apiSecret: SecretRefs;
}

/** The stores the api and the backups connect to. */
interface WonderNestStores {
  readonly postgres: PostgresDatabase;
  readonly redis: RedisCache;
  /** PostgreSQL's WAL archive, with point-in-time recovery on. */
  readonly walArchive?: WalArchive;
}

/**
 * WonderNest (seed 000): Ktor API, PostgreSQL 15, Redis 7.2, backups, monitoring,
 * and in dev pgAdmin and LocalStack. Composes library constructs only.
 */
export class WonderNestChart extends Chart {
  public readonly graph: ServiceGraph;
  private readonly cfg: WonderNestConfig;
  private readonly platform: PlatformConfig;
  private readonly secrets: SecretsBackend;
  private readonly stack: { readonly namespace: string; readonly partOf: string; readonly release: string };

  constructor(scope: Construct, id: string, props: StackProps<WonderNestConfig>) {
    const { config: cfg, platform } = props;
    super(scope, id, { namespace: cfg.namespace, disableResourceNameHashes: true, labels: stackLabels('wondernest') });
    this.cfg = cfg;
    this.platform = platform;
    this.stack = { namespace: cfg.namespace, partOf: 'wondernest', release: platform.monitoring.release };
    const { graph, secrets } = stackFoundation(this, platform, { namespace: cfg.namespace, partOf: this.stack.partOf, aws: cfg.aws });
    this.graph = graph;
    this.secrets = secrets;

    const credentials = this.credentials();
    const stores = this.dataStores(credentials);
    const localstack = devLocalStack(this, graph, cfg.localstack, {
      namespace: cfg.namespace,
      partOf: this.stack.partOf,
      services: ['s3', 'ses', 'sns', 'sqs'],
      buckets: [cfg.backups.bucket, cfg.apiAws.uploads.bucket],
      topics: cfg.apiAws.topics,
      queues: cfg.apiAws.queues,
      emailIdentities: [cfg.apiAws.emailIdentity],
    });
    this.api(stores, credentials, localstack);
    if (cfg.pgadmin.enabled) this.pgadmin(stores.postgres);
    this.backups(stores, localstack);
    this.monitoring(stores.postgres);
  }

  /** The stack's Secrets, declared before anything reads them. */
  private credentials(): WonderNestCredentials {
    return {
      pgSecret: this.secrets.secret('postgres-credentials', [
        'POSTGRES_PASSWORD',
        'APP_PASSWORD',
        'ANALYTICS_PASSWORD',
        'EXPORTER_PASSWORD',
        ...(this.cfg.postgres.standby.enabled ? ['REPLICATION_PASSWORD'] : []),
      ]),
      redisSecret: this.secrets.secret('redis-credentials', ['REDIS_PASSWORD']),
      apiSecret: this.secrets.secret('api-secrets', ['JWT_SECRET', 'SENDGRID_API_KEY']),
    };
  }

  /** PostgreSQL (the seed's roles) and Redis. */
  private dataStores({ pgSecret, redisSecret }: WonderNestCredentials): WonderNestStores {
    const { cfg, stack } = this;
    const walArchive = postgresWalArchive(this, this.secrets, { ...stack, backups: cfg.backups, aws: cfg.aws });
    const postgres = postgresFromConfig(this, this.graph, cfg.postgres, {
      ...stack,
      ...(walArchive ? { walArchive } : {}),
      superuserPassword: pgSecret.POSTGRES_PASSWORD,
      roles: [
        { name: 'wondernest_app', access: 'owner', connectionLimit: cfg.appConnectionLimit, password: pgSecret.APP_PASSWORD },
        {
          name: 'wondernest_analytics',
          access: 'readonly',
          connectionLimit: cfg.analyticsConnectionLimit,
          password: pgSecret.ANALYTICS_PASSWORD,
        },
      ],
      exporterPassword: pgSecret.EXPORTER_PASSWORD,
      replicationPassword: pgSecret.REPLICATION_PASSWORD,
    });
    const redis = new RedisCache(this, 'redis', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      image: cfg.redis.image,
      password: redisSecret.REDIS_PASSWORD,
      maxmemory: cfg.redis.maxmemory,
      maxmemoryPolicy: cfg.redis.maxmemoryPolicy,
      resources: cfg.redis.resources,
      storage: cfg.redis.storage,
      exporter: { image: cfg.redis.exporterImage, resources: cfg.redis.exporterResources },
      release: stack.release,
    });
    this.graph.addComponent(redis);
    return { postgres, redis, ...(walArchive ? { walArchive } : {}) };
  }

  /** The Ktor API behind the TLS ingress with the seed's security headers. */
  private api(
    { postgres, redis }: WonderNestStores,
    { pgSecret, redisSecret, apiSecret }: WonderNestCredentials,
    localstack: LocalStack | undefined,
  ): void {
    const { cfg, platform, stack, graph } = this;
    const pgClient = postgresClientEnv(postgres);
    const aws = this.apiAwsAccess(localstack);
    const api = new WebService(this, 'api', {
      namespace: stack.namespace,
      name: 'api',
      partOf: stack.partOf,
      image: cfg.api.image,
      standIn: cfg.api.standIn,
      port: 8080,
      runAs: { user: 1001 },
      resources: cfg.api.resources,
      readinessPath: '/health',
      startupSeconds: 60,
      metricsPath: '/metrics',
      release: stack.release,
      replicas: cfg.api.replicas,
      autoscaling: cfg.api.autoscaling,
      spreadAcrossZones: platform.spreadAcrossZones,
      env: {
        DB_HOST: postgres.host,
        DB_PORT: String(postgres.port),
        DB_NAME: postgres.database,
        DB_USERNAME: 'wondernest_app',
        // JDBC takes TLS from the URL (verify-full against the mounted CA); libpq tools from PGSSL*.
        DB_URL: postgres.jdbcUrl(),
        ...pgClient.env,
        // Read by the api's HikariConfig beside DB_POOL_MAX_SIZE / DB_POOL_MIN_IDLE.
        DB_POOL_CONNECTION_TIMEOUT_MS: String(cfg.api.poolTimeouts.connectionMs),
        DB_POOL_IDLE_TIMEOUT_MS: String(cfg.api.poolTimeouts.idleMs),
        DB_POOL_MAX_LIFETIME_MS: String(cfg.api.poolTimeouts.maxLifetimeMs),
        DB_POOL_LEAK_DETECTION_MS: String(cfg.api.poolTimeouts.leakDetectionMs),
        REDIS_HOST: redis.host,
        REDIS_PORT: String(redis.port),
        CORS_ALLOWED_ORIGINS: cfg.corsAllowedOrigins.join(','),
        // The seed's image sets MaxRAMPercentage=50; ours is 75 because the container holds only the
        // JVM (the limit is the heap's budget plus metaspace and threads), and exiting on OOM lets Kubernetes restart it.
        JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError',
        FLYWAY_ENABLED: String(cfg.flyway.enabled),
        FLYWAY_BASELINE_ON_MIGRATE: String(cfg.flyway.baselineOnMigrate),
        ...this.apiAwsEnv(aws),
      },
      serviceAccountAnnotations: aws.serviceAccountAnnotations,
      secretEnv: {
        DB_PASSWORD: pgSecret.APP_PASSWORD,
        REDIS_PASSWORD: redisSecret.REDIS_PASSWORD,
        JWT_SECRET: apiSecret.JWT_SECRET,
        SENDGRID_API_KEY: apiSecret.SENDGRID_API_KEY,
        ...aws.secretEnv,
      },
      secretFiles: pgClient.secretFiles,
    });
    // The api builds its HikariConfig in code (the seed's), so its pool bounds are variables of its own (DB_POOL_ENV).
    postgres.client(api.deployment, { role: 'wondernest_app', poolSize: cfg.api.pool.maxSize, minIdle: cfg.api.pool.minIdle });
    graph.addComponent(api);
    graph.allow('ingress-controller', api, 'http');
    graph.allow(api, postgres, 'postgres');
    graph.allow(api, redis, 'redis');
    // LocalStack's port in dev; HTTPS egress in prod (the AWS APIs and SendGrid).
    aws.allowAccess(graph, api);

    new TlsIngress(this, 'ingress', {
      namespace: stack.namespace,
      name: 'api',
      labels: { 'app.kubernetes.io/part-of': stack.partOf },
      host: cfg.host,
      className: platform.ingress.className,
      clusterIssuer: platform.tls.clusterIssuer,
      routes: [{ serviceName: 'api', servicePort: 8080 }],
      edge: { securityHeaders: { contentSecurityPolicy: "default-src 'self'", hstsSeconds: 31536000, frameOptions: 'DENY' } },
    });
  }

  /**
   * The api's AWS identity: IRSA with the policy of `apiAws` in prod, LocalStack with generated
   * keys in dev. Uploads (the seed's /app/uploads) go to the uploads bucket, never a pod volume.
   */
  private apiAwsAccess(localstack: LocalStack | undefined): WorkloadAwsAccess {
    const { apiAws } = this.cfg;
    return workloadAwsAccess(this, this.secrets, {
      workload: 'api',
      region: apiAws.region,
      permissions: {
        objects: [apiAws.uploads],
        emailIdentities: [apiAws.emailIdentity],
        topics: apiAws.topics,
        queues: apiAws.queues,
      },
      roleArn: this.cfg.aws?.apiRoleArn,
      localstack,
    });
  }

  /** The api's AWS env: SDK endpoint/region (and keys in dev), and what it may use. */
  private apiAwsEnv(aws: WorkloadAwsAccess): Record<string, string> {
    const { apiAws } = this.cfg;
    return {
      ...aws.env,
      UPLOADS_S3_BUCKET: apiAws.uploads.bucket,
      UPLOADS_S3_PREFIX: apiAws.uploads.prefix,
      SES_FROM_IDENTITY: apiAws.emailIdentity,
      SNS_TOPIC_ARNS: apiAws.topics.map((t) => aws.topicArn(t)).join(','),
      SQS_QUEUE_NAMES: apiAws.queues.join(','),
    };
  }

  /**
   * pgAdmin (dev only), preconfigured with the database; reachable by port-forward. Its state
   * (/var/lib/pgadmin: settings, saved queries) is on a PVC the StatefulSet retains.
   */
  private pgadmin(postgres: PostgresDatabase): void {
    const { cfg, stack } = this;
    const storage = cfg.pgadmin.storage;
    if (!storage) throw new Error("pgadmin.storage is missing; expected a PVC such as { size: '512Mi', storageClassName: 'standard' }");
    const pgadminSecret = this.secrets.secret('pgadmin-credentials', ['PGADMIN_DEFAULT_PASSWORD']);
    const runAs = { user: 5050 };
    const pgadmin = new StatefulStore(this, 'pgadmin', {
      namespace: stack.namespace,
      name: 'pgadmin',
      partOf: stack.partOf,
      component: 'dev-tool',
      ports: { http: 5050 },
      runAs,
      container: {
        image: cfg.pgadmin.image,
        runAs,
        resources: cfg.pgadmin.resources,
        env: {
          PGADMIN_DEFAULT_EMAIL: cfg.pgadmin.email,
          PGADMIN_LISTEN_PORT: '5050',
          PGADMIN_SERVER_JSON_FILE: '/pgadmin4/servers.json',
          PGADMIN_DISABLE_POSTFIX: 'true',
          ...postgresClientEnv(postgres).env,
        },
        secretEnv: { PGADMIN_DEFAULT_PASSWORD: pgadminSecret.PGADMIN_DEFAULT_PASSWORD },
        readiness: { httpGet: { path: '/misc/ping', port: 'http' } },
        liveness: { httpGet: { path: '/misc/ping', port: 'http' } },
        startupSeconds: 120,
        writablePaths: [{ path: '/tmp', sizeLimit: '128Mi' }],
      },
      dataPath: '/var/lib/pgadmin',
      storage,
      secretFiles: postgresClientEnv(postgres).secretFiles.map((f) => ({
        volume: 'postgres-ca',
        secretName: f.secretName,
        keys: f.keys,
        mountPath: f.path,
        defaultMode: 0o444,
        containers: ['main' as const],
      })),
      configs: [
        {
          suffix: 'config',
          mountPath: '/pgadmin4',
          asFiles: true,
          files: {
            'servers.json': JSON.stringify(
              {
                Servers: {
                  1: {
                    Name: 'WonderNest',
                    Group: 'Servers',
                    Host: postgres.host,
                    Port: postgres.port,
                    MaintenanceDB: postgres.database,
                    Username: 'wondernest_app',
                    // The CA comes from PGSSLROOTCERT (libpq's fallback when the server entry names none).
                    ConnectionParameters: { sslmode: 'verify-full' },
                  },
                },
              },
              null,
              2,
            ),
            // A non-empty config_distro.py stops the entrypoint from writing into the read-only image.
            'config_distro.py':
              "CA_FILE = '/etc/ssl/certs/ca-certificates.crt'\nLOG_FILE = '/dev/null'\nHELP_PATH = '../../docs'\nUPGRADE_CHECK_ENABLED = False\n",
          },
        },
      ],
    });
    this.graph.addComponent(pgadmin);
    this.graph.allow(pgadmin, postgres, 'postgres');
  }

  /** Daily verified pg_dump and Redis RDB snapshot to S3 (LocalStack in dev), with restores. */
  private backups({ postgres, redis, walArchive }: WonderNestStores, localstack: LocalStack | undefined): void {
    const { cfg, stack } = this;
    const targets = new BackupTargets(this.secrets, {
      partOf: stack.partOf,
      backups: cfg.backups,
      aws: cfg.aws,
      ...(localstack ? { inCluster: { server: localstack, port: localstack.s3Port } } : {}),
    });
    const common = { namespace: stack.namespace, partOf: stack.partOf, backups: cfg.backups };
    const pgBackup = postgresBackup(this, postgres, {
      ...common,
      image: cfg.postgres.image,
      schedule: cfg.backups.postgresSchedule,
      target: targets.for('postgres'),
    });
    const redisJobs = redisBackup(this, redis, {
      ...common,
      image: cfg.redis.image,
      schedule: cfg.backups.redisSchedule,
      target: targets.for('redis'),
    });
    wireBackupJobs(this.graph, [...backupJobs(pgBackup, postgres, 'postgres'), ...backupJobs(redisJobs, redis, 'redis')], targets.storage);
    if (walArchive) {
      postgresPointInTimeRecovery(this, this.graph, postgres, walArchive, {
        ...common,
        pg: cfg.postgres,
        dumpTarget: targets.for('postgres'),
        storage: targets.storage,
      });
    }
  }

  /** The seed's alerts and the System Health dashboard, plus backup alerts and panels. */
  private monitoring(postgres: PostgresDatabase): void {
    const { namespace: ns, release } = this.stack;
    const pitr = this.cfg.backups.postgresPitr.enabled;
    stackMonitoring(this, {
      namespace: ns,
      name: 'wondernest',
      title: 'WonderNest',
      release,
      rules: [
        // The seed's HighErrorRate keeps its name; the other alerts are prefixed per component.
        ...httpServiceRules({
          namespace: ns,
          job: 'api',
          alertPrefix: '',
          errorMetric: 'http_requests_total',
          statusLabel: 'status',
          errorRateThreshold: 0.1,
        }),
        ...postgresRules({ namespace: ns, job: 'postgres', alertPrefix: '', connectionsThreshold: 80 }),
        ...postgresStandbyRules(postgres),
        ...(pitr
          ? postgresWalArchiveRules({ namespace: ns, job: 'postgres', alertPrefix: '', maxArchiveAgeHours: this.cfg.backups.maxAgeHours })
          : []),
        ...redisRules({ namespace: ns, job: 'redis', alertPrefix: '', memoryRatio: 0.9 }),
      ],
      panels: [
        ...httpServicePanels({ job: 'api', errorMetric: 'http_requests_total', statusLabel: 'status' }),
        ...postgresPanels({ job: 'postgres' }),
        ...redisPanels({ job: 'redis' }),
      ],
      backups: {
        cronJobs: [
          { cronJob: 'postgres-backup', label: 'Postgres' },
          { cronJob: 'redis-backup', label: 'Redis' },
          ...(pitr ? [{ cronJob: 'postgres-basebackup', label: 'PostgresBase' }] : []),
        ],
        maxAgeHours: this.cfg.backups.maxAgeHours,
      },
      dashboards: [
        {
          // The seed's System Health dashboard: response times, JVM memory, the HikariCP pool, Redis hits.
          name: 'wondernest-system-health',
          title: 'WonderNest System Health',
          panels: [
            // http_request_duration_seconds: the seed's Ktor/Micrometer response-time histogram.
            ...latencySloPanels({ job: 'api', bucketMetric: 'http_request_duration_seconds_bucket' }),
            ...jvmPanels({ job: 'api' }),
            // HikariCP publishes hikaricp_connections_* once the pool is given the Micrometer registry.
            ...connectionPoolPanels({ job: 'api' }),
            ...redisHitRatioPanels({ job: 'redis' }),
          ],
        },
      ],
    });
  }
}
