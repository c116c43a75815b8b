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
import {
  BackupTargets,
  backupJobs,
  grafanaPeer,
  postgresBackup,
  redisBackup,
  stackFoundation,
  stackMonitoring,
  standardExternals,
  wireBackupJobs,
} from '../../lib/stack/stack-wiring';
import { LogShipper } from '../../lib/constructs/logging/log-shipper';
import { DatabaseBackup } from '../../lib/constructs/backup/database-backup';
import { MongoDbBackupEngine } from '../../lib/constructs/backup/mongodb-backup-engine';
import { MongoDatabase } from '../../lib/constructs/data/mongodb-database';
import {
  elasticsearchPanels,
  elasticsearchRules,
  httpServicePanels,
  logsPanel,
  httpServiceRules,
  deploymentDownRules,
  mongodbPanels,
  mongodbRules,
  postgresRules,
  redisRules,
  AlertRule,
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
import { ErrorTracker } from '../../lib/constructs/observability/error-tracker';
import { ElasticsearchCluster } from '../../lib/constructs/search/elasticsearch-cluster';
import { Kibana, KIBANA_PORT, KIBANA_SYSTEM_USER } from '../../lib/constructs/search/kibana';
import { logStorageSteps, SearchSetupStep } from '../../lib/constructs/search/search-requests';
import { SearchSetup } from '../../lib/constructs/search/search-setup';
import { elasticsearchDatasource } from '../../lib/constructs/monitoring';
import { GraphComponent } from '../../lib/constructs/network/service-graph';
import { EcommerceConfig } from './schema';

/** The log data streams (seed names; `logs` takes everything else of the namespace). */
const LOG_STREAMS = ['gateway-logs', 'backend-logs', 'logs'];
const LOG_PATTERNS = LOG_STREAMS.map((s) => `${s}-*`);
/** Native users of Elasticsearch besides `elastic` and `kibana_system`, one per client. */
export const SEARCH_USERS = { logShipper: 'log-shipper', exporter: 'metrics-exporter', grafana: 'grafana' } as const;
/** uid of Grafana's Elasticsearch datasource (the logs panel refers to it). */
export const ECOMMERCE_LOGS_DATASOURCE = 'ecommerce-logs';

/** Ports fixed by the seeds. */
export const GATEWAY_PORT = 5921;
export const BACKEND_PORT = 3847;

/** Seconds a Node.js app gets to finish in-flight requests after SIGTERM (the seed's graceful shutdown). */
const SHUTDOWN_SECONDS = 20;
/** Seconds a pod keeps serving after it left the endpoints, so the ingress and the gateway stop sending to it first. */
const PRESTOP_SECONDS = 5;
/**
 * The in-cluster error tracker's projects and the ids their DSNs end in (chosen: fixed so the apps'
 * DSNs are composed at deploy time; the setup Job creates the projects with these ids).
 */
const ERROR_TRACKING_PROJECTS = { backend: 1, gateway: 2 } as const;

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
  /** The in-cluster error tracker (errorTracking.mode `in-cluster`). */
  private tracker?: ErrorTracker;
  private readonly stack: { readonly namespace: string; readonly partOf: string; readonly release: string };
  private readonly internalCa?: NamespaceCaIssuer;
  private readonly elasticsearch: ElasticsearchCluster;
  private shipperPassword?: { PASSWORD: SecretKeyRef };

  constructor(scope: Construct, id: string, props: StackProps<EcommerceConfig>) {
    const { config: cfg, platform } = props;
    super(scope, id, { namespace: cfg.namespace, disableResourceNameHashes: true, labels: stackLabels('ecommerce') });
    this.cfg = cfg;
    this.platform = platform;
    this.stack = { namespace: cfg.namespace, partOf: 'ecommerce', release: platform.monitoring.release };
    const { graph, secrets } = stackFoundation(this, platform, {
      namespace: cfg.namespace,
      partOf: this.stack.partOf,
      aws: cfg.aws,
      // Grafana reads the logs from Elasticsearch (its datasource, see grafanaUser).
      externals: grafanaPeer(platform),
    });
    this.graph = graph;
    this.secrets = secrets;

    const objectStore = this.objectStore();
    this.internalCa = this.namespaceCa();
    const mongo = this.mongodb();
    this.tracker = this.errorTracking(objectStore);
    const backend = this.backend(mongo, objectStore.forBackend);
    const gateway = this.gateway(backend);
    this.errorTrackingClients(gateway, backend);
    this.ingress(gateway);
    this.buckets(objectStore);
    if (objectStore.server?.consoleEnabled) this.toolsIngress(objectStore.server);
    this.backups(mongo, objectStore);
    this.elasticsearch = this.search(objectStore);
    const kibana = this.kibana(this.elasticsearch);
    this.searchSetup(this.elasticsearch, kibana);
    this.logShipping(this.elasticsearch);
    this.monitoring();
  }

  /**
   * Lets a client of another namespace or of this one (e.g. the log shipper's pods, declared as an
   * external peer of the graph) reach Elasticsearch's HTTP API. Only Kibana, the setup Job, Grafana
   * and such clients may.
   */
  public allowSearchClient(from: string | GraphComponent): void {
    this.elasticsearch.allowClient(this.graph, from);
  }

  /** The log shipper user's password (one key: the only Secret of this namespace the shipper's namespace may copy). */
  private logShipperSecret(): { PASSWORD: SecretKeyRef } {
    this.shipperPassword ??= { PASSWORD: this.secrets.secret('elasticsearch-log-shipper', ['PASSWORD']).PASSWORD };
    return this.shipperPassword;
  }

  /**
   * Log shipping (seeds 002/003): a Fluent Bit agent on every node, in its own `logging` namespace
   * (Pod Security privileged, the reason on the namespace: it reads the nodes' /var/log), ships this
   * namespace's container logs with their pod metadata: the gateway's to `gateway-logs-<ns>`, the
   * backend's to `backend-logs-<ns>` (the seeds' names), every other pod's to `logs-<ns>`, as the
   * `log-shipper` user (create_doc on those streams only), verifying Elasticsearch's certificate
   * against the namespace CA in prod. Only it, Kibana and the setup Job write or read there.
   */
  private logShipping(es: ElasticsearchCluster): void {
    const { cfg, platform, stack } = this;
    const shipper = new LogShipper(this, 'log-shipper', {
      partOf: stack.partOf,
      image: cfg.logShipping.image,
      resources: cfg.logShipping.resources,
      sources: [{ namespace: stack.namespace, routes: { gateway: 'gateway-logs', backend: 'backend-logs' }, otherDataStream: 'logs' }],
      elasticsearch: {
        cluster: es,
        namespace: stack.namespace,
        username: SEARCH_USERS.logShipper,
        password: this.logShipperSecret().PASSWORD,
        ...(cfg.search.tls && this.internalCa ? { tlsIssuer: this.internalCa.issuerRef } : {}),
      },
      apiServer: platform.cluster.apiServer,
      prometheus: standardExternals(platform).prometheus,
      release: stack.release,
    });
    shipper.connect(this.graph);
  }

  /** The namespace's own CA Issuer (cluster-internal names cannot get a public certificate), when MongoDB or Elasticsearch use TLS. */
  private namespaceCa(): NamespaceCaIssuer | undefined {
    const { cfg, stack } = this;
    if (!cfg.mongodb.tls && !cfg.search.tls) return undefined;
    return new NamespaceCaIssuer(this, 'internal-ca', {
      namespace: stack.namespace,
      labels: { 'app.kubernetes.io/part-of': stack.partOf },
    });
  }

  /**
   * Elasticsearch for the logs (seeds 002/003): one node in dev, three across zones in prod with
   * TLS on HTTP and transport from the namespace CA; authentication on everywhere (`elastic`'s
   * password from a Secret); the exporter sidecar as its own `monitor`-only user; the node-level S3
   * client for snapshots into the logs bucket (MinIO's keys in dev, IRSA in prod).
   */
  private search(store: EcommerceObjectStore): ElasticsearchCluster {
    const { cfg, platform, stack } = this;
    const s = cfg.search;
    const creds = this.secrets.secret('elasticsearch-credentials', ['ELASTIC_PASSWORD', 'EXPORTER_PASSWORD']);
    const objectStorage = store.server
      ? store.forBucketSetup
      : new AmazonS3Storage({ region: cfg.objectStore.region, roleArn: cfg.aws!.searchSnapshotRoleArn });
    const es = new ElasticsearchCluster(this, 'elasticsearch', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      image: s.image,
      clusterName: s.clusterName,
      nodes: s.nodes,
      heap: s.heap,
      resources: s.resources,
      storage: s.storage,
      security: {
        elasticPassword: creds.ELASTIC_PASSWORD,
        ...(s.tls ? { tls: { issuer: this.internalCa!.issuerRef, secretName: 'elasticsearch-tls' } } : {}),
      },
      objectStorage,
      exporter: {
        image: s.exporterImage,
        resources: s.exporterResources,
        // Per-index document counts, for LogShippingStopped.
        indices: true,
        user: { username: SEARCH_USERS.exporter, password: creds.EXPORTER_PASSWORD },
      },
      release: stack.release,
      spreadAcrossZones: platform.spreadAcrossZones,
    });
    es.addToGraph(this.graph);
    return es;
  }

  /**
   * Kibana as `kibana_system` with its encryption keys from a Secret. In dev reachable on its own
   * host through an Ingress admitting only `tools.allowedCidrs`; in prod not exposed (port-forward).
   */
  private kibana(es: ElasticsearchCluster): Kibana {
    const { cfg, platform, stack } = this;
    const k = cfg.kibana;
    const creds = this.secrets.secret('kibana-credentials', [
      'KIBANA_SYSTEM_PASSWORD',
      'SAVED_OBJECTS_KEY',
      'SECURITY_KEY',
      'REPORTING_KEY',
    ]);
    const host = k.ingress.enabled ? k.ingress.host : undefined;
    const kibana = new Kibana(this, 'kibana', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      image: k.image,
      resources: k.resources,
      elasticsearch: { url: es.url, ...(es.caSecretName ? { caSecretName: es.caSecretName } : {}) },
      systemPassword: creds.KIBANA_SYSTEM_PASSWORD,
      encryptionKeys: { savedObjects: creds.SAVED_OBJECTS_KEY, security: creds.SECURITY_KEY, reporting: creds.REPORTING_KEY },
      // Without an Ingress, users reach it through `kubectl port-forward svc/kibana 5601`.
      publicBaseUrl: host ? `https://${host}` : `http://localhost:${KIBANA_PORT}`,
      spreadAcrossZones: platform.spreadAcrossZones,
    });
    kibana.addToGraph(this.graph, es.searchEndpoint());
    if (host) {
      new TlsIngress(this, 'kibana-ingress', {
        namespace: stack.namespace,
        name: 'kibana',
        labels: { 'app.kubernetes.io/part-of': stack.partOf },
        host,
        className: platform.ingress.className,
        clusterIssuer: platform.tls.clusterIssuer,
        helmPrefix: 'kibanaIngress',
        routes: [{ serviceName: kibana.name, servicePort: KIBANA_PORT }],
        edge: {
          // The seed: "restrict Grafana, Prometheus, Kibana to trusted IPs".
          ipAllowList: cfg.tools!.allowedCidrs,
          securityHeaders: {
            frameOptions: 'SAMEORIGIN',
            contentSecurityPolicy: "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:",
          },
        },
      });
      this.graph.allow('ingress-controller', kibana, 'http');
    }
    return kibana;
  }

  /**
   * The idempotent setup Job: the users and roles (log shipper: create_doc/auto_configure on the
   * log streams only; exporter: `monitor`; Grafana: read on the log streams; `kibana_system`'s
   * password), the log streams' ILM and templates, daily snapshots to the logs bucket, Kibana's
   * data views. It logs in as `elastic`; every other password comes from its Secret.
   */
  private searchSetup(es: ElasticsearchCluster, kibana: Kibana): void {
    const { cfg, stack } = this;
    const s = cfg.search;
    const shipper = this.logShipperSecret();
    const exporterPassword = { secret: 'elasticsearch-credentials', key: 'EXPORTER_PASSWORD' };
    const users: SearchSetupStep[] = [
      {
        kind: 'role',
        name: 'log-writer',
        body: {
          description: 'Writes container logs into the log data streams, nothing else',
          indices: [{ names: LOG_PATTERNS, privileges: ['create_doc', 'auto_configure'] }],
        },
      },
      { kind: 'user', name: SEARCH_USERS.logShipper, body: { roles: ['log-writer'] }, password: shipper.PASSWORD },
      {
        kind: 'role',
        name: 'metrics-reader',
        body: {
          description: 'Cluster and index statistics for the Prometheus exporter',
          cluster: ['monitor'],
          indices: [{ names: ['*'], privileges: ['monitor'] }],
        },
      },
      { kind: 'user', name: SEARCH_USERS.exporter, body: { roles: ['metrics-reader'] }, password: exporterPassword },
      ...this.grafanaUser(es),
      { kind: 'password', name: KIBANA_SYSTEM_USER, password: { secret: 'kibana-credentials', key: 'KIBANA_SYSTEM_PASSWORD' } },
    ];
    const bucket = cfg.objectStore.buckets.logs;
    const storage = logStorageSteps({
      streams: LOG_STREAMS,
      retentionDays: s.logRetentionDays,
      // No replica can be placed on a single node.
      replicas: s.nodes > 1 ? 1 : 0,
      snapshots: { bucket, basePath: s.snapshots.prefix, retentionDays: s.snapshots.retentionDays },
      dataViews: true,
    }).map((step) => (step.kind === 'slm-policy' ? { ...step, body: { ...step.body, schedule: s.snapshots.schedule } } : step));
    new SearchSetup(this, 'search-setup', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      elasticsearch: es.searchEndpoint(),
      kibana: kibana.searchEndpoint(),
      username: es.elasticUser.username,
      password: es.elasticUser.password,
      ...(es.caSecretName ? { caSecret: es.caSecretName } : {}),
      steps: [...users, ...storage],
      image: s.setupImage,
      resources: s.setupResources,
    }).addTo(this.graph);
  }

  /**
   * Grafana's Elasticsearch datasource (logs) and its read-only user: the password is generated,
   * and External Secrets renders the datasource file from a template in the cluster into the same
   * Secret, labelled for Grafana's datasource sidecar; only the template is in Git. With TLS the
   * cluster's CA certificate (`ca.crt` of its certificate Secret) is copied into that Secret too,
   * so Grafana, in another namespace, verifies the server.
   */
  private grafanaUser(es: ElasticsearchCluster): SearchSetupStep[] {
    return [
      {
        kind: 'role',
        name: 'log-reader',
        body: {
          description: "Reads the log data streams (Grafana's datasource)",
          indices: [{ names: LOG_PATTERNS, privileges: ['read', 'view_index_metadata'] }],
        },
      },
      { kind: 'user', name: SEARCH_USERS.grafana, body: { roles: ['log-reader'] }, password: this.grafanaPassword(es) },
    ];
  }

  private grafanaPassword(es: ElasticsearchCluster): SecretKeyRef {
    const datasource = elasticsearchDatasource({
      name: 'E-commerce logs',
      uid: ECOMMERCE_LOGS_DATASOURCE,
      url: es.url,
      username: SEARCH_USERS.grafana,
      passwordTemplate: '{{ .PASSWORD | toJson }}',
      ...(es.caSecretName ? { caCertTemplate: '{{ .CA_CERT | toJson }}' } : {}),
      indices: LOG_PATTERNS,
    });
    const secret = this.secrets.secret('grafana-elasticsearch', ['PASSWORD'], {
      ...(es.caSecretName ? { copied: { CA_CERT: { secret: es.caSecretName, key: 'ca.crt' } } } : {}),
      templates: { 'ecommerce-elasticsearch-datasource.yaml': datasource },
      secretLabels: { grafana_datasource: '1' },
    });
    this.graph.allow('grafana', es, 'http');
    return secret.PASSWORD;
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
    const ca = m.tls ? this.internalCa : undefined;
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
        // The seed streams only: `logs-*` may legitimately be quiet.
        ...elasticsearchRules({ namespace, job: 'elasticsearch', alertPrefix: '', shippedStreams: '(gateway|backend)-logs-.+' }),
        ...resourceUsageRules({ namespace, alertPrefix: 'Ecommerce' }),
        ...volumeSpaceRules({ namespace, alertPrefix: 'Ecommerce' }),
        ...this.errorTrackingRules(),
      ],
      panels: [
        ...namespaceOverviewPanels(),
        ...elasticsearchPanels({ job: 'elasticsearch' }),
        logsPanel({ title: 'Logs', datasourceUid: ECOMMERCE_LOGS_DATASOURCE, query: `kubernetes.namespace_name:"${namespace}"` }),
      ],
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
          ...(this.tracker
            ? [
                { cronJob: `${this.tracker.postgres.name}-backup`, label: 'ErrorTrackerPostgres' },
                { cronJob: `${this.tracker.redis.name}-backup`, label: 'ErrorTrackerRedis' },
              ]
            : []),
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

  /**
   * Error tracking (seed 003's Sentry), per `errorTracking.mode`:
   * - `in-cluster`: GlitchTip (a Sentry-protocol server: the apps' Sentry SDKs send to it unchanged;
   *   MIT-licensed, and it needs only PostgreSQL and Redis, which the library has, where Sentry's own
   *   self-hosted release needs Kafka, ClickHouse and a dozen services) with its own PostgreSQL and
   *   Redis, backed up like the other stores; projects `backend` and `gateway` with generated (or
   *   stored) DSN keys.
   * - `external`: no server; the apps' DSNs come from the `error-tracking-dsn` Secret.
   * - `disabled`: nothing.
   */
  private errorTracking(store: EcommerceObjectStore): ErrorTracker | undefined {
    const { cfg, platform, stack } = this;
    const server = cfg.errorTracking.server;
    if (cfg.errorTracking.mode !== 'in-cluster' || !server) return undefined;
    const creds = this.secrets.secret('glitchtip-credentials', [
      'POSTGRES_PASSWORD',
      'APP_PASSWORD',
      'EXPORTER_PASSWORD',
      'REDIS_PASSWORD',
      'SECRET_KEY',
      'ADMIN_PASSWORD',
    ]);
    const keys = this.secrets.secret('error-tracking-keys', ['BACKEND_PUBLIC_KEY', 'GATEWAY_PUBLIC_KEY'], { format: 'uuid-hex' });
    const tracker = new ErrorTracker(this, 'error-tracker', {
      namespace: stack.namespace,
      partOf: stack.partOf,
      image: server.image,
      url: server.url,
      fromEmail: server.fromEmail,
      secretKey: creds.SECRET_KEY,
      web: server.web,
      worker: server.worker,
      setupResources: server.setupResources,
      organization: { slug: stack.partOf, name: 'E-commerce' },
      projects: [
        { slug: 'backend', id: ERROR_TRACKING_PROJECTS.backend, publicKey: keys.BACKEND_PUBLIC_KEY },
        { slug: 'gateway', id: ERROR_TRACKING_PROJECTS.gateway, publicKey: keys.GATEWAY_PUBLIC_KEY },
      ],
      admin: { email: server.adminEmail, password: creds.ADMIN_PASSWORD },
      postgres: {
        ...server.postgres,
        superuserPassword: creds.POSTGRES_PASSWORD,
        appPassword: creds.APP_PASSWORD,
        exporterPassword: creds.EXPORTER_PASSWORD,
      },
      redis: { ...server.redis, password: creds.REDIS_PASSWORD },
      release: stack.release,
      spreadAcrossZones: platform.spreadAcrossZones,
    });
    tracker.addToGraph(this.graph);
    const b = cfg.backups;
    const common = { namespace: stack.namespace, partOf: stack.partOf, backups: b };
    const pg = postgresBackup(this, tracker.postgres, {
      ...common,
      name: `${tracker.postgres.name}-backup`,
      helmPrefix: 'backups.errorTrackerPostgres',
      image: server.postgres.image,
      schedule: server.backups.postgresSchedule,
      target: store.backups.for('glitchtip-postgres'),
    });
    const redis = redisBackup(this, tracker.redis, {
      ...common,
      name: `${tracker.redis.name}-backup`,
      helmPrefix: 'backups.errorTrackerRedis',
      image: server.redis.image,
      schedule: server.backups.redisSchedule,
      target: store.backups.for('glitchtip-redis'),
    });
    wireBackupJobs(
      this.graph,
      [...backupJobs(pg, tracker.postgres, 'postgres'), ...backupJobs(redis, tracker.redis, 'redis')],
      store.backups.storage,
    );
    return tracker;
  }

  /** Who reaches the error tracker: only the two apps (the in-cluster web Service; or HTTPS to the external service). */
  private errorTrackingClients(gateway: WebService, backend: WebService): void {
    const mode = this.cfg.errorTracking.mode;
    for (const app of [gateway, backend]) {
      if (this.tracker) this.tracker.allowClient(this.graph, app);
      else if (mode === 'external') this.graph.allowInternet(app, 443);
    }
  }

  /** ErrorTrackerDown (web or worker without an available pod for 5m) and the tracker's PostgreSQL and Redis alerts. */
  private errorTrackingRules(): AlertRule[] {
    const t = this.tracker;
    if (!t) return [];
    const namespace = this.stack.namespace;
    return [
      ...deploymentDownRules({
        namespace,
        deployments: [t.web.name, t.worker.name],
        alert: 'ErrorTrackerDown',
        what: 'The error-tracking server',
      }),
      ...postgresRules({ namespace, job: t.postgres.name, alertPrefix: 'ErrorTracker', connectionsThreshold: 40 }),
      ...redisRules({ namespace, job: t.redis.name, alertPrefix: 'ErrorTracker', memoryRatio: 0.9 }),
    ];
  }

  /** SENTRY_DSN of an app: composed from the in-cluster project key, or from the `error-tracking-dsn` Secret (external). */
  private sentryEnv(app: 'gateway' | 'backend'): { env: Record<string, string>; secretEnv: Record<string, SecretKeyRef> } {
    if (this.tracker) {
      const dsn = this.tracker.dsnEnv(app);
      return { env: { ...dsn.env }, secretEnv: { ...dsn.secretEnv } };
    }
    if (this.cfg.errorTracking.mode !== 'external') return { env: {}, secretEnv: {} };
    this.dsn ??= this.secrets.secret('error-tracking-dsn', ['GATEWAY_DSN', 'BACKEND_DSN']);
    return { env: {}, secretEnv: { SENTRY_DSN: this.dsn[app === 'gateway' ? 'GATEWAY_DSN' : 'BACKEND_DSN'] } };
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
    const sentry = this.sentryEnv('backend');
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
        ...sentry.env,
      },
      secretEnv: { ...db.secretEnv, MONGO_APP_PASSWORD: mongo.appUser.password, ...objects.secretEnv, ...sentry.secretEnv },
      ...(Object.keys(annotations).length ? { serviceAccountAnnotations: annotations } : {}),
    });
    this.graph.addComponent(backend);
    this.graph.allow(backend, mongo, 'mongodb');
    storage.allowAccess(this.graph, backend);
    return backend;
  }

  /** The gateway: the only public entry, proxies `/api` to the backend. */
  private gateway(backend: WebService): WebService {
    const sentry = this.sentryEnv('gateway');
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
        ...sentry.env,
      },
      secretEnv: sentry.secretEnv,
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
