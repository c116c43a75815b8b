# shellcheck shell=bash
# shellcheck disable=SC2154 # DUMP_NAME is set by mongodb_downloaded (mongodb-common.sh)
# Rendered from lib/constructs/backup/assets/mongodb-restore.sh at synth (includes and values filled in); edit that file, not this copy.
# mongodb-restore (the part after mongodb-common.sh): verifies the dump again, then replaces every
# collection it holds (mongorestore --drop), replaying its oplog when it has one. Users and roles are
# those of the dump afterwards: run the database's init Job again to set the passwords of its Secrets.
# Stop the applications first for a clean cut-over.
require_env BACKUP_DIR
mongodb_connect
mongodb_downloaded
log "mongorestore --drop ${MONGODB_REPLAY_OPTIONS[*]} from $DUMP_NAME"
mongodb_tool mongorestore --archive="$BACKUP_DIR/$DUMP_NAME" --gzip --drop "${MONGODB_REPLAY_OPTIONS[@]}" --quiet ||
  die "mongorestore of $DUMP_NAME failed (the safety dump taken before holds the previous data)"
log "restore of $DUMP_NAME complete; users and roles are the dump's: run the database's init Job again to set the passwords of its Secrets"
