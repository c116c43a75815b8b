# shellcheck shell=bash
# shellcheck disable=SC2034 # list_keys sets KEYS for the including script
# s3 ARGS...: aws with --endpoint-url (LocalStack) and --region only when set.
s3() {
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then set -- --endpoint-url "$S3_ENDPOINT_URL" "$@"; fi
  if [ -n "${AWS_REGION:-}" ]; then set -- --region "$AWS_REGION" "$@"; fi
  aws "$@" < /dev/null
}

# normalise_prefix: sets PREFIX to S3_PREFIX without leading/trailing '/'.
normalise_prefix() {
  PREFIX=$S3_PREFIX
  while [ "${PREFIX#/}" != "$PREFIX" ]; do PREFIX=${PREFIX#/}; done
  while [ "${PREFIX%/}" != "$PREFIX" ]; do PREFIX=${PREFIX%/}; done
  [ -n "$PREFIX" ] || die "S3_PREFIX '$S3_PREFIX' is empty once '/' are stripped; backups need their own prefix"
  case $PREFIX in
    *[!A-Za-z0-9._/-]*|*//*) die "S3_PREFIX '$S3_PREFIX' is invalid: use letters, digits, '.', '_', '-' and single '/'" ;;
  esac
}

# list_keys PREFIX: sets KEYS to the object keys under PREFIX/, one per line.
list_keys() {
  local raw
  raw=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1/" --query 'Contents[].Key' --output text) \
    || die "listing s3://$S3_BUCKET/$1/ failed"
  KEYS=$(printf '%s\n' "$raw" | tr '\t' '\n' | grep -v -x -e 'None' -e '' || true)
}

# @include s3-key-selection.sh
