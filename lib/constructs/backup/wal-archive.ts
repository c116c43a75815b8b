import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels } from '../../core/labels';
import { renderContainer, ResourceSpec, validateResources } from '../workloads/container';
import { BackupTarget } from './database-backup';
import { walShipScript, walSpoolScript } from './wal-archive-scripts';

/**
 * What a PostgreSQL pod needs for continuous WAL archiving: postgresql.conf settings, the spool
 * volume PostgreSQL's archive_command writes into and the sidecar uploads from, the scripts, the
 * sidecar itself, and the service account whose identity (IRSA on EKS) the sidecar uploads with.
 * {@link PostgresDatabase} applies it (`walArchive` prop).
 */
export interface PostgresWalArchiveHook {
  /** `archive_mode`, `archive_command`, `archive_timeout`. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** Pod volumes: the spool (emptyDir) and the scripts (ConfigMap). */
  readonly volumes: readonly k8s.Volume[];
  /** Mounts of the PostgreSQL container (spool read-write, scripts read-only). */
  readonly mounts: readonly k8s.VolumeMount[];
  /** The wal-ship sidecar. */
  readonly sidecars: readonly k8s.Container[];
  /** Service account of the pod. */
  readonly serviceAccountName: string;
}

export interface WalArchiveProps {
  readonly namespace: string;
  readonly partOf: string;
  /** Names the scripts ConfigMap (`<name>-scripts`) and the service account. @default 'postgres-wal' */
  readonly name?: string;
  /**
   * The archive: WAL goes under `<prefix>/wal/`, base backups under `<prefix>/base/` (see
   * {@link PostgresPointInTimeRecovery}); its encryption settings apply to every upload.
   */
  readonly target: BackupTarget;
  /** Pinned AWS CLI image of the wal-ship sidecar. */
  readonly uploaderImage: string;
  /** Resources of the wal-ship sidecar. */
  readonly resources: ResourceSpec;
  /**
   * `archive_timeout`: PostgreSQL switches to a new WAL segment at least this often when anything
   * was written, so a committed transaction reaches the archive within about this many seconds
   * plus the ship interval: the recovery point objective.
   * @default 60
   */
  readonly archiveTimeoutSeconds?: number;
  /**
   * Bounds of the spool between archive_command and the sidecar. When the spool holds `maxFiles`
   * files, or its oldest is older than `maxAgeSeconds`, archive_command fails: PostgreSQL keeps the
   * WAL in pg_wal and retries (the WAL-archiving alert fires), and the spool volume never overflows.
   * @default - 32 files (about 512 MiB uncompressed at most; the volume is sized for them), 900 seconds
   */
  readonly spool?: { readonly maxFiles?: number; readonly maxAgeSeconds?: number };
  /** Seconds between the sidecar's upload passes. @default 5 */
  readonly shipIntervalSeconds?: number;
  /** Seconds between the sidecar's prune passes (WAL older than the oldest base backup). @default 3600 */
  readonly pruneIntervalSeconds?: number;
}

/** Where the spool is mounted in the PostgreSQL container and the sidecar. */
export const WAL_SPOOL_DIR = '/var/lib/postgresql/wal-spool';
/** Where the archive scripts are mounted. */
export const WAL_SCRIPTS_DIR = '/etc/postgresql/wal-archive';
/** The wal-ship loop's heartbeat file (its default WAL_SHIP_HEARTBEAT_FILE). */
const HEARTBEAT_FILE = '/tmp/wal-ship.alive';

/** An exec check: the heartbeat file exists and was touched less than `seconds` ago. */
function heartbeatCheck(seconds: number): string[] {
  return ['bash', '-c', `f=${HEARTBEAT_FILE}; [ -f "$f" ] && [ $(( $(date +%s) - $(stat -c %Y "$f") )) -lt ${seconds} ]`];
}

/** PostgreSQL's WAL segment size (the official image's initdb default). */
const WAL_SEGMENT_MIB = 16;
/** The postgres image's uid: the sidecar runs as it too, to read and delete the spooled files (mode 0600). */
const PG_UID = 999;

/**
 * The postgresql.conf settings of continuous archiving through `wal-spool.sh` in `scriptsDir`:
 * `archive_mode = on`, `archive_command = 'bash <dir>/wal-spool.sh "%p" "%f"'`, `archive_timeout`.
 * @throws Error for a timeout that is not an integer from 1 to 3600 seconds.
 */
export function walArchiveSettings(scriptsDir: string, archiveTimeoutSeconds: number): Record<string, string | number> {
  if (!Number.isInteger(archiveTimeoutSeconds) || archiveTimeoutSeconds < 1 || archiveTimeoutSeconds > 3600)
    throw new Error(`WalArchive: archiveTimeoutSeconds ${archiveTimeoutSeconds}; expected an integer from 1 to 3600 (seconds)`);
  return {
    archive_mode: 'on',
    archive_command: `bash ${scriptsDir}/wal-spool.sh "%p" "%f"`,
    archive_timeout: archiveTimeoutSeconds,
  };
}

/**
 * Continuous WAL archiving of one PostgreSQL to the backup bucket, the pattern of a spool and a
 * shipper: PostgreSQL's archive_command (`wal-spool.sh`, in the postgres image) gzips each finished
 * segment into an emptyDir spool, fsynced and atomically renamed; the `wal-ship` sidecar (the AWS CLI
 * image, which the postgres image lacks) uploads each file to `<prefix>/wal/<segment>.gz` with the
 * target's server-side encryption (SSE-KMS required on Amazon S3), checks it, then deletes it. A
 * bounded spool makes a stalled upload fail archive_command, so PostgreSQL keeps the WAL rather than
 * losing it. The sidecar also deletes WAL older than the oldest base backup, so WAL is kept as long
 * as the base backups (their retention). Pass {@link hook} to the database's `walArchive`.
 */
export class WalArchive extends Construct {
  /** What the database pod gets. */
  public readonly hook: PostgresWalArchiveHook;
  /** The archive (WAL under `wal/`, base backups under `base/`). */
  public readonly target: BackupTarget;
  /** `archive_timeout` in seconds. */
  public readonly archiveTimeoutSeconds: number;

  constructor(scope: Construct, id: string, props: WalArchiveProps) {
    super(scope, id);
    const name = props.name ?? 'postgres-wal';
    const where = `WalArchive '${name}'`;
    const maxFiles = props.spool?.maxFiles ?? 32;
    const maxAgeSeconds = props.spool?.maxAgeSeconds ?? 900;
    const shipInterval = props.shipIntervalSeconds ?? 5;
    const pruneInterval = props.pruneIntervalSeconds ?? 3600;
    for (const [field, value, max] of [
      ['spool.maxFiles', maxFiles, 256],
      ['spool.maxAgeSeconds', maxAgeSeconds, 86400],
      ['shipIntervalSeconds', shipInterval, 300],
      ['pruneIntervalSeconds', pruneInterval, 86400],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max)
        throw new Error(`${where}: ${field} ${value}; expected an integer from 1 to ${max}`);
    }
    if (maxAgeSeconds <= shipInterval)
      throw new Error(
        `${where}: spool.maxAgeSeconds ${maxAgeSeconds} is not above shipIntervalSeconds ${shipInterval}; expected a bound the sidecar can keep`,
      );
    validateResources(`${where}: resources`, props.resources);
    this.archiveTimeoutSeconds = props.archiveTimeoutSeconds ?? 60;
    const settings = walArchiveSettings(WAL_SCRIPTS_DIR, this.archiveTimeoutSeconds);
    this.target = props.target;
    const labels = componentLabels({ name, partOf: props.partOf, component: 'wal-archive' });

    const scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: `${name}-scripts`, namespace: props.namespace, labels },
      data: {
        'wal-spool.sh': walSpoolScript({ dir: WAL_SPOOL_DIR, maxFiles, maxAgeSeconds }),
        'wal-ship.sh': walShipScript,
      },
    });
    const roleArn = props.target.roleArn;
    const serviceAccount = new k8s.KubeServiceAccount(this, 'sa', {
      metadata: {
        name,
        namespace: props.namespace,
        labels,
        ...(roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn } } : {}),
      },
      automountServiceAccountToken: false,
    });

    const t = props.target;
    // The spool holds at most maxFiles compressed segments (at most a segment each) plus one being
    // written; the limit leaves room for both, so the kubelet never evicts the pod for it.
    const spoolMiB = (maxFiles + 2) * WAL_SEGMENT_MIB;
    const sidecar = renderContainer({
      name: 'wal-ship',
      image: props.uploaderImage,
      runAs: { user: PG_UID },
      resources: props.resources,
      command: ['bash', `${WAL_SCRIPTS_DIR}/wal-ship.sh`],
      env: {
        WAL_SPOOL_DIR,
        S3_BUCKET: t.bucket,
        S3_PREFIX: t.prefix,
        AWS_REGION: t.region,
        AWS_DEFAULT_REGION: t.region,
        HOME: '/tmp',
        WAL_SHIP_INTERVAL_SECONDS: String(shipInterval),
        WAL_PRUNE_INTERVAL_SECONDS: String(pruneInterval),
        ...(t.endpointUrl ? { S3_ENDPOINT_URL: t.endpointUrl } : {}),
        ...(t.serverSideEncryption ? { S3_SSE: t.serverSideEncryption.algorithm } : {}),
        ...(t.serverSideEncryption?.algorithm === 'aws:kms' ? { S3_SSE_KMS_ID: t.serverSideEncryption.kmsKeyId } : {}),
        ...(t.requireKms ? { REQUIRE_SSE: 'true' } : {}),
      },
      secretEnv: t.credentials
        ? { AWS_ACCESS_KEY_ID: t.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey }
        : {},
      // Alive while the loop's heartbeat (touched before every pass) is recent: a pass stuck on an
      // upload makes it old. 600 s: far above a pass (the ship interval plus uploads of at most
      // spool.maxFiles files), so only a hung sidecar is restarted.
      readiness: { exec: heartbeatCheck(600), periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
      liveness: { exec: heartbeatCheck(600), periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
      volumeMounts: [
        { name: 'wal-spool', mountPath: WAL_SPOOL_DIR },
        { name: 'wal-scripts', mountPath: WAL_SCRIPTS_DIR, readOnly: true },
        { name: 'wal-ship-tmp', mountPath: '/tmp' },
      ],
    });
    this.hook = {
      settings,
      volumes: [
        { name: 'wal-spool', emptyDir: { sizeLimit: k8s.Quantity.fromString(`${spoolMiB}Mi`) } },
        { name: 'wal-scripts', configMap: { name: scripts.name, defaultMode: 0o555 } },
        { name: 'wal-ship-tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      ],
      mounts: [
        { name: 'wal-spool', mountPath: WAL_SPOOL_DIR },
        { name: 'wal-scripts', mountPath: WAL_SCRIPTS_DIR, readOnly: true },
      ],
      sidecars: [sidecar],
      serviceAccountName: serviceAccount.name,
    };
  }
}
