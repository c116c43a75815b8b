import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertReceiverConfig, PlatformConfig } from '../config/platform-schema';
import { AwsStackConfig, PostgresConfig, PostgresPitrConfig } from '../config/stack-schemas';
import { AppNamespace } from '../constructs/platform/app-namespace';
import { ResourceSpec, SecretKeyRef } from '../constructs/workloads/container';
import { BackupTarget, DatabaseBackup } from '../constructs/backup/database-backup';
import { PostgresBackupEngine, PostgresRestoreMode } from '../constructs/backup/postgres-backup-engine';
import { RedisBackupEngine } from '../constructs/backup/redis-backup-engine';
import { PostgresPointInTimeRecovery } from '../constructs/backup/postgres-point-in-time-recovery';
import { WalArchive } from '../constructs/backup/wal-archive';
import { LocalStack, LocalStackProps } from '../constructs/data/localstack';
import {
  AmazonS3Storage,
  ObjectStorage,
  S3CompatibleServer,
  S3CompatibleStorage,
  S3Credentials,
  ServerSideEncryption,
} from '../constructs/storage';
import { AwsPermissions, WorkloadAwsAccess } from '../constructs/workloads/workload-aws-access';
import { PostgresClientTls, PostgresDatabase, PostgresDatabaseProps, PostgresRole } from '../constructs/data/postgres-database';
import { RedisCache } from '../constructs/data/redis-cache';
import { NamespaceCaIssuer } from '../constructs/platform/namespace-ca-issuer';
import { StorageSpec } from '../constructs/data/stateful-store';
import { SecretsBackend, SecretsProvider } from '../constructs/platform/secrets-backend';
import { ExternalPeer, GraphComponent, ServiceGraph } from '../constructs/network/service-graph';
import {
  AlertReceiver,
  AlertRouting,
  AlertRule,
  AlertRuleGroup,
  backupPanels,
  backupRules,
  DashboardPanel,
  GrafanaDashboard,
  postgresReplicationRules,
  SecretKey,
} from '../constructs/monitoring';

/**
 * Environment-to-library wiring shared by every stack chart: the namespace, service graph and
 * secrets of a stack, its platform peers, the dev LocalStack, PostgreSQL and its backups from
 * config, and the backup target.
 */

/** The ingress controller and Prometheus as graph peers. */
export function standardExternals(env: PlatformConfig): Record<string, ExternalPeer> {
  return {
    'ingress-controller': { namespace: env.ingress.controllerNamespace, podLabels: env.ingress.controllerPodLabels },
    prometheus: { namespace: env.monitoring.namespace, podLabels: env.monitoring.prometheusPodLabels },
  };
}

/** kube-prometheus-stack's Grafana (its subchart's name label), for a stack that serves Grafana a datasource. */
export function grafanaPeer(env: PlatformConfig): Record<string, ExternalPeer> {
  return { grafana: { namespace: env.monitoring.namespace, podLabels: { 'app.kubernetes.io/name': 'grafana' } } };
}

/** The secrets provider of a stack (or of the monitoring namespace: `monitoring.aws`) from the environment. */
export function secretsProvider(
  env: PlatformConfig,
  aws: Pick<AwsStackConfig, 'secretsRoleArn' | 'secretsKeyPrefix'> | undefined,
): SecretsProvider {
  if (env.secrets.provider === 'generated') return { kind: 'generated' };
  if (!aws || !env.secrets.awsRegion)
    throw new Error(
      "secrets.provider aws-secrets-manager needs secrets.awsRegion and the namespace's aws settings (secretsRoleArn, secretsKeyPrefix)",
    );
  return {
    kind: 'aws-secrets-manager',
    region: env.secrets.awsRegion,
    roleArn: aws.secretsRoleArn,
    keyPrefix: aws.secretsKeyPrefix,
    storeScope: env.secrets.storeScope,
  };
}

/** What every stack chart starts with. */
export interface StackFoundation {
  readonly graph: ServiceGraph;
  readonly secrets: SecretsBackend;
}

/**
 * The stack's namespace (Pod Security `restricted`), service graph (default deny), secrets
 * backend, and alert routing (receivers from `monitoring.alerting`, credentials from the
 * `alertmanager-receivers` Secret).
 */
export function stackFoundation(
  chart: Chart,
  env: PlatformConfig,
  stack: { namespace: string; partOf: string; aws?: AwsStackConfig; externals?: Readonly<Record<string, ExternalPeer>> },
): StackFoundation {
  const labels = { 'app.kubernetes.io/part-of': stack.partOf };
  new AppNamespace(chart, 'namespace', { name: stack.namespace, labels });
  const graph = new ServiceGraph(chart, 'graph', {
    namespace: stack.namespace,
    externals: { ...standardExternals(env), ...stack.externals },
  });
  const secrets = new SecretsBackend(chart, 'secrets', { namespace: stack.namespace, provider: secretsProvider(env, stack.aws), labels });
  alertRouting(chart, env, stack.namespace, secrets);
  return { graph, secrets };
}

/** The AlertmanagerConfig of a stack namespace, and the Secret its receivers read. */
function alertRouting(chart: Chart, env: PlatformConfig, namespace: string, secrets: SecretsBackend): AlertRouting {
  const cfg = env.monitoring.alerting;
  const keyOf = (severity: string, r: AlertReceiverConfig): string | undefined =>
    r.slack
      ? `${severity.toUpperCase()}_SLACK_WEBHOOK_URL`
      : r.webhook
        ? `${severity.toUpperCase()}_WEBHOOK_URL`
        : r.email?.authUsername
          ? `${severity.toUpperCase()}_SMTP_PASSWORD`
          : undefined;
  const keys = (['warning', 'critical'] as const)
    .flatMap((sev) => (cfg[sev] ? [keyOf(sev, cfg[sev])] : []))
    .filter((k): k is string => k !== undefined);
  const refs = keys.length ? secrets.secret('alertmanager-receivers', keys) : {};
  const receiver = (severity: 'warning' | 'critical'): AlertReceiver | undefined => {
    const r = cfg[severity];
    if (!r) return undefined;
    const ref = (): SecretKey => ({ name: refs[keyOf(severity, r)!].secret, key: refs[keyOf(severity, r)!].key });
    if (r.slack) return { slack: { channel: r.slack.channel, webhookUrl: ref() } };
    if (r.webhook) return { webhook: { url: ref() } };
    const e = r.email!;
    return {
      email: {
        to: e.to,
        from: e.from,
        smarthost: e.smarthost,
        ...(e.authUsername ? { authUsername: e.authUsername, authPassword: ref() } : {}),
      },
    };
  };
  return new AlertRouting(chart, 'alert-routing', {
    namespace,
    release: env.monitoring.release,
    warning: receiver('warning'),
    critical: receiver('critical'),
  });
}

/** LocalStack in the stack's namespace when enabled (dev), in the graph; or undefined. */
export function devLocalStack(
  scope: Construct,
  graph: ServiceGraph,
  cfg: { enabled: boolean; image: string; resources: ResourceSpec; storage?: StorageSpec },
  props: Omit<LocalStackProps, 'image' | 'resources' | 'storage'>,
): LocalStack | undefined {
  if (!cfg.enabled) return undefined;
  if (!cfg.storage)
    throw new Error(
      `localstack.storage is missing in '${props.namespace}'; expected a PVC such as { size: '2Gi', storageClassName: 'standard' }`,
    );
  const localstack = new LocalStack(scope, 'localstack', { ...props, image: cfg.image, resources: cfg.resources, storage: cfg.storage });
  graph.addComponent(localstack);
  return localstack;
}

/**
 * The AWS identity of one workload ({@link WorkloadAwsAccess}, construct id `<workload>-aws`): with
 * the stack's LocalStack (dev) its endpoint and a key pair from a generated `<workload>-aws-credentials`
 * Secret (LocalStack accepts any pair; generating it keeps literal keys out of Git); without it
 * (prod) IRSA with `roleArn` and a least-privilege policy from `permissions`.
 */
export function workloadAwsAccess(
  scope: Construct,
  secrets: SecretsBackend,
  props: {
    /** The workload, e.g. `api`. */
    readonly workload: string;
    readonly region: string;
    readonly permissions: AwsPermissions;
    /** Its IRSA role (required without `localstack`). @default - none */
    readonly roleArn?: string;
    /** The stack's LocalStack (dev). @default - none: AWS through IRSA */
    readonly localstack?: LocalStack;
  },
): WorkloadAwsAccess {
  const { workload, region, permissions, localstack } = props;
  const id = `${workload}-aws`;
  if (localstack) {
    const keys = secrets.secret(`${workload}-aws-credentials`, ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    return new WorkloadAwsAccess(scope, id, {
      workload,
      region,
      permissions,
      emulator: {
        server: localstack,
        port: localstack.s3Port,
        credentials: { accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY },
      },
    });
  }
  if (props.roleArn === undefined)
    throw new Error(
      `workload '${workload}': no LocalStack and no roleArn; expected the IAM role ARN of its IRSA role in the stack's aws settings`,
    );
  return new WorkloadAwsAccess(scope, id, { workload, region, permissions, roleArn: props.roleArn });
}

/**
 * PostgreSQL (with exporter) from a stack's `postgres` config section, in the graph, with TLS
 * required on every TCP connection: a namespace CA (`internal-ca`, {@link NamespaceCaIssuer})
 * signs its certificate, and clients verify it (`sslmode=verify-full`, see {@link postgresClientEnv}).
 */
export function postgresFromConfig(
  scope: Construct,
  graph: ServiceGraph,
  pg: PostgresConfig,
  props: {
    readonly namespace: string;
    readonly partOf: string;
    readonly release: string;
    readonly superuserPassword: SecretKeyRef;
    /** The stack's login roles; the exporter's `postgres_exporter` (monitor, 3 connections) is added after them. */
    readonly roles: readonly PostgresRole[];
    /** Password of the exporter's role. */
    readonly exporterPassword: SecretKeyRef;
    /** Password of the replication role; required when `pg.standby.enabled`. @default - none */
    readonly replicationPassword?: SecretKeyRef;
    readonly rowLevelSecurity?: PostgresDatabaseProps['rowLevelSecurity'];
    /** Continuous WAL archiving ({@link postgresWalArchive}). @default - none */
    readonly walArchive?: WalArchive;
  },
): PostgresDatabase {
  if (pg.standby.enabled && !props.replicationPassword)
    throw new Error(
      `postgresFromConfig: postgres.standby.enabled is true but replicationPassword is missing; expected the replication role's Secret key`,
    );
  const ca = new NamespaceCaIssuer(scope, 'internal-ca', {
    namespace: props.namespace,
    labels: { 'app.kubernetes.io/part-of': props.partOf },
  });
  const postgres = new PostgresDatabase(scope, 'postgres', {
    namespace: props.namespace,
    partOf: props.partOf,
    image: pg.image,
    database: pg.database,
    superuserPassword: props.superuserPassword,
    schemas: pg.schemas,
    extensions: pg.extensions,
    roles: [...props.roles, { name: 'postgres_exporter', access: 'monitor', connectionLimit: 3, password: props.exporterPassword }],
    ...(props.rowLevelSecurity ? { rowLevelSecurity: props.rowLevelSecurity } : {}),
    settings: pg.settings,
    allowedCidrs: pg.allowedCidrs,
    tls: { issuer: ca.issuerRef },
    resources: pg.resources,
    storage: pg.storage,
    exporter: { image: pg.exporterImage, role: 'postgres_exporter', resources: pg.exporterResources },
    release: props.release,
    ...(pg.standby.enabled ? { standby: { replicationPassword: props.replicationPassword! } } : {}),
    ...(props.walArchive ? { walArchive: props.walArchive.hook } : {}),
  });
  postgres.addToGraph(graph);
  return postgres;
}

/** The part of a stack's `backups` config that point-in-time recovery reads. */
export interface PitrBackupsConfig {
  readonly target: string;
  readonly bucket: string;
  readonly region: string;
  readonly kmsKeyId?: string;
  readonly retentionDays: number;
  readonly uploaderImage: string;
  readonly resources: ResourceSpec;
  readonly postgresPitr: PostgresPitrConfig;
}

/**
 * The WAL archive of a stack's PostgreSQL when `backups.postgresPitr.enabled` (else undefined), to
 * pass to {@link postgresFromConfig} before the database exists: Amazon S3 (the config rules allow
 * PITR there only), under `<partOf>/postgres-pitr`, with the backups' KMS key and IRSA role.
 */
export function postgresWalArchive(
  scope: Construct,
  secrets: SecretsBackend,
  props: { readonly namespace: string; readonly partOf: string; readonly backups: PitrBackupsConfig; readonly aws?: AwsStackConfig },
): WalArchive | undefined {
  const pitr = props.backups.postgresPitr;
  if (!pitr.enabled) return undefined;
  if (props.backups.target !== 's3')
    throw new Error(`backups.postgresPitr.enabled: true with target '${props.backups.target}'; expected target 's3'`);
  const targets = new BackupTargets(secrets, { partOf: props.partOf, backups: props.backups, ...(props.aws ? { aws: props.aws } : {}) });
  return new WalArchive(scope, 'postgres-wal', {
    namespace: props.namespace,
    partOf: props.partOf,
    target: targets.for('postgres-pitr'),
    uploaderImage: props.backups.uploaderImage,
    resources: pitr.shipperResources,
    archiveTimeoutSeconds: pitr.archiveTimeoutSeconds,
  });
}

/**
 * Base backups and the point-in-time restore of `postgres`, whose WAL `archive` holds (Helm values
 * `backups.postgresBase`), in the graph: the base backup pods reach the database and object storage,
 * the restore pods object storage only, and the database pod (its wal-ship sidecar) object storage.
 * A recovery's dump goes to `dumpTarget`, the daily dumps' target.
 */
export function postgresPointInTimeRecovery(
  scope: Construct,
  graph: ServiceGraph,
  postgres: PostgresDatabase,
  archive: WalArchive,
  props: {
    readonly namespace: string;
    readonly partOf: string;
    readonly pg: PostgresConfig;
    readonly backups: PitrBackupsConfig;
    readonly dumpTarget: BackupTarget;
    readonly storage: ObjectStorage;
  },
): PostgresPointInTimeRecovery {
  const pitr = new PostgresPointInTimeRecovery(scope, 'postgres-pitr', {
    namespace: props.namespace,
    partOf: props.partOf,
    postgres,
    image: props.pg.image,
    archive,
    schedule: props.backups.postgresPitr.baseBackupSchedule,
    retentionDays: props.backups.retentionDays,
    dumpTarget: props.dumpTarget,
    uploaderImage: props.backups.uploaderImage,
    resources: props.backups.resources,
    recoveryResources: props.pg.resources,
    size: props.pg.storage.size,
    storageClassName: props.pg.storage.storageClassName,
  });
  wireBackupJobs(graph, [{ component: pitr.baseBackup.component, store: postgres, port: 'postgres' }], props.storage);
  graph.addComponent(pitr.restoreComponent);
  props.storage.allowAccess(graph, pitr.restoreComponent);
  props.storage.allowAccess(graph, postgres);
  // The standby's wal-ship sidecar uploads once a promotion made it the primary.
  if (postgres.standby) props.storage.allowAccess(graph, postgres.standby.store);
  return pitr;
}

/**
 * The replication alerts of `postgres` ({@link postgresReplicationRules}: lag, standby not
 * streaming, slot at risk, primary's node cordoned), or none when it has no standby.
 */
export function postgresStandbyRules(postgres: PostgresDatabase, alertPrefix = ''): AlertRule[] {
  const standby = postgres.standby;
  if (!standby) return [];
  return postgresReplicationRules({
    namespace: postgres.statefulSet.metadata.namespace!,
    primaryJob: postgres.name,
    standbyJob: standby.store.name,
    slot: standby.slot,
    primaryPod: `${postgres.name}-0`,
    alertPrefix,
  });
}

/**
 * What an application container needs to reach `postgres` over verified TLS: libpq's
 * `PGSSLMODE`/`PGSSLROOTCERT` (for libpq clients; JDBC takes `clientTls.urlParameters` in its URL)
 * and the CA as a WebService `secretFiles` entry. Empty when the database has no TLS.
 */
export function postgresClientEnv(postgres: PostgresDatabase): {
  readonly env: Readonly<Record<string, string>>;
  readonly secretFiles: ReadonlyArray<PostgresClientTls['secretFiles']>;
} {
  const tls = postgres.clientTls;
  return tls ? { env: tls.libpqEnv, secretFiles: [tls.secretFiles] } : { env: {}, secretFiles: [] };
}

/** A daily pg_dump of `postgres` as its superuser (the postgres image's uid 999), with its restore CronJob (Helm values `backups.postgres`). */
export function postgresBackup(
  scope: Construct,
  postgres: PostgresDatabase,
  props: {
    readonly namespace: string;
    readonly partOf: string;
    /** The database's image (its client tools dump and restore). */
    readonly image: string;
    readonly schedule: string;
    /** The stack's `backups` config: retention, uploader image, resources. */
    readonly backups: { readonly retentionDays: number; readonly uploaderImage: string; readonly resources: ResourceSpec };
    readonly target: BackupTarget;
    readonly restoreMode?: PostgresRestoreMode;
    /** Construct id and name of the backup CronJob (the restore's is derived from it). @default 'postgres-backup' */
    readonly name?: string;
    /** @default 'backups.postgres' */
    readonly helmPrefix?: string;
  },
): DatabaseBackup {
  const name = props.name ?? 'postgres-backup';
  const backup = new DatabaseBackup(scope, name, {
    namespace: props.namespace,
    partOf: props.partOf,
    name,
    helmPrefix: props.helmPrefix ?? 'backups.postgres',
    engine: new PostgresBackupEngine(props.restoreMode ? { restoreMode: props.restoreMode } : {}),
    source: {
      image: props.image,
      runAsUser: 999,
      env: {
        PGHOST: postgres.host,
        PGPORT: String(postgres.port),
        PGUSER: 'postgres',
        PGDATABASE: postgres.database,
        ...postgres.clientTls?.libpqEnv,
      },
      secretEnv: { PGPASSWORD: postgres.superuserPassword },
      ...(postgres.clientTls ? { volumes: [postgres.clientTls.volume], volumeMounts: [postgres.clientTls.volumeMount] } : {}),
    },
    schedule: props.schedule,
    retentionDays: props.backups.retentionDays,
    target: props.target,
    uploaderImage: props.backups.uploaderImage,
    resources: props.backups.resources,
  });
  // pg_dump and the restore's psql each hold one superuser session (no parallel jobs).
  postgres.reserveConnections(`${name} (pg_dump, superuser)`, 1);
  if (backup.restoreComponent) postgres.reserveConnections(`${name} restore (superuser)`, 1);
  return backup;
}

/**
 * Redis backup (RDB snapshot) from the cache, with a restore onto the StatefulSet's PVC (scale
 * redis to 0, run the Job, scale back; the Job refuses while Redis answers).
 */
export function redisBackup(
  scope: Construct,
  redis: RedisCache,
  props: {
    readonly namespace: string;
    readonly partOf: string;
    /** The cache's image (redis-cli dumps, redis-check-rdb verifies, redis-server rebuilds the AOF). */
    readonly image: string;
    readonly schedule: string;
    /** The stack's `backups` config: retention, uploader image, resources. */
    readonly backups: { readonly retentionDays: number; readonly uploaderImage: string; readonly resources: ResourceSpec };
    readonly target: BackupTarget;
    /** Construct id and name of the backup CronJob (the restore's is derived from it). @default 'redis-backup' */
    readonly name?: string;
    /** @default 'backups.redis' */
    readonly helmPrefix?: string;
  },
): DatabaseBackup {
  const name = props.name ?? 'redis-backup';
  return new DatabaseBackup(scope, name, {
    namespace: props.namespace,
    partOf: props.partOf,
    name,
    helmPrefix: props.helmPrefix ?? 'backups.redis',
    engine: new RedisBackupEngine({ data: { claimName: redis.dataClaimName(0), statefulSet: redis.name } }),
    source: {
      image: props.image,
      runAsUser: 999,
      env: { REDIS_HOST: redis.host, REDIS_PORT: String(redis.port) },
      secretEnv: { REDISCLI_AUTH: redis.password },
    },
    schedule: props.schedule,
    retentionDays: props.backups.retentionDays,
    target: props.target,
    uploaderImage: props.backups.uploaderImage,
    resources: props.backups.resources,
  });
}

/** An in-cluster S3-compatible server and the name of its S3 API port. */
export interface InClusterS3 {
  readonly server: S3CompatibleServer;
  /** e.g. `http` (LocalStack), `api` (an object-store StatefulStore). */
  readonly port: string;
  /**
   * Credentials of a user of that server allowed to write the backup bucket.
   * @default - a generated `backup-s3-credentials` Secret (only for servers that accept any key pair, like LocalStack)
   */
  readonly credentials?: S3Credentials;
}

export interface BackupTargetsProps {
  readonly partOf: string;
  /** The stack's `backups` config: `target` is `s3` (Amazon S3) or names the in-cluster server. */
  readonly backups: { readonly target: string; readonly bucket: string; readonly region: string; readonly kmsKeyId?: string };
  /** The stack's AWS settings (the backup role, for `backups.target` s3). @default - none */
  readonly aws?: AwsStackConfig;
  /** The in-cluster server backups go to when `backups.target` is not `s3`. @default - none */
  readonly inCluster?: InClusterS3;
}

/**
 * Where a stack's backups go: an in-cluster S3-compatible server (dev: LocalStack, with a
 * generated key pair declared once, or an object store with a real user) or Amazon S3 with IRSA
 * (prod). `storage` is the object storage every backup and restore pod is wired to.
 */
export class BackupTargets {
  /** The object storage of the stack's backups. */
  public readonly storage: ObjectStorage;
  /** How uploads are encrypted: SSE-KMS on Amazon S3, SSE-S3 on a server that accepts it, else none. */
  public readonly serverSideEncryption?: ServerSideEncryption;
  private readonly partOf: string;
  private readonly bucket: string;
  private readonly requireKms: boolean;

  constructor(secrets: SecretsBackend, props: BackupTargetsProps) {
    const { backups, inCluster } = props;
    this.partOf = props.partOf;
    this.bucket = backups.bucket;
    // Amazon S3 holds the real backups: SSE-KMS with the configured key, and the upload refuses to run without it.
    this.requireKms = backups.target === 's3';
    if (backups.target === 's3') {
      if (!props.aws) throw new Error("backups.target s3 needs the stack's aws.backupRoleArn");
      if (!backups.kmsKeyId) throw new Error('backups.kmsKeyId: undefined; expected a KMS key ARN or alias with backups.target s3');
      this.storage = new AmazonS3Storage({ region: backups.region, roleArn: props.aws.backupRoleArn });
      this.serverSideEncryption = { algorithm: 'aws:kms', kmsKeyId: backups.kmsKeyId };
      return;
    }
    if (!inCluster) throw new Error(`backups.target '${backups.target}': the stack did not enable an in-cluster S3 server for it`);
    // In-cluster (dev): SSE-S3 where the server takes it (LocalStack), so dev runs the same --sse path as prod.
    if (inCluster.server.acceptsSseS3) this.serverSideEncryption = { algorithm: 'AES256' };
    // Generated keys keep literal credentials out of the manifests.
    const generated = (): S3Credentials => {
      const refs = secrets.secret('backup-s3-credentials', ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
      return { accessKeyId: refs.AWS_ACCESS_KEY_ID, secretAccessKey: refs.AWS_SECRET_ACCESS_KEY };
    };
    this.storage = new S3CompatibleStorage({
      server: inCluster.server,
      port: inCluster.port,
      region: backups.region,
      credentials: inCluster.credentials ?? generated(),
    });
  }

  /**
   * How every writer into the backups' storage encrypts, as BucketMirror takes it
   * (`new BucketMirror(..., { ...targets.encryption() })`): the `serverSideEncryption` of the
   * backups, and `requireSse` (refuse to write without SSE-KMS and a key) on Amazon S3.
   */
  public encryption(): { readonly serverSideEncryption?: ServerSideEncryption; readonly requireSse: boolean } {
    return { ...(this.serverSideEncryption ? { serverSideEncryption: this.serverSideEncryption } : {}), requireSse: this.requireKms };
  }

  /** The target of one store's backups, under `<partOf>/<engine>`. */
  public for(engine: string): BackupTarget {
    return {
      ...this.storage.target({ bucket: this.bucket, prefix: `${this.partOf}/${engine}` }),
      ...(this.serverSideEncryption ? { serverSideEncryption: this.serverSideEncryption } : {}),
      ...(this.requireKms ? { requireKms: true } : {}),
    };
  }
}

/** Backup and restore pods in the graph: each reaches its store and the backups' object storage (`BackupTargets.storage`). */
export function wireBackupJobs(
  graph: ServiceGraph,
  jobs: ReadonlyArray<{ component: GraphComponent; store: GraphComponent; port: string }>,
  storage: ObjectStorage,
): void {
  for (const j of jobs) {
    graph.addComponent(j.component);
    graph.allow(j.component, j.store, j.port);
    storage.allowAccess(graph, j.component);
  }
}

/** The graph components of a backup: its CronJob's pods and, if rendered, its restore pods. */
export function backupJobs(
  backup: DatabaseBackup,
  store: GraphComponent,
  port: string,
): Array<{ component: GraphComponent; store: GraphComponent; port: string }> {
  return [
    { component: backup.component, store, port },
    ...(backup.restoreComponent ? [{ component: backup.restoreComponent, store, port }] : []),
  ];
}

/** A further Grafana dashboard of a stack, beside its main one (see {@link stackMonitoring}). */
export interface StackDashboard {
  /**
   * Name of its ConfigMap (the dashboard is stored as `<name>.json`); unique among the stack's
   * dashboards and different from the main one's `name`. No other ConfigMap of the namespace may
   * use it: prefix it with the stack, e.g. `shop-dashboard-mongodb`.
   */
  readonly name: string;
  /**
   * Dashboard title; unique among the stack's dashboards. Grafana wants titles unique per folder
   * and the stacks share one, so name the stack in it, e.g. `Shop · MongoDB`.
   */
  readonly title: string;
  /** Panels, in display order. */
  readonly panels: readonly DashboardPanel[];
}

/** What {@link stackMonitoring} created. */
export interface StackMonitoring {
  /** The stack's PrometheusRule. */
  readonly alerts: AlertRuleGroup;
  /** The main dashboard first, then the `dashboards`, in order. */
  readonly dashboards: readonly GrafanaDashboard[];
}

/**
 * A stack's alert rules (one PrometheusRule) and Grafana dashboards: the main dashboard (`name`,
 * `title`, `panels`) with the backup panels of its backup CronJobs appended, plus one dashboard
 * per entry of `dashboards` (ConfigMaps of their own, construct ids `dashboard-<name>`). The
 * backup alerts are appended to `rules`.
 */
export function stackMonitoring(
  chart: Chart,
  props: {
    readonly namespace: string;
    /** Name of the PrometheusRule and of the main dashboard's ConfigMap. */
    readonly name: string;
    /** Title of the main dashboard. */
    readonly title: string;
    readonly release: string;
    readonly rules: readonly AlertRule[];
    /** Panels of the main dashboard (the backup panels follow them). */
    readonly panels: readonly DashboardPanel[];
    /** Backup CronJobs (name and display label, e.g. `postgres-backup`, `Postgres`) and the age after which a backup counts as missing. */
    readonly backups: {
      readonly cronJobs: ReadonlyArray<{ readonly cronJob: string; readonly label: string }>;
      readonly maxAgeHours: number;
    };
    /**
     * Further dashboards, e.g. one per component (service health, database, system resources).
     * @default - the main dashboard only
     */
    readonly dashboards?: readonly StackDashboard[];
  },
): StackMonitoring {
  const { namespace, name, release, backups } = props;
  const extra = props.dashboards ?? [];
  const names = new Map<string, string>([[name, 'name']]);
  const titles = new Map<string, string>([[props.title, 'title']]);
  extra.forEach((d, i) => {
    const at = `dashboards[${i}]`;
    if (names.has(d.name)) {
      throw new Error(
        `stackMonitoring: ${at}.name must be unique among the stack's dashboards (${names.get(d.name)} has it), got "${d.name}"`,
      );
    }
    if (titles.has(d.title)) {
      throw new Error(
        `stackMonitoring: ${at}.title must be unique among the stack's dashboards (${titles.get(d.title)} has it), got "${d.title}"`,
      );
    }
    names.set(d.name, `${at}.name`);
    titles.set(d.title, `${at}.title`);
  });

  const alerts = new AlertRuleGroup(chart, 'alerts', {
    namespace,
    name,
    release,
    rules: [
      ...props.rules,
      ...backups.cronJobs.flatMap((b) =>
        backupRules({ namespace, cronJob: b.cronJob, alertPrefix: b.label, maxAgeHours: backups.maxAgeHours }),
      ),
    ],
  });
  const main = new GrafanaDashboard(chart, 'dashboard', {
    namespace,
    name,
    title: props.title,
    release,
    panels: [...props.panels, ...backups.cronJobs.flatMap((b) => backupPanels({ cronJob: b.cronJob, titlePrefix: `${b.label}: ` }))],
  });
  const more = extra.map(
    (d) => new GrafanaDashboard(chart, `dashboard-${d.name}`, { namespace, name: d.name, title: d.title, release, panels: [...d.panels] }),
  );
  return { alerts, dashboards: [main, ...more] };
}
