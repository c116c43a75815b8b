#!/usr/bin/env bash
# s3-download: download a backup from S3 into $BACKUP_DIR and verify its checksum
# Rendered from lib/constructs/backup/assets/s3-download.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=s3-download

# @include include/common.sh

# @include include/s3.sh
# @include include/s3-download.sh

require_env BACKUP_DIR S3_BUCKET S3_PREFIX BACKUP_OBJECT
normalise_prefix
check_writable_dir "$BACKUP_DIR"
if [ -n "${BACKUP_NAME_PREFIX:-}" ]; then check_name_prefix "$BACKUP_NAME_PREFIX"; fi

if [ "$BACKUP_OBJECT" = latest ]; then
  list_keys "$PREFIX"
  key=$(printf '%s\n' "$KEYS" | select_latest_key "$PREFIX" "${BACKUP_NAME_PREFIX:-}")
  [ -n "$key" ] || die "no backup${BACKUP_NAME_PREFIX:+ of $BACKUP_NAME_PREFIX} with a .sha256 found under s3://$S3_BUCKET/$PREFIX/"
  log "latest backup is $key"
else
  case $BACKUP_OBJECT in
    */*) key=$BACKUP_OBJECT ;;
    *) key="$PREFIX/$BACKUP_OBJECT" ;;
  esac
fi
name=${key##*/}
check_backup_name "$name" @backup_extensions@

log "downloading s3://$S3_BUCKET/$key and its .sha256 into $BACKUP_DIR"
download_verified "$key" "$BACKUP_DIR"
write_name_file "$BACKUP_DIR/@restore_name_file@" "$name"
log "download complete: $BACKUP_DIR/$name (named in @restore_name_file@)"
