#!/usr/bin/env bash
# wal-spool: PostgreSQL's archive_command: gzip one finished WAL file into the spool the wal-ship sidecar uploads
# Rendered from lib/constructs/backup/assets/wal-spool.sh at synth (includes and values filled in); edit that file, not this copy.
# Usage (postgresql.conf): archive_command = 'bash <dir>/wal-spool.sh "%p" "%f"'. Exit 0 only once the
# file is complete in the spool: PostgreSQL then recycles the segment; any other exit keeps it in
# pg_wal and PostgreSQL retries, so a stalled upload never loses WAL.
set -euo pipefail
SCRIPT_NAME=wal-spool

# @include include/common.sh

SPOOL_DIR='@wal_spool_dir@'
# Bounds of the spool: more files, or a file older than this, means the sidecar is not uploading.
MAX_FILES=@wal_spool_max_files@
MAX_AGE_SECONDS=@wal_spool_max_age_seconds@

[ $# -eq 2 ] || die "usage: wal-spool.sh %p %f (got $# arguments)"
src=$1
name=$2
case $name in
  ''|.*|*[!0-9A-Za-z._]*) die "WAL file name '$name' is invalid" ;;
esac
[ -f "$src" ] || die "WAL file $src not found"
if [ ! -d "$SPOOL_DIR" ] || [ ! -w "$SPOOL_DIR" ]; then die "spool $SPOOL_DIR is not a writable directory"; fi

dest="$SPOOL_DIR/$name.gz"
if [ -e "$dest" ]; then
  # A retry after PostgreSQL lost track of an earlier success: the same content is a success.
  if gzip -dc "$dest" | cmp -s - "$src"; then
    log "$name is already spooled with the same content"
    exit 0
  fi
  die "$dest exists with other content; refusing to overwrite it"
fi

count=0
oldest=
for f in "$SPOOL_DIR"/*.gz; do
  [ -e "$f" ] || continue
  count=$((count + 1))
  m=$(stat -c %Y "$f")
  if [ -z "$oldest" ] || [ "$m" -lt "$oldest" ]; then oldest=$m; fi
done
[ "$count" -lt "$MAX_FILES" ] \
  || die "spool holds $count files (at most $MAX_FILES): the wal-ship sidecar is not uploading; $name stays in pg_wal and is retried"
if [ -n "$oldest" ]; then
  age=$(( $(date -u +%s) - oldest ))
  [ "$age" -le "$MAX_AGE_SECONDS" ] \
    || die "the oldest spooled file waits for ${age}s (at most ${MAX_AGE_SECONDS}s): the wal-ship sidecar is not uploading; $name stays in pg_wal and is retried"
fi

PARTIAL="$SPOOL_DIR/.$name.gz.partial"
gzip -c "$src" > "$PARTIAL" || die "gzip of $name failed"
gzip -t "$PARTIAL" || die "gzip of $name does not verify"
sync "$PARTIAL" || die "sync of $name failed"
mv -f "$PARTIAL" "$dest"
PARTIAL=
log "spooled $name ($(file_size "$dest") bytes compressed)"
