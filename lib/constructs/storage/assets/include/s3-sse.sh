# shellcheck shell=bash
# shellcheck disable=SC2034 # sse_setup sets sse_args for the including script
# Server-side encryption of what a script writes to S3, shared by the backup upload
# (lib/constructs/backup/assets/s3-upload.sh), the WAL shipper (wal-ship.sh there) and the bucket
# mirror (bucket-mirror.sh next to this folder); their constructs set the env with
# serverSideEncryptionEnv (object-storage.ts). Needs die().
#
# S3_SSE=AES256 (SSE-S3) or aws:kms (SSE-KMS with the key in S3_SSE_KMS_ID). REQUIRE_SSE=true (set
# for Amazon S3, i.e. prod) refuses to upload anything unless it is SSE-KMS with a key.

# sse_setup: checks those variables and sets the array sse_args to the `aws s3 cp|sync` options
# they ask for (empty without S3_SSE). Call it before any aws call, so a refusal sends nothing.
# Expand it as ${sse_args[@]+"${sse_args[@]}"}: an empty array under set -u is an error in bash
# before 4.4 (the aws-cli image's).
sse_setup() {
  sse_args=()
  case ${S3_SSE:-} in
    '') ;;
    AES256) sse_args=(--sse AES256) ;;
    aws:kms)
      [ -n "${S3_SSE_KMS_ID:-}" ] || die "refusing to upload: S3_SSE=aws:kms needs S3_SSE_KMS_ID (a KMS key ARN or alias)"
      sse_args=(--sse aws:kms --sse-kms-key-id "$S3_SSE_KMS_ID")
      ;;
    *) die "S3_SSE '$S3_SSE' is invalid: use AES256 (SSE-S3) or aws:kms (SSE-KMS)" ;;
  esac
  case ${REQUIRE_SSE:-false} in
    false) ;;
    true)
      [ "${S3_SSE:-}" = aws:kms ] \
        || die "refusing to upload: REQUIRE_SSE=true needs S3_SSE=aws:kms and S3_SSE_KMS_ID (backups.kmsKeyId of the stack's config); S3_SSE is '${S3_SSE:-}'"
      ;;
    *) die "REQUIRE_SSE '$REQUIRE_SSE' is invalid: use true or false" ;;
  esac
}
