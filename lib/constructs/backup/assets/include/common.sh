# shellcheck shell=sh
umask 077
PARTIAL=
trap '[ -z "${PARTIAL:-}" ] || rm -f "$PARTIAL"' EXIT

log() { printf '%s [%s] %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$SCRIPT_NAME" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# require_env VAR...: each variable must be set and non-empty (values are never printed).
require_env() {
  for _v in "$@"; do
    eval "_val=\${$_v:-}"
    [ -n "$_val" ] || die "environment variable $_v must be set and non-empty"
  done
  _v=; _val=
}

utc_ts() { date -u '+@backup_timestamp_format@'; }

file_size() { wc -c < "$1" | tr -d ' '; }

# check_name_prefix VALUE: a backup name prefix (letters, digits, '.', '_', '-').
check_name_prefix() {
  case $1 in
    ''|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*) die "BACKUP_NAME_PREFIX '$1' is invalid: use letters, digits, '.', '_' and '-', starting with a letter or digit" ;;
  esac
}

# check_backup_name NAME EXT...: NAME must be <prefix>-YYYYMMDDTHHMMSSZ.<one of EXT>.
check_backup_name() {
  _n=$1; shift
  case $_n in
    ''|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*) die "backup file name '$_n' is invalid (letters, digits, '.', '_', '-' only)" ;;
  esac
  for _ext in "$@"; do
    _base=${_n%."$_ext"}
    [ "$_base" != "$_n" ] || continue
    case ${_base##*-} in
      [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z)
        [ -z "${_base%-*}" ] || [ "${_base%-*}" = "$_base" ] || return 0 ;;
    esac
  done
  die "backup file name '$_n' is not <prefix>-YYYYMMDDTHHMMSSZ.<$*>"
}

# check_writable_dir DIR
check_writable_dir() {
  if [ ! -d "$1" ] || [ ! -w "$1" ]; then die "BACKUP_DIR '$1' is not a writable directory"; fi
}

# read_name_file FILE: sets BACKUP_NAME to the first line of FILE.
read_name_file() {
  [ -f "$1" ] || die "$1 not found: it names the backup file to use"
  BACKUP_NAME=
  IFS= read -r BACKUP_NAME < "$1" || true
  [ -n "$BACKUP_NAME" ] || die "$1 is empty"
}

# write_name_file FILE NAME (atomically)
write_name_file() {
  printf '%s\n' "$2" > "$1.tmp"
  mv -f "$1.tmp" "$1"
}

# write_checksum DIR NAME: DIR/NAME.sha256 in sha256sum format.
write_checksum() {
  ( cd "$1" && sha256sum "$2" ) > "$1/$2.sha256.tmp" || die "sha256sum of $2 failed"
  mv -f "$1/$2.sha256.tmp" "$1/$2.sha256"
  log "wrote $2.sha256 ($(cut -c1-64 "$1/$2.sha256"))"
}

# verify_checksum DIR NAME: DIR/NAME.sha256 must name NAME and match its content.
verify_checksum() {
  [ -f "$1/$2" ] || die "backup file $1/$2 not found"
  [ -f "$1/$2.sha256" ] || die "checksum file $1/$2.sha256 not found"
  _expected=; _listed=
  read -r _expected _listed < "$1/$2.sha256" || true
  _listed=${_listed#\*}
  [ "$_listed" = "$2" ] || die "checksum file $2.sha256 is for '$_listed', not '$2'"
  case $_expected in
    *[!0-9a-f]*|'') die "checksum file $2.sha256 is malformed" ;;
  esac
  [ ${#_expected} -eq 64 ] || die "checksum file $2.sha256 is malformed"
  _actual=$(sha256sum < "$1/$2") || die "sha256sum of $2 failed"
  _actual=${_actual%% *}
  [ "$_actual" = "$_expected" ] || die "checksum mismatch for $2: the file's sha256 is $_actual but $2.sha256 says $_expected (corrupt or tampered)"
  log "sha256 OK for $2 ($_actual, $(file_size "$1/$2") bytes)"
}
