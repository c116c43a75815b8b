# shellcheck shell=bash
# shellcheck disable=SC2154 # tool, config, uri and username are set by the stand-in that sources this file
# The part the mongodump and mongorestore stand-ins share (test/integration/mongodb-backup.test.ts):
# record argv, then check the connection the way the backup scripts must give it: the password in
# a 0600 --config file (single-quoted YAML), no credentials in the URI, authSource=admin, the user,
# and with TLS a CA file that holds a certificate. "Connecting" fails like the tools do.
# Env: STUB_ARGV_LOG, STUB_CA_LOG, STUB_DB_DIR (the "database"), STUB_USERNAME, STUB_PASSWORD_FILE.
# The caller sets `tool` and parses `config`, `uri` and `username` from its arguments.

record_argv() {
  { printf '%s' "$tool"; printf ' %q' "$@"; printf '\n'; } >> "$STUB_ARGV_LOG"
}

fail() {
  echo "$tool stand-in: $*" >&2
  exit 2
}

check_connection() {
  [ -f "$config" ] || fail 'no --config file'
  [ "$(stat -c %a "$config")" = 600 ] || fail 'the --config file is not mode 0600'
  local line pw ca
  line=$(cat "$config")
  case $line in
    "password: '"*"'") ;;
    *) fail 'the --config file holds no single-quoted password' ;;
  esac
  pw=${line#"password: '"}
  pw=${pw%"'"}
  pw=${pw//"''"/"'"}
  case $uri in
    mongodb://*@*) fail 'credentials in the URI' ;;
    mongodb://*) ;;
    *) fail 'no --uri' ;;
  esac
  case $uri in
    *authSource=admin*) ;;
    *) fail 'no authSource=admin in the URI' ;;
  esac
  case $uri in
    *tlsCAFile=*)
      ca=${uri#*tlsCAFile=}
      ca=${ca%%&*}
      grep -q 'BEGIN CERTIFICATE' "$ca" || fail "tlsCAFile $ca holds no certificate"
      echo "$ca" >> "$STUB_CA_LOG"
      ;;
  esac
  if [ ! -d "$STUB_DB_DIR" ]; then
    echo 'Failed: error connecting to db server: no reachable servers' >&2
    exit 1
  fi
  if [ "$username" != "$STUB_USERNAME" ] || [ "$pw" != "$(cat "$STUB_PASSWORD_FILE")" ]; then
    echo 'Failed: error connecting to db server: (AuthenticationFailed) Authentication failed.' >&2
    exit 1
  fi
}
