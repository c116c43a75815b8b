import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { isValidCron } from '../../core/formats';
import { renderContainer, ResourceSpec, SecretKeyRef } from '../workloads/container';
import { HelmValues } from '../../output/helm';
import { componentLabels, selectorLabels } from '../../core/labels';
import { renderPodTemplate } from '../workloads/pod-template';
import { GraphComponent } from '../network/service-graph';
import { bindImage, VALUE_SCHEMAS, valueKey } from '../workloads/workload-values';
import * as scripts from './backup-scripts';

/** Where backups are stored. */
export interface BackupTarget {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `wondernest/postgres`. */
  readonly prefix: string;
  readonly region: string;
  /** S3-compatible endpoint (LocalStack in dev). @default - Amazon S3 */
  readonly endpointUrl?: string;
  /** Static credentials (only for an S3-compatible dev endpoint). @default - none: IRSA via roleArn */
  readonly credentials?: { readonly accessKeyId: SecretKeyRef; readonly secretAccessKey: SecretKeyRef };
  /** IAM role for the backup service account (IRSA on EKS). @default - none */
  readonly roleArn?: string;
}

/** How the dump container reaches its database. */
export interface BackupSource {
  /** Image with the database's client tools (the database image itself). */
  readonly image: string;
  readonly runAsUser: number;
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
}

export type BackupEngine = 'postgres' | 'redis';

export interface DatabaseBackupProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Names the CronJob(s), ServiceAccount and ConfigMap, e.g. `postgres-backup`. */
  readonly name: string;
  readonly engine: BackupEngine;
  readonly source: BackupSource;
  /** Cron schedule (UTC). */
  readonly schedule: string;
  /** Days backups are kept. */
  readonly retentionDays: number;
  readonly target: BackupTarget;
  /** Pinned AWS CLI image used for upload, download and pruning. */
  readonly uploaderImage: string;
  readonly resources: ResourceSpec;
  /** Scratch space for one dump. @default '2Gi' */
  readonly scratchSize?: string;
  /** Hard time limit of one run, seconds. @default 3600 */
  readonly activeDeadlineSeconds?: number;
  /**
   * Also render a restore CronJob (suspended; run on demand).
   * @default - true for postgres; for redis, true when `restoreData` is given
   */
  readonly restore?: boolean;
  /**
   * The store's data volume, for engines whose restore replaces files (redis): the restore Job
   * mounts this PVC, refuses to run while the store answers, and installs the dump there.
   * Required for a redis restore.
   * @default - none
   */
  readonly restoreData?: {
    /** PVC of the store's data, e.g. `data-redis-0`. */
    readonly claimName: string;
    /** Where the store keeps its data inside that volume's mount. @default '/data' */
    readonly mountPath?: string;
    /** The StatefulSet to scale to 0 before a restore (named in the refusal message). */
    readonly statefulSet: string;
  };
  /**
   * How the restore Job replaces the data (postgres only).
   * - `in-place`: one container verifies the dump, takes a safety dump into the pod's scratch space,
   *   and restores in one transaction after dropping the dump's schemas ({@link scripts.postgresRestoreScript}).
   * - `recreate`: the seed's steps with a durable safety net: init containers verify the dump, take
   *   a safety dump and upload it to `<prefix>/pre-restore/` BEFORE anything changes; the restore
   *   then builds a new database from the dump, verifies it, terminates the sessions of the live
   *   database and swaps the new one in, and verifies again ({@link scripts.postgresRecreateRestoreScript}).
   *   `source.env.PGUSER` must be a superuser.
   * @default 'in-place'
   */
  readonly restoreMode?: 'in-place' | 'recreate';
  /** @default - name */
  readonly helmPrefix?: string;
}

const SCRIPTS_DIR = '/scripts';
const BACKUP_DIR = '/backup';
const UPLOADER_UID = 1000;

/**
 * A scheduled, verified backup of one store to S3: an init container dumps with the
 * database's own tools and checks the dump's integrity, then an AWS CLI container
 * uploads it with its checksum and prunes backups older than the retention.
 * Concurrency Forbid, deadlines and history limits keep runs bounded. A suspended restore
 * CronJob is rendered for PostgreSQL, and for Redis when `restoreData` names its PVC (run it
 * with `kubectl create job --from=cronjob/<store>-restore ...`).
 */
export class DatabaseBackup extends Construct {
  public readonly cronJob: k8s.KubeCronJob;
  public readonly restoreCronJob?: k8s.KubeCronJob;
  /** Graph component for the backup pods (they need the store and S3). */
  public readonly component: GraphComponent;
  /** Graph component for the restore pods. */
  public readonly restoreComponent?: GraphComponent;

  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const where = `DatabaseBackup '${props.name}'`;
    if (!isValidCron(props.schedule)) throw new Error(`${where}: schedule '${props.schedule}'; expected a five-field cron expression such as '0 2 * * *'`);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) throw new Error(`${where}: retentionDays ${props.retentionDays}; expected an integer >= 1`);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.target.bucket)) throw new Error(`${where}: target.bucket '${props.target.bucket}'; expected an S3 bucket name (3-63 lowercase letters, digits, '.', '-')`);
    if (props.target.credentials && !props.target.endpointUrl) throw new Error(`${where}: target.credentials are only for an S3-compatible endpoint; on AWS use target.roleArn (IRSA)`);
    const restore = props.restore ?? (props.engine === 'postgres' || props.restoreData !== undefined);
    if (restore && props.engine === 'redis' && !props.restoreData) {
      throw new Error(`${where}: a redis restore needs restoreData (the PVC holding the store's data); got none. Set restoreData or restore: false`);
    }
    if (props.restoreData && props.engine !== 'redis') throw new Error(`${where}: restoreData is for engines that restore files (redis); got engine '${props.engine}'`);
    if (props.restoreData && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.restoreData.claimName)) {
      throw new Error(`${where}: restoreData.claimName '${props.restoreData.claimName}'; expected a PVC name (DNS-1123 subdomain)`);
    }
    const restoreMode = props.restoreMode ?? 'in-place';
    if (!['in-place', 'recreate'].includes(restoreMode)) throw new Error(`${where}: restoreMode '${restoreMode}'; expected 'in-place' or 'recreate'`);
    if (props.restoreMode !== undefined && !(restore && props.engine === 'postgres')) throw new Error(`${where}: restoreMode '${props.restoreMode}' is set but no postgres restore is rendered; expected engine postgres with restore true`);
    const recreate = restore && restoreMode === 'recreate';

    const identity = { name: props.name, partOf: props.partOf, component: 'backup' };
    const labels = componentLabels(identity);

    new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: `${props.name}-scripts`, namespace: props.namespace, labels },
      data: props.engine !== 'postgres'
        ? {
          'dump.sh': scripts.redisDumpScript, 'upload.sh': scripts.s3UploadScript,
          ...(restore ? { 'download.sh': scripts.s3DownloadScript, 'ensure-stopped.sh': scripts.redisEnsureStoppedScript, 'restore.sh': scripts.redisRestoreScript } : {}),
        }
        : recreate
          ? {
            'dump.sh': scripts.postgresDumpScript, 'upload.sh': scripts.s3UploadScript, 'download.sh': scripts.s3DownloadScript,
            'safety-dump.sh': scripts.postgresSafetyDumpScript, 'restore.sh': scripts.postgresRecreateRestoreScript,
          }
          : { 'dump.sh': scripts.postgresDumpScript, 'upload.sh': scripts.s3UploadScript, 'download.sh': scripts.s3DownloadScript, 'restore.sh': scripts.postgresRestoreScript },
    });
    const sa = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels,
        ...(props.target.roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': props.target.roleArn } } : {}),
      },
      automountServiceAccountToken: false,
    });

    const s3Env: Record<string, string> = {
      S3_BUCKET: props.target.bucket,
      S3_PREFIX: props.target.prefix,
      AWS_REGION: props.target.region,
      AWS_DEFAULT_REGION: props.target.region,
      BACKUP_DIR,
      HOME: '/tmp',
      ...(props.target.endpointUrl ? { S3_ENDPOINT_URL: props.target.endpointUrl } : {}),
    };
    const s3SecretEnv: Record<string, SecretKeyRef> = props.target.credentials
      ? { AWS_ACCESS_KEY_ID: props.target.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: props.target.credentials.secretAccessKey }
      : {};
    const dbEnv = { ...props.source.env, BACKUP_DIR, BACKUP_NAME_PREFIX: props.engine };
    const mounts: k8s.VolumeMount[] = [
      { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
      { name: 'backup', mountPath: BACKUP_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    const volumes: k8s.Volume[] = [
      { name: 'scripts', configMap: { name: `${props.name}-scripts`, defaultMode: 0o555 } },
      { name: 'backup', emptyDir: { sizeLimit: k8s.Quantity.fromString(props.scratchSize ?? '2Gi') } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ];

    const jobPod = (component: string, init: k8s.Container | k8s.Container[], main: k8s.Container, extraVolumes: k8s.Volume[] = []): k8s.PodTemplateSpec => renderPodTemplate({
      labels: componentLabels({ ...identity, name: component }),
      selector: selectorLabels({ ...identity, name: component }),
      runAs: { user: props.source.runAsUser },
      serviceAccountName: sa.name,
      initContainers: Array.isArray(init) ? init : [init],
      containers: [main],
      volumes: [...volumes, ...extraVolumes],
      restartPolicy: 'Never',
    });
    const cron = (cid: string, name: string, schedule: string, suspend: boolean, template: k8s.PodTemplateSpec): k8s.KubeCronJob => new k8s.KubeCronJob(this, cid, {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        schedule,
        timeZone: 'Etc/UTC',
        suspend,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: { backoffLimit: suspend ? 0 : 2, activeDeadlineSeconds: props.activeDeadlineSeconds ?? 3600, template },
        },
      },
    });

    const uploader = (name: string, script: string, extraEnv: Record<string, string>): k8s.Container => renderContainer({
      name,
      image: props.uploaderImage,
      runAs: { user: UPLOADER_UID },
      resources: props.resources,
      command: ['bash', `${SCRIPTS_DIR}/${script}`],
      env: { ...s3Env, ...extraEnv },
      secretEnv: s3SecretEnv,
      volumeMounts: mounts,
    });
    const dbContainer = (name: string, script: string, extraEnv: Record<string, string> = {}, extraMounts: k8s.VolumeMount[] = []): k8s.Container => renderContainer({
      name,
      image: props.source.image,
      runAs: { user: props.source.runAsUser },
      resources: props.resources,
      command: ['bash', `${SCRIPTS_DIR}/${script}`],
      env: { ...dbEnv, ...extraEnv },
      secretEnv: props.source.secretEnv,
      volumeMounts: [...mounts, ...extraMounts],
    });

    const upload = uploader('upload', 'upload.sh', { RETENTION_DAYS: String(props.retentionDays) });
    this.cronJob = cron('cronjob', props.name, props.schedule, false, jobPod(props.name, dbContainer('dump', 'dump.sh'), upload));
    this.component = { name: props.name, podLabels: selectorLabels(identity), ports: {} };

    const helm = HelmValues.of(this);
    const prefix = props.helmPrefix ?? valueKey(props.name);
    helm.bind(this.cronJob, '/spec/schedule', `${prefix}.schedule`, VALUE_SCHEMAS.cron);
    const retentionIndex = (upload.env ?? []).findIndex((e) => e.name === 'RETENTION_DAYS');
    helm.bind(this.cronJob, `/spec/jobTemplate/spec/template/spec/containers/0/env/${retentionIndex}/value`, `${prefix}.retentionDays`,
      { type: 'string', pattern: '^[1-9][0-9]*$', description: 'Days backups are kept' });
    bindImage(this.cronJob, '/spec/jobTemplate/spec/template/spec/containers/0/image', `${prefix}.uploader`);

    if (restore) {
      const restoreName = props.name.replace(/-backup$/, '') + '-restore';
      const download = uploader('download', 'download.sh', { BACKUP_OBJECT: 'latest' });
      const data = props.restoreData;
      const dataPath = data?.mountPath ?? '/data';
      const pod = data
        // redis: refuse while the store answers, then verify the .rdb and install it (rebuilding the AOF) on its PVC
        ? jobPod(restoreName, [download, dbContainer('ensure-stopped', 'ensure-stopped.sh', { STORE_NAME: data.statefulSet })],
          dbContainer('restore', 'restore.sh', { REDIS_DATA_DIR: dataPath }, [{ name: 'data', mountPath: dataPath }]),
          [{ name: 'data', persistentVolumeClaim: { claimName: data.claimName } }])
        : recreate
        ? jobPod(restoreName, [
          download,
          dbContainer('safety-dump', 'safety-dump.sh'),
          uploader('safety-upload', 'upload.sh', { S3_PREFIX: `${props.target.prefix.replace(/\/+$/, '')}/pre-restore`, RETENTION_DAYS: String(props.retentionDays) }),
        ], dbContainer('restore', 'restore.sh', { RESTORE_KEEP_PREVIOUS: 'no' }))
        : jobPod(restoreName, download, dbContainer('restore', 'restore.sh'));
      this.restoreCronJob = cron('restore', restoreName, '0 0 31 2 *', true, pod);
      this.restoreComponent = { name: restoreName, podLabels: selectorLabels({ ...identity, name: restoreName }), ports: {} };
    }
  }
}
