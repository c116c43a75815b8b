# shellcheck shell=bash
# shellcheck disable=SC2154 # LATEST_NAME_FILE, MONGODB_BACKUP_EXTENSION and DUMP_NAME are set before this part
# Rendered from lib/constructs/backup/assets/mongodb-safety-dump.sh at synth (includes and values filled in); edit that file, not this copy.
# mongodb-safety-dump (the part after mongodb-common.sh): verifies the dump to restore, then dumps the
# current data (pre-restore-<ts>) and names it in $LATEST_NAME_FILE, for the upload that keeps it
# before the restore replaces anything.
require_env BACKUP_DIR
check_writable_dir "$BACKUP_DIR"
mongodb_connect
mongodb_downloaded
safety="pre-restore-$(utc_ts).$MONGODB_BACKUP_EXTENSION"
mongodb_dump_to "$BACKUP_DIR" "$safety"
write_name_file "$BACKUP_DIR/$LATEST_NAME_FILE" "$safety"
log "safety dump complete: $safety (before restoring $DUMP_NAME)"
