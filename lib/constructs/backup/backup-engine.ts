import { k8s } from 'cdk8s-plus-27';

/**
 * What {@link DatabaseBackup} needs to know about one kind of store: how its dumps are named,
 * made and verified, which env the dump container needs, and what its restore Job runs. Engines
 * plug in without changes to DatabaseBackup: PostgreSQL ({@link PostgresBackupEngine}) and
 * Redis ({@link RedisBackupEngine}) come with the library; a new store implements this interface.
 *
 * The contract every engine's scripts follow (see backup-scripts.ts for the shared shell):
 * - the dump runs as `bash /scripts/dump.sh` in the backup's source image (the store's own image,
 *   so client and server versions match), with the source env plus `BACKUP_DIR` (an emptyDir) and
 *   `BACKUP_NAME_PREFIX` (the engine's {@link BackupEngine.name});
 * - it writes `<prefix>-<YYYYMMDDTHHMMSSZ>.<fileExtension>` into `$BACKUP_DIR` only after checking
 *   it (a truncated or corrupt dump must fail the run), then `<file>.sha256` (`sha256sum`
 *   format) and the file name into `$BACKUP_DIR/latest-name`; the shared upload then copies both
 *   to S3 and prunes by the embedded timestamp;
 * - a restore Job first downloads a dump (`download.sh`, aws-cli image: the dump and its
 *   `.sha256` into `$BACKUP_DIR`, checksum verified, name in `$BACKUP_DIR/restore-name`), then
 *   runs the engine's {@link BackupRestorePlan}: its scripts verify the dump again BEFORE they
 *   touch the store, and keep a way back (a safety dump, or the old files moved aside).
 */
export interface BackupEngine {
  /**
   * The engine's name: the prefix of its dump files (`BACKUP_NAME_PREFIX`) and the name in
   * messages, e.g. `postgres`. Letters, digits, '.', '_', '-', starting with a letter or digit.
   */
  readonly name: string;
  /** Extension of a dump file without the leading dot, e.g. `sql.gz` (lowercase letters and digits in dot-separated parts). */
  readonly fileExtension: string;
  /**
   * Environment variables the dump and restore containers need from the backup's source (plain
   * or from a Secret), e.g. `PGHOST`, `PGPASSWORD`. A missing one stops synth.
   */
  readonly sourceEnv: readonly string[];
  /** `dump.sh`: makes and verifies one dump (see the contract above). */
  readonly dumpScript: string;
  /** Whether a restore Job is rendered when the backup does not say (`DatabaseBackupProps.restore`). */
  readonly restoreByDefault: boolean;
  /**
   * Engine options given that only affect the restore, as text for messages (e.g. `restoreMode 'recreate'`):
   * a backup with `restore: false` refuses them rather than ignore them.
   * @default - none
   */
  readonly restoreOptions?: readonly string[];
  /** The restore Job after the download. Throws (naming what is missing) when the engine cannot restore as configured. */
  restorePlan(): BackupRestorePlan;
}

/** What a restore Job runs after `download.sh`. */
export interface BackupRestorePlan {
  /**
   * Script files of the restore, by file name (in the backup's scripts ConfigMap next to `dump.sh`,
   * `upload.sh` and `download.sh`, which are taken).
   */
  readonly scripts: Readonly<Record<string, string>>;
  /** The steps in order: all but the last run as init containers, the last is the Job's container. At least one; the last a `store` step. */
  readonly steps: readonly BackupRestoreStep[];
  /** Extra volumes of the restore pod (e.g. the store's data PVC), mounted by steps' `volumeMounts`. @default - none */
  readonly volumes?: readonly k8s.Volume[];
}

/** One container of a restore Job. */
export type BackupRestoreStep = BackupStoreStep | BackupUploadStep;

/** A container in the source image (with the source env) running one of the plan's scripts with bash. */
export interface BackupStoreStep {
  readonly kind: 'store';
  /** Container name, e.g. `restore`. */
  readonly name: string;
  /** A file of {@link BackupRestorePlan.scripts}. */
  readonly script: string;
  /** Extra plain env. @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra mounts (of the plan's volumes). @default - none */
  readonly volumeMounts?: readonly k8s.VolumeMount[];
}

/**
 * The shared upload (aws-cli image) of the file named in `$BACKUP_DIR/latest-name`, e.g. a safety
 * dump taken by an earlier step, under `<target prefix>/<subPrefix>/`, pruned with the backup's retention.
 */
export interface BackupUploadStep {
  readonly kind: 'upload';
  /** Container name, e.g. `safety-upload`. */
  readonly name: string;
  /** Folder under the backup's prefix, e.g. `pre-restore`. */
  readonly subPrefix: string;
}
