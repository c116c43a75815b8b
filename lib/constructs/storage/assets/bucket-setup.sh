#!/usr/bin/env bash
# bucket-setup: makes every bucket of BUCKETS exist with the settings in CONFIG_DIR. Idempotent:
# an existing bucket is never recreated, and every setting is a PUT of the whole configuration.
# Shipped by lib/constructs/storage/bucket-setup.ts (its BucketSetup Job runs it); edit this file.
#
# Environment:
#   BUCKETS          bucket names, separated by spaces
#   CREATE_BUCKETS   true: create a missing bucket; false: a missing bucket is an error (created elsewhere)
#   CONFIG_DIR       folder of the settings files (below)
#   AWS_REGION       region requests are signed for (and the LocationConstraint of a created bucket)
#   S3_ENDPOINT_URL  an S3-compatible server's URL (unset: Amazon S3)
#   WAIT_SECONDS     how long to wait for the endpoint to answer (default 120)
#
# Settings, each applied when CONFIG_DIR/<bucket>.<setting>.json exists (a missing file leaves that
# setting of the bucket as it is; nothing is ever removed), in this order:
#   public-access-block  put-public-access-block
#   encryption           put-bucket-encryption
#   versioning           put-bucket-versioning, then checked with get-bucket-versioning
#   lifecycle            put-bucket-lifecycle-configuration
#   policy               put-bucket-policy (last: with the public access block on, a public policy is refused)
set -euo pipefail

log() { printf '%s [bucket-setup] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}

# s3api OPERATION ARGS...: aws s3api with the region, and the endpoint of an S3-compatible server.
s3api() {
  set -- s3api "$@"
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then set -- --endpoint-url "$S3_ENDPOINT_URL" "$@"; fi
  aws --region "$AWS_REGION" "$@" < /dev/null
}

for var in BUCKETS CREATE_BUCKETS CONFIG_DIR AWS_REGION; do
  [ -n "${!var:-}" ] || die "environment variable $var must be set and non-empty"
done
case $CREATE_BUCKETS in
  true | false) ;;
  *) die "CREATE_BUCKETS is '$CREATE_BUCKETS'; expected true or false" ;;
esac
[ -d "$CONFIG_DIR" ] || die "CONFIG_DIR '$CONFIG_DIR' is not a directory"
WAIT_SECONDS=${WAIT_SECONDS:-120}
case $WAIT_SECONDS in
  '' | *[!0-9]*) die "WAIT_SECONDS is '$WAIT_SECONDS'; expected a whole number of seconds" ;;
esac
read -r -a names <<< "$BUCKETS"
[ "${#names[@]}" -gt 0 ] || die "BUCKETS holds no bucket name"
for bucket in "${names[@]}"; do
  case $bucket in
    *[!a-z0-9.-]* | [!a-z0-9]* | *[!a-z0-9]) die "bucket name '$bucket' is invalid: 3-63 lowercase letters, digits, '.' and '-'" ;;
  esac
done

# bucket_state BUCKET: sets STATE to 'present' or 'missing' (head-bucket); retries while the endpoint does not answer.
bucket_state() {
  local out deadline
  deadline=$(($(date +%s) + WAIT_SECONDS))
  while :; do
    if out=$(s3api head-bucket --bucket "$1" 2>&1); then
      STATE=present
      return 0
    fi
    case $out in
      *'(404)'* | *NoSuchBucket* | *'Not Found'*)
        STATE=missing
        return 0
        ;;
      *'(403)'* | *Forbidden* | *AccessDenied*)
        die "bucket $1: access denied (it belongs to another account, or these credentials lack s3:ListBucket on it): $out"
        ;;
      *'Could not connect'* | *'Connect timeout'* | *'Connection was closed'* | *'Read timeout'* | *'(503)'* | *'(500)'*)
        [ "$(date +%s)" -lt "$deadline" ] || die "bucket $1: the S3 endpoint did not answer within ${WAIT_SECONDS}s: $out"
        log "waiting for the S3 endpoint ($out)"
        sleep 5
        ;;
      *) die "head-bucket $1 failed: $out" ;;
    esac
  done
}

# create_bucket BUCKET: creates it (LocationConstraint outside us-east-1); one created meanwhile by us is fine.
create_bucket() {
  local bucket=$1 out
  set -- create-bucket --bucket "$bucket"
  if [ "$AWS_REGION" != us-east-1 ]; then set -- "$@" --create-bucket-configuration "LocationConstraint=$AWS_REGION"; fi
  if out=$(s3api "$@" 2>&1); then
    log "$bucket: created"
    return 0
  fi
  case $out in
    *BucketAlreadyOwnedByYou*) log "$bucket: already exists and is ours (created meanwhile)" ;;
    *) die "create-bucket $bucket failed: $out" ;;
  esac
}

# apply BUCKET SETTING OPERATION OPTION: OPERATION --bucket BUCKET OPTION file://CONFIG_DIR/BUCKET.SETTING.json, if that file exists.
apply() {
  local file="$CONFIG_DIR/$1.$2.json" out
  [ -f "$file" ] || return 0
  out=$(s3api "$3" --bucket "$1" "$4" "file://$file" 2>&1) || die "$3 on $1 failed: $out"
  log "$1: $2 applied ($3)"
}

created=0
existing=0
for bucket in "${names[@]}"; do
  bucket_state "$bucket"
  if [ "$STATE" = present ]; then
    log "$bucket: exists"
    existing=$((existing + 1))
  elif [ "$CREATE_BUCKETS" = true ]; then
    create_bucket "$bucket"
    created=$((created + 1))
  else
    die "bucket $bucket does not exist and CREATE_BUCKETS is false: create it where the buckets are managed (e.g. Terraform), or let this Job create it"
  fi
  apply "$bucket" public-access-block put-public-access-block --public-access-block-configuration
  apply "$bucket" encryption put-bucket-encryption --server-side-encryption-configuration
  apply "$bucket" versioning put-bucket-versioning --versioning-configuration
  if [ -f "$CONFIG_DIR/$bucket.versioning.json" ]; then
    status=$(s3api get-bucket-versioning --bucket "$bucket" --query Status --output text) || die "get-bucket-versioning on $bucket failed"
    [ "$status" = Enabled ] || die "$bucket: versioning is '$status' after put-bucket-versioning; expected Enabled"
    log "$bucket: versioning is Enabled"
  fi
  apply "$bucket" lifecycle put-bucket-lifecycle-configuration --lifecycle-configuration
  apply "$bucket" policy put-bucket-policy --policy
done
log "done: ${#names[@]} bucket(s) ready ($created created, $existing already there)"
