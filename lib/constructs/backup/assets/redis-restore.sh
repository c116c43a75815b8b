#!/bin/sh
# redis-restore: verify an .rdb and install it as the data Redis starts from
# Rendered from lib/constructs/backup/assets/redis-restore.sh at synth (includes and values filled in); edit that file, not this copy.
set -eu
SCRIPT_NAME=redis-restore

# @include include/common.sh

require_env BACKUP_DIR REDIS_DATA_DIR
REDIS_APPENDONLY="${REDIS_APPENDONLY:-yes}"
REDIS_RESTORE_TIMEOUT="${REDIS_RESTORE_TIMEOUT:-600}"
case $REDIS_APPENDONLY in yes|no) ;; *) die "REDIS_APPENDONLY must be yes or no, got '$REDIS_APPENDONLY'" ;; esac
case $REDIS_RESTORE_TIMEOUT in ''|*[!0-9]*) die "REDIS_RESTORE_TIMEOUT must be a number of seconds, got '$REDIS_RESTORE_TIMEOUT'" ;; esac
read_name_file "$BACKUP_DIR/@restore_name_file@"
name=$BACKUP_NAME
check_backup_name "$name" rdb

log "verifying $name before touching $REDIS_DATA_DIR"
verify_checksum "$BACKUP_DIR" "$name"
if ! check_out=$(redis-check-rdb "$BACKUP_DIR/$name" 2>&1); then
  printf '%s\n' "$check_out"
  die "redis-check-rdb rejected $name"
fi
log "redis-check-rdb: $(printf '%s\n' "$check_out" | grep -E 'RDB looks OK|keys read' | tr '\n' ' ')"

if [ ! -d "$REDIS_DATA_DIR" ] || [ ! -w "$REDIS_DATA_DIR" ]; then die "REDIS_DATA_DIR '$REDIS_DATA_DIR' is not a writable directory"; fi
ts=$(utc_ts)
for old in appendonlydir dump.rdb; do
  if [ -e "$REDIS_DATA_DIR/$old" ]; then
    mv "$REDIS_DATA_DIR/$old" "$REDIS_DATA_DIR/$old.pre-restore-$ts"
    log "moved the existing $old aside to $old.pre-restore-$ts"
  fi
done
PARTIAL="$REDIS_DATA_DIR/.dump.rdb.partial"
cp "$BACKUP_DIR/$name" "$PARTIAL"
mv -f "$PARTIAL" "$REDIS_DATA_DIR/dump.rdb"
PARTIAL=
log "installed $name as $REDIS_DATA_DIR/dump.rdb"

if [ "$REDIS_APPENDONLY" = yes ]; then
  # appendonly is temporarily disabled here: a private server loads dump.rdb, then rewrites it as the AOF.
  sock="$REDIS_DATA_DIR/.restore-$$.sock"
  log "loading dump.rdb into a private redis-server (unix socket, appendonly off) to rebuild the AOF"
  redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$REDIS_DATA_DIR" \
    --dbfilename dump.rdb --appendonly no --save '' --daemonize no --logfile '' --loglevel warning &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$sock"' EXIT
  waited=0
  until [ "$(redis-cli -s "$sock" ping 2>/dev/null || true)" = PONG ]; do
    kill -0 "$server_pid" 2>/dev/null || die "the private redis-server exited while loading dump.rdb"
    [ "$waited" -lt "$REDIS_RESTORE_TIMEOUT" ] || die "dump.rdb not loaded after $REDIS_RESTORE_TIMEOUT s"
    sleep 1
    waited=$((waited + 1))
  done
  keys=$(redis-cli -s "$sock" dbsize)
  redis-cli -s "$sock" config set appendonly yes > /dev/null || die "CONFIG SET appendonly yes failed"
  waited=0
  while :; do
    info=$(redis-cli -s "$sock" info persistence | tr -d '\r')
    case $info in
      *aof_rewrite_in_progress:0*) case $info in *aof_rewrite_scheduled:0*) break ;; esac ;;
    esac
    [ "$waited" -lt "$REDIS_RESTORE_TIMEOUT" ] || die "AOF rewrite not finished after $REDIS_RESTORE_TIMEOUT s"
    sleep 1
    waited=$((waited + 1))
  done
  case $info in *aof_last_bgrewrite_status:ok*) ;; *) die "the AOF rewrite failed" ;; esac
  redis-cli -s "$sock" shutdown > /dev/null 2>&1 || true
  wait "$server_pid" || die "the private redis-server did not shut down cleanly"
  trap - EXIT
  rm -f "$sock"
  [ -f "$REDIS_DATA_DIR/appendonlydir/appendonly.aof.manifest" ] || die "no AOF manifest in $REDIS_DATA_DIR/appendonlydir after the rewrite"
  log "rebuilt the AOF in $REDIS_DATA_DIR/appendonlydir from $name ($keys key(s) in db 0)"
fi
log "restore of $name complete; start Redis normally"
