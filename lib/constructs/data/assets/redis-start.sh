#!/bin/sh
# Rendered from lib/constructs/data/assets/redis-start.sh by redisStartScript; edit the asset, not this output.
# Writes the auth include from $REDIS_PASSWORD (never printed), then execs redis-server.
set -eu

log() { printf '%s [redis-start] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }

AUTH_FILE='@auth_file@'
AUTH_DIR='@auth_dir@'
CONFIG_FILE='@config_file@'

if [ -z "${REDIS_PASSWORD:-}" ]; then
  log "REDIS_PASSWORD is not set or empty; refusing to start Redis without a password" >&2
  exit 1
fi
case "$REDIS_PASSWORD" in
  *[[:cntrl:]]*)
    log "REDIS_PASSWORD contains a control character (newline, tab...); refusing to start" >&2
    exit 1
    ;;
esac

umask 077
mkdir -p "$AUTH_DIR"
# redis.conf double-quoted string: escape backslashes and double quotes.
escaped=$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')
tmp="$AUTH_FILE.tmp.$$"
printf 'requirepass "%s"\n' "$escaped" > "$tmp"
mv -f "$tmp" "$AUTH_FILE"
unset escaped REDIS_PASSWORD
log "wrote auth include $AUTH_FILE; starting redis-server $CONFIG_FILE"
exec redis-server "$CONFIG_FILE" "$@"
