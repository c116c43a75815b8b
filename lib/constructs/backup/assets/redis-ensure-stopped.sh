#!/bin/sh
# redis-ensure-stopped: refuse to restore while Redis is running
# Rendered from lib/constructs/backup/assets/redis-ensure-stopped.sh at synth (includes and values filled in); edit that file, not this copy.
set -eu
SCRIPT_NAME=redis-ensure-stopped

# @include include/common.sh

require_env REDIS_HOST
REDIS_PORT="${REDIS_PORT:-6379}"
# shellcheck disable=SC2153 # REDIS_HOST is an input (require_env checked it above), not a misspelt REDIS_PORT
answer=$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning ping 2>&1 || true)
case $answer in
  ''|*'Could not connect'*) log "no Redis answers at $REDIS_HOST:$REDIS_PORT: safe to replace its data" ;;
  *) die "Redis at $REDIS_HOST:$REDIS_PORT is running (it answered: $answer); scale it to 0 first: kubectl scale statefulset/${STORE_NAME:-redis} --replicas=0" ;;
esac
