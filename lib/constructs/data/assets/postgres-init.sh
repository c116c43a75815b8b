#!/usr/bin/env bash
# Rendered from lib/constructs/data/assets/postgres-init.sh by renderInitScript; edit the asset, not this output.
# Run by the postgres image's docker-entrypoint.sh on an empty data directory (as OS user postgres,
# over the local socket), and again by the reconcile Job and CronJob against the running server
# (over TCP as the superuser: PGHOST, PGPASSWORD): it converges, so re-running it applies changed
# roles, limits, schemas and rotated passwords. Passwords come from the environment, never from this file.
set -euo pipefail

log() { printf '%s [postgres-init] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }

: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${POSTGRES_DB:?POSTGRES_DB must be set}"
@password_checks@

log "initialising database ${POSTGRES_DB}: @summary@"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --no-psqlrc --quiet \
  -v dbname="$POSTGRES_DB"@password_variables@ <<'EOSQL'
@init_sql@
EOSQL
log "database ${POSTGRES_DB} initialised"
