#!/usr/bin/env bash
# postgres-dump: pg_dump the database into $BACKUP_DIR, verified, with a .sha256
# Rendered from lib/constructs/backup/assets/postgres-dump.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=postgres-dump

# @include include/common.sh

# @include include/postgres.sh

require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR BACKUP_NAME_PREFIX
export PGPORT="${PGPORT:-5432}"
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"

name="$BACKUP_NAME_PREFIX-$(utc_ts).sql.gz"
pg_dump_to "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/@latest_name_file@" "$name"
log "backup complete: $name"
