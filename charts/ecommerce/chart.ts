import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { PlatformConfig } from '../../lib/config/platform-schema';
import { StackProps } from '../../lib/config/stack-module';
import { stackLabels } from '../../lib/core/labels';
import { ServiceGraph } from '../../lib/constructs/network/service-graph';
import { TlsIngress } from '../../lib/constructs/network/tls-ingress';
import { SecretsBackend } from '../../lib/constructs/platform/secrets-backend';
import { SecretKeyRef } from '../../lib/constructs/workloads/container';
import { WebService, WebServiceProps } from '../../lib/constructs/workloads/web-service';
import { BackupTargets, backupJobs, stackFoundation, stackMonitoring, wireBackupJobs } from '../../lib/stack/stack-wiring';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { MongoDbBackupEngine } from '../../lib/constructs/backup/mongodb-backup-engine';
import { MongoDatabase } from '../../lib/constructs/data/mongodb-database';
import {
  httpServicePanels,
  httpServiceRules,
  mongodbPanels,
  mongodbRules,
  namespaceOverviewPanels,
  resourceUsagePanels,
  resourceUsageRules,
  volumeSpaceRules,
} from '../../lib/constructs/monitoring';
import { NamespaceCaIssuer } from '../../lib/constructs/platform/namespace-ca-issuer';
import { BucketMirror } from '../../lib/constructs/storage/bucket-mirror';
import { AmazonS3Storage, ObjectStorage } from '../../lib/constructs/storage';
import { MinioServer } from '../../lib/constructs/storage/minio-server';
import { BucketSetup } from '../../lib/constructs/storage/bucket-setup';
import {
  bucketPolicy,
  BucketPolicyStatement,
  BucketSpec,
  denyInsecureTransport,
  denyVersionRemoval,
} from '../../lib/constructs/storage/bucket-settings';
import { EcommerceConfig } from './schema';

/** Ports fixed by the seeds. */
export const GATEWAY_PORT = 5921;
export const BACKEND_PORT = 3847;

/** Seconds a Node.js app gets to finish in-flight requests after SIGTERM (the seed's graceful shutdown). */
const SHUTDOWN_SECONDS = 20;
/** Seconds a pod keeps serving after it left the endpoints, so the ingress and the gateway stop sending to it first. */
const PRESTOP_SECONDS = 5;

/** The object store: the in-cluster server (dev) or Amazon S3, and where backups go. */
interface EcommerceObjectStore {
  /** The in-cluster server, when the provider is `in-cluster`. */
  readonly server?: MinioServer;
  /** Storage as an IRSA role or the server's credentials see it, per use. */
  readonly forBackend: ObjectStorage;
  readonly forBucketSetup: ObjectStorage;
  readonly backups: BackupTargets;
}

/**
 * The e-commerce platform (seeds 002/003): the gateway (the only public service), the internal
 * backend, MongoDB, object storage, backups and monitoring. Composes library constructs only.
 */
export class EcommerceChart extends Chart {
  public readonly graph: ServiceGraph;
  private readonly cfg: EcommerceConfig;
  private readonly platform: PlatformConfig;
  private readonly secrets: SecretsBackend;
  private dsn?: Readonly<Record<string, SecretKeyRef>>;
  private readonly stack: { readonly namespace: string; readonly partOf: string; readonly release: string };

  constructor(scope: Construct, id: string, props: StackProps<EcommerceConfig>) {
    const { config: cfg, platform } = props;
    super(scope, id, { namespace: cfg.namespace, disableResourceNameHashes: true, labels: stackLabels('ecommerce') });
    this.cfg = cfg;
    this.platform = platform;
    this.stack = { namespace: cfg.namespace, partOf: 'ecommerce', release: platform.monitoring.release };
    const { graph, secrets } = stackFoundation(this, platform, { namespace: cfg.namespace, partOf: this.stack.partOf, aws: cfg.aws });
    this.graph = graph;
    this.secrets = secrets;

    const objectStore = this.objectStore();
    const mongo = this.mongodb();
    const backend = this.backend(mongo, objectStore.forBackend);
    const gateway = this.gateway(backend);
    this.ingress(gateway);
    this.buckets(objectStore);
    if (objectStore.server?.consoleEnabled) this.toolsIngress(objectStore.server);
    this.backups(mongo, objectStore);
    this.monitoring();
  }

  /**
   * MongoDB as a replica set (1 member in dev, 3 across zones in prod): root, app (readWrite on
   * the database only), exporter and backup users, passwords from Secrets; TLS in prod with a
   * certificate from the namespace's own CA (cluster-internal names cannot get a public one).
   */
  private mongodb(): MongoDatabase {
    const { cfg, platform, stack } = this;
    const m = cfg.mongodb;
    const creds = this.secrets.secret('mongodb-credentials', [
      'ROOT_PASSWORD',
      'APP_PASSWORD',
      'EXPORTER_PASSWORD',
      'BACKUP_PASSWORD',
      'REPLICA_SET_KEY',
    ]);
    const ca = m.tls
      ? new NamespaceCaIssuer(this, 'internal-ca', { namespace: stack.namespace, labels: { 'app.kubernetes.io/part-of': stack.partOf } })
      : undefined;
    const mongo = new MongoDatabase(this, 'mongodb', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      image: m.image,
      replicas: m.replicas,
      database: m.database,
      // The seeds' MONGO_INITDB_ROOT_USERNAME.
      rootUser: { username: 'admin', password: creds.ROOT_PASSWORD },
      appUser: { username: m.appUser, password: creds.APP_PASSWORD },
      keyFile: creds.REPLICA_SET_KEY,
      resources: m.resources,
      storage: m.storage,
      ...(ca ? { tls: { secretName: 'mongodb-tls', issuer: ca.issuerRef } } : {}),
      exporter: {
        image: m.exporterImage,
        resources: m.exporterResources,
        user: { username: 'mongodb_exporter', password: creds.EXPORTER_PASSWORD },
      },
      backupUser: { username: 'backup', password: creds.BACKUP_PASSWORD },
      release: stack.release,
      spreadAcrossZones: platform.spreadAcrossZones,
    });
    mongo.addToGraph(this.graph);
    return mongo;
  }

  /**
   * Daily verified `mongodump --archive --gzip --oplog` of the whole instance to the backup bucket
   * with checksum and retention, a restore Job (safety dump first), and a scheduled mirror of the
   * application bucket next to it (the seed's "Backup MinIO data").
   */
  private backups(mongo: MongoDatabase, store: EcommerceObjectStore): void {
    const { cfg, stack } = this;
    const b = cfg.backups;
    const backup = new DatabaseBackup(this, 'mongodb-backup', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      name: 'mongodb-backup',
      helmPrefix: 'backups.mongodb',
      engine: new MongoDbBackupEngine(),
      source: mongo.backupSource(),
      schedule: b.mongodbSchedule,
      retentionDays: b.retentionDays,
      target: store.backups.for('mongodb'),
      uploaderImage: b.uploaderImage,
      resources: b.resources,
    });
    wireBackupJobs(this.graph, backupJobs(backup, mongo, 'mongodb'), store.backups.storage);
    const mirror = new BucketMirror(this, 'objects-mirror', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      name: 'objects-mirror',
      helmPrefix: 'backups.objects',
      source: { storage: store.backups.storage, bucket: cfg.objectStore.buckets.app },
      target: { storage: store.backups.storage, bucket: cfg.objectStore.buckets.backups, prefix: `${stack.partOf}/objects` },
      // encrypted as the backups are: SSE-KMS with backups.kmsKeyId and REQUIRE_SSE on Amazon S3 (prod); MinIO (dev) none
      ...store.backups.encryption(),
      schedule: b.mirrorSchedule,
      image: b.uploaderImage,
      resources: b.resources,
    });
    mirror.addTo(this.graph);
  }

  /**
   * The seeds' alerts (HighErrorRate: 5xx above 5 % for 10m; ServiceDown 2m; HighLatency p95 above
   * 1s for 5m, over the histogram buckets the seed's expression forgot), MongoDB, container
   * resources and volume space, backups; the seed's four dashboards.
   */
  private monitoring(): void {
    const { namespace, release } = this.stack;
    const replicaSet = this.cfg.mongodb.replicas > 1;
    const http = (job: string, alertPrefix: string) =>
      httpServiceRules({
        namespace,
        job,
        alertPrefix,
        errorRatioThreshold: 0.05,
        errorFor: '10m',
        latencyP95Seconds: 1,
        latencyBucketMetric: 'http_request_duration_seconds_bucket',
        latencyFor: '5m',
      });
    const panels = (job: string, titlePrefix: string) =>
      httpServicePanels({ job, errorMetric: 'http_requests_total', statusLabel: 'status', errorRatio: true, titlePrefix });
    stackMonitoring(this, {
      namespace,
      name: 'ecommerce',
      title: 'E-commerce · Platform Overview',
      release,
      rules: [
        ...http('gateway', 'Gateway'),
        ...http('backend', 'Backend'),
        ...mongodbRules({ namespace, job: 'mongodb', alertPrefix: '', replicaSet }),
        ...resourceUsageRules({ namespace, alertPrefix: 'Ecommerce' }),
        ...volumeSpaceRules({ namespace, alertPrefix: 'Ecommerce' }),
      ],
      panels: namespaceOverviewPanels(),
      dashboards: [
        {
          name: 'ecommerce-service-health',
          title: 'E-commerce · Service Health',
          panels: [...panels('gateway', 'Gateway: '), ...panels('backend', 'Backend: ')],
        },
        { name: 'ecommerce-mongodb', title: 'E-commerce · MongoDB', panels: mongodbPanels({ job: 'mongodb', replicaSet }) },
        { name: 'ecommerce-system-resources', title: 'E-commerce · System Resources', panels: resourceUsagePanels() },
      ],
      backups: {
        cronJobs: [
          { cronJob: 'mongodb-backup', label: 'MongoDB' },
          { cronJob: 'objects-mirror', label: 'ObjectMirror' },
        ],
        maxAgeHours: this.cfg.backups.maxAgeHours,
      },
    });
  }

  /**
   * The object store. In dev the seed's MinIO in the namespace: the backend and the jobs use its
   * root credentials (a generated Secret; the only account of a dev server). In prod Amazon S3, each
   * user with its own IRSA role: the backend (objects of the app bucket), the bucket setup (bucket
   * settings), the backups and the mirror (the backup bucket, reading the app bucket).
   */
  private objectStore(): EcommerceObjectStore {
    const { cfg, stack } = this;
    const store = cfg.objectStore;
    const backupsConfig = { target: store.provider, bucket: store.buckets.backups, region: store.region, kmsKeyId: cfg.backups.kmsKeyId };
    const common = { partOf: stack.partOf, backups: backupsConfig, aws: cfg.aws };
    if (store.provider === 'in-cluster') {
      const server = store.server!;
      const root = this.secrets.secret('minio-root', ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD']);
      const minio = new MinioServer(this, 'minio', {
        namespace: stack.namespace,
        partOf: stack.partOf,
        image: server.image,
        rootCredentials: { user: root.MINIO_ROOT_USER, password: root.MINIO_ROOT_PASSWORD },
        resources: server.resources,
        storage: server.storage,
        release: stack.release,
        console: server.console.enabled,
        environment: 'development',
      });
      this.graph.addComponent(minio);
      const storage = minio.storage();
      return {
        server: minio,
        forBackend: storage,
        forBucketSetup: storage,
        backups: new BackupTargets(this.secrets, {
          ...common,
          inCluster: { server: minio, port: minio.s3Port, credentials: minio.rootCredentials },
        }),
      };
    }
    const aws = cfg.aws!;
    return {
      forBackend: new AmazonS3Storage({ region: store.region, roleArn: aws.backendRoleArn }),
      forBucketSetup: new AmazonS3Storage({ region: store.region, roleArn: aws.bucketAdminRoleArn }),
      backups: new BackupTargets(this.secrets, { ...common, backups: { ...backupsConfig, target: 's3' } }),
    };
  }

  /**
   * The seed's buckets with versioning, made or checked by an idempotent Job; on Amazon S3 also
   * encryption, public access block, TLS-only access and the lifecycle from config. Nobody may
   * delete a version of a backup (only the lifecycle expires them), so a stolen key cannot erase
   * the backups.
   */
  private buckets(store: EcommerceObjectStore): void {
    const { cfg, stack } = this;
    const { buckets, noncurrentVersionDays, provider } = cfg.objectStore;
    const amazon = provider === 's3';
    const lifecycle = { noncurrentVersionExpirationDays: noncurrentVersionDays, abortIncompleteMultipartUploadDays: 7 };
    const spec = (name: string, extra: BucketPolicyStatement[] = []): BucketSpec => {
      const policy = bucketPolicy([...(amazon ? [denyInsecureTransport(name)] : []), ...extra]);
      return { name, ...(amazon ? { lifecycle } : {}), ...(policy ? { policy } : {}) };
    };
    new BucketSetup(this, 'bucket-setup', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      storage: store.forBucketSetup,
      buckets: [spec(buckets.app), spec(buckets.backups, [denyVersionRemoval(buckets.backups, 'KeepBackupVersions')]), spec(buckets.logs)],
      image: cfg.backups.uploaderImage,
      resources: cfg.backups.resources,
    }).addTo(this.graph);
  }

  /** Development UIs behind one TLS Ingress that admits only `tools.allowedCidrs` (the seed: "restrict ... to trusted IPs"). */
  private toolsIngress(minio: MinioServer): void {
    const { cfg, platform, stack } = this;
    const tools = cfg.tools!;
    new TlsIngress(this, 'tools-ingress', {
      namespace: stack.namespace,
      name: 'tools',
      labels: { 'app.kubernetes.io/part-of': stack.partOf },
      host: tools.host,
      className: platform.ingress.className,
      clusterIssuer: platform.tls.clusterIssuer,
      helmPrefix: 'toolsIngress',
      routes: [{ serviceName: minio.name, servicePort: minio.ports.console }],
      edge: {
        ipAllowList: tools.allowedCidrs,
        securityHeaders: { frameOptions: 'SAMEORIGIN', contentSecurityPolicy: "default-src 'self' 'unsafe-inline' data: blob:" },
      },
    });
    this.graph.allow('ingress-controller', minio, 'console');
  }

  /** SENTRY_DSN of an app from the `error-tracking-dsn` Secret (one DSN per project), when error tracking is on. */
  private sentryEnv(app: 'GATEWAY' | 'BACKEND'): Record<string, SecretKeyRef> {
    if (!this.cfg.errorTracking.enabled) return {};
    this.dsn ??= this.secrets.secret('error-tracking-dsn', ['GATEWAY_DSN', 'BACKEND_DSN']);
    return { SENTRY_DSN: this.dsn[`${app}_DSN`] };
  }

  /** What both Node.js apps share: identity, image from config, uid, sizes, scaling, the graceful-shutdown timings. */
  private nodeApp(name: 'gateway' | 'backend', port: number): Omit<WebServiceProps, 'readinessPath'> {
    const { cfg, platform, stack } = this;
    const app = cfg[name];
    return {
      namespace: stack.namespace,
      name,
      partOf: stack.partOf,
      image: app.image,
      standIn: app.standIn,
      port,
      runAs: { user: 1000 },
      resources: app.resources,
      release: stack.release,
      replicas: app.replicas,
      autoscaling: app.autoscaling,
      spreadAcrossZones: platform.spreadAcrossZones,
      preStopSleepSeconds: PRESTOP_SECONDS,
      terminationGracePeriodSeconds: PRESTOP_SECONDS + SHUTDOWN_SECONDS + 5,
    };
  }

  /** Env both Node.js apps share. */
  private nodeEnv(port: number): Record<string, string> {
    return {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SENTRY_ENVIRONMENT: this.platform.profile,
      // The seed's graceful shutdown: the app stops accepting, drains for this long, then exits.
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_SECONDS * 1000),
      PORT: String(port),
    };
  }

  /** The backend (internal only): business logic on MongoDB and the object store. */
  private backend(mongo: MongoDatabase, storage: ObjectStorage): WebService {
    const { cfg } = this;
    const objects = storage.clientEnv();
    const annotations = storage.serviceAccountAnnotations();
    // MONGO_URI has no credentials: the driver takes MONGO_USERNAME / MONGO_PASSWORD as options.
    const db = mongo.clientEnv(mongo.appUser, { caPem: true });
    const backend = new WebService(this, 'backend', {
      ...this.nodeApp('backend', BACKEND_PORT),
      readinessPath: '/api/health',
      startupSeconds: 60,
      metricsPath: '/api/metrics',
      writablePaths: [{ path: '/tmp', sizeLimit: '128Mi' }],
      env: {
        ...this.nodeEnv(BACKEND_PORT),
        BACKEND_PORT: String(BACKEND_PORT),
        ...db.env,
        // The seeds' names for the same values.
        MONGO_DATABASE: mongo.database,
        MONGO_APP_USERNAME: mongo.appUser.username,
        // The AWS SDK's standard variables (endpoint, region; keys only for the in-cluster server: IRSA in prod).
        ...objects.env,
        S3_BUCKET: cfg.objectStore.buckets.app,
        S3_LOGS_BUCKET: cfg.objectStore.buckets.logs,
        S3_FORCE_PATH_STYLE: String(cfg.objectStore.provider === 'in-cluster'),
      },
      secretEnv: { ...db.secretEnv, MONGO_APP_PASSWORD: mongo.appUser.password, ...objects.secretEnv, ...this.sentryEnv('BACKEND') },
      ...(Object.keys(annotations).length ? { serviceAccountAnnotations: annotations } : {}),
    });
    this.graph.addComponent(backend);
    this.graph.allow(backend, mongo, 'mongodb');
    storage.allowAccess(this.graph, backend);
    return backend;
  }

  /** The gateway: the only public entry, proxies `/api` to the backend. */
  private gateway(backend: WebService): WebService {
    const gateway = new WebService(this, 'gateway', {
      ...this.nodeApp('gateway', GATEWAY_PORT),
      readinessPath: '/ready',
      livenessPath: '/live',
      // The full check (the backend included) only while starting; liveness stays local so a backend outage never restarts the gateway.
      startupPath: '/health',
      startupSeconds: 30,
      metricsPath: '/metrics',
      writablePaths: [{ path: '/tmp', sizeLimit: '64Mi' }],
      env: {
        ...this.nodeEnv(GATEWAY_PORT),
        GATEWAY_PORT: String(GATEWAY_PORT),
        BACKEND_URL: `http://${backend.host}:${BACKEND_PORT}`,
      },
      secretEnv: this.sentryEnv('GATEWAY'),
    });
    this.graph.addComponent(gateway);
    this.graph.allow('ingress-controller', gateway, 'http');
    // The backend is reached from the gateway only (the seed's "curl backend:3847 -> refused").
    this.graph.allow(gateway, backend, 'http');
    return gateway;
  }

  /** The gateway behind the TLS ingress: security headers, a per-client rate limit, compression. */
  private ingress(gateway: WebService): void {
    const { cfg, platform, stack } = this;
    new TlsIngress(this, 'ingress', {
      namespace: stack.namespace,
      name: 'gateway',
      labels: { 'app.kubernetes.io/part-of': stack.partOf },
      host: cfg.host,
      className: platform.ingress.className,
      clusterIssuer: platform.tls.clusterIssuer,
      routes: [{ serviceName: gateway.name, servicePort: GATEWAY_PORT }],
      edge: {
        securityHeaders: {
          contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
          hstsSeconds: 31536000,
          frameOptions: 'DENY',
        },
        rateLimit: cfg.rateLimit,
        compress: true,
      },
    });
  }
}
