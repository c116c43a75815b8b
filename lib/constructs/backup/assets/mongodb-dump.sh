# shellcheck shell=bash
# shellcheck disable=SC2154 # LATEST_NAME_FILE and MONGODB_BACKUP_EXTENSION are set before this part
# Rendered from lib/constructs/backup/assets/mongodb-dump.sh at synth (includes and values filled in); edit that file, not this copy.
# mongodb-dump (the part after mongodb-common.sh): a dump of the whole instance into $BACKUP_DIR,
# verified, with its .sha256, named in $LATEST_NAME_FILE for the upload.
require_env BACKUP_DIR BACKUP_NAME_PREFIX
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"
mongodb_connect
name="$BACKUP_NAME_PREFIX-$(utc_ts).$MONGODB_BACKUP_EXTENSION"
mongodb_dump_to "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/$LATEST_NAME_FILE" "$name"
log "backup complete: $name ($(file_size "$BACKUP_DIR/$name") bytes)"
