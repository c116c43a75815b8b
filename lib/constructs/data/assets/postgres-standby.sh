#!/usr/bin/env bash
# Rendered from lib/constructs/data/assets/postgres-standby.sh; edit the asset, not this output.
# The standby of a PostgresDatabase, in two steps of its pod:
#   postgres-standby.sh bootstrap        (init container) clones the primary with pg_basebackup
#                                        when the data directory is empty; otherwise does nothing.
#   postgres-standby.sh start [ARGS...]  (server container) runs `postgres ARGS...` as a hot standby
#                                        streaming from the primary through its replication slot.
# The replication password comes from the environment and goes to a passfile in /tmp (an emptyDir),
# never into the data directory: primary_conninfo is given on the command line and names the
# passfile, so a rotated password reaches the standby when its pod restarts.
set -euo pipefail

log() { printf '%s [postgres-standby] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }

: "${PGDATA:?PGDATA must be set}"
: "${PRIMARY_HOST:?PRIMARY_HOST must be set to the DNS name of the primary, a name of its certificate}"
: "${PRIMARY_PORT:?PRIMARY_PORT must be set}"
: "${REPLICATION_USER:?REPLICATION_USER must be set}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD must be set to the password of the replication role}"
: "${REPLICATION_SLOT:?REPLICATION_SLOT must be set}"
: "${PRIMARY_SSLROOTCERT:?PRIMARY_SSLROOTCERT must be set to the CA that signed the certificate of the primary}"
passfile="${STANDBY_PASSFILE:-/tmp/replication.pgpass}"

# A passfile line matching any host, port and database for the replication user; ':' and '\' escaped.
write_passfile() {
  local pw=${REPLICATION_PASSWORD//\\/\\\\}
  pw=${pw//:/\\:}
  (umask 077 && printf '*:*:*:%s:%s\n' "$REPLICATION_USER" "$pw" >"$passfile")
}

conninfo() {
  printf 'host=%s port=%s user=%s passfile=%s sslmode=verify-full sslrootcert=%s application_name=%s connect_timeout=10' \
    "$PRIMARY_HOST" "$PRIMARY_PORT" "$REPLICATION_USER" "$passfile" "$PRIMARY_SSLROOTCERT" "${STANDBY_NAME:-$HOSTNAME}"
}

case "${1:-}" in
  bootstrap)
    if [ -s "$PGDATA/PG_VERSION" ]; then
      log "data directory $PGDATA exists; not cloning"
      exit 0
    fi
    write_passfile
    clone="$PGDATA.clone"
    # A clone interrupted earlier is incomplete: start over.
    rm -rf "$clone"
    log "cloning the primary $PRIMARY_HOST:$PRIMARY_PORT through slot $REPLICATION_SLOT"
    pg_basebackup --pgdata="$clone" --dbname="$(conninfo)" --wal-method=stream --slot="$REPLICATION_SLOT" \
      --checkpoint=fast --no-password --verbose
    # Recovery as a standby; the connection settings are given at start (no password on disk).
    touch "$clone/standby.signal"
    # Renamed only once complete, so a data directory is always a whole clone.
    mv "$clone" "$PGDATA"
    log "cloned into $PGDATA"
    ;;
  start)
    shift
    write_passfile
    log "starting as a standby of $PRIMARY_HOST:$PRIMARY_PORT (slot $REPLICATION_SLOT)"
    exec postgres "$@" -c "primary_conninfo=$(conninfo)" -c "primary_slot_name=$REPLICATION_SLOT"
    ;;
  *)
    echo "usage: $0 bootstrap | start [postgres arguments...]" >&2
    exit 64
    ;;
esac
