#!/usr/bin/env bash
# pitr-recover: recover the fetched base backup into an EMPTY directory up to RECOVERY_TARGET_TIME, then pg_dump the result
# Rendered from lib/constructs/backup/assets/pitr-recover.sh at synth (includes and values filled in); edit that file, not this copy.
# Env: BACKUP_DIR (from pitr-fetch: the base backup named in restore-name, the WAL in wal/), PITR_DATA_DIR
# (must not exist or be empty), RECOVERY_TARGET_TIME, PGDATABASE, BACKUP_NAME_PREFIX (of the dump),
# optional PITR_SOCKET_DIR (default /tmp), PITR_TIMEOUT_SECONDS (default 3600).
# The recovered server listens on a unix socket only and never archives: the live archive is read, never written.
set -euo pipefail
SCRIPT_NAME=pitr-recover

# @include include/common.sh

# @include include/postgres.sh

require_env BACKUP_DIR PITR_DATA_DIR RECOVERY_TARGET_TIME PGDATABASE BACKUP_NAME_PREFIX
check_name_prefix "$BACKUP_NAME_PREFIX"
check_writable_dir "$BACKUP_DIR"
SOCKET_DIR=${PITR_SOCKET_DIR:-/tmp}
TIMEOUT=${PITR_TIMEOUT_SECONDS:-3600}
case $TIMEOUT in ''|*[!0-9]*|0) die "PITR_TIMEOUT_SECONDS must be an integer >= 1, got '$TIMEOUT'" ;; esac
case $RECOVERY_TARGET_TIME in
  *[!0-9A-Za-z\ :.+-]*) die "RECOVERY_TARGET_TIME '$RECOVERY_TARGET_TIME' has characters a time never has" ;;
esac
# PostgreSQL gets the target in UTC with its fraction of a second, whatever zone it was given in.
target=$(date -u -d "$RECOVERY_TARGET_TIME" '+%Y-%m-%d %H:%M:%S.%N+00' 2>/dev/null) \
  || die "RECOVERY_TARGET_TIME '$RECOVERY_TARGET_TIME' is not a time; expected e.g. '2026-12-06 02:10:00+00' (with its zone)"

if [ -e "$PITR_DATA_DIR" ] && [ -n "$(ls -A "$PITR_DATA_DIR")" ]; then
  die "PITR_DATA_DIR $PITR_DATA_DIR is not empty: a recovery only writes into an empty new volume, never over data"
fi
read_name_file "$BACKUP_DIR/@restore_name_file@"
name=$BACKUP_NAME
verify_checksum "$BACKUP_DIR" "$name"
[ -d "$BACKUP_DIR/wal" ] || die "$BACKUP_DIR/wal not found: run pitr-fetch first"

mkdir -p "$PITR_DATA_DIR"
chmod 700 "$PITR_DATA_DIR"
log "extracting $name into $PITR_DATA_DIR"
tar -xzf "$BACKUP_DIR/$name" -C "$PITR_DATA_DIR" || die "extracting $name failed"
pg_verifybackup --no-parse-wal --manifest-path="$PITR_DATA_DIR/backup_manifest" "$PITR_DATA_DIR" \
  || die "pg_verifybackup: the files of $name do not match its backup_manifest"
rm -f "$PITR_DATA_DIR/backup_manifest"

wal_dir=$BACKUP_DIR/wal
cat >> "$PITR_DATA_DIR/postgresql.auto.conf" <<CONF
# pitr-recover: recovery to $target from $name
restore_command = 'test -f "$wal_dir/%f.gz" && gzip -dc "$wal_dir/%f.gz" > "%p"'
recovery_target_time = '$target'
recovery_target_action = 'promote'
archive_mode = 'off'
CONF
touch "$PITR_DATA_DIR/recovery.signal"

LOG_FILE="$BACKUP_DIR/pitr-postgres.log"
stop_server() {
  pg_ctl --pgdata="$PITR_DATA_DIR" --mode=fast --wait --timeout=60 stop > /dev/null 2>&1 || true
}
trap 'stop_server; [ -z "${PARTIAL:-}" ] || rm -f "$PARTIAL"' EXIT
log "starting PostgreSQL on the restored files (unix socket $SOCKET_DIR only) to replay WAL up to $target"
server_opts="-c listen_addresses='' -c unix_socket_directories='$SOCKET_DIR' -c port=5432 -c archive_mode=off -c ssl=off"
if ! pg_ctl --pgdata="$PITR_DATA_DIR" --log="$LOG_FILE" --options="$server_opts" --wait --timeout="$TIMEOUT" start > /dev/null; then
  tail -n 20 "$LOG_FILE" >&2 || true
  die "PostgreSQL did not start on the restored files (log above)"
fi
export PGHOST=$SOCKET_DIR PGPORT=5432 PGUSER=postgres
deadline=$(( $(date -u +%s) + TIMEOUT ))
while :; do
  state=$(psql -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null || echo down)
  [ "$state" != f ] || break
  if [ "$state" = down ] && ! pg_ctl --pgdata="$PITR_DATA_DIR" status > /dev/null 2>&1; then
    tail -n 20 "$LOG_FILE" >&2 || true
    die "PostgreSQL stopped during recovery (log above): the WAL up to $target is not all in the archive, or the target is before the base backup's end"
  fi
  [ "$(date -u +%s)" -lt "$deadline" ] || die "recovery did not finish within ${TIMEOUT}s"
  sleep 1
done
grep -E 'recovery stopping|last completed transaction|selected new timeline' "$LOG_FILE" | sed 's/^/  postgres: /' || true
log "recovered and promoted: $(psql -X -At -d postgres -c "SELECT 'timeline ' || timeline_id FROM pg_control_checkpoint()")"

dump="$BACKUP_NAME_PREFIX-$(utc_ts).sql.gz"
pg_dump_to "$BACKUP_DIR" "$dump"
write_name_file "$BACKUP_DIR/@latest_name_file@" "$dump"
stop_server
log "point-in-time recovery complete: $dump holds database '$PGDATABASE' as of $target"
