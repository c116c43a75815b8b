# shellcheck shell=bash
# shellcheck disable=SC2034 # dump is for the including script (the restore steps that follow)
check_writable_dir "$BACKUP_DIR"
read_name_file "$BACKUP_DIR/@restore_name_file@"
name=$BACKUP_NAME
check_backup_name "$name" sql.gz
dump="$BACKUP_DIR/$name"
