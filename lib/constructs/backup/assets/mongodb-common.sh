# shellcheck shell=bash
# shellcheck disable=SC2154 # BACKUP_NAME, MONGODB_OPLOG and the *_FILE names are set before this part (see below)
# Rendered from lib/constructs/backup/assets/mongodb-common.sh at synth (includes and values filled in); edit that file, not this copy.
# mongodb-common: the part every MongoDB backup script shares. lib/constructs/backup/mongodb-backup-engine.ts
# puts it after the helpers of include/common.sh (backupScript) and the engine's settings
# (MONGODB_OPLOG, MONGODB_BACKUP_EXTENSION, LATEST_NAME_FILE, RESTORE_NAME_FILE), and before the
# script's own part.
#
# The connection comes from the environment (MongoDatabase.backupSource() gives it):
#   MONGODB_HOSTS        host:port[,host:port...] (the replica set's members)
#   MONGODB_USERNAME     a user with the roles backup and restore
#   MONGODB_PASSWORD     its password
#   MONGODB_REPLICA_SET  optional: the replica set name
#   MONGODB_AUTH_SOURCE  optional, default admin
#   MONGODB_TLS          optional: true to require TLS (the system CAs verify the servers)
#   MONGODB_TLS_CA_PEM   optional: the CA certificate (PEM) that verifies the servers (implies TLS)
# The password reaches mongodump and mongorestore in a --config file of their own (mode 0600 in a
# private directory, removed on exit), never on a command line, in the URI or in a log line.

MONGODB_PRIVATE_DIR=
trap '[ -z "${PARTIAL:-}" ] || rm -f "$PARTIAL"; [ -z "${MONGODB_PRIVATE_DIR:-}" ] || rm -rf "$MONGODB_PRIVATE_DIR"' EXIT

# mongodb_connect: checks the connection settings and prepares the URI (no credentials) and the tools' config file.
mongodb_connect() {
  require_env MONGODB_HOSTS MONGODB_USERNAME MONGODB_PASSWORD
  case $MONGODB_HOSTS in
    *[!A-Za-z0-9.:,_-]*) die "MONGODB_HOSTS '$MONGODB_HOSTS' is invalid: expected host:port[,host:port...]" ;;
  esac
  case $MONGODB_USERNAME in
    *[!A-Za-z0-9._-]*) die "MONGODB_USERNAME '$MONGODB_USERNAME' is invalid: expected letters, digits, '.', '_' and '-'" ;;
  esac
  case $MONGODB_PASSWORD in
    *"
"*) die 'MONGODB_PASSWORD contains a line break, which the tools config file cannot carry' ;;
  esac
  MONGODB_PRIVATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mongodb-tools.XXXXXX") || die "cannot create a private directory under ${TMPDIR:-/tmp}"
  chmod 0700 "$MONGODB_PRIVATE_DIR"
  MONGODB_TOOL_CONFIG="$MONGODB_PRIVATE_DIR/tools.yaml"
  # YAML single-quoted scalar: every character stands for itself, a quote is written twice.
  printf "%s: '%s'\n" password "${MONGODB_PASSWORD//\'/\'\'}" > "$MONGODB_TOOL_CONFIG"
  chmod 0600 "$MONGODB_TOOL_CONFIG"

  local options="authSource=${MONGODB_AUTH_SOURCE:-admin}"
  if [ -n "${MONGODB_REPLICA_SET:-}" ]; then options="$options&replicaSet=$MONGODB_REPLICA_SET"; fi
  if [ -n "${MONGODB_TLS_CA_PEM:-}" ]; then
    printf '%s\n' "$MONGODB_TLS_CA_PEM" > "$MONGODB_PRIVATE_DIR/ca.pem"
    grep -q 'BEGIN CERTIFICATE' "$MONGODB_PRIVATE_DIR/ca.pem" || die 'MONGODB_TLS_CA_PEM holds no PEM certificate'
    options="$options&tls=true&tlsCAFile=$MONGODB_PRIVATE_DIR/ca.pem"
  elif [ "${MONGODB_TLS:-false}" = true ]; then
    options="$options&tls=true"
  fi
  MONGODB_URI="mongodb://$MONGODB_HOSTS/?$options"

  # --oplog on the dump, --oplogReplay on the restore (and its dry run): see mongodb-backup-engine.ts.
  MONGODB_DUMP_OPTIONS=()
  MONGODB_REPLAY_OPTIONS=()
  if [ "$MONGODB_OPLOG" = yes ]; then
    MONGODB_DUMP_OPTIONS=(--oplog)
    MONGODB_REPLAY_OPTIONS=(--oplogReplay)
  fi
}

# mongodb_tool TOOL ARG...: mongodump or mongorestore with the connection (password from the config file).
mongodb_tool() {
  local tool=$1
  shift
  "$tool" --config="$MONGODB_TOOL_CONFIG" --uri="$MONGODB_URI" --username="$MONGODB_USERNAME" "$@"
}

# mongodb_verify_archive FILE WHAT: the gzip stream is whole (its CRC), and mongorestore reads the
# archive in a dry run, with --oplogReplay when dumps carry the oplog (an archive without one fails).
mongodb_verify_archive() {
  gzip -t "$1" 2> /dev/null || die "$2 is not a whole gzip stream (truncated or corrupt)"
  mongodb_tool mongorestore --archive="$1" --gzip --dryRun "${MONGODB_REPLAY_OPTIONS[@]}" --quiet || die "mongorestore --dryRun rejected $2"
  log "verified $2: whole gzip stream, read by mongorestore --dryRun ${MONGODB_REPLAY_OPTIONS[*]}"
}

# mongodb_dump_to DIR NAME: a verified dump of the whole instance as DIR/NAME, with its .sha256.
mongodb_dump_to() {
  [ ! -e "$1/$2" ] || die "$1/$2 already exists"
  PARTIAL="$1/.$2.partial"
  log "mongodump --archive --gzip ${MONGODB_DUMP_OPTIONS[*]} of $MONGODB_HOSTS -> $1/$2"
  mongodb_tool mongodump --archive="$PARTIAL" --gzip "${MONGODB_DUMP_OPTIONS[@]}" --quiet || die 'mongodump failed'
  mongodb_verify_archive "$PARTIAL" 'the dump'
  mv -f "$PARTIAL" "$1/$2"
  PARTIAL=
  write_checksum "$1" "$2"
}

# mongodb_downloaded: the dump named in $RESTORE_NAME_FILE, verified (name, checksum, archive) BEFORE
# anything touches the database; sets DUMP_NAME.
mongodb_downloaded() {
  read_name_file "$BACKUP_DIR/$RESTORE_NAME_FILE"
  DUMP_NAME=$BACKUP_NAME
  check_backup_name "$DUMP_NAME" "$MONGODB_BACKUP_EXTENSION"
  verify_checksum "$BACKUP_DIR" "$DUMP_NAME"
  mongodb_verify_archive "$BACKUP_DIR/$DUMP_NAME" "$DUMP_NAME"
}
