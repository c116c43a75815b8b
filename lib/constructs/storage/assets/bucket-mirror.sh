#!/usr/bin/env bash
# bucket-mirror: one step of mirroring s3://SOURCE_BUCKET/SOURCE_PREFIX/ to s3://TARGET_BUCKET/TARGET_PREFIX/
# with `aws s3 sync`. Rendered from lib/constructs/storage/assets/bucket-mirror.sh at synth (includes
# filled in) for the BucketMirror CronJob of lib/constructs/storage/bucket-mirror.ts; edit that file, not this copy.
#
# MIRROR_STEP
#   copy      source and target are one store: a server-side sync, bucket to bucket
#   download  the source store's container: sync the source down into MIRROR_DIR
#   upload    the target store's container: sync MIRROR_DIR up to the target
#   (aws s3 sync cannot copy between two endpoints or two sets of credentials, hence two steps,
#   each container holding the credentials of its own store only)
#
# The target is a mirror: `--delete` removes target objects whose source object is gone, so the
# target must be versioned (checked unless REQUIRE_TARGET_VERSIONING=false): a removed or
# overwritten object stays there as a noncurrent version until the target's lifecycle expires it.
# A source with no object at all while the target has some is refused (a wrong prefix or an
# emptied source would otherwise delete the whole mirror) unless ALLOW_EMPTY_SOURCE=true.
#
# What the copy and upload steps write to the target is encrypted as S3_SSE and S3_SSE_KMS_ID ask
# (`--sse AES256`, or `--sse aws:kms --sse-kms-key-id KEY`); REQUIRE_SSE=true refuses to run
# unless that is SSE-KMS with a key, before any aws call (include/s3-sse.sh, as the backup uploads).
# Only objects the sync copies get it: an unchanged object keeps the encryption it was written with.
#
# Environment: MIRROR_STEP, SOURCE_BUCKET, SOURCE_PREFIX (may be empty: the whole bucket),
# TARGET_BUCKET, TARGET_PREFIX, AWS_REGION (of this container's store), S3_ENDPOINT_URL (an
# S3-compatible server; unset: Amazon S3), SOURCE_REGION (copy: the source's region),
# MIRROR_DIR (download, upload), REQUIRE_TARGET_VERSIONING, ALLOW_EMPTY_SOURCE, S3_SSE, S3_SSE_KMS_ID,
# REQUIRE_SSE (copy, upload).
set -euo pipefail

log() { printf '%s [bucket-mirror] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}

# @include include/s3-sse.sh

# aws_s3 ARGS...: aws with the region, and the endpoint of an S3-compatible server.
aws_s3() {
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then set -- --endpoint-url "$S3_ENDPOINT_URL" "$@"; fi
  aws --region "$AWS_REGION" "$@" < /dev/null
}

# trim PREFIX: the prefix without leading and trailing '/', checked (letters, digits, '.', '_', '-', single '/').
trim() {
  local p=$1
  while [ "${p#/}" != "$p" ]; do p=${p#/}; done
  while [ "${p%/}" != "$p" ]; do p=${p%/}; done
  case $p in
    *[!A-Za-z0-9._/-]* | *//*) die "key prefix '$1' is invalid: use letters, digits, '.', '_', '-' and single '/'" ;;
  esac
  printf '%s' "$p"
}

# url BUCKET PREFIX: s3://BUCKET/PREFIX/ (s3://BUCKET/ for an empty prefix).
url() { printf 's3://%s/%s' "$1" "${2:+$2/}"; }

# has_objects BUCKET PREFIX [REGION]: true when at least one object is under the prefix.
has_objects() {
  local out region=${3:-$AWS_REGION}
  out=$(AWS_REGION=$region aws_s3 s3api list-objects-v2 --bucket "$1" ${2:+--prefix "$2/"} --max-items 1 \
    --query 'Contents[0].Key' --output text) || die "listing $(url "$1" "$2") failed"
  [ -n "$out" ] && [ "$out" != None ]
}

# check_target_versioning: the target bucket must be versioned before a sync with --delete.
check_target_versioning() {
  [ "${REQUIRE_TARGET_VERSIONING:-true}" = true ] || return 0
  local status
  status=$(aws_s3 s3api get-bucket-versioning --bucket "$TARGET_BUCKET" --query Status --output text) \
    || die "get-bucket-versioning on $TARGET_BUCKET failed"
  [ "$status" = Enabled ] || die "target bucket $TARGET_BUCKET has versioning '$status'; expected Enabled (the mirror deletes what the source deleted; versioning keeps those objects recoverable)"
}

# mirror_sync FROM TO [OPTIONS...]: aws s3 sync, its lines logged; sets COPIED and DELETED to the counts.
mirror_sync() {
  local out="${TMPDIR:-/tmp}/bucket-mirror-sync.$$"
  if ! aws_s3 s3 sync "$@" --no-progress > "$out" 2>&1; then
    cat "$out"
    die "aws s3 sync $1 $2 failed"
  fi
  cat "$out"
  COPIED=$(grep -c -E '^(copy|upload|download): ' "$out" || true)
  DELETED=$(grep -c -E '^delete: ' "$out" || true)
  rm -f "$out"
}

for var in MIRROR_STEP SOURCE_BUCKET TARGET_BUCKET TARGET_PREFIX AWS_REGION; do
  [ -n "${!var:-}" ] || die "environment variable $var must be set and non-empty"
done
SOURCE_PREFIX=$(trim "${SOURCE_PREFIX:-}")
TARGET_PREFIX=$(trim "$TARGET_PREFIX")
[ -n "$TARGET_PREFIX" ] || die "TARGET_PREFIX is empty once '/' are stripped; the mirror needs a prefix of its own"
# the target's encryption, checked before any aws call
sse_setup
source_url=$(url "$SOURCE_BUCKET" "$SOURCE_PREFIX")
target_url=$(url "$TARGET_BUCKET" "$TARGET_PREFIX")

case $MIRROR_STEP in
  copy)
    check_target_versioning
    if ! has_objects "$SOURCE_BUCKET" "$SOURCE_PREFIX" "${SOURCE_REGION:-}" && [ "${ALLOW_EMPTY_SOURCE:-false}" != true ] \
      && has_objects "$TARGET_BUCKET" "$TARGET_PREFIX"; then
      die "$source_url is empty but $target_url is not: refusing to delete the mirror (set ALLOW_EMPTY_SOURCE=true if the source was emptied on purpose)"
    fi
    log "mirroring $source_url to $target_url (server-side copy${S3_ENDPOINT_URL:+, endpoint $S3_ENDPOINT_URL}${S3_SSE:+, server-side encryption $S3_SSE})"
    mirror_sync "$source_url" "$target_url" --delete ${SOURCE_REGION:+--source-region "$SOURCE_REGION"} ${sse_args[@]+"${sse_args[@]}"}
    ;;
  download)
    if [ -z "${MIRROR_DIR:-}" ] || [ ! -d "$MIRROR_DIR" ] || [ ! -w "$MIRROR_DIR" ]; then
      die "MIRROR_DIR '${MIRROR_DIR:-}' is not a writable directory"
    fi
    log "downloading $source_url to $MIRROR_DIR${S3_ENDPOINT_URL:+ (endpoint $S3_ENDPOINT_URL)}"
    mirror_sync "$source_url" "$MIRROR_DIR/"
    log "downloaded $COPIED object(s) ($(du -sh "$MIRROR_DIR" | cut -f1))"
    exit 0
    ;;
  upload)
    if [ -z "${MIRROR_DIR:-}" ] || [ ! -d "$MIRROR_DIR" ]; then die "MIRROR_DIR '${MIRROR_DIR:-}' is not a directory"; fi
    check_target_versioning
    # sync creates folders only for files, so an empty MIRROR_DIR means the source listed no object
    shopt -s nullglob dotglob
    downloaded=("$MIRROR_DIR"/*)
    shopt -u nullglob dotglob
    if [ "${#downloaded[@]}" -eq 0 ] && [ "${ALLOW_EMPTY_SOURCE:-false}" != true ] \
      && has_objects "$TARGET_BUCKET" "$TARGET_PREFIX"; then
      die "$source_url is empty (nothing was downloaded) but $target_url is not: refusing to delete the mirror (set ALLOW_EMPTY_SOURCE=true if the source was emptied on purpose)"
    fi
    log "uploading $MIRROR_DIR to $target_url${S3_ENDPOINT_URL:+ (endpoint $S3_ENDPOINT_URL)}${S3_SSE:+ (server-side encryption $S3_SSE)}"
    mirror_sync "$MIRROR_DIR/" "$target_url" --delete ${sse_args[@]+"${sse_args[@]}"}
    ;;
  *) die "MIRROR_STEP is '$MIRROR_STEP'; expected copy, download or upload" ;;
esac
log "mirror complete: $source_url -> $target_url: $COPIED object(s) copied, $DELETED deleted"
