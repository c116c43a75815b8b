/**
 * Backup and restore scripts, as strings, for the backup CronJobs and restore Jobs.
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
 * Files: `<prefix>-<YYYYMMDDTHHMMSSZ>.sql.gz` (PostgreSQL) or `.rdb` (Redis), each with a
 * `<file>.sha256` (`sha256sum` format) next to it. The dump scripts write the file name to
 * `$BACKUP_DIR/latest-name`; {@link s3DownloadScript} writes it to `$BACKUP_DIR/restore-name`.
 *
 * Images: the PostgreSQL scripts and the S3 scripts need bash (the postgres image and the
 * aws-cli image have it); the Redis scripts are POSIX sh (any redis image variant).
 */

/** `date` format of the timestamp embedded in backup file names (UTC). */
export const BACKUP_TIMESTAMP_FORMAT = '%Y%m%dT%H%M%SZ';

/** Backup file names: `<prefix>-<timestamp>.sql.gz` or `.rdb`. Group 1 prefix, 2 timestamp, 3 extension. */
export const BACKUP_FILE_NAME_PATTERN = /^([A-Za-z0-9][A-Za-z0-9._-]*)-(\d{8}T\d{6}Z)\.(sql\.gz|rdb)$/;

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

/**
 * POSIX sh helpers shared by every script (`$SCRIPT_NAME` names the script in log lines).
 * Functions never run inside `$(...)` when they may fail, so `die` really ends the script.
 */
const COMMON_SH = `umask 077
PARTIAL=
trap '[ -z "\${PARTIAL:-}" ] || rm -f "$PARTIAL"' EXIT

log() { printf '%s [%s] %s\\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$SCRIPT_NAME" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# require_env VAR...: each variable must be set and non-empty (values are never printed).
require_env() {
  for _v in "$@"; do
    eval "_val=\\\${$_v:-}"
    [ -n "$_val" ] || die "environment variable $_v must be set and non-empty"
  done
  _v=; _val=
}

utc_ts() { date -u '+${BACKUP_TIMESTAMP_FORMAT}'; }

file_size() { wc -c < "$1" | tr -d ' '; }

# check_name_prefix VALUE: a backup name prefix (letters, digits, '.', '_', '-').
check_name_prefix() {
  case $1 in
    ''|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*) die "BACKUP_NAME_PREFIX '$1' is invalid: use letters, digits, '.', '_' and '-', starting with a letter or digit" ;;
  esac
}

# check_backup_name NAME EXT...: NAME must be <prefix>-YYYYMMDDTHHMMSSZ.<one of EXT>.
check_backup_name() {
  _n=$1; shift
  case $_n in
    ''|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*) die "backup file name '$_n' is invalid (letters, digits, '.', '_', '-' only)" ;;
  esac
  for _ext in "$@"; do
    _base=\${_n%."$_ext"}
    [ "$_base" != "$_n" ] || continue
    case \${_base##*-} in
      [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z)
        [ -z "\${_base%-*}" ] || [ "\${_base%-*}" = "$_base" ] || return 0 ;;
    esac
  done
  die "backup file name '$_n' is not <prefix>-YYYYMMDDTHHMMSSZ.<$*>"
}

# check_writable_dir DIR
check_writable_dir() {
  if [ ! -d "$1" ] || [ ! -w "$1" ]; then die "BACKUP_DIR '$1' is not a writable directory"; fi
}

# read_name_file FILE: sets BACKUP_NAME to the first line of FILE.
read_name_file() {
  [ -f "$1" ] || die "$1 not found: it names the backup file to use"
  BACKUP_NAME=
  IFS= read -r BACKUP_NAME < "$1" || true
  [ -n "$BACKUP_NAME" ] || die "$1 is empty"
}

# write_name_file FILE NAME (atomically)
write_name_file() {
  printf '%s\\n' "$2" > "$1.tmp"
  mv -f "$1.tmp" "$1"
}

# write_checksum DIR NAME: DIR/NAME.sha256 in sha256sum format.
write_checksum() {
  ( cd "$1" && sha256sum "$2" ) > "$1/$2.sha256.tmp" || die "sha256sum of $2 failed"
  mv -f "$1/$2.sha256.tmp" "$1/$2.sha256"
  log "wrote $2.sha256 ($(cut -c1-64 "$1/$2.sha256"))"
}

# verify_checksum DIR NAME: DIR/NAME.sha256 must name NAME and match its content.
verify_checksum() {
  [ -f "$1/$2" ] || die "backup file $1/$2 not found"
  [ -f "$1/$2.sha256" ] || die "checksum file $1/$2.sha256 not found"
  _expected=; _listed=
  read -r _expected _listed < "$1/$2.sha256" || true
  _listed=\${_listed#\\*}
  [ "$_listed" = "$2" ] || die "checksum file $2.sha256 is for '$_listed', not '$2'"
  case $_expected in
    *[!0-9a-f]*|'') die "checksum file $2.sha256 is malformed" ;;
  esac
  [ \${#_expected} -eq 64 ] || die "checksum file $2.sha256 is malformed"
  _actual=$(sha256sum < "$1/$2") || die "sha256sum of $2 failed"
  _actual=\${_actual%% *}
  [ "$_actual" = "$_expected" ] || die "checksum mismatch for $2: the file's sha256 is $_actual but $2.sha256 says $_expected (corrupt or tampered)"
  log "sha256 OK for $2 ($_actual, $(file_size "$1/$2") bytes)"
}
`;

/** bash helpers for the PostgreSQL scripts (postgres image). */
const POSTGRES_SH = `# check_sql_gz FILE LABEL: gzip integrity and pg_dump's completion marker near the end.
check_sql_gz() {
  gzip -t "$1" 2>/dev/null || die "$2 failed the gzip integrity check (truncated or corrupt)"
  local tail_text
  tail_text=$(gzip -dc "$1" | tail -n 20) || die "$2 could not be decompressed"
  case $tail_text in
    *'${PG_DUMP_COMPLETE_MARKER}'*) ;;
    *) die "$2 lacks the '${PG_DUMP_COMPLETE_MARKER.replace(/^-- /, '')}' marker (incomplete dump)" ;;
  esac
  log "gzip integrity and completion marker OK for $2"
}

# pg_dump_to DIR NAME: pg_dump --clean --if-exists | gzip -9 into DIR/NAME, verified, with NAME.sha256.
pg_dump_to() {
  [ ! -e "$1/$2" ] || die "$1/$2 already exists"
  PARTIAL="$1/.$2.partial"
  log "pg_dump of database '$PGDATABASE' on $PGHOST:$PGPORT as '$PGUSER' -> $1/$2"
  if ! pg_dump --clean --if-exists --no-password | gzip -9 > "$PARTIAL"; then
    die "pg_dump | gzip of database '$PGDATABASE' failed"
  fi
  check_sql_gz "$PARTIAL" "$2"
  mv -f "$PARTIAL" "$1/$2"
  PARTIAL=
  write_checksum "$1" "$2"
  log "wrote $1/$2 ($(file_size "$1/$2") bytes)"
}
`;

/**
 * The awk `parse(name)` function shared by the S3 key selections: returns 1 and sets `P_PREFIX`,
 * `P_TS`, `P_EXT` for `<prefix>-<YYYYMMDDTHHMMSSZ>.(sql.gz|rdb)`, else returns 0. mawk-compatible
 * (no regex intervals), and free of single quotes (it lives inside a single-quoted awk program).
 */
const AWK_PARSE_BACKUP_NAME = `
    function parse(name,    stem) {
      P_PREFIX = ""; P_TS = ""; P_EXT = ""
      if (name ~ /[.]sql[.]gz$/) { P_EXT = ".sql.gz"; stem = substr(name, 1, length(name) - 7) }
      else if (name ~ /[.]rdb$/) { P_EXT = ".rdb"; stem = substr(name, 1, length(name) - 4) }
      else return 0
      if (length(stem) < 18) return 0
      if (substr(stem, length(stem) - 16, 1) != "-") return 0
      P_TS = substr(stem, length(stem) - 15)
      P_PREFIX = substr(stem, 1, length(stem) - 17)
      if (P_TS !~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z$/) return 0
      if (P_PREFIX !~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/) return 0
      return 1
    }`;

/**
 * Shell functions (POSIX sh + awk; no network) that pick S3 keys, fed a key list on stdin, one
 * key per line. Embedded in {@link s3UploadScript} and {@link s3DownloadScript}; exported so
 * the selection can be tested (or reused) on its own:
 *
 * - `select_expired_keys PREFIX NAME_PREFIX CUTOFF KEEP_NAME` prints the keys directly under
 *   `PREFIX/` that are backups of `NAME_PREFIX` (or their `.sha256`) whose embedded timestamp is
 *   older than `CUTOFF` (same format), never `KEEP_NAME` or `KEEP_NAME.sha256`. Keys of any
 *   other shape are never selected.
 * - `select_latest_key PREFIX [NAME_PREFIX]` prints the backup key directly under `PREFIX/` with
 *   the newest embedded timestamp that has a `.sha256` next to it (optionally only `NAME_PREFIX`).
 */
export const s3KeySelectionFunctions = `# select_expired_keys PREFIX NAME_PREFIX CUTOFF KEEP_NAME < keys
select_expired_keys() {
  awk -v prefix="$1/" -v np="$2" -v cutoff="$3" -v keep="$4" '${AWK_PARSE_BACKUP_NAME}
    index($0, prefix) == 1 {
      base = substr($0, length(prefix) + 1)
      if (base ~ /[.]sha256$/) base = substr(base, 1, length(base) - 7)
      if (!parse(base) || P_PREFIX != np || base == keep) next
      if (P_TS < cutoff) print $0
    }'
}

# select_latest_key PREFIX [NAME_PREFIX] < keys
select_latest_key() {
  awk -v prefix="$1/" -v np="\${2:-}" '${AWK_PARSE_BACKUP_NAME}
    { seen[$0] = 1; keys[NR] = $0 }
    END {
      best = ""; bestts = ""
      for (i = 1; i <= NR; i++) {
        k = keys[i]
        if (index(k, prefix) != 1) continue
        base = substr(k, length(prefix) + 1)
        if (!parse(base)) continue
        if (np != "" && P_PREFIX != np) continue
        if (!((k ".sha256") in seen)) continue
        if (P_TS > bestts || (P_TS == bestts && k > best)) { best = k; bestts = P_TS }
      }
      if (best != "") print best
    }'
}
`;

/** bash helpers for the S3 scripts (aws-cli image). */
const S3_SH = `# s3 ARGS...: aws with --endpoint-url (LocalStack) and --region only when set.
s3() {
  if [ -n "\${S3_ENDPOINT_URL:-}" ]; then set -- --endpoint-url "$S3_ENDPOINT_URL" "$@"; fi
  if [ -n "\${AWS_REGION:-}" ]; then set -- --region "$AWS_REGION" "$@"; fi
  aws "$@" < /dev/null
}

# normalise_prefix: sets PREFIX to S3_PREFIX without leading/trailing '/'.
normalise_prefix() {
  PREFIX=$S3_PREFIX
  while [ "\${PREFIX#/}" != "$PREFIX" ]; do PREFIX=\${PREFIX#/}; done
  while [ "\${PREFIX%/}" != "$PREFIX" ]; do PREFIX=\${PREFIX%/}; done
  [ -n "$PREFIX" ] || die "S3_PREFIX '$S3_PREFIX' is empty once '/' are stripped; backups need their own prefix"
  case $PREFIX in
    *[!A-Za-z0-9._/-]*|*//*) die "S3_PREFIX '$S3_PREFIX' is invalid: use letters, digits, '.', '_', '-' and single '/'" ;;
  esac
}

# list_keys PREFIX: sets KEYS to the object keys under PREFIX/, one per line.
list_keys() {
  local raw
  raw=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1/" --query 'Contents[].Key' --output text) \\
    || die "listing s3://$S3_BUCKET/$1/ failed"
  KEYS=$(printf '%s\\n' "$raw" | tr '\\t' '\\n' | grep -v -x -e 'None' -e '' || true)
}

${s3KeySelectionFunctions}`;

const BASH_HEADER = (name: string, what: string) => `#!/usr/bin/env bash
# ${name}: ${what}
# Rendered by lib/backup-scripts.ts; do not edit by hand.
set -euo pipefail
SCRIPT_NAME=${name}
`;

const SH_HEADER = (name: string, what: string) => `#!/bin/sh
# ${name}: ${what}
# Rendered by lib/backup-scripts.ts; do not edit by hand.
set -eu
SCRIPT_NAME=${name}
`;

/**
 * PostgreSQL backup (postgres image, bash). Env: PGHOST, PGPORT (default 5432), PGUSER,
 * PGPASSWORD, PGDATABASE, BACKUP_DIR, BACKUP_NAME_PREFIX.
 *
 * `pg_dump --clean --if-exists | gzip -9` into `$BACKUP_DIR/<prefix>-<UTC ts>.sql.gz`, checked
 * (pipefail on pg_dump, `gzip -t`, the "PostgreSQL database dump complete" marker) before it
 * gets its final name, then `<file>.sha256` and `$BACKUP_DIR/latest-name`. Exits non-zero on any
 * failure, leaving no partial file.
 */
export const postgresDumpScript = `${BASH_HEADER('postgres-dump', 'pg_dump the database into $BACKUP_DIR, verified, with a .sha256')}
${COMMON_SH}
${POSTGRES_SH}
require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR BACKUP_NAME_PREFIX
export PGPORT="\${PGPORT:-5432}"
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"

name="$BACKUP_NAME_PREFIX-$(utc_ts).sql.gz"
pg_dump_to "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}" "$name"
log "backup complete: $name"
`;

/**
 * Redis backup (redis image, POSIX sh). Env: REDIS_HOST, REDIS_PORT (default 6379),
 * REDISCLI_AUTH (the password; redis-cli reads it from the environment), BACKUP_DIR,
 * BACKUP_NAME_PREFIX.
 *
 * `redis-cli --rdb` into `$BACKUP_DIR/<prefix>-<UTC ts>.rdb`, verified with `redis-check-rdb`
 * before it gets its final name, then `<file>.sha256` and `$BACKUP_DIR/latest-name`.
 */
export const redisDumpScript = `${SH_HEADER('redis-dump', 'redis-cli --rdb into $BACKUP_DIR, verified with redis-check-rdb, with a .sha256')}
${COMMON_SH}
require_env REDIS_HOST REDISCLI_AUTH BACKUP_DIR BACKUP_NAME_PREFIX
REDIS_PORT="\${REDIS_PORT:-6379}"
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"

name="$BACKUP_NAME_PREFIX-$(utc_ts).rdb"
[ ! -e "$BACKUP_DIR/$name" ] || die "$BACKUP_DIR/$name already exists"
PARTIAL="$BACKUP_DIR/.$name.partial"
log "redis-cli --rdb from $REDIS_HOST:$REDIS_PORT -> $BACKUP_DIR/$name"
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning --rdb "$PARTIAL" || die "redis-cli --rdb from $REDIS_HOST:$REDIS_PORT failed"
[ -s "$PARTIAL" ] || die "redis-cli --rdb wrote an empty file"
if ! check_out=$(redis-check-rdb "$PARTIAL" 2>&1); then
  printf '%s\\n' "$check_out"
  die "redis-check-rdb rejected the dump"
fi
log "redis-check-rdb: $(printf '%s\\n' "$check_out" | grep -E 'RDB looks OK|keys read' | tr '\\n' ' ')"
mv -f "$PARTIAL" "$BACKUP_DIR/$name"
PARTIAL=
write_checksum "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}" "$name"
log "backup complete: $name ($(file_size "$BACKUP_DIR/$name") bytes)"
`;

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
export const s3UploadScript = `${BASH_HEADER('s3-upload', 'upload the latest backup to S3 and prune backups older than RETENTION_DAYS')}
${COMMON_SH}
${S3_SH}
require_env BACKUP_DIR S3_BUCKET S3_PREFIX RETENTION_DAYS
normalise_prefix
read_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}"
name=$BACKUP_NAME
check_backup_name "$name" sql.gz rdb
verify_checksum "$BACKUP_DIR" "$name"

key="$PREFIX/$name"
log "uploading $name to s3://$S3_BUCKET/$key\${S3_ENDPOINT_URL:+ (endpoint $S3_ENDPOINT_URL)}"
s3 s3 cp "$BACKUP_DIR/$name" "s3://$S3_BUCKET/$key" --only-show-errors --no-progress || die "upload of $name failed"
s3 s3 cp "$BACKUP_DIR/$name.sha256" "s3://$S3_BUCKET/$key.sha256" --only-show-errors --no-progress || die "upload of $name.sha256 failed"
remote_size=$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ContentLength --output text) || die "head-object on $key failed"
local_size=$(file_size "$BACKUP_DIR/$name")
[ "$remote_size" = "$local_size" ] || die "uploaded object $key has $remote_size bytes, the local file $local_size"
log "uploaded $key ($remote_size bytes) and $key.sha256"

case $RETENTION_DAYS in
  ''|*[!0-9]*) die "refusing to prune: RETENTION_DAYS must be an integer >= 1, got '$RETENTION_DAYS' (the backup itself was uploaded)" ;;
esac
[ "$RETENTION_DAYS" -ge 1 ] || die "refusing to prune: RETENTION_DAYS must be an integer >= 1, got '$RETENTION_DAYS' (the backup itself was uploaded)"
name_prefix=\${name%-*}
cutoff=$(date -u -d "@$(( $(date -u +%s) - RETENTION_DAYS * 86400 ))" '+${BACKUP_TIMESTAMP_FORMAT}')
log "pruning $name_prefix backups under s3://$S3_BUCKET/$PREFIX/ older than $RETENTION_DAYS day(s) (timestamp before $cutoff)"
list_keys "$PREFIX"
expired=$(printf '%s\\n' "$KEYS" | select_expired_keys "$PREFIX" "$name_prefix" "$cutoff" "$name")
deleted=0
while IFS= read -r old; do
  [ -n "$old" ] || continue
  s3 s3 rm "s3://$S3_BUCKET/$old" --only-show-errors || die "deleting $old failed"
  log "deleted $old"
  deleted=$((deleted + 1))
done <<< "$expired"
log "upload complete: $key; pruned $deleted object(s)"
`;

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
export const s3DownloadScript = `${BASH_HEADER('s3-download', 'download a backup from S3 into $BACKUP_DIR and verify its checksum')}
${COMMON_SH}
${S3_SH}
require_env BACKUP_DIR S3_BUCKET S3_PREFIX BACKUP_OBJECT
normalise_prefix
check_writable_dir "$BACKUP_DIR"
if [ -n "\${BACKUP_NAME_PREFIX:-}" ]; then check_name_prefix "$BACKUP_NAME_PREFIX"; fi

if [ "$BACKUP_OBJECT" = latest ]; then
  list_keys "$PREFIX"
  key=$(printf '%s\\n' "$KEYS" | select_latest_key "$PREFIX" "\${BACKUP_NAME_PREFIX:-}")
  [ -n "$key" ] || die "no backup\${BACKUP_NAME_PREFIX:+ of $BACKUP_NAME_PREFIX} with a .sha256 found under s3://$S3_BUCKET/$PREFIX/"
  log "latest backup is $key"
else
  case $BACKUP_OBJECT in
    */*) key=$BACKUP_OBJECT ;;
    *) key="$PREFIX/$BACKUP_OBJECT" ;;
  esac
fi
name=\${key##*/}
check_backup_name "$name" sql.gz rdb

log "downloading s3://$S3_BUCKET/$key and its .sha256 into $BACKUP_DIR"
PARTIAL="$BACKUP_DIR/.$name.partial"
s3 s3 cp "s3://$S3_BUCKET/$key" "$PARTIAL" --only-show-errors --no-progress || die "download of $key failed"
s3 s3 cp "s3://$S3_BUCKET/$key.sha256" "$BACKUP_DIR/$name.sha256" --only-show-errors --no-progress || die "download of $key.sha256 failed"
mv -f "$PARTIAL" "$BACKUP_DIR/$name"
PARTIAL=
verify_checksum "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/${RESTORE_NAME_FILE}" "$name"
log "download complete: $BACKUP_DIR/$name (named in ${RESTORE_NAME_FILE})"
`;

/** awk: `<table>\t<rows>` for every `COPY <table> (...) FROM stdin;` block of a plain dump. */
const AWK_COPY_ROW_COUNTS = `/^COPY .* FROM stdin;$/ { t = $0; sub(/^COPY /, "", t); sub(/ FROM stdin;$/, "", t); sub(/ [(].*[)]$/, "", t); n = 0; incopy = 1; next }
incopy && $0 == "\\\\." { print t "\\t" n; incopy = 0; next }
incopy { n++ }`;

/** Restore: reads `$BACKUP_DIR/restore-name` into `name` and `dump` (a `.sql.gz`). */
const RESTORE_READ_SH = `check_writable_dir "$BACKUP_DIR"
read_name_file "$BACKUP_DIR/${RESTORE_NAME_FILE}"
name=$BACKUP_NAME
check_backup_name "$name" sql.gz
dump="$BACKUP_DIR/$name"`;

/**
 * Restore: verifies the dump BEFORE touching the database (checksum, gzip, completion marker) and
 * reads the schemas (`schemas`) and per-table row counts (`expected_rows`) it contains.
 */
const RESTORE_VERIFY_DUMP_SH = `log "verifying $name before touching the database"
verify_checksum "$BACKUP_DIR" "$name"
check_sql_gz "$dump" "$name"
schemas=$(gzip -dc "$dump" | sed -n 's/^CREATE SCHEMA \\(.*\\);$/\\1/p') || die "could not read the schemas of $name"
expected_rows=$(gzip -dc "$dump" | awk '${AWK_COPY_ROW_COUNTS}') || die "could not read the tables of $name"
log "$name lists $(printf '%s' "$schemas" | grep -c . || true) schema(s) [$(printf '%s' "$schemas" | tr '\\n' ' ')] and $(printf '%s' "$expected_rows" | grep -c . || true) table(s) with data"`;

/**
 * Restore: checks that every schema of the dump exists in `$PGDATABASE` and every table has the
 * dump's row count (prints the summary; dies on a difference), then ANALYZE.
 */
const RESTORE_VERIFY_DB_SH = `problems=0
while IFS= read -r schema; do
  [ -n "$schema" ] || continue
  found=$(psql -X --no-password -At -v ON_ERROR_STOP=1 -v schema="$schema" <<'SQL'
SELECT count(*) FROM pg_namespace WHERE quote_ident(nspname) = :'schema';
SQL
) || die "could not query pg_namespace"
  if [ "$found" = 1 ]; then log "schema $schema present"; else log "schema $schema MISSING"; problems=$((problems + 1)); fi
done <<< "$schemas"

if [ -n "$expected_rows" ]; then
  sql=
  while IFS=$'\\t' read -r table rows; do
    [ -n "$table" ] || continue
    literal=$(printf '%s' "$table" | sed "s/'/''/g")
    sql="\${sql}SELECT '$literal'::text, $rows::bigint, (SELECT count(*) FROM ONLY $table) UNION ALL "
  done <<< "$expected_rows"
  counts=$(printf '%s ORDER BY 1;\\n' "\${sql% UNION ALL }" | psql -X --no-password -At -F $'\\t' -v ON_ERROR_STOP=1 -v VERBOSITY=terse) \\
    || die "counting the rows of the restored tables failed"
  log "row counts (restored / in dump):"
  while IFS=$'\\t' read -r table rows actual; do
    [ -n "$table" ] || continue
    if [ "$rows" = "$actual" ]; then
      log "  $table: $actual"
    else
      log "  $table: $actual, but the dump has $rows"
      problems=$((problems + 1))
    fi
  done <<< "$counts"
fi
[ "$problems" -eq 0 ] || die "verification found $problems problem(s) after restoring $name (safety dump: $BACKUP_DIR/$safety)"
psql -X --no-password --quiet -v ON_ERROR_STOP=1 -c 'ANALYZE;' > /dev/null || die "ANALYZE after the restore failed"`;

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
export const postgresRestoreScript = `${BASH_HEADER('postgres-restore', 'verify a dump, take a safety dump, restore in one transaction, verify')}
${COMMON_SH}
${POSTGRES_SH}
require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="\${PGPORT:-5432}"
RESTORE_DROP_SCHEMAS="\${RESTORE_DROP_SCHEMAS:-yes}"
case $RESTORE_DROP_SCHEMAS in yes|no) ;; *) die "RESTORE_DROP_SCHEMAS must be yes or no, got '$RESTORE_DROP_SCHEMAS'" ;; esac
${RESTORE_READ_SH}

${RESTORE_VERIFY_DUMP_SH}

safety="pre-restore-$(utc_ts).sql.gz"
log "taking a safety dump of the current database '$PGDATABASE' first"
pg_dump_to "$BACKUP_DIR" "$safety"

# One transaction: terminate the other sessions, drop the dump's schemas (so objects created after the
# backup cannot make the dump's DROP SCHEMA fail), run the dump. Any error rolls all of it back.
restore_sql=(-c 'SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();')
if [ "$RESTORE_DROP_SCHEMAS" = yes ] && [ -n "$schemas" ]; then
  drop_list=$(printf '%s\\n' "$schemas" | paste -sd, -)
  log "the restore drops schema(s) $drop_list CASCADE first (RESTORE_DROP_SCHEMAS=yes)"
  restore_sql+=(-c "DROP SCHEMA IF EXISTS $drop_list CASCADE;")
fi
log "terminating other connections to '$PGDATABASE' and restoring $name in a single transaction"
if ! gzip -dc "$dump" | psql -X --no-password --quiet -v ON_ERROR_STOP=1 -v VERBOSITY=terse --single-transaction \\
    "\${restore_sql[@]}" -f - > /dev/null; then
  die "restore of $name failed and was rolled back: the database is unchanged (safety dump: $BACKUP_DIR/$safety)"
fi
log "restore transaction committed; verifying"

${RESTORE_VERIFY_DB_SH}
log "restore of $name complete and verified (safety dump: $BACKUP_DIR/$safety)"
`;

/**
 * Safety dump before a restore (postgres image, bash), for a restore Job that uploads it before the
 * restore touches the database. Env as {@link postgresRestoreScript}.
 *
 * Verifies the dump named in `$BACKUP_DIR/restore-name` (checksum, `gzip -t`, completion marker)
 * first, so nothing is done for a corrupt backup, then dumps the current database into
 * `pre-restore-<ts>.sql.gz` + `.sha256` and names it in `$BACKUP_DIR/latest-name` (for
 * {@link s3UploadScript}) and `$BACKUP_DIR/safety-name` (for the restore script).
 */
export const postgresSafetyDumpScript = `${BASH_HEADER('postgres-safety-dump', 'verify the dump to restore, then dump the current database before the restore')}
${COMMON_SH}
${POSTGRES_SH}
require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="\${PGPORT:-5432}"
${RESTORE_READ_SH}

${RESTORE_VERIFY_DUMP_SH}

safety="pre-restore-$(utc_ts).sql.gz"
log "taking a safety dump of the current database '$PGDATABASE' before the restore"
pg_dump_to "$BACKUP_DIR" "$safety"
write_name_file "$BACKUP_DIR/${LATEST_NAME_FILE}" "$safety"
write_name_file "$BACKUP_DIR/${SAFETY_NAME_FILE}" "$safety"
log "safety dump complete: $safety"
`;

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
export const postgresRecreateRestoreScript = `${BASH_HEADER('postgres-recreate-restore', 'verify a dump, safety dump, restore into a new database, verify, swap it in, verify')}
${COMMON_SH}
${POSTGRES_SH}
require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="\${PGPORT:-5432}"
PGMAINTENANCE_DB="\${PGMAINTENANCE_DB:-postgres}"
RESTORE_KEEP_PREVIOUS="\${RESTORE_KEEP_PREVIOUS:-no}"
RESTORE_DRAIN_SECONDS="\${RESTORE_DRAIN_SECONDS:-30}"
case $RESTORE_KEEP_PREVIOUS in yes|no) ;; *) die "RESTORE_KEEP_PREVIOUS must be yes or no, got '$RESTORE_KEEP_PREVIOUS'" ;; esac
case $RESTORE_DRAIN_SECONDS in ''|*[!0-9]*) die "RESTORE_DRAIN_SECONDS must be a number of seconds, got '$RESTORE_DRAIN_SECONDS'" ;; esac
live=$PGDATABASE
case $live in ''|[!a-z_]*|*[!a-z0-9_]*) die "PGDATABASE '$live' must be a lower case identifier (letters, digits, '_')" ;; esac
[ \${#live} -le 50 ] || die "PGDATABASE '$live' is longer than 50 characters; the restore needs room for the ${RECREATE_DATABASE_SUFFIXES.staging} and ${RECREATE_DATABASE_SUFFIXES.previous} names"
staging="\${live}${RECREATE_DATABASE_SUFFIXES.staging}"
previous="\${live}${RECREATE_DATABASE_SUFFIXES.previous}"
[ "$PGMAINTENANCE_DB" != "$live" ] || die "PGMAINTENANCE_DB must be another database than PGDATABASE '$live'"

# msql: SQL on stdin against the maintenance database, with :'live', :'staging', :'previous'.
msql() {
  psql -X --no-password -At -v ON_ERROR_STOP=1 -v VERBOSITY=terse -d "$PGMAINTENANCE_DB" \\
    -v live="$live" -v staging="$staging" -v previous="$previous" "$@"
}

STAGE=none
on_exit() {
  rc=$?
  [ -z "\${PARTIAL:-}" ] || rm -f "$PARTIAL"
  [ "$rc" -ne 0 ] || return 0
  if [ "$STAGE" = blocked ]; then
    log "reopening '$live' to connections after the failure"
    msql <<'SQL' > /dev/null || log "ERROR: could not reopen '$live'; run ALTER DATABASE ... WITH ALLOW_CONNECTIONS true"
ALTER DATABASE :"live" WITH ALLOW_CONNECTIONS true;
SQL
  fi
  if [ "$STAGE" = staging ] || [ "$STAGE" = blocked ]; then
    log "dropping '$staging' after the failure; '$live' is unchanged"
    msql <<'SQL' > /dev/null || log "ERROR: could not drop '$staging'"
DROP DATABASE IF EXISTS :"staging";
SQL
  fi
}
trap on_exit EXIT

${RESTORE_READ_SH}

${RESTORE_VERIFY_DUMP_SH}

state=$(msql <<'SQL'
SELECT (SELECT count(*) FROM pg_database WHERE datname = :'live') || ' ' || (SELECT count(*) FROM pg_database WHERE datname = :'previous');
SQL
) || die "cannot query the maintenance database '$PGMAINTENANCE_DB'"
[ "\${state% *}" = 1 ] || die "database '$live' does not exist; run the init script first"
[ "\${state#* }" = 0 ] || die "database '$previous' exists (kept by an earlier restore); drop or rename it first"

if [ -f "$BACKUP_DIR/${SAFETY_NAME_FILE}" ]; then
  read_name_file "$BACKUP_DIR/${SAFETY_NAME_FILE}"
  safety=$BACKUP_NAME
  check_backup_name "$safety" sql.gz
  verify_checksum "$BACKUP_DIR" "$safety"
  log "safety dump $safety was taken before this step"
else
  safety="pre-restore-$(utc_ts).sql.gz"
  log "taking a safety dump of the current database '$live' first"
  pg_dump_to "$BACKUP_DIR" "$safety"
fi

log "creating '$staging' like '$live' (owner, encoding, locale)"
STAGE=staging
msql <<'SQL' > /dev/null || die "creating database '$staging' failed"
DROP DATABASE IF EXISTS :"staging";
SELECT format('CREATE DATABASE %I WITH TEMPLATE template0 OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L%s',
    :'staging', pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
    CASE WHEN to_jsonb(d) ->> 'datlocprovider' = 'i'
      THEN format(' LOCALE_PROVIDER icu ICU_LOCALE %L', coalesce(to_jsonb(d) ->> 'daticulocale', to_jsonb(d) ->> 'datlocale'))
      ELSE '' END)
  FROM pg_database d WHERE d.datname = :'live' \\gexec
SQL
log "restoring $name into '$staging' in a single transaction"
if ! gzip -dc "$dump" | psql -X --no-password --quiet -v ON_ERROR_STOP=1 -v VERBOSITY=terse --single-transaction -d "$staging" -f - > /dev/null; then
  die "restore of $name into '$staging' failed; '$live' is unchanged (safety dump: $BACKUP_DIR/$safety)"
fi
log "verifying '$staging'"
export PGDATABASE="$staging"
${RESTORE_VERIFY_DB_SH}

log "copying the grants and settings of '$live' to '$staging'"
msql <<'SQL' > /dev/null || die "copying the grants and settings of '$live' failed"
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'staging') FROM pg_database WHERE datname = :'live' AND datacl IS NOT NULL \\gexec
SELECT format('GRANT %s ON DATABASE %I TO %s%s', a.privilege_type, :'staging',
    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
    CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
  FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = :'live' \\gexec
SELECT format('ALTER %s SET %I = %s',
    CASE WHEN s.setrole = 0 THEN format('DATABASE %I', :'staging') ELSE format('ROLE %I IN DATABASE %I', pg_get_userbyid(s.setrole), :'staging') END,
    split_part(c.cfg, '=', 1),
    CASE WHEN split_part(c.cfg, '=', 1) IN ('search_path', 'temp_tablespaces', 'local_preload_libraries', 'session_preload_libraries')
      THEN substr(c.cfg, strpos(c.cfg, '=') + 1) ELSE quote_literal(substr(c.cfg, strpos(c.cfg, '=') + 1)) END)
  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c(cfg)
  WHERE d.datname = :'live' \\gexec
SQL

log "blocking new connections to '$live' and terminating its sessions"
STAGE=blocked
terminated=$(msql <<'SQL'
ALTER DATABASE :"live" WITH ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'live' AND pid <> pg_backend_pid();
SQL
) || die "blocking '$live' failed"
log "terminated \${terminated##*$'\\n'} session(s)"
waited=0
while :; do
  sessions=$(msql <<'SQL'
SELECT count(*) FROM pg_stat_activity WHERE datname = :'live';
SQL
) || die "counting the sessions of '$live' failed"
  [ "$sessions" != 0 ] || break
  [ "$waited" -lt "$RESTORE_DRAIN_SECONDS" ] || die "'$live' still has $sessions session(s) after $RESTORE_DRAIN_SECONDS s"
  sleep 1
  waited=$((waited + 1))
done
log "swapping: '$live' -> '$previous', '$staging' -> '$live' (one transaction)"
msql --single-transaction <<'SQL' > /dev/null || die "swapping the databases failed; '$live' is unchanged"
ALTER DATABASE :"live" RENAME TO :"previous";
ALTER DATABASE :"staging" RENAME TO :"live";
SQL
STAGE=swapped
msql <<'SQL' > /dev/null || die "opening the restored '$live' to connections failed"
ALTER DATABASE :"live" WITH ALLOW_CONNECTIONS true;
SQL
log "verifying the restored '$live'"
export PGDATABASE="$live"
${RESTORE_VERIFY_DB_SH}

if [ "$RESTORE_KEEP_PREVIOUS" = yes ]; then
  log "kept the replaced database as '$previous' (closed to connections; drop it when done)"
else
  msql <<'SQL' > /dev/null || die "dropping the replaced database '$previous' failed (the restore itself succeeded)"
DROP DATABASE :"previous";
SQL
  log "dropped the replaced database '$previous' (safety dump: $safety)"
fi
log "restore of $name complete and verified (safety dump: $BACKUP_DIR/$safety)"
`;

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
export const redisRestoreScript = `${SH_HEADER('redis-restore', 'verify an .rdb and install it as the data Redis starts from')}
${COMMON_SH}
require_env BACKUP_DIR REDIS_DATA_DIR
REDIS_APPENDONLY="\${REDIS_APPENDONLY:-yes}"
REDIS_RESTORE_TIMEOUT="\${REDIS_RESTORE_TIMEOUT:-600}"
case $REDIS_APPENDONLY in yes|no) ;; *) die "REDIS_APPENDONLY must be yes or no, got '$REDIS_APPENDONLY'" ;; esac
case $REDIS_RESTORE_TIMEOUT in ''|*[!0-9]*) die "REDIS_RESTORE_TIMEOUT must be a number of seconds, got '$REDIS_RESTORE_TIMEOUT'" ;; esac
read_name_file "$BACKUP_DIR/${RESTORE_NAME_FILE}"
name=$BACKUP_NAME
check_backup_name "$name" rdb

log "verifying $name before touching $REDIS_DATA_DIR"
verify_checksum "$BACKUP_DIR" "$name"
if ! check_out=$(redis-check-rdb "$BACKUP_DIR/$name" 2>&1); then
  printf '%s\\n' "$check_out"
  die "redis-check-rdb rejected $name"
fi
log "redis-check-rdb: $(printf '%s\\n' "$check_out" | grep -E 'RDB looks OK|keys read' | tr '\\n' ' ')"

if [ ! -d "$REDIS_DATA_DIR" ] || [ ! -w "$REDIS_DATA_DIR" ]; then die "REDIS_DATA_DIR '$REDIS_DATA_DIR' is not a writable directory"; fi
ts=$(utc_ts)
for old in appendonlydir dump.rdb; do
  if [ -e "$REDIS_DATA_DIR/$old" ]; then
    mv "$REDIS_DATA_DIR/$old" "$REDIS_DATA_DIR/$old.pre-restore-$ts"
    log "moved the existing $old aside to $old.pre-restore-$ts"
  fi
done
PARTIAL="$REDIS_DATA_DIR/.dump.rdb.partial"
cp "$BACKUP_DIR/$name" "$PARTIAL"
mv -f "$PARTIAL" "$REDIS_DATA_DIR/dump.rdb"
PARTIAL=
log "installed $name as $REDIS_DATA_DIR/dump.rdb"

if [ "$REDIS_APPENDONLY" = yes ]; then
  # appendonly is temporarily disabled here: a private server loads dump.rdb, then rewrites it as the AOF.
  sock="$REDIS_DATA_DIR/.restore-$$.sock"
  log "loading dump.rdb into a private redis-server (unix socket, appendonly off) to rebuild the AOF"
  redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$REDIS_DATA_DIR" \\
    --dbfilename dump.rdb --appendonly no --save '' --daemonize no --logfile '' --loglevel warning &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$sock"' EXIT
  waited=0
  until [ "$(redis-cli -s "$sock" ping 2>/dev/null || true)" = PONG ]; do
    kill -0 "$server_pid" 2>/dev/null || die "the private redis-server exited while loading dump.rdb"
    [ "$waited" -lt "$REDIS_RESTORE_TIMEOUT" ] || die "dump.rdb not loaded after $REDIS_RESTORE_TIMEOUT s"
    sleep 1
    waited=$((waited + 1))
  done
  keys=$(redis-cli -s "$sock" dbsize)
  redis-cli -s "$sock" config set appendonly yes > /dev/null || die "CONFIG SET appendonly yes failed"
  waited=0
  while :; do
    info=$(redis-cli -s "$sock" info persistence | tr -d '\\r')
    case $info in
      *aof_rewrite_in_progress:0*) case $info in *aof_rewrite_scheduled:0*) break ;; esac ;;
    esac
    [ "$waited" -lt "$REDIS_RESTORE_TIMEOUT" ] || die "AOF rewrite not finished after $REDIS_RESTORE_TIMEOUT s"
    sleep 1
    waited=$((waited + 1))
  done
  case $info in *aof_last_bgrewrite_status:ok*) ;; *) die "the AOF rewrite failed" ;; esac
  redis-cli -s "$sock" shutdown > /dev/null 2>&1 || true
  wait "$server_pid" || die "the private redis-server did not shut down cleanly"
  trap - EXIT
  rm -f "$sock"
  [ -f "$REDIS_DATA_DIR/appendonlydir/appendonly.aof.manifest" ] || die "no AOF manifest in $REDIS_DATA_DIR/appendonlydir after the rewrite"
  log "rebuilt the AOF in $REDIS_DATA_DIR/appendonlydir from $name ($keys key(s) in db 0)"
fi
log "restore of $name complete; start Redis normally"
`;

/**
 * Guard of the Redis restore (redis image, sh). Env: REDIS_HOST, REDIS_PORT (default 6379), STORE_NAME
 * (the StatefulSet, for the message).
 *
 * Refuses to continue while a Redis answers at REDIS_HOST: the restore replaces the files of the
 * data volume, which a running server would overwrite (and the volume is ReadWriteOnce). Scale
 * the StatefulSet to 0 first. Any answer counts (PONG, NOAUTH...): only "cannot connect" passes.
 */
export const redisEnsureStoppedScript = `${SH_HEADER('redis-ensure-stopped', 'refuse to restore while Redis is running')}
${COMMON_SH}
require_env REDIS_HOST
REDIS_PORT="\${REDIS_PORT:-6379}"
answer=$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning ping 2>&1 || true)
case $answer in
  ''|*'Could not connect'*) log "no Redis answers at $REDIS_HOST:$REDIS_PORT: safe to replace its data" ;;
  *) die "Redis at $REDIS_HOST:$REDIS_PORT is running (it answered: $answer); scale it to 0 first: kubectl scale statefulset/\${STORE_NAME:-redis} --replicas=0" ;;
esac
`;
