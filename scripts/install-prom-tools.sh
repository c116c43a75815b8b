#!/usr/bin/env bash
# Installs `promtool` and `amtool` into <project>/.tools/bin without installing
# the full Debian `prometheus` packages (~330 MB with dependencies, services,
# users...). The .deb files are downloaded with `apt-get download` into a
# temporary directory, unpacked with `dpkg-deb -x`, and only the two binaries
# are copied. Both are static Go binaries, so nothing else is needed.
#
# Idempotent: a tool that is already present and answers `--version` is kept.
#
# Usage: scripts/install-prom-tools.sh            (from anywhere)
#        FORCE=1 scripts/install-prom-tools.sh    (re-install)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${ROOT}/.tools/bin"
mkdir -p "${BIN_DIR}"

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

# tool name -> Debian package that ships it
declare -A PKG_OF=([promtool]=prometheus [amtool]=prometheus-alertmanager)

missing=()
for tool in promtool amtool; do
  if [ "${FORCE:-0}" != "1" ] && works "${BIN_DIR}/${tool}"; then
    echo "${tool}: already installed at ${BIN_DIR}/${tool}"
  else
    missing+=("${tool}")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

for cmd in apt-get dpkg-deb; do
  command -v "${cmd}" >/dev/null 2>&1 || { echo "error: '${cmd}' not found; this script needs a Debian/Ubuntu host (or set PROMTOOL to an existing promtool)" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

pkgs=()
for tool in "${missing[@]}"; do pkgs+=("${PKG_OF[$tool]}"); done

cd "${TMP}"
# `apt-get download` runs as the `_apt` user when possible; make the dir writable.
chmod 0777 "${TMP}"
if ! apt-get download "${pkgs[@]}" 2>"${TMP}/download.err"; then
  echo "apt-get download failed ($(tr '\n' ' ' <"${TMP}/download.err")); running apt-get update and retrying" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
  apt-get download "${pkgs[@]}"
fi

for deb in ./*.deb; do
  dpkg-deb -x "${deb}" "${TMP}/root"
done

for tool in "${missing[@]}"; do
  src="$(find "${TMP}/root" -type f -name "${tool}" -perm -u+x | head -n 1)"
  if [ -z "${src}" ]; then
    echo "error: ${tool} not found in package ${PKG_OF[$tool]}" >&2
    exit 1
  fi
  install -m 0755 "${src}" "${BIN_DIR}/${tool}"
  if ! works "${BIN_DIR}/${tool}"; then
    echo "error: ${BIN_DIR}/${tool} was installed but does not run" >&2
    exit 1
  fi
  echo "${tool}: installed $("${BIN_DIR}/${tool}" --version 2>&1 | head -n 1) at ${BIN_DIR}/${tool}"
done
