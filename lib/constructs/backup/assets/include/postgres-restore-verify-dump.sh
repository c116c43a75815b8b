# shellcheck shell=bash
# shellcheck disable=SC2154 # name and dump come from postgres-restore-read.sh, included before this
log "verifying $name before touching the database"
verify_checksum "$BACKUP_DIR" "$name"
check_sql_gz "$dump" "$name"
schemas=$(gzip -dc "$dump" | sed -n 's/^CREATE SCHEMA \(.*\);$/\1/p') || die "could not read the schemas of $name"
expected_rows=$(gzip -dc "$dump" | awk '@awk_copy_row_counts@') || die "could not read the tables of $name"
log "$name lists $(printf '%s' "$schemas" | grep -c . || true) schema(s) [$(printf '%s' "$schemas" | tr '\n' ' ')] and $(printf '%s' "$expected_rows" | grep -c . || true) table(s) with data"
