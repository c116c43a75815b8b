#!/bin/sh
# elasticsearch-ready: readiness of one Elasticsearch node (the exec readiness probe of
# lib/constructs/search/elasticsearch-cluster.ts): the node answers its own cluster health
# (`?local=true`: this node's view, so a node is ready before or without an elected master's
# answer) with HTTP 200, authenticated as `elastic`. The credentials go to curl in its config
# read from stdin, never in argv; with ES_CA_FILE the server certificate is verified against it.
# Env: ES_HEALTH_URL, ELASTIC_PASSWORD, optional ES_CA_FILE, ES_PROBE_TIMEOUT (seconds, default 4).
set -eu

: "${ES_HEALTH_URL:?must be the health URL}"
: "${ELASTIC_PASSWORD:?must be the elastic user password}"
auth=$(printf 'elastic:%s' "$ELASTIC_PASSWORD" | base64 | tr -d '\n')
code=$(printf 'header = "Authorization: Basic %s"\n' "$auth" |
  curl --silent --output /dev/null --write-out '%{http_code}' --max-time "${ES_PROBE_TIMEOUT:-4}" \
    ${ES_CA_FILE:+--cacert "$ES_CA_FILE"} --config - "$ES_HEALTH_URL") || code=000
if [ "$code" != 200 ]; then
  printf 'elasticsearch-ready: %s answered HTTP %s\n' "$ES_HEALTH_URL" "$code" >&2
  exit 1
fi
