import { renderAsset, renderAssetWithIncludes, TemplateValue } from '../../core/asset-template';

/**
 * Backup and restore scripts for the backup CronJobs and restore Jobs.
 *
 * The shell lives in `assets/` next to this file, one file per script (shared helpers in
 * `assets/include/`), read at synth time; this module resolves the `# @include` lines and fills
 * the `@name@` placeholders with the constants below, see `renderAssetWithIncludes` in
 * lib/core/asset-template.ts.
 *
 * A backup CronJob runs an initContainer with the database image (`postgres` / `redis`) that
 * produces and verifies the dump into a shared emptyDir (`$BACKUP_DIR`), then a container with
 * the `amazon/aws-cli` image that uploads it to S3 and prunes old backups. A restore Job runs the
 * reverse: {@link s3DownloadScript} into the emptyDir, then the database's restore script.
 *
 * The scripts are parameterised only by environment variables at run time (nothing secret is
 * rendered), fail on any error (`set -eu`, plus `pipefail` in bash), log one timestamped line
 * per step to stdout, and never print a password.
 *
 * Files: `<prefix>-<YYYYMMDDTHHMMSSZ>.<extension>` (`.sql.gz` for PostgreSQL, `.rdb` for Redis,
 * or another engine's extension, see {@link s3Scripts}), each with a `<file>.sha256`
 * (`sha256sum` format) next to it. The dump scripts write the file name to
 * `$BACKUP_DIR/latest-name`; {@link s3DownloadScript} writes it to `$BACKUP_DIR/restore-name`.
 *
 * Images: the PostgreSQL scripts and the S3 scripts need bash (the postgres image and the
 * aws-cli image have it); the Redis scripts are POSIX sh (any redis image variant).
 */

/** `date` format of the timestamp embedded in backup file names (UTC). */
export const BACKUP_TIMESTAMP_FORMAT = '%Y%m%dT%H%M%SZ';

/** Name of the file in `$BACKUP_DIR` holding the name of the dump just made. */
export const LATEST_NAME_FILE = 'latest-name';

/** Name of the file in `$BACKUP_DIR` holding the name of the dump to restore. */
export const RESTORE_NAME_FILE = 'restore-name';

/** Name of the file in `$BACKUP_DIR` naming the safety dump taken by {@link postgresSafetyDumpScript}. */
export const SAFETY_NAME_FILE = 'safety-name';

/** Suffixes of the databases {@link postgresRecreateRestoreScript} creates next to `$PGDATABASE`. */
export const RECREATE_DATABASE_SUFFIXES = { staging: '_restoring', previous: '_pre_restore' } as const;

/** The marker `pg_dump` writes at the end of a complete plain-format dump. */
export const PG_DUMP_COMPLETE_MARKER = '-- PostgreSQL database dump complete';

/** Extensions of the dumps of the engines that come with the library: PostgreSQL (`sql.gz`) and Redis (`rdb`). */
export const BUILT_IN_BACKUP_EXTENSIONS: readonly string[] = ['sql.gz', 'rdb'];

/** A backup file extension: lowercase letters and digits, in dot-separated parts (`sql.gz`, `rdb`, `archive.gz`). */
export const BACKUP_EXTENSION_RE = /^[a-z0-9]+(\.[a-z0-9]+)*$/;

/** A backup name prefix (`BACKUP_NAME_PREFIX`, the engine's name): letters, digits, '.', '_', '-', starting with a letter or digit. */
export const BACKUP_NAME_PREFIX_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The names of backup files with one of `extensions`: `<prefix>-<YYYYMMDDTHHMMSSZ>.<extension>`.
 * Group 1 prefix, 2 timestamp, 3 extension.
 */
export function backupFileNamePattern(extensions: readonly string[]): RegExp {
  checkExtensions('backupFileNamePattern', extensions);
  const alternatives = extensions.map((e) => e.replace(/\./g, '\\.')).join('|');
  return new RegExp(`^(${BACKUP_NAME_PREFIX_RE.source.slice(1, -1)})-(\\d{8}T\\d{6}Z)\\.(${alternatives})$`);
}

/** Backup file names of the built-in engines: `<prefix>-<timestamp>.sql.gz` or `.rdb`. Group 1 prefix, 2 timestamp, 3 extension. */
export const BACKUP_FILE_NAME_PATTERN = backupFileNamePattern(BUILT_IN_BACKUP_EXTENSIONS);

/** The S3 side of backups, for one set of file extensions. */
export interface S3Scripts {
  /** {@link s3UploadScript} for these extensions. */
  readonly upload: string;
  /** {@link s3DownloadScript} for these extensions. */
  readonly download: string;
  /** {@link s3KeySelectionFunctions} for these extensions. */
  readonly keySelectionFunctions: string;
}

/**
 * The upload and download scripts (and their key selection) recognising backup files with the
 * given extensions: only such files are uploaded, downloaded, chosen as `latest` or pruned. A
 * backup renders them for the built-in extensions plus its engine's, so every backup of the
 * project shares one upload/download program (and the built-in backups' scripts stay as they were).
 */
export function s3Scripts(extensions: readonly string[]): S3Scripts {
  const keySelection = s3KeySelectionValues(extensions);
  const s3 = { ...COMMON_INCLUDE_VALUES, ...keySelection, backup_extensions: extensions.join(' ') };
  return {
    upload: render('s3-upload.sh', { ...s3, latest_name_file: LATEST_NAME_FILE }),
    download: render('s3-download.sh', { ...s3, restore_name_file: RESTORE_NAME_FILE }),
    keySelectionFunctions: render('include/s3-key-selection.sh', keySelection),
  };
}

/**
 * The values of the placeholders of `assets/include/s3.sh` (through `include/s3-key-selection.sh`)
 * for backup files with these extensions: a script of another module that includes `include/s3.sh`
 * renders it with these and {@link COMMON_INCLUDE_VALUES}.
 */
export function s3KeySelectionValues(extensions: readonly string[]): Readonly<Record<string, TemplateValue>> {
  checkExtensions('s3Scripts', extensions);
  return {
    backup_extension_branches: extensions.map(
      (e, i) =>
        `      ${i === 0 ? 'if' : 'else if'} (name ~ /[.]${e.split('.').join('[.]')}$/) { P_EXT = ".${e}"; stem = substr(name, 1, length(name) - ${e.length + 1}) }`,
    ),
  };
}

function checkExtensions(where: string, extensions: readonly string[]): void {
  if (extensions.length === 0)
    throw new Error(`${where}: extensions is empty; expected at least one backup file extension such as 'sql.gz'`);
  for (const e of extensions) {
    if (!BACKUP_EXTENSION_RE.test(e))
      throw new Error(
        `${where}: extension '${e}'; expected lowercase letters and digits in dot-separated parts, without the leading dot (e.g. 'sql.gz', 'rdb')`,
      );
  }
  const dup = extensions.find((e, i) => extensions.indexOf(e) !== i);
  if (dup !== undefined) throw new Error(`${where}: extension '${dup}' is listed twice; expected each extension once`);
}

/**
 * The values of the `@name@` placeholders of `assets/include/common.sh` (`@backup_timestamp_format@`).
 * An engine that keeps a script as an asset in `assets/` (with `# @include include/common.sh` and
 * placeholders such as `@latest_name_file@`) renders it with these and its own values:
 * `renderAssetWithIncludes(__dirname, 'assets/x-dump.sh', { ...COMMON_INCLUDE_VALUES, latest_name_file: LATEST_NAME_FILE })`.
 */
export const COMMON_INCLUDE_VALUES: Readonly<Record<string, string>> = { backup_timestamp_format: BACKUP_TIMESTAMP_FORMAT };

/** Values of `include/common.sh` and `include/postgres.sh`. */
const POSTGRES_VALUES = {
  ...COMMON_INCLUDE_VALUES,
  pg_dump_complete_marker: PG_DUMP_COMPLETE_MARKER,
  pg_dump_complete_text: PG_DUMP_COMPLETE_MARKER.replace(/^-- /, ''),
};

/** Values of those and of the restore steps `include/postgres-restore-read.sh` and `include/postgres-restore-verify-dump.sh`. */
const POSTGRES_RESTORE_VALUES = {
  ...POSTGRES_VALUES,
  restore_name_file: RESTORE_NAME_FILE,
  // awk's program between single quotes in the shell: the file's text without its final newline.
  awk_copy_row_counts: renderAsset(__dirname, 'assets/include/pg-copy-row-counts.awk', {}).replace(/\n$/, ''),
};

/** Renders `assets/<file>`: includes resolved, placeholders filled from `values` (all of them, and only them). */
function render(file: string, values: Readonly<Record<string, TemplateValue>>): string {
  return renderAssetWithIncludes(__dirname, `assets/${file}`, values);
}

const BUILT_IN_S3_SCRIPTS = s3Scripts(BUILT_IN_BACKUP_EXTENSIONS);

/** What {@link backupScript} renders. */
export interface BackupScriptOptions {
  /** Script name in its header and log lines, e.g. `mongodb-dump` (lowercase letters, digits, '-'). */
  readonly name: string;
  /** One line saying what the script does. */
  readonly description: string;
  /** The script's own part, run after the shared helpers. */
  readonly body: string;
  /** Interpreter of the header: `bash` (`set -euo pipefail`) or POSIX `sh` (`set -eu`). @default 'bash' */
  readonly shell?: 'bash' | 'sh';
}

/**
 * A script for a backup engine (BackupEngine) defined outside this module: the same header (strict mode,
 * `SCRIPT_NAME`) and shared POSIX helpers as the built-in scripts (`log`, `die`, `require_env`,
 * `utc_ts`, `file_size`, `check_name_prefix`, `check_backup_name`, `check_writable_dir`,
 * `read_name_file`, `write_name_file`, `write_checksum`, `verify_checksum`, and `PARTIAL`, a
 * file removed on exit unless cleared), then `body`.
 */
export function backupScript(options: BackupScriptOptions): string {
  const shell = options.shell ?? 'bash';
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(options.name))
    throw new Error(
      `backupScript: name '${options.name}'; expected lowercase letters and digits in '-'-separated words, e.g. 'mongodb-dump'`,
    );
  if (!options.description.trim() || /[\r\n]/.test(options.description))
    throw new Error(`backupScript '${options.name}': description ${JSON.stringify(options.description)}; expected one non-empty line`);
  if (shell !== 'bash' && shell !== 'sh')
    throw new Error(`backupScript '${options.name}': shell '${shell as string}'; expected 'bash' or 'sh'`);
  const header = shell === 'bash' ? '#!/usr/bin/env bash' : '#!/bin/sh';
  const strict = shell === 'bash' ? 'set -euo pipefail' : 'set -eu';
  return (
    `${header}\n# ${options.name}: ${options.description}\n# Rendered by lib/constructs/backup/backup-scripts.ts (backupScript) with the helpers of assets/include/common.sh.\n` +
    `${strict}\nSCRIPT_NAME=${options.name}\n\n${render('include/common.sh', COMMON_INCLUDE_VALUES)}\n${options.body.endsWith('\n') ? options.body : `${options.body}\n`}`
  );
}

/**
 * Shell functions (POSIX sh + awk; no network) that pick S3 keys, fed a key list on stdin, one
 * key per line. Embedded in {@link s3UploadScript} and {@link s3DownloadScript}; exported so
 * the selection can be tested (or reused) on its own. A backup name is
 * `<prefix>-<YYYYMMDDTHHMMSSZ>.<extension>` (the awk `parse(name)` function, mawk-compatible:
 * no regex intervals; built-in extensions here, see {@link s3Scripts}):
 *
 * - `select_expired_keys PREFIX NAME_PREFIX CUTOFF KEEP_NAME` prints the keys directly under
 *   `PREFIX/` that are backups of `NAME_PREFIX` (or their `.sha256`) whose embedded timestamp is
 *   older than `CUTOFF` (same format), never `KEEP_NAME` or `KEEP_NAME.sha256`. Keys of any
 *   other shape are never selected.
 * - `select_latest_key PREFIX [NAME_PREFIX]` prints the backup key directly under `PREFIX/` with
 *   the newest embedded timestamp that has a `.sha256` next to it (optionally only `NAME_PREFIX`).
 */
export const s3KeySelectionFunctions = BUILT_IN_S3_SCRIPTS.keySelectionFunctions;

/**
 * PostgreSQL backup (postgres image, bash). Env: PGHOST, PGPORT (default 5432), PGUSER,
 * PGPASSWORD, PGDATABASE, BACKUP_DIR, BACKUP_NAME_PREFIX.
 *
 * `pg_dump --clean --if-exists | gzip -9` into `$BACKUP_DIR/<prefix>-<UTC ts>.sql.gz`, checked
 * (pipefail on pg_dump, `gzip -t`, the "PostgreSQL database dump complete" marker) before it
 * gets its final name, then `<file>.sha256` and `$BACKUP_DIR/latest-name`. Exits non-zero on any
 * failure, leaving no partial file.
 */
export const postgresDumpScript = render('postgres-dump.sh', { ...POSTGRES_VALUES, latest_name_file: LATEST_NAME_FILE });

/**
 * Redis backup (redis image, POSIX sh). Env: REDIS_HOST, REDIS_PORT (default 6379),
 * REDISCLI_AUTH (the password; redis-cli reads it from the environment), BACKUP_DIR,
 * BACKUP_NAME_PREFIX.
 *
 * `redis-cli --rdb` into `$BACKUP_DIR/<prefix>-<UTC ts>.rdb`, verified with `redis-check-rdb`
 * before it gets its final name, then `<file>.sha256` and `$BACKUP_DIR/latest-name`.
 */
export const redisDumpScript = render('redis-dump.sh', { ...COMMON_INCLUDE_VALUES, latest_name_file: LATEST_NAME_FILE });

/**
 * Upload to S3 (amazon/aws-cli image, bash). Env: BACKUP_DIR, S3_BUCKET, S3_PREFIX,
 * RETENTION_DAYS, optional S3_ENDPOINT_URL (LocalStack), AWS_REGION; credentials as the aws CLI
 * finds them (IRSA in prod).
 *
 * Uploads the file named in `$BACKUP_DIR/latest-name` and its `.sha256` (checksum verified
 * again first) to `s3://$S3_BUCKET/$S3_PREFIX/`, checks the uploaded size, then deletes the
 * backups of the same name prefix directly under the prefix whose embedded timestamp is older
 * than RETENTION_DAYS days (never the one just uploaded). Refuses to prune (exit 1, after the
 * upload) unless RETENTION_DAYS is an integer >= 1.
 */
export const s3UploadScript = BUILT_IN_S3_SCRIPTS.upload;

/**
 * Download from S3 (amazon/aws-cli image, bash). Env: BACKUP_DIR, S3_BUCKET, S3_PREFIX,
 * BACKUP_OBJECT, optional S3_ENDPOINT_URL, AWS_REGION, BACKUP_NAME_PREFIX (with `latest`: only
 * that prefix's backups).
 *
 * BACKUP_OBJECT is `latest` (the backup under the prefix with the newest embedded timestamp that
 * has a `.sha256`), a file name under the prefix, or a full key. Downloads the dump and its
 * `.sha256` into BACKUP_DIR, verifies the checksum and writes the file name to
 * `$BACKUP_DIR/restore-name`.
 */
export const s3DownloadScript = BUILT_IN_S3_SCRIPTS.download;

/**
 * PostgreSQL restore (postgres image, bash). Env: PGHOST, PGPORT (default 5432), PGUSER (a
 * superuser or the owner of every object in the dump), PGPASSWORD, PGDATABASE, BACKUP_DIR,
 * optional RESTORE_DROP_SCHEMAS (`yes`, the default, or `no`).
 *
 * Restores the file named in `$BACKUP_DIR/restore-name`:
 * 1. verifies it (checksum, `gzip -t`, completion marker) BEFORE connecting to the database,
 *    and reads the schemas and per-table row counts it contains;
 * 2. takes a safety dump of the current database (`pre-restore-<ts>.sql.gz` + `.sha256`);
 * 3. in ONE transaction (`psql -v ON_ERROR_STOP=1 --single-transaction`): terminates the other
 *    connections to the database, drops the schemas the dump creates (`CASCADE`, unless
 *    RESTORE_DROP_SCHEMAS=no) so objects created after the backup cannot block the dump's own
 *    `DROP SCHEMA`, then runs the dump (a failure rolls everything back);
 * 4. verifies: every schema of the dump exists and every table has the dump's row count
 *    (prints the row-count summary), then ANALYZE.
 *
 * The roles the dump references must exist (run the init script first on a fresh instance).
 * Objects outside the dumped schemas that the dump does not know (e.g. tables created in `public`
 * after the backup) are kept. Stop the applications first for a clean cut-over.
 */
export const postgresRestoreScript = render('postgres-restore.sh', POSTGRES_RESTORE_VALUES);

/**
 * Safety dump before a restore (postgres image, bash), for a restore Job that uploads it before the
 * restore touches the database. Env as {@link postgresRestoreScript}.
 *
 * Verifies the dump named in `$BACKUP_DIR/restore-name` (checksum, `gzip -t`, completion marker)
 * first, so nothing is done for a corrupt backup, then dumps the current database into
 * `pre-restore-<ts>.sql.gz` + `.sha256` and names it in `$BACKUP_DIR/latest-name` (for
 * {@link s3UploadScript}) and `$BACKUP_DIR/safety-name` (for the restore script).
 */
export const postgresSafetyDumpScript = render('postgres-safety-dump.sh', {
  ...POSTGRES_RESTORE_VALUES,
  latest_name_file: LATEST_NAME_FILE,
  safety_name_file: SAFETY_NAME_FILE,
});

/**
 * PostgreSQL restore by recreating the database (postgres image, bash): the seed's restore steps
 * (safety dump, terminate connections, recreate, verify), ordered so that the live database is
 * only replaced by a restore that was already verified. Env: PGHOST, PGPORT (default 5432),
 * PGUSER (a superuser: it creates, renames and drops databases), PGPASSWORD, PGDATABASE (a lower
 * case identifier of at most 50 characters), BACKUP_DIR, optional PGMAINTENANCE_DB (default
 * `postgres`), RESTORE_KEEP_PREVIOUS (`no`, the default, or `yes`), RESTORE_DRAIN_SECONDS
 * (default 30).
 *
 * Restores the file named in `$BACKUP_DIR/restore-name`:
 * 1. verifies it (checksum, `gzip -t`, completion marker) BEFORE touching anything;
 * 2. safety dump of the current database, unless `$BACKUP_DIR/safety-name` names one an earlier
 *    step took (and uploaded) — its checksum is verified then;
 * 3. creates `<db>_restoring` like the live database (owner, encoding, locale), restores the dump
 *    into it in ONE transaction, verifies it (schemas, per-table row counts) and copies the live
 *    database's grants and settings (`ALTER DATABASE/ROLE ... SET`, e.g. a tenant setting);
 * 4. blocks new connections to the live database, terminates its sessions, waits for them to end,
 *    and in one transaction renames it to `<db>_pre_restore` and `<db>_restoring` to `<db>`;
 * 5. verifies the live database again, then drops `<db>_pre_restore` (kept, closed to
 *    connections, with RESTORE_KEEP_PREVIOUS=yes).
 * A failure before step 4 drops `<db>_restoring` and leaves the live database untouched; a failure
 * during step 4 reopens it. The roles the dump references must exist.
 */
export const postgresRecreateRestoreScript = render('postgres-recreate-restore.sh', {
  ...POSTGRES_RESTORE_VALUES,
  safety_name_file: SAFETY_NAME_FILE,
  recreate_staging_suffix: RECREATE_DATABASE_SUFFIXES.staging,
  recreate_previous_suffix: RECREATE_DATABASE_SUFFIXES.previous,
});

/**
 * Redis restore (redis image, POSIX sh), for an initContainer that runs before Redis starts, as
 * the same user as Redis, with the data volume mounted. Env: BACKUP_DIR, REDIS_DATA_DIR,
 * optional REDIS_APPENDONLY (`yes`, the default, or `no`: match the config's `appendonly`),
 * REDIS_RESTORE_TIMEOUT (seconds, default 600).
 *
 * Verifies the `.rdb` named in `$BACKUP_DIR/restore-name` (checksum, `redis-check-rdb`), moves
 * any existing `dump.rdb` and `appendonlydir` aside (`*.pre-restore-<ts>`), and copies the file
 * to `$REDIS_DATA_DIR/dump.rdb`.
 *
 * With `appendonly yes`, Redis 7 ignores dump.rdb when it starts: it loads the AOF, and with no
 * AOF it starts EMPTY. So the script then runs a private redis-server (unix socket only, no TCP,
 * no password needed) with appendonly temporarily disabled to load dump.rdb, switches
 * `appendonly yes` on so Redis rewrites the data as a fresh AOF in `appendonlydir`, and shuts
 * it down. The real Redis then starts from that AOF with its normal config.
 */
export const redisRestoreScript = render('redis-restore.sh', { ...COMMON_INCLUDE_VALUES, restore_name_file: RESTORE_NAME_FILE });

/**
 * Guard of the Redis restore (redis image, sh). Env: REDIS_HOST, REDIS_PORT (default 6379), STORE_NAME
 * (the StatefulSet, for the message).
 *
 * Refuses to continue while a Redis answers at REDIS_HOST: the restore replaces the files of the
 * data volume, which a running server would overwrite (and the volume is ReadWriteOnce). Scale
 * the StatefulSet to 0 first. Any answer counts (PONG, NOAUTH...): only "cannot connect" passes.
 */
export const redisEnsureStoppedScript = render('redis-ensure-stopped.sh', COMMON_INCLUDE_VALUES);
