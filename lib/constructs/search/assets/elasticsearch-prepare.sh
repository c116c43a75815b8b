#!/bin/sh
# elasticsearch-prepare: builds Elasticsearch's writable config directory before the node starts
# (the `prepare` init container of lib/constructs/search/elasticsearch-cluster.ts, as uid 1000).
# The root filesystem is read-only, yet the image's entrypoint writes the keystore (the bootstrap
# password) into the config directory: the main container mounts an emptyDir there, and this
# script fills it (this container sees the same emptyDir at ES_CONFIG_TARGET and the image's own
# config directory at ES_CONFIG_SOURCE):
# - the image's config files (jvm.options, log4j2.properties, ...), then ours on top
#   (elasticsearch.yml and the jvm.options.d files, from ES_SETTINGS_DIR);
# - a new keystore, with the S3 client's access and secret keys when S3_ACCESS_KEY and
#   S3_SECRET_KEY are set (an S3-compatible server), read from stdin so they never reach argv;
# - with S3_WEB_IDENTITY=true (IRSA on EKS), the symlink the repository-s3 module reads the web
#   identity token through: it reads no file outside the config directory.
# Safe to run again in the same pod (an init container reruns when the pod restarts): every file
# is written anew. Nothing secret is printed.
# Env: ES_CONFIG_SOURCE, ES_CONFIG_TARGET, ES_SETTINGS_DIR, optional S3_CLIENT (default
# `default`), S3_ACCESS_KEY + S3_SECRET_KEY, S3_WEB_IDENTITY, AWS_WEB_IDENTITY_TOKEN_FILE.
set -eu

log() { printf '%s [elasticsearch-prepare] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}

: "${ES_CONFIG_SOURCE:?must name the image config directory}"
: "${ES_CONFIG_TARGET:?must name the writable config directory}"
: "${ES_SETTINGS_DIR:?must name the directory of our settings files}"
client=${S3_CLIENT:-default}
case $client in
  '' | *[!a-z0-9_-]*) die "S3_CLIENT '$client' must be lowercase letters, digits, '_' or '-'" ;;
esac
[ -d "$ES_CONFIG_SOURCE" ] || die "$ES_CONFIG_SOURCE is not a directory"
if [ ! -d "$ES_CONFIG_TARGET" ] || [ ! -w "$ES_CONFIG_TARGET" ]; then die "$ES_CONFIG_TARGET is not a writable directory"; fi
[ -s "$ES_SETTINGS_DIR/elasticsearch.yml" ] || die "$ES_SETTINGS_DIR/elasticsearch.yml is missing or empty"

# The image's files first, ours over them (`cp -L`: ConfigMap files are symlinks into `..data`).
cp -R "$ES_CONFIG_SOURCE/." "$ES_CONFIG_TARGET/"
mkdir -p "$ES_CONFIG_TARGET/jvm.options.d"
for file in "$ES_SETTINGS_DIR"/*; do
  name=${file##*/}
  case $name in
    elasticsearch.yml) cp -L "$file" "$ES_CONFIG_TARGET/elasticsearch.yml" ;;
    *.options) cp -L "$file" "$ES_CONFIG_TARGET/jvm.options.d/$name" ;;
    *) die "unexpected settings file $name (expected elasticsearch.yml or *.options)" ;;
  esac
done
log "config ready in $ES_CONFIG_TARGET"

ES_PATH_CONF=$ES_CONFIG_TARGET
export ES_PATH_CONF
rm -f "$ES_CONFIG_TARGET/elasticsearch.keystore"
elasticsearch-keystore create
if [ -n "${S3_ACCESS_KEY:-}" ] || [ -n "${S3_SECRET_KEY:-}" ]; then
  [ -n "${S3_ACCESS_KEY:-}" ] || die 'S3_SECRET_KEY is set but S3_ACCESS_KEY is empty; the S3 client needs both'
  [ -n "${S3_SECRET_KEY:-}" ] || die 'S3_ACCESS_KEY is set but S3_SECRET_KEY is empty; the S3 client needs both'
  printf '%s' "$S3_ACCESS_KEY" | elasticsearch-keystore add --stdin --force "s3.client.$client.access_key"
  printf '%s' "$S3_SECRET_KEY" | elasticsearch-keystore add --stdin --force "s3.client.$client.secret_key"
  log "keystore ready with the access and secret keys of S3 client '$client'"
else
  log 'keystore ready (no static S3 keys)'
fi

if [ "${S3_WEB_IDENTITY:-false}" = true ]; then
  token_file=${AWS_WEB_IDENTITY_TOKEN_FILE:-/var/run/secrets/eks.amazonaws.com/serviceaccount/token}
  mkdir -p "$ES_CONFIG_TARGET/repository-s3"
  ln -sfn "$token_file" "$ES_CONFIG_TARGET/repository-s3/aws-web-identity-token-file"
  log "web identity token linked: $ES_CONFIG_TARGET/repository-s3/aws-web-identity-token-file -> $token_file"
fi
