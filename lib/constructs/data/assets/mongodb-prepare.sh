#!/bin/sh
# mongodb-prepare: writes the files mongod reads with the permissions it insists on, into the
# pod's memory-backed run directory, before mongod starts (the `prepare` init container of
# lib/constructs/data/mongodb-database.ts, as the mongod user).
# - The replica set key file: mongod refuses a key file its group or others can read, and a
#   Secret volume is group-readable (fsGroup), so the key is copied with mode 0400.
# - With TLS, the certificate: mongod wants the private key and the certificate in ONE PEM file
#   (--tlsCertificateKeyFile) while cert-manager's Secret holds them apart (tls.key, tls.crt);
#   they are combined into server.pem (0400), and the CA is copied next to it.
# Env: MONGODB_INTERNAL_AUTH_FILE (the mounted key), MONGODB_RUN_DIR (writable, memory-backed),
# optional MONGODB_TLS_SOURCE_DIR (where the TLS Secret is mounted, with tls.crt, tls.key and ca.crt).
# Nothing secret is printed.
set -eu
umask 077

log() { printf '%s [mongodb-prepare] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}

: "${MONGODB_INTERNAL_AUTH_FILE:?must name the mounted key file}"
: "${MONGODB_RUN_DIR:?must name the run directory}"
if [ ! -d "$MONGODB_RUN_DIR" ] || [ ! -w "$MONGODB_RUN_DIR" ]; then die "$MONGODB_RUN_DIR is not a writable directory"; fi
[ -r "$MONGODB_INTERNAL_AUTH_FILE" ] || die "key file $MONGODB_INTERNAL_AUTH_FILE is missing or unreadable"

# mongod ignores whitespace in a key file and wants 6 to 1024 characters of the base64 set.
key=$(tr -d ' \t\r\n' < "$MONGODB_INTERNAL_AUTH_FILE")
length=${#key}
if [ "$length" -lt 6 ] || [ "$length" -gt 1024 ]; then
  die "the key file has $length characters (whitespace ignored); mongod needs 6 to 1024 characters of the base64 set"
fi
case $key in
  *[!A-Za-z0-9+/=]*) die 'the key file has characters outside the base64 set (A-Z a-z 0-9 + / =)' ;;
esac
rm -f "$MONGODB_RUN_DIR/keyfile"
printf '%s\n' "$key" > "$MONGODB_RUN_DIR/keyfile"
key=
chmod 0400 "$MONGODB_RUN_DIR/keyfile"
log "key file ready: $MONGODB_RUN_DIR/keyfile (mode 0400, $length characters)"

if [ -n "${MONGODB_TLS_SOURCE_DIR:-}" ]; then
  for file in tls.key tls.crt ca.crt; do
    [ -s "$MONGODB_TLS_SOURCE_DIR/$file" ] || die "$MONGODB_TLS_SOURCE_DIR/$file is missing or empty (has cert-manager issued the certificate?)"
  done
  grep -q 'PRIVATE KEY-----' "$MONGODB_TLS_SOURCE_DIR/tls.key" || die 'tls.key holds no PEM private key'
  grep -q 'BEGIN CERTIFICATE' "$MONGODB_TLS_SOURCE_DIR/tls.crt" || die 'tls.crt holds no PEM certificate'
  grep -q 'BEGIN CERTIFICATE' "$MONGODB_TLS_SOURCE_DIR/ca.crt" || die 'ca.crt holds no PEM certificate'
  rm -f "$MONGODB_RUN_DIR/server.pem" "$MONGODB_RUN_DIR/ca.crt"
  cat "$MONGODB_TLS_SOURCE_DIR/tls.key" "$MONGODB_TLS_SOURCE_DIR/tls.crt" > "$MONGODB_RUN_DIR/server.pem"
  chmod 0400 "$MONGODB_RUN_DIR/server.pem"
  cp "$MONGODB_TLS_SOURCE_DIR/ca.crt" "$MONGODB_RUN_DIR/ca.crt"
  chmod 0444 "$MONGODB_RUN_DIR/ca.crt"
  log "TLS ready: $MONGODB_RUN_DIR/server.pem (key + certificate, mode 0400) and $MONGODB_RUN_DIR/ca.crt"
fi
