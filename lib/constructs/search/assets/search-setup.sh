#!/bin/sh
# search-setup: applies the Elasticsearch and Kibana settings listed in CONFIG_DIR/plan, in order.
# Idempotent: every Elasticsearch step is a PUT of the whole object (Elasticsearch keeps an
# identical policy, template, role or user as it is), and a Kibana data view is created only when
# its id is missing (a view a user edited is never replaced). User passwords come from environment
# variables (Secrets) and are put again on every run, so a rotated Secret takes effect.
# Shipped by lib/constructs/search/search-setup.ts (its SearchSetup Job runs it); edit this file.
#
# Environment:
#   CONFIG_DIR          folder of the plan and the JSON bodies it names
#   ES_URL              Elasticsearch base URL, e.g. https://elasticsearch:9200
#   KIBANA_URL          Kibana base URL (needed when the plan has kibana steps)
#   ES_USERNAME         user for both (unset: no authentication)
#   ES_PASSWORD         its password (read from the environment, never put on a command line)
#   CA_FILE             CA bundle that signed the servers' certificates (unset: the system's)
#   WAIT_SECONDS        how long to wait for each server to answer (default 300)
#   <variable>          the password a putpw step names
#
# Plan lines, `<step> <target> <path> <body file>`:
#   put    es|kibana  <path>  <file>   PUT the body; 200 or 201 is success
#   create es|kibana  <path>  <file>   GET <path>/<id>, where <id> is the file name without .json:
#                                      200 = exists (left as it is), 404 = POST the body to <path>
#   putpw  es|kibana  <path>  <file>  <variable>
#                                      PUT the body with "password" set to $<variable> (a JSON object
#                                      written as by JSON.stringify(body, null, 2): its last line is `}`)
# Kibana is waited for just before its first step: it may need a user an earlier step sets up.
set -eu

log() { printf '%s [search-setup] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*"; }
die() {
  log "ERROR: $*"
  exit 1
}

[ -n "${CONFIG_DIR:-}" ] || die "environment variable CONFIG_DIR must be set and non-empty"
[ -n "${ES_URL:-}" ] || die "environment variable ES_URL must be set and non-empty"
[ -f "$CONFIG_DIR/plan" ] || die "CONFIG_DIR '$CONFIG_DIR' has no plan file"
WAIT_SECONDS=${WAIT_SECONDS:-300}
case $WAIT_SECONDS in
  '' | *[!0-9]*) die "WAIT_SECONDS is '$WAIT_SECONDS'; expected a whole number of seconds" ;;
esac

# curl's options in a file only this user reads: the password never shows in a process listing.
CURL_CONFIG=$(mktemp)
RESPONSE=$(mktemp)
SECRET_BODY=$(mktemp)
trap 'rm -f "$CURL_CONFIG" "$RESPONSE" "$SECRET_BODY"' EXIT
chmod 600 "$CURL_CONFIG" "$SECRET_BODY"
{
  echo 'silent'
  echo 'show-error'
  echo 'connect-timeout = 5'
  echo 'max-time = 60'
  if [ -n "${ES_USERNAME:-}" ]; then
    printf 'user = "%s:%s"\n' "$ES_USERNAME" "${ES_PASSWORD:-}"
  fi
  if [ -n "${CA_FILE:-}" ]; then printf 'cacert = "%s"\n' "$CA_FILE"; fi
} > "$CURL_CONFIG"

# request METHOD URL [BODY_FILE]: prints the HTTP status (000 when the server did not answer); the body goes to RESPONSE.
request() {
  if [ $# -ge 3 ]; then
    curl -K "$CURL_CONFIG" -o "$RESPONSE" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' -H 'kbn-xsrf: search-setup' \
      --data-binary "@$3" "$2" || true
  else
    curl -K "$CURL_CONFIG" -o "$RESPONSE" -w '%{http_code}' -X "$1" -H 'kbn-xsrf: search-setup' "$2" || true
  fi
}

# wait_for NAME URL: until URL answers 200, or WAIT_SECONDS pass.
wait_for() {
  deadline=$(($(date +%s) + WAIT_SECONDS))
  while :; do
    status=$(request GET "$2")
    [ "$status" = 200 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || die "$1 did not answer 200 at $2 within ${WAIT_SECONDS}s (last status $status: $(head -c 300 "$RESPONSE"))"
    log "waiting for $1 (status $status)"
    sleep 5
  done
}

base_url() {
  case $1 in
    es) printf '%s' "$ES_URL" ;;
    kibana)
      [ -n "${KIBANA_URL:-}" ] || die "the plan has a kibana step but KIBANA_URL is not set"
      printf '%s' "$KIBANA_URL"
      ;;
    *) die "plan target '$1' is not es or kibana" ;;
  esac
}

# with_password FILE VARIABLE: writes FILE's object plus "password": $VARIABLE to SECRET_BODY (mode 600).
with_password() {
  case $2 in '' | [!A-Z_]* | *[!A-Z0-9_]*) die "password variable '$2' is not an environment variable name" ;; esac
  eval "value=\${$2:-}"
  [ -n "$value" ] || die "environment variable $2 (the password of $1) must be set and non-empty"
  case $value in *[[:cntrl:]]*) die "the password in $2 has a control character; expected printable characters" ;; esac
  escaped=$(printf '%s' "$value" | sed 's/\\/\\\\/g; s/"/\\"/g')
  if [ "$(cat "$1")" = '{}' ]; then
    printf '{\n  "%s": "%s"\n}\n' password "$escaped" > "$SECRET_BODY"
    return 0
  fi
  [ "$(tail -n 1 "$1")" = '}' ] || die "$1 does not end with a line '}'; expected a JSON object as JSON.stringify(body, null, 2) writes it"
  {
    sed '$d' "$1"
    printf ',\n  "%s": "%s"\n}\n' password "$escaped"
  } > "$SECRET_BODY"
}

[ -n "${ES_USERNAME:-}" ] || ! grep -q '^putpw ' "$CONFIG_DIR/plan" || die "the plan sets passwords but ES_USERNAME is not set"
if grep -q '^[a-z]* kibana ' "$CONFIG_DIR/plan"; then
  [ -n "${KIBANA_URL:-}" ] || die "the plan has a kibana step but KIBANA_URL is not set"
fi
# Yellow is enough: a single node never places replicas, and settings need only the master.
wait_for Elasticsearch "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=5s"

applied=0
kibana_ready=false
while read -r step target path file variable; do
  case $step in '' | '#'*) continue ;; esac
  [ -f "$CONFIG_DIR/$file" ] || die "plan names $file, which is not in $CONFIG_DIR"
  url="$(base_url "$target")$path"
  if [ "$target" = kibana ] && [ "$kibana_ready" = false ]; then
    wait_for Kibana "$KIBANA_URL/api/status"
    kibana_ready=true
  fi
  case $step in
    put)
      status=$(request PUT "$url" "$CONFIG_DIR/$file")
      case $status in
        200 | 201) log "PUT $path: ok" ;;
        *) die "PUT $path answered $status: $(head -c 1000 "$RESPONSE")" ;;
      esac
      ;;
    create)
      id=${file%.json}
      status=$(request GET "$url/$id")
      case $status in
        200) log "$path/$id exists: left as it is" ;;
        404)
          status=$(request POST "$url" "$CONFIG_DIR/$file")
          case $status in
            200 | 201) log "POST $path ($id): created" ;;
            *) die "POST $path ($id) answered $status: $(head -c 1000 "$RESPONSE")" ;;
          esac
          ;;
        *) die "GET $path/$id answered $status: $(head -c 1000 "$RESPONSE")" ;;
      esac
      ;;
    putpw)
      [ -n "${variable:-}" ] || die "plan step putpw $path names no password variable"
      with_password "$CONFIG_DIR/$file" "$variable"
      status=$(request PUT "$url" "$SECRET_BODY")
      : > "$SECRET_BODY"
      case $status in
        200 | 201) log "PUT $path (password from $variable): ok" ;;
        *) die "PUT $path answered $status: $(head -c 1000 "$RESPONSE")" ;;
      esac
      ;;
    *) die "plan step '$step' is not put, putpw or create" ;;
  esac
  applied=$((applied + 1))
done < "$CONFIG_DIR/plan"
log "done: $applied steps"
