# shellcheck shell=bash
# Needs common.sh (die, verify_checksum, the PARTIAL trap) and s3.sh (s3).
# download_verified KEY DIR: downloads s3://$S3_BUCKET/KEY and KEY.sha256 into DIR (through a
# partial file the EXIT trap removes on failure) and verifies the checksum.
download_verified() {
  local name=${1##*/}
  PARTIAL="$2/.$name.partial"
  s3 s3 cp "s3://$S3_BUCKET/$1" "$PARTIAL" --only-show-errors --no-progress || die "download of $1 failed"
  s3 s3 cp "s3://$S3_BUCKET/$1.sha256" "$2/$name.sha256" --only-show-errors --no-progress || die "download of $1.sha256 failed"
  mv -f "$PARTIAL" "$2/$name"
  PARTIAL=
  verify_checksum "$2" "$name"
}

