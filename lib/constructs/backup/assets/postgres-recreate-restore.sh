#!/usr/bin/env bash
# postgres-recreate-restore: verify a dump, safety dump, restore into a new database, verify, swap it in, verify
# Rendered from lib/constructs/backup/assets/postgres-recreate-restore.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=postgres-recreate-restore

# @include include/common.sh

# @include include/postgres.sh

require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="${PGPORT:-5432}"
PGMAINTENANCE_DB="${PGMAINTENANCE_DB:-postgres}"
RESTORE_KEEP_PREVIOUS="${RESTORE_KEEP_PREVIOUS:-no}"
RESTORE_DRAIN_SECONDS="${RESTORE_DRAIN_SECONDS:-30}"
case $RESTORE_KEEP_PREVIOUS in yes|no) ;; *) die "RESTORE_KEEP_PREVIOUS must be yes or no, got '$RESTORE_KEEP_PREVIOUS'" ;; esac
case $RESTORE_DRAIN_SECONDS in ''|*[!0-9]*) die "RESTORE_DRAIN_SECONDS must be a number of seconds, got '$RESTORE_DRAIN_SECONDS'" ;; esac
live=$PGDATABASE
case $live in ''|[!a-z_]*|*[!a-z0-9_]*) die "PGDATABASE '$live' must be a lower case identifier (letters, digits, '_')" ;; esac
[ ${#live} -le 50 ] || die "PGDATABASE '$live' is longer than 50 characters; the restore needs room for the @recreate_staging_suffix@ and @recreate_previous_suffix@ names"
staging="${live}@recreate_staging_suffix@"
previous="${live}@recreate_previous_suffix@"
[ "$PGMAINTENANCE_DB" != "$live" ] || die "PGMAINTENANCE_DB must be another database than PGDATABASE '$live'"

# msql: SQL on stdin against the maintenance database, with :'live', :'staging', :'previous'.
msql() {
  psql -X --no-password -At -v ON_ERROR_STOP=1 -v VERBOSITY=terse -d "$PGMAINTENANCE_DB" \
    -v live="$live" -v staging="$staging" -v previous="$previous" "$@"
}

STAGE=none
on_exit() {
  rc=$?
  [ -z "${PARTIAL:-}" ] || rm -f "$PARTIAL"
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

# @include include/postgres-restore-read.sh

# @include include/postgres-restore-verify-dump.sh

state=$(msql <<'SQL'
SELECT (SELECT count(*) FROM pg_database WHERE datname = :'live') || ' ' || (SELECT count(*) FROM pg_database WHERE datname = :'previous');
SQL
) || die "cannot query the maintenance database '$PGMAINTENANCE_DB'"
[ "${state% *}" = 1 ] || die "database '$live' does not exist; run the init script first"
[ "${state#* }" = 0 ] || die "database '$previous' exists (kept by an earlier restore); drop or rename it first"

if [ -f "$BACKUP_DIR/@safety_name_file@" ]; then
  read_name_file "$BACKUP_DIR/@safety_name_file@"
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
  FROM pg_database d WHERE d.datname = :'live' \gexec
SQL
log "restoring $name into '$staging' in a single transaction"
if ! gzip -dc "$dump" | psql -X --no-password --quiet -v ON_ERROR_STOP=1 -v VERBOSITY=terse --single-transaction -d "$staging" -f - > /dev/null; then
  die "restore of $name into '$staging' failed; '$live' is unchanged (safety dump: $BACKUP_DIR/$safety)"
fi
log "verifying '$staging'"
export PGDATABASE="$staging"
# @include include/postgres-restore-verify-db.sh

log "copying the grants and settings of '$live' to '$staging'"
msql <<'SQL' > /dev/null || die "copying the grants and settings of '$live' failed"
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'staging') FROM pg_database WHERE datname = :'live' AND datacl IS NOT NULL \gexec
SELECT format('GRANT %s ON DATABASE %I TO %s%s', a.privilege_type, :'staging',
    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
    CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
  FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = :'live' \gexec
SELECT format('ALTER %s SET %I = %s',
    CASE WHEN s.setrole = 0 THEN format('DATABASE %I', :'staging') ELSE format('ROLE %I IN DATABASE %I', pg_get_userbyid(s.setrole), :'staging') END,
    split_part(c.cfg, '=', 1),
    CASE WHEN split_part(c.cfg, '=', 1) IN ('search_path', 'temp_tablespaces', 'local_preload_libraries', 'session_preload_libraries')
      THEN substr(c.cfg, strpos(c.cfg, '=') + 1) ELSE quote_literal(substr(c.cfg, strpos(c.cfg, '=') + 1)) END)
  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c(cfg)
  WHERE d.datname = :'live' \gexec
SQL

log "blocking new connections to '$live' and terminating its sessions"
STAGE=blocked
terminated=$(msql <<'SQL'
ALTER DATABASE :"live" WITH ALLOW_CONNECTIONS false;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'live' AND pid <> pg_backend_pid();
SQL
) || die "blocking '$live' failed"
log "terminated ${terminated##*$'\n'} session(s)"
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
# @include include/postgres-restore-verify-db.sh

if [ "$RESTORE_KEEP_PREVIOUS" = yes ]; then
  log "kept the replaced database as '$previous' (closed to connections; drop it when done)"
else
  msql <<'SQL' > /dev/null || die "dropping the replaced database '$previous' failed (the restore itself succeeded)"
DROP DATABASE :"previous";
SQL
  log "dropped the replaced database '$previous' (safety dump: $safety)"
fi
log "restore of $name complete and verified (safety dump: $BACKUP_DIR/$safety)"
