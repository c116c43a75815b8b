#!/usr/bin/env bash
# Rendered from lib/constructs/data/assets/postgres-promote.sh; edit the asset, not this output.
# Promotes the standby of a PostgresDatabase to a writable primary (run by hand, as a Job created
# from the suspended CronJob `<name>-promote`; see the README's promotion runbook).
#   1. The standby (PGHOST) must answer; if it is already a primary, there is nothing to do.
#   2. Fencing: if the old primary (PRIMARY_HOST, PRIMARY_PORT) still answers and accepts writes, refuse: two
#      writable primaries would each take writes the other never sees. Stop it first
#      (kubectl scale statefulset/<name> --replicas=0). A primary that cannot be reached is gone.
#   3. SELECT pg_promote() (waits up to 60 s), then checks the server left recovery.
# Connects as the superuser over TLS (PGUSER, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT from the Job).
set -euo pipefail

log() { printf '%s [postgres-promote] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }

: "${PGHOST:?PGHOST must be set to the standby}"
: "${PRIMARY_HOST:?PRIMARY_HOST must be set to the primary being replaced}"
: "${PGPASSWORD:?PGPASSWORD must be set to the superuser password}"

sql() { psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 "$@"; }

in_recovery=$(sql --command='SELECT pg_is_in_recovery()')
if [ "$in_recovery" = f ]; then
  log "$PGHOST is already a primary (not in recovery); nothing to promote"
  exit 0
fi

if primary_recovery=$(sql --host="$PRIMARY_HOST" --port="${PRIMARY_PORT:-${PGPORT:-5432}}" --command='SELECT pg_is_in_recovery()' 2>/dev/null); then
  if [ "$primary_recovery" = f ]; then
    log "refusing: the primary $PRIMARY_HOST still answers and accepts writes; stop it first (scale its StatefulSet to 0), then run this again"
    exit 1
  fi
  log "$PRIMARY_HOST answers but is itself in recovery; promoting $PGHOST"
else
  log "the primary $PRIMARY_HOST does not answer; promoting $PGHOST"
fi

lsn=$(sql --command='SELECT pg_last_wal_replay_lsn()')
log "standby $PGHOST replayed WAL up to $lsn; promoting"
promoted=$(sql --command='SELECT pg_promote(true, 60)')
if [ "$promoted" != t ]; then
  log "pg_promote did not finish within 60 s"
  exit 1
fi
in_recovery=$(sql --command='SELECT pg_is_in_recovery()')
if [ "$in_recovery" != f ]; then
  log "$PGHOST is still in recovery after pg_promote"
  exit 1
fi
log "$PGHOST is now a writable primary; repoint the clients (README: PostgreSQL high availability)"
