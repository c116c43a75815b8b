#!/usr/bin/env bash
# wal-ship: upload the spooled WAL files to S3, and prune WAL older than the oldest retained base backup
# Rendered from lib/constructs/backup/assets/wal-ship.sh at synth (includes and values filled in); edit that file, not this copy.
# Env: WAL_SPOOL_DIR, S3_BUCKET, S3_PREFIX (the archive: WAL under <prefix>/wal/, base backups under
# <prefix>/base/), optional S3_ENDPOINT_URL, AWS_REGION, S3_SSE, S3_SSE_KMS_ID, REQUIRE_SSE,
# WAL_SHIP_INTERVAL_SECONDS (default 5), WAL_PRUNE_INTERVAL_SECONDS (default 3600),
# WAL_SHIP_ONCE (true: one upload and one prune pass, exit non-zero if either failed),
# WAL_SHIP_HEARTBEAT_FILE (default /tmp/wal-ship.alive, touched before every pass).
set -euo pipefail
SCRIPT_NAME=wal-ship

# @include include/common.sh

# @include include/s3.sh

# @include ../../storage/assets/include/s3-sse.sh

require_env WAL_SPOOL_DIR S3_BUCKET S3_PREFIX
normalise_prefix
# Server-side encryption of the uploads (S3_SSE, S3_SSE_KMS_ID, REQUIRE_SSE), checked before any byte leaves the pod.
sse_setup
INTERVAL=${WAL_SHIP_INTERVAL_SECONDS:-5}
PRUNE_INTERVAL=${WAL_PRUNE_INTERVAL_SECONDS:-3600}
for v in "$INTERVAL" "$PRUNE_INTERVAL"; do
  case $v in ''|*[!0-9]*|0) die "WAL_SHIP_INTERVAL_SECONDS and WAL_PRUNE_INTERVAL_SECONDS must be integers >= 1, got '$v'" ;; esac
done
# WAL whose upload is older than the oldest base backup by more than this is pruned: the margin
# covers a clock difference between the pod and S3 (a base backup needs WAL from its start on).
PRUNE_MARGIN_SECONDS=@wal_prune_margin_seconds@
BASE_NAME_PREFIX='@base_backup_name_prefix@'

# ship_once: uploads every complete spooled file (oldest first), verified, then deletes it locally.
ship_once() {
  local f name key remote_size remote_sse shipped=0
  for f in "$WAL_SPOOL_DIR"/*.gz; do
    [ -e "$f" ] || continue
    name=${f##*/}
    key="$PREFIX/wal/$name"
    # ${sse_args[@]+...}: an empty array under set -u is an error in bash before 4.4 (the aws-cli image's).
    s3 s3 cp "$f" "s3://$S3_BUCKET/$key" ${sse_args[@]+"${sse_args[@]}"} --only-show-errors --no-progress \
      || { log "ERROR: upload of $name failed; retrying in ${INTERVAL}s"; return 1; }
    remote_size=$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ContentLength --output text) \
      || { log "ERROR: head-object on $key failed"; return 1; }
    [ "$remote_size" = "$(file_size "$f")" ] || { log "ERROR: $key has $remote_size bytes, the spooled file $(file_size "$f")"; return 1; }
    if [ -n "${S3_SSE:-}" ]; then
      remote_sse=$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query ServerSideEncryption --output text) \
        || { log "ERROR: head-object on $key failed"; return 1; }
      [ "$remote_sse" = "$S3_SSE" ] || { log "ERROR: $key reports server-side encryption '$remote_sse'; expected '$S3_SSE'"; return 1; }
    fi
    rm -f "$f"
    shipped=$((shipped + 1))
    log "uploaded $key ($remote_size bytes)"
  done
  [ "$shipped" -eq 0 ] || log "shipped $shipped file(s)"
}

# prune_once: deletes WAL uploaded before the oldest base backup (with its .sha256) minus the margin.
prune_once() {
  local raw oldest cutoff_epoch expired count batch json
  list_keys "$PREFIX/base"
  oldest=$(printf '%s\n' "$KEYS" | awk -v p="$PREFIX/base/$BASE_NAME_PREFIX-" '
    { seen[$0] = 1; keys[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        k = keys[i]
        if (index(k, p) != 1 || !((k ".sha256") in seen)) continue
        ts = substr(k, length(p) + 1)
        if (length(ts) != 23 || ts !~ /^[0-9]+T[0-9]+Z[.]tar[.]gz$/) continue
        ts = substr(ts, 1, 16)
        if (best == "" || ts < best) best = ts
      }
      print best
    }')
  if [ -z "$oldest" ]; then
    log "no base backup under s3://$S3_BUCKET/$PREFIX/base/ yet: nothing is pruned"
    return 0
  fi
  cutoff_epoch=$(( $(date -u -d "${oldest:0:4}-${oldest:4:2}-${oldest:6:2}T${oldest:9:2}:${oldest:11:2}:${oldest:13:2}Z" +%s) - PRUNE_MARGIN_SECONDS ))
  raw=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$PREFIX/wal/" --query 'Contents[].[Key,LastModified]' --output text) \
    || { log "ERROR: listing s3://$S3_BUCKET/$PREFIX/wal/ failed"; return 1; }
  expired=$(printf '%s\n' "$raw" | while IFS=$'\t' read -r key modified; do
    case $key in "$PREFIX/wal/"*) ;; *) continue ;; esac
    [ "$(date -u -d "$modified" +%s)" -lt "$cutoff_epoch" ] && printf '%s\n' "$key"
  done || true)
  count=0
  batch=()
  while IFS= read -r key; do
    [ -n "$key" ] || continue
    batch+=("$key")
    count=$((count + 1))
    if [ ${#batch[@]} -eq 500 ]; then delete_keys "${batch[@]}" || return 1; batch=(); fi
  done <<< "$expired"
  if [ ${#batch[@]} -gt 0 ]; then delete_keys "${batch[@]}" || return 1; fi
  log "pruned $count WAL file(s) uploaded before $(date -u -d "@$cutoff_epoch" '+%Y-%m-%dT%H:%M:%SZ') (oldest base backup $oldest)"
}

# delete_keys KEY...: one DeleteObjects request (keys are WAL names: no character needs escaping).
delete_keys() {
  local json k sep=
  json='{"Objects":['
  for k in "$@"; do json+="$sep{\"Key\":\"$k\"}"; sep=,; done
  json+='],"Quiet":true}'
  s3 s3api delete-objects --bucket "$S3_BUCKET" --delete "$json" --output text > /dev/null \
    || { log "ERROR: deleting $# expired WAL file(s) failed"; return 1; }
}

if [ "${WAL_SHIP_ONCE:-false}" = true ]; then
  status=0
  ship_once || status=1
  prune_once || status=1
  exit "$status"
fi

# The probes' heartbeat: touched before every pass, so a pass that hangs (an upload that never
# returns) makes the file old and the kubelet restarts the sidecar.
HEARTBEAT=${WAL_SHIP_HEARTBEAT_FILE:-/tmp/wal-ship.alive}
STOP=
trap 'STOP=1' TERM INT
log "shipping $WAL_SPOOL_DIR to s3://$S3_BUCKET/$PREFIX/wal/ every ${INTERVAL}s${S3_SSE:+ (server-side encryption $S3_SSE)}"
last_prune=0
while [ -z "$STOP" ]; do
  touch "$HEARTBEAT"
  ship_once || true
  now=$(date -u +%s)
  if [ $((now - last_prune)) -ge "$PRUNE_INTERVAL" ]; then
    if prune_once; then last_prune=$now; else log "ERROR: pruning failed; retrying next pass"; fi
  fi
  sleep "$INTERVAL" &
  wait $! || true
done
# PostgreSQL archives its last segments while it shuts down: ship them before the pod goes.
log "stopping: shipping what PostgreSQL archived during shutdown"
for _ in 1 2 3 4 5 6; do
  ship_once || true
  sleep 2
done
ship_once
