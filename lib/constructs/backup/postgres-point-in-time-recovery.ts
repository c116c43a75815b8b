import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { cron, dnsLabel, memory } from '../../core/formats';
import { componentLabels, selectorLabels } from '../../core/labels';
import type { PostgresDatabase } from '../data/postgres-database';
import { GraphComponent } from '../network/service-graph';
import { renderContainer, ResourceSpec, validateResources } from '../workloads/container';
import { renderPodTemplate } from '../workloads/pod-template';
import { BUILT_IN_BACKUP_EXTENSIONS, s3Scripts } from './backup-scripts';
import { BackupTarget, DatabaseBackup } from './database-backup';
import { PostgresBaseBackupEngine } from './postgres-base-backup-engine';
import { WalArchive } from './wal-archive';
import { pitrFetchScript, pitrRecoverScript } from './wal-archive-scripts';

export interface PostgresPointInTimeRecoveryProps {
  readonly namespace: string;
  readonly partOf: string;
  /** The database, with {@link archive}'s hook as its `walArchive`. */
  readonly postgres: PostgresDatabase;
  /** The database's image: pg_basebackup, and the server that replays the WAL in a recovery. */
  readonly image: string;
  /** The database's WAL archive. */
  readonly archive: WalArchive;
  /** Cron schedule (UTC) of the base backups. */
  readonly schedule: string;
  /** Days base backups are kept; the WAL goes with the oldest kept base backup (see {@link WalArchive}). */
  readonly retentionDays: number;
  /**
   * Where a recovery puts its result, a `pitr-<ts>.sql.gz` dump of the database as of the target
   * time: the target of the database's daily dumps, so its restore CronJob (`BACKUP_OBJECT=latest`)
   * loads it with the usual verification and safety dump.
   */
  readonly dumpTarget: BackupTarget;
  /** Pinned AWS CLI image (uploads and downloads). */
  readonly uploaderImage: string;
  /** Resources of the backup and restore containers. */
  readonly resources: ResourceSpec;
  /** Resources of the recovery container, a PostgreSQL replaying WAL. */
  readonly recoveryResources: ResourceSpec;
  /**
   * Size of the scratch space of a base backup (its compressed tar) and of a recovery (tar, WAL, dump),
   * and of the recovery's new data volume: the database's storage size holds any of them.
   */
  readonly size: string;
  /** StorageClass of the recovery's new data volume (a generic ephemeral volume: it lives as long as the pod). */
  readonly storageClassName: string;
  /** Hard time limit of a base backup or a recovery, seconds. @default 7200 */
  readonly activeDeadlineSeconds?: number;
  /** Name of the ConfigMap holding `RECOVERY_TARGET_TIME`, created by the operator before a recovery. @default '<postgres>-pitr-target' */
  readonly targetConfigMap?: string;
}

/** Name prefix of a recovery's dump (`pitr-<ts>.sql.gz`). */
export const PITR_DUMP_NAME_PREFIX = 'pitr';
const SCRIPTS_DIR = '/scripts';
const BACKUP_DIR = '/backup';
const RESTORE_DIR = '/restore';
const PG_UID = 999;
const NEVER = '0 0 31 2 *';

/**
 * Point-in-time recovery of a PostgreSQL whose WAL is archived by a {@link WalArchive}:
 * - a daily physical base backup CronJob (`<postgres>-basebackup`, {@link PostgresBaseBackupEngine}
 *   through {@link DatabaseBackup}: verified, checksummed, encrypted, pruned after `retentionDays`)
 *   under the archive's `base/`;
 * - a suspended restore CronJob (`<postgres>-pitr-restore`) run on demand with
 *   `kubectl create job --from=cronjob/<postgres>-pitr-restore`, reading `RECOVERY_TARGET_TIME`
 *   from the ConfigMap `<postgres>-pitr-target` (no ConfigMap, no pod: nothing runs without a
 *   target). It fetches the newest base backup before the target and the WAL since, recovers into a
 *   NEW generic ephemeral volume (never the live data) with `recovery_target_time` and
 *   `recovery_target_action = promote`, dumps the database as of the target, and uploads the dump
 *   beside the daily dumps, where the database's restore CronJob picks it up as the latest.
 */
export class PostgresPointInTimeRecovery extends Construct {
  /** The base backup CronJob and its pods. */
  public readonly baseBackup: DatabaseBackup;
  /** The suspended restore CronJob. */
  public readonly restoreCronJob: k8s.KubeCronJob;
  /** The restore pods (they reach only object storage). */
  public readonly restoreComponent: GraphComponent;
  /** The ConfigMap the restore reads its target from. */
  public readonly targetConfigMap: string;

  constructor(scope: Construct, id: string, props: PostgresPointInTimeRecoveryProps) {
    super(scope, id);
    const pg = props.postgres;
    const where = `PostgresPointInTimeRecovery '${pg.name}'`;
    validateResources(`${where}: resources`, props.resources);
    validateResources(`${where}: recoveryResources`, props.recoveryResources);
    if (!cron.test(props.schedule)) throw new Error(`${where}: schedule '${props.schedule}'; expected ${cron.expected}`);
    if (!memory.test(props.size)) throw new Error(`${where}: size '${props.size}'; expected ${memory.expected}`);
    if (!dnsLabel.test(props.storageClassName))
      throw new Error(`${where}: storageClassName '${props.storageClassName}'; expected ${dnsLabel.expected}`);
    const deadline = props.activeDeadlineSeconds ?? 7200;
    if (!Number.isInteger(deadline) || deadline < 60)
      throw new Error(`${where}: activeDeadlineSeconds ${deadline}; expected an integer >= 60 (seconds)`);
    this.targetConfigMap = props.targetConfigMap ?? `${pg.name}-pitr-target`;
    if (!dnsLabel.test(this.targetConfigMap))
      throw new Error(`${where}: targetConfigMap '${this.targetConfigMap}'; expected ${dnsLabel.expected}`);

    const archive = props.archive.target;
    const archivePrefix = archive.prefix.replace(/^\/+|\/+$/g, '');
    const tls = pg.clientTls;
    this.baseBackup = new DatabaseBackup(this, 'base-backup', {
      namespace: props.namespace,
      partOf: props.partOf,
      name: `${pg.name}-basebackup`,
      helmPrefix: 'backups.postgresBase',
      engine: new PostgresBaseBackupEngine(),
      source: {
        image: props.image,
        runAsUser: PG_UID,
        env: { PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: 'postgres', PGAPPNAME: `${pg.name}-basebackup`, ...tls?.libpqEnv },
        secretEnv: { PGPASSWORD: pg.superuserPassword },
        ...(tls ? { volumes: [tls.volume], volumeMounts: [tls.volumeMount] } : {}),
      },
      schedule: props.schedule,
      retentionDays: props.retentionDays,
      target: { ...archive, prefix: `${archivePrefix}/base` },
      uploaderImage: props.uploaderImage,
      resources: props.resources,
      scratchSize: props.size,
      activeDeadlineSeconds: deadline,
      restore: false,
    });

    const name = `${pg.name}-pitr-restore`;
    const identity = { name, partOf: props.partOf, component: 'backup' };
    const labels = componentLabels(identity);
    const selector = selectorLabels(identity);
    this.restoreComponent = { name, podLabels: selector, ports: {} };
    const scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: `${name}-scripts`, namespace: props.namespace, labels },
      data: {
        'fetch.sh': pitrFetchScript,
        'recover.sh': pitrRecoverScript,
        'upload.sh': s3Scripts(BUILT_IN_BACKUP_EXTENSIONS).upload,
      },
    });
    const mounts: k8s.VolumeMount[] = [
      { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
      { name: 'backup', mountPath: BACKUP_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const targetEnv: k8s.EnvVar = {
      name: 'RECOVERY_TARGET_TIME',
      valueFrom: { configMapKeyRef: { name: this.targetConfigMap, key: 'RECOVERY_TARGET_TIME', optional: false } },
    };
    const withTarget = (c: k8s.Container): k8s.Container => ({ ...c, env: [...(c.env ?? []), targetEnv] });
    const s3Env = (t: BackupTarget, prefix: string): Record<string, string> => ({
      S3_BUCKET: t.bucket,
      S3_PREFIX: prefix,
      AWS_REGION: t.region,
      AWS_DEFAULT_REGION: t.region,
      ...(t.endpointUrl ? { S3_ENDPOINT_URL: t.endpointUrl } : {}),
      ...(t.serverSideEncryption ? { S3_SSE: t.serverSideEncryption.algorithm } : {}),
      ...(t.serverSideEncryption?.algorithm === 'aws:kms' ? { S3_SSE_KMS_ID: t.serverSideEncryption.kmsKeyId } : {}),
      ...(t.requireKms ? { REQUIRE_SSE: 'true' } : {}),
    });
    const awsContainer = (container: string, script: string, t: BackupTarget, env: Record<string, string>) =>
      renderContainer({
        name: container,
        image: props.uploaderImage,
        runAs: { user: PG_UID },
        resources: props.resources,
        command: ['bash', `${SCRIPTS_DIR}/${script}`],
        env: { ...s3Env(t, env.S3_PREFIX ?? t.prefix), BACKUP_DIR, HOME: '/tmp', ...env },
        secretEnv: t.credentials
          ? { AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey }
          : {},
        volumeMounts: mounts,
      });
    const fetch = withTarget(awsContainer('fetch', 'fetch.sh', archive, { S3_PREFIX: archivePrefix }));
    const recover = withTarget(
      renderContainer({
        name: 'recover',
        image: props.image,
        runAs: { user: PG_UID },
        resources: props.recoveryResources,
        command: ['bash', `${SCRIPTS_DIR}/recover.sh`],
        env: {
          BACKUP_DIR,
          PITR_DATA_DIR: `${RESTORE_DIR}/pgdata`,
          PITR_SOCKET_DIR: '/tmp',
          PITR_TIMEOUT_SECONDS: String(deadline),
          PGDATABASE: pg.database,
          BACKUP_NAME_PREFIX: PITR_DUMP_NAME_PREFIX,
          HOME: '/tmp',
        },
        volumeMounts: [...mounts, { name: 'restore', mountPath: RESTORE_DIR }],
      }),
    );
    const upload = awsContainer('upload', 'upload.sh', props.dumpTarget, { RETENTION_DAYS: String(props.retentionDays) });
    const template = renderPodTemplate({
      labels,
      selector,
      runAs: { user: PG_UID },
      serviceAccountName: `${pg.name}-basebackup`,
      initContainers: [fetch, recover],
      containers: [upload],
      volumes: [
        { name: 'scripts', configMap: { name: scripts.name, defaultMode: 0o555 } },
        { name: 'backup', emptyDir: { sizeLimit: k8s.Quantity.fromString(props.size) } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
        {
          name: 'restore',
          ephemeral: {
            volumeClaimTemplate: {
              metadata: { labels },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: props.storageClassName,
                resources: { requests: { storage: k8s.Quantity.fromString(props.size) } },
              },
            },
          },
        },
      ],
      restartPolicy: 'Never',
    });
    this.restoreCronJob = new k8s.KubeCronJob(this, 'restore', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        schedule: NEVER,
        timeZone: 'Etc/UTC',
        suspend: true,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels }, spec: { backoffLimit: 0, activeDeadlineSeconds: deadline, template } },
      },
    });
  }
}
