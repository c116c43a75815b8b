#!/usr/bin/env bash
# postgres-safety-dump: verify the dump to restore, then dump the current database before the restore
# Rendered from lib/constructs/backup/assets/postgres-safety-dump.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=postgres-safety-dump

# @include include/common.sh

# @include include/postgres.sh

require_env PGHOST PGUSER PGPASSWORD PGDATABASE BACKUP_DIR
export PGPORT="${PGPORT:-5432}"
# @include include/postgres-restore-read.sh

# @include include/postgres-restore-verify-dump.sh

safety="pre-restore-$(utc_ts).sql.gz"
log "taking a safety dump of the current database '$PGDATABASE' before the restore"
pg_dump_to "$BACKUP_DIR" "$safety"
write_name_file "$BACKUP_DIR/@latest_name_file@" "$safety"
write_name_file "$BACKUP_DIR/@safety_name_file@" "$safety"
log "safety dump complete: $safety"
