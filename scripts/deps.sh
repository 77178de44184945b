#!/usr/bin/env bash
# Installs the Debian packages the build needs (libvirt-dev, pkg-config, gcc)
# if any is missing. Usage: scripts/deps.sh [extra packages...]
set -euo pipefail

# The packages of the arguments that are not installed, one a line.
not_installed() {
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || echo "$p"
  done
}

main() {
  local want=(libvirt-dev pkg-config gcc libc6-dev "$@") missing=() sudo=
  mapfile -t missing < <(not_installed "${want[@]}")
  [ "${#missing[@]}" -eq 0 ] && exit 0
  echo "[deps] installing: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

main "$@"
