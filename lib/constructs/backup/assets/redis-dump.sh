#!/bin/sh
# redis-dump: redis-cli --rdb into $BACKUP_DIR, verified with redis-check-rdb, with a .sha256
# Rendered from lib/constructs/backup/assets/redis-dump.sh at synth (includes and values filled in); edit that file, not this copy.
set -eu
SCRIPT_NAME=redis-dump

# @include include/common.sh

require_env REDIS_HOST REDISCLI_AUTH BACKUP_DIR BACKUP_NAME_PREFIX
REDIS_PORT="${REDIS_PORT:-6379}"
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"

name="$BACKUP_NAME_PREFIX-$(utc_ts).rdb"
[ ! -e "$BACKUP_DIR/$name" ] || die "$BACKUP_DIR/$name already exists"
PARTIAL="$BACKUP_DIR/.$name.partial"
# shellcheck disable=SC2153 # REDIS_HOST is an input (require_env checked it above), not a misspelt REDIS_PORT
log "redis-cli --rdb from $REDIS_HOST:$REDIS_PORT -> $BACKUP_DIR/$name"
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning --rdb "$PARTIAL" || die "redis-cli --rdb from $REDIS_HOST:$REDIS_PORT failed"
[ -s "$PARTIAL" ] || die "redis-cli --rdb wrote an empty file"
if ! check_out=$(redis-check-rdb "$PARTIAL" 2>&1); then
  printf '%s\n' "$check_out"
  die "redis-check-rdb rejected the dump"
fi
log "redis-check-rdb: $(printf '%s\n' "$check_out" | grep -E 'RDB looks OK|keys read' | tr '\n' ' ')"
mv -f "$PARTIAL" "$BACKUP_DIR/$name"
PARTIAL=
write_checksum "$BACKUP_DIR" "$name"
write_name_file "$BACKUP_DIR/@latest_name_file@" "$name"
log "backup complete: $name ($(file_size "$BACKUP_DIR/$name") bytes)"
