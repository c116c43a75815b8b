#!/usr/bin/env bash
# postgres-restore: verify a dump, take a safety dump, restore in one transaction, verify
# Rendered from lib/constructs/backup/assets/postgres-restore.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=postgres-restore

# @include include/common.sh

# @include include/postgres.sh

require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="${PGPORT:-5432}"
RESTORE_DROP_SCHEMAS="${RESTORE_DROP_SCHEMAS:-yes}"
case $RESTORE_DROP_SCHEMAS in yes|no) ;; *) die "RESTORE_DROP_SCHEMAS must be yes or no, got '$RESTORE_DROP_SCHEMAS'" ;; esac
# @include include/postgres-restore-read.sh

# @include include/postgres-restore-verify-dump.sh

safety="pre-restore-$(utc_ts).sql.gz"
log "taking a safety dump of the current database '$PGDATABASE' first"
pg_dump_to "$BACKUP_DIR" "$safety"

# One transaction: terminate the other sessions, drop the dump's schemas (so objects created after the
# backup cannot make the dump's DROP SCHEMA fail), run the dump. Any error rolls all of it back.
restore_sql=(-c 'SELECT count(pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();')
if [ "$RESTORE_DROP_SCHEMAS" = yes ] && [ -n "$schemas" ]; then
  drop_list=$(printf '%s\n' "$schemas" | paste -sd, -)
  log "the restore drops schema(s) $drop_list CASCADE first (RESTORE_DROP_SCHEMAS=yes)"
  restore_sql+=(-c "DROP SCHEMA IF EXISTS $drop_list CASCADE;")
fi
log "terminating other connections to '$PGDATABASE' and restoring $name in a single transaction"
if ! gzip -dc "$dump" | psql -X --no-password --quiet -v ON_ERROR_STOP=1 -v VERBOSITY=terse --single-transaction \
    "${restore_sql[@]}" -f - > /dev/null; then
  die "restore of $name failed and was rolled back: the database is unchanged (safety dump: $BACKUP_DIR/$safety)"
fi
log "restore transaction committed; verifying"

# @include include/postgres-restore-verify-db.sh
log "restore of $name complete and verified (safety dump: $BACKUP_DIR/$safety)"
