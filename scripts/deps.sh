#!/usr/bin/env bash
# Installs the Debian packages the build needs (libvirt-dev, pkg-config, gcc)
# if any is missing. Usage: scripts/deps.sh [extra packages...]
set -euo pipefail
want=(libvirt-dev pkg-config gcc libc6-dev "$@")
missing=()
for p in "${want[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "[deps] installing: ${missing[*]}"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
