#!/usr/bin/env bash
# s3-upload: upload the latest backup to S3 and prune backups older than RETENTION_DAYS
# Rendered from lib/constructs/backup/assets/s3-upload.sh at synth (includes and values filled in); edit that file, not this copy.
set -euo pipefail
SCRIPT_NAME=s3-upload

# @include include/common.sh

# @include include/s3.sh

require_env BACKUP_DIR S3_BUCKET S3_PREFIX RETENTION_DAYS
normalise_prefix

# @include include/s3-sse.sh
read_name_file "$BACKUP_DIR/@latest_name_file@"
name=$BACKUP_NAME
check_backup_name "$name" @backup_extensions@
verify_checksum "$BACKUP_DIR" "$name"

key="$PREFIX/$name"
log "uploading $name to s3://$S3_BUCKET/$key${S3_ENDPOINT_URL:+ (endpoint $S3_ENDPOINT_URL)}${S3_SSE:+ (server-side encryption $S3_SSE)}"
# ${sse_args[@]+...}: an empty array under set -u is an error in bash before 4.4 (the aws-cli image's).
s3 s3 cp "$BACKUP_DIR/$name" "s3://$S3_BUCKET/$key" ${sse_args[@]+"${sse_args[@]}"} --only-show-errors --no-progress || die "upload of $name failed"
s3 s3 cp "$BACKUP_DIR/$name.sha256" "s3://$S3_BUCKET/$key.sha256" ${sse_args[@]+"${sse_args[@]}"} --only-show-errors --no-progress || die "upload of $name.sha256 failed"
remote_size=$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ContentLength --output text) || die "head-object on $key failed"
local_size=$(file_size "$BACKUP_DIR/$name")
[ "$remote_size" = "$local_size" ] || die "uploaded object $key has $remote_size bytes, the local file $local_size"
if [ -n "${S3_SSE:-}" ]; then
  remote_sse=$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ServerSideEncryption --output text) || die "head-object on $key failed"
  [ "$remote_sse" = "$S3_SSE" ] || die "uploaded object $key reports server-side encryption '$remote_sse'; expected '$S3_SSE'"
fi
log "uploaded $key ($remote_size bytes) and $key.sha256"

case $RETENTION_DAYS in
  ''|*[!0-9]*) die "refusing to prune: RETENTION_DAYS must be an integer >= 1, got '$RETENTION_DAYS' (the backup itself was uploaded)" ;;
esac
[ "$RETENTION_DAYS" -ge 1 ] || die "refusing to prune: RETENTION_DAYS must be an integer >= 1, got '$RETENTION_DAYS' (the backup itself was uploaded)"
name_prefix=${name%-*}
cutoff=$(date -u -d "@$(( $(date -u +%s) - RETENTION_DAYS * 86400 ))" '+@backup_timestamp_format@')
log "pruning $name_prefix backups under s3://$S3_BUCKET/$PREFIX/ older than $RETENTION_DAYS day(s) (timestamp before $cutoff)"
list_keys "$PREFIX"
expired=$(printf '%s\n' "$KEYS" | select_expired_keys "$PREFIX" "$name_prefix" "$cutoff" "$name")
deleted=0
while IFS= read -r old; do
  [ -n "$old" ] || continue
  s3 s3 rm "s3://$S3_BUCKET/$old" --only-show-errors || die "deleting $old failed"
  log "deleted $old"
  deleted=$((deleted + 1))
done <<< "$expired"
log "upload complete: $key; pruned $deleted object(s)"
