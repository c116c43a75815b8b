#!/bin/sh
# LocalStack's S3 objects kept on its PVC. The community image keeps its services in memory
# (PERSISTENCE is a Pro feature), so this script copies each bucket's objects to a folder of the
# volume and back:
#   restore  (ready hook, after the buckets exist): folder -> bucket, then marks this container
#            instance as restored and starts `watch` in the background;
#   watch    every S3_MIRROR_INTERVAL_SECONDS: save (0 = only at shutdown);
#   save     (also the shutdown hook): bucket -> folder with --delete, so deletions (backup
#            retention) reach the copy too.
# Functions return on the first failure themselves (`set -e` does not apply inside `save || ...`).
# A save runs only after this container instance's restore finished: an empty LocalStack that has
# not been restored yet (a failed or unfinished restore) never wipes the copy.
# Only current object versions and their bytes are kept (no older versions, no metadata).
set -eu

: "${S3_MIRROR_BUCKETS:?names of the buckets to keep, space-separated}"
MIRROR_DIR=${S3_MIRROR_DIR:-/var/lib/localstack/s3-mirror}
INTERVAL=${S3_MIRROR_INTERVAL_SECONDS:-300}
STATE_DIR=${S3_MIRROR_STATE_DIR:-/tmp}
MARKER="$STATE_DIR/s3-mirror.restored"

log() { printf '%s s3-mirror: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# Start time of this container's PID 1 (field 22 of /proc/1/stat): differs at every container
# start, while /tmp (an emptyDir) outlives a container restart.
instance() {
  if [ -n "${S3_MIRROR_INSTANCE:-}" ]; then
    echo "$S3_MIRROR_INSTANCE"
  else
    cut -d' ' -f22 /proc/1/stat
  fi
}

restore() {
  for b in $S3_MIRROR_BUCKETS; do
    if [ -d "$MIRROR_DIR/$b" ]; then
      log "restoring s3://$b from $MIRROR_DIR/$b ($(find "$MIRROR_DIR/$b" -type f | wc -l) objects)"
      awslocal s3 sync "$MIRROR_DIR/$b" "s3://$b" --only-show-errors || return 1
    else
      log "no copy of s3://$b yet"
    fi
  done
  instance > "$MARKER"
  log "restored"
}

save() {
  if [ ! -f "$MARKER" ] || [ "$(cat "$MARKER")" != "$(instance)" ]; then
    log "not saving: the buckets of this LocalStack were not restored yet (the copy stays as it is)"
    return 1
  fi
  for b in $S3_MIRROR_BUCKETS; do
    mkdir -p "$MIRROR_DIR/$b" || return 1
    awslocal s3 sync "s3://$b" "$MIRROR_DIR/$b" --delete --only-show-errors || return 1
  done
  date -u +%Y-%m-%dT%H:%M:%SZ > "$MIRROR_DIR/.last-save"
}

watch() {
  while sleep "$INTERVAL"; do
    save || log "save failed; next try in ${INTERVAL}s"
  done
}

case "${1:-}" in
  restore)
    restore || exit 1
    if [ "$INTERVAL" -gt 0 ]; then
      # Detached, writing to the container's log; it ends with the container.
      nohup "$0" watch > "${S3_MIRROR_LOG:-/proc/1/fd/1}" 2>&1 < /dev/null &
    fi
    ;;
  save)
    save || exit 1
    log "saved"
    ;;
  watch) watch ;;
  *)
    echo "usage: $0 restore|save|watch" >&2
    exit 2
    ;;
esac
