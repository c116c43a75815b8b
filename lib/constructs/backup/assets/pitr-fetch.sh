#!/usr/bin/env bash
# pitr-fetch: download the newest base backup taken before RECOVERY_TARGET_TIME and the WAL archived since
# Rendered from lib/constructs/backup/assets/pitr-fetch.sh at synth (includes and values filled in); edit that file, not this copy.
# Env: BACKUP_DIR, S3_BUCKET, S3_PREFIX (the archive: <prefix>/base/, <prefix>/wal/), RECOVERY_TARGET_TIME
# (a time `date -d` reads, with its zone, e.g. '2026-12-06 02:10:00+00'), optional S3_ENDPOINT_URL, AWS_REGION.
set -euo pipefail
SCRIPT_NAME=pitr-fetch

# @include include/common.sh

# @include include/s3.sh
# @include include/s3-download.sh

require_env BACKUP_DIR S3_BUCKET S3_PREFIX RECOVERY_TARGET_TIME
normalise_prefix
check_writable_dir "$BACKUP_DIR"
BASE_NAME_PREFIX='@base_backup_name_prefix@'
# WAL uploaded this long before the base backup's name says it started is fetched too (clock difference pod/S3).
MARGIN_SECONDS=@wal_prune_margin_seconds@

case $RECOVERY_TARGET_TIME in
  *[!0-9A-Za-z\ :.+-]*) die "RECOVERY_TARGET_TIME '$RECOVERY_TARGET_TIME' has characters a time never has" ;;
esac
target_epoch=$(date -u -d "$RECOVERY_TARGET_TIME" +%s 2>/dev/null) \
  || die "RECOVERY_TARGET_TIME '$RECOVERY_TARGET_TIME' is not a time; expected e.g. '2026-12-06 02:10:00+00' (with its zone)"
[ "$target_epoch" -le "$(date -u +%s)" ] || die "RECOVERY_TARGET_TIME '$RECOVERY_TARGET_TIME' is in the future"
target_ts=$(date -u -d "@$target_epoch" '+@backup_timestamp_format@')

list_keys "$PREFIX/base"
key=$(printf '%s\n' "$KEYS" | awk -v p="$PREFIX/base/$BASE_NAME_PREFIX-" -v target="$target_ts" '
  { seen[$0] = 1; keys[NR] = $0 }
  END {
    for (i = 1; i <= NR; i++) {
      k = keys[i]
      if (index(k, p) != 1 || !((k ".sha256") in seen)) continue
      rest = substr(k, length(p) + 1)
      if (length(rest) != 23 || rest !~ /^[0-9]+T[0-9]+Z[.]tar[.]gz$/) continue
      ts = substr(rest, 1, 16)
      if (ts <= target && ts > bestts) { best = k; bestts = ts }
    }
    if (best != "") print best
  }')
[ -n "$key" ] || die "no base backup under s3://$S3_BUCKET/$PREFIX/base/ started at or before $target_ts: the target is older than the retained backups"
name=${key##*/}
log "recovering to $target_ts from base backup $key"

download_verified "$key" "$BACKUP_DIR"

base_ts=${name#"$BASE_NAME_PREFIX"-}
base_ts=${base_ts%.tar.gz}
since=$(( $(date -u -d "${base_ts:0:4}-${base_ts:4:2}-${base_ts:6:2}T${base_ts:9:2}:${base_ts:11:2}:${base_ts:13:2}Z" +%s) - MARGIN_SECONDS ))
raw=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$PREFIX/wal/" --query 'Contents[].[Key,LastModified]' --output text) \
  || die "listing s3://$S3_BUCKET/$PREFIX/wal/ failed"
filters=()
wanted=0
while IFS=$'\t' read -r wal modified; do
  case $wal in "$PREFIX/wal/"*.gz) ;; *) continue ;; esac
  # Timeline history files are small and every recovery may need them: all of them.
  case $wal in
    *.history.gz) ;;
    *) [ "$(date -u -d "$modified" +%s)" -ge "$since" ] || continue ;;
  esac
  filters+=(--include "${wal##*/}")
  wanted=$((wanted + 1))
done <<< "$raw"
[ "$wanted" -gt 0 ] || die "no WAL archived under s3://$S3_BUCKET/$PREFIX/wal/ since the base backup: is the wal-ship sidecar running?"
mkdir -p "$BACKUP_DIR/wal"
s3 s3 cp "s3://$S3_BUCKET/$PREFIX/wal/" "$BACKUP_DIR/wal/" --recursive --exclude '*' "${filters[@]}" --only-show-errors --no-progress \
  || die "download of the WAL failed"
got=$(find "$BACKUP_DIR/wal" -maxdepth 1 -type f -name '*.gz' | wc -l)
[ "$got" -eq "$wanted" ] || die "downloaded $got WAL file(s) of $wanted"
write_name_file "$BACKUP_DIR/@restore_name_file@" "$name"
log "fetched $name and $got WAL file(s) into $BACKUP_DIR (named in @restore_name_file@)"
