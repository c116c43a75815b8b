#!/usr/bin/env bash
# postgres-basebackup: physical base backup (pg_basebackup, tar + gzip, WAL from the archive) into $BACKUP_DIR, verified, with a .sha256
# Rendered from lib/constructs/backup/assets/postgres-basebackup.sh at synth (includes and values filled in); edit that file, not this copy.
# Env: PGHOST, PGPORT (default 5432), PGUSER (a role with REPLICATION, and a pg_hba `replication` row),
# PGPASSWORD, BACKUP_DIR, BACKUP_NAME_PREFIX; libpq's PGSSLMODE/PGSSLROOTCERT for TLS.
set -euo pipefail
SCRIPT_NAME=postgres-basebackup

# @include include/common.sh

require_env PGHOST PGUSER PGPASSWORD BACKUP_DIR BACKUP_NAME_PREFIX
export PGPORT="${PGPORT:-5432}"
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"

name="$BACKUP_NAME_PREFIX-$(utc_ts).tar.gz"
[ ! -e "$BACKUP_DIR/$name" ] || die "$BACKUP_DIR/$name already exists"
PARTIAL="$BACKUP_DIR/.$name.partial"
log "pg_basebackup of $PGHOST:$PGPORT as '$PGUSER' -> $BACKUP_DIR/$name (tar, gzip, WAL from the archive)"
# -X none: the WAL the backup needs is in the archive (pg_basebackup waits until it is archived);
# to stdout, the tar carries backup_label and backup_manifest (checked again before a recovery).
pg_basebackup --pgdata=- --format=tar --gzip --wal-method=none --checkpoint=fast --no-password --label="$name" > "$PARTIAL" \
  || die "pg_basebackup failed"
gzip -t "$PARTIAL" 2>/dev/null || die "$name failed the gzip integrity check (truncated or corrupt)"
members=$(tar -tzf "$PARTIAL") || die "$name is not a readable tar"
for required in backup_label backup_manifest PG_VERSION global/pg_control; do
  grep -qx -- "$required" <<< "$members" || die "$name lacks $required (not a complete base backup)"
done
log "gzip, tar and backup_label/backup_manifest OK for $name"
mv -f "$PARTIAL" "$BACKUP_DIR/$name"
PARTIAL=
write_checksum "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/@latest_name_file@" "$name"
log "base backup complete: $name ($(file_size "$BACKUP_DIR/$name") bytes)"
