import { renderAssetWithIncludes, TemplateValue } from '../../core/asset-template';
import {
  BUILT_IN_BACKUP_EXTENSIONS,
  COMMON_INCLUDE_VALUES,
  LATEST_NAME_FILE,
  PG_DUMP_COMPLETE_MARKER,
  RESTORE_NAME_FILE,
  s3KeySelectionValues,
} from './backup-scripts';

/**
 * Scripts of PostgreSQL point-in-time recovery (continuous WAL archiving, physical base backups,
 * recovery to a time). Like backup-scripts.ts: the shell lives in `assets/` (one file per script,
 * shared helpers in `assets/include/`), rendered at synth; nothing secret is rendered.
 *
 * Layout of an archive under its prefix `P` in the backup bucket:
 * - `P/base/<name prefix>-<YYYYMMDDTHHMMSSZ>.tar.gz` (+ `.sha256`): `pg_basebackup` tar of the data
 *   directory with `backup_label` and `backup_manifest`, WAL not included (it is in `P/wal/`);
 * - `P/wal/<WAL file name>.gz`: every WAL segment (and timeline `.history` file) PostgreSQL
 *   archived, gzip-compressed; the file name carries the timeline.
 */

/** Extension of a base backup file. */
export const BASE_BACKUP_EXTENSION = 'tar.gz';

/** Name prefix of the base backup files (`postgres-base-<ts>.tar.gz`). */
export const BASE_BACKUP_NAME_PREFIX = 'postgres-base';

/**
 * WAL uploaded this long before the oldest base backup's start is kept, and fetched for a
 * recovery: it covers a clock difference between the pod (which names the backup) and S3 (which
 * dates the WAL objects); a base backup needs WAL only from its own start on. One hour: far above
 * any NTP-synchronised difference, and one hour of extra WAL is small beside the retention.
 */
export const WAL_PRUNE_MARGIN_SECONDS = 3600;

function render(file: string, values: Readonly<Record<string, TemplateValue>>): string {
  return renderAssetWithIncludes(__dirname, `assets/${file}`, values);
}

const S3_VALUES = {
  ...COMMON_INCLUDE_VALUES,
  ...s3KeySelectionValues([...BUILT_IN_BACKUP_EXTENSIONS, BASE_BACKUP_EXTENSION]),
  base_backup_name_prefix: BASE_BACKUP_NAME_PREFIX,
  wal_prune_margin_seconds: String(WAL_PRUNE_MARGIN_SECONDS),
};

/** Where and how much the WAL spool holds. */
export interface WalSpoolOptions {
  /** Directory shared by PostgreSQL's archive_command and the wal-ship sidecar. */
  readonly dir: string;
  /** Files the spool may hold before archive_command fails (PostgreSQL then keeps the WAL in pg_wal). */
  readonly maxFiles: number;
  /** Age of the oldest spooled file above which archive_command fails (the sidecar is stuck). */
  readonly maxAgeSeconds: number;
}

/**
 * PostgreSQL's `archive_command` (postgres image, bash): `bash wal-spool.sh "%p" "%f"` gzips the
 * finished WAL file into `<dir>/<name>.gz` (verified with `gzip -t`, fsynced, atomically renamed)
 * and exits 0; a file already spooled with the same content is a success. It FAILS, so that
 * PostgreSQL keeps the segment in pg_wal and retries, when the spool holds `maxFiles` files or its
 * oldest file is older than `maxAgeSeconds` (the uploader is not keeping up): a stalled upload
 * never loses WAL and never fills the spool volume past its bound.
 * @throws Error naming the option for a relative dir or bounds that are not integers >= 1.
 */
export function walSpoolScript(options: WalSpoolOptions): string {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(options.dir))
    throw new Error(`walSpoolScript: dir '${options.dir}'; expected an absolute path of letters, digits, '.', '_', '-' and '/'`);
  for (const [field, value] of [
    ['maxFiles', options.maxFiles],
    ['maxAgeSeconds', options.maxAgeSeconds],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`walSpoolScript: ${field} ${value}; expected an integer >= 1`);
  }
  return render('wal-spool.sh', {
    ...COMMON_INCLUDE_VALUES,
    wal_spool_dir: options.dir,
    wal_spool_max_files: String(options.maxFiles),
    wal_spool_max_age_seconds: String(options.maxAgeSeconds),
  });
}

/**
 * The wal-ship sidecar (amazon/aws-cli image, bash). Env: WAL_SPOOL_DIR, S3_BUCKET, S3_PREFIX (the
 * archive's), optional S3_ENDPOINT_URL, AWS_REGION, S3_SSE/S3_SSE_KMS_ID/REQUIRE_SSE (as the backup
 * upload: REQUIRE_SSE=true refuses anything but SSE-KMS), WAL_SHIP_INTERVAL_SECONDS (default 5),
 * WAL_PRUNE_INTERVAL_SECONDS (default 3600), WAL_SHIP_ONCE.
 *
 * Every interval: uploads each spooled file to `<prefix>/wal/<name>.gz` (server-side encrypted),
 * checks the object's size (and encryption), then deletes the local file. Every prune interval:
 * deletes the WAL objects uploaded before the oldest base backup under `<prefix>/base/` (minus
 * {@link WAL_PRUNE_MARGIN_SECONDS}), so WAL is kept exactly as long as a base backup can use it
 * (the base backups' own retention prunes them). On SIGTERM it ships what PostgreSQL archives
 * while shutting down, then exits.
 */
export const walShipScript = render('wal-ship.sh', S3_VALUES);

/**
 * Physical base backup (postgres image, bash), the dump script of {@link PostgresBaseBackupEngine}.
 * Env: PGHOST, PGPORT, PGUSER (replication allowed), PGPASSWORD, BACKUP_DIR, BACKUP_NAME_PREFIX.
 *
 * `pg_basebackup -Ft -z -X none` to `<prefix>-<ts>.tar.gz`, checked (gzip, tar, `backup_label`,
 * `backup_manifest`, `global/pg_control`) before it gets its final name, then `.sha256` and
 * `latest-name` for the shared upload.
 */
export const postgresBaseBackupScript = render('postgres-basebackup.sh', { ...COMMON_INCLUDE_VALUES, latest_name_file: LATEST_NAME_FILE });

/**
 * First step of a recovery (amazon/aws-cli image, bash). Env: BACKUP_DIR, S3_BUCKET, S3_PREFIX (the
 * archive's), RECOVERY_TARGET_TIME, optional S3_ENDPOINT_URL, AWS_REGION.
 *
 * Downloads the newest base backup that started at or before the target (checksum verified) and
 * the WAL uploaded since it started (every `.history` file too) into `$BACKUP_DIR/wal/`; names the
 * base backup in `$BACKUP_DIR/restore-name`. Fails for a target in the future or older than every
 * retained base backup.
 */
export const pitrFetchScript = render('pitr-fetch.sh', { ...S3_VALUES, restore_name_file: RESTORE_NAME_FILE });

/**
 * Second step of a recovery (postgres image, bash). Env: BACKUP_DIR, PITR_DATA_DIR, RECOVERY_TARGET_TIME,
 * PGDATABASE, BACKUP_NAME_PREFIX, optional PITR_SOCKET_DIR, PITR_TIMEOUT_SECONDS.
 *
 * Refuses a PITR_DATA_DIR that is not empty; extracts the base backup there, checks it against its
 * `backup_manifest` (`pg_verifybackup`), writes `restore_command` (from `$BACKUP_DIR/wal/`),
 * `recovery_target_time`, `recovery_target_action = 'promote'` and `archive_mode = off`, creates
 * `recovery.signal`, starts PostgreSQL on a unix socket only, waits until it has replayed up to the
 * target and promoted, then `pg_dump`s PGDATABASE into `<prefix>-<ts>.sql.gz` (verified, `.sha256`,
 * named in `latest-name` for the shared upload) and stops the server.
 */
export const pitrRecoverScript = render('pitr-recover.sh', {
  ...COMMON_INCLUDE_VALUES,
  restore_name_file: RESTORE_NAME_FILE,
  latest_name_file: LATEST_NAME_FILE,
  pg_dump_complete_marker: PG_DUMP_COMPLETE_MARKER,
  pg_dump_complete_text: PG_DUMP_COMPLETE_MARKER.replace(/^-- /, ''),
});
