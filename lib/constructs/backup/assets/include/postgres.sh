# shellcheck shell=bash
# check_sql_gz FILE LABEL: gzip integrity and pg_dump's completion marker near the end.
check_sql_gz() {
  gzip -t "$1" 2>/dev/null || die "$2 failed the gzip integrity check (truncated or corrupt)"
  local tail_text
  tail_text=$(gzip -dc "$1" | tail -n 20) || die "$2 could not be decompressed"
  case $tail_text in
    *'@pg_dump_complete_marker@'*) ;;
    *) die "$2 lacks the '@pg_dump_complete_text@' marker (incomplete dump)" ;;
  esac
  log "gzip integrity and completion marker OK for $2"
}

# pg_dump_to DIR NAME: pg_dump --clean --if-exists | gzip -9 into DIR/NAME, verified, with NAME.sha256.
pg_dump_to() {
  [ ! -e "$1/$2" ] || die "$1/$2 already exists"
  PARTIAL="$1/.$2.partial"
  log "pg_dump of database '$PGDATABASE' on $PGHOST:$PGPORT as '$PGUSER' -> $1/$2"
  if ! pg_dump --clean --if-exists --no-password | gzip -9 > "$PARTIAL"; then
    die "pg_dump | gzip of database '$PGDATABASE' failed"
  fi
  check_sql_gz "$PARTIAL" "$2"
  mv -f "$PARTIAL" "$1/$2"
  PARTIAL=
  write_checksum "$1" "$2"
  log "wrote $1/$2 ($(file_size "$1/$2") bytes)"
}
