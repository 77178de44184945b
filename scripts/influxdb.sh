#!/usr/bin/env bash
# A throwaway InfluxDB 1.x (Debian's `influxdb` package) for the end-to-end
# tests: loopback only, data in DIR, stopped by the PID in DIR/influxd.pid.
#
#   scripts/influxdb.sh install             # apt-get influxdb influxdb-client if missing
#   scripts/influxdb.sh start [DIR] [ADDR]  # install if needed, start, wait for /ping
#   scripts/influxdb.sh stop  [DIR]         # TERM (KILL after 30 s) the PID from DIR
#   scripts/influxdb.sh status [DIR]        # exit 0 if running and answering
#
# DIR defaults to $TLV_INFLUXDB_DIR or /tmp/tlv-influxdb; ADDR (HTTP) to
# $TLV_INFLUXDB_ADDR or 127.0.0.1:18086. Idempotent: start on a running
# instance and stop on a stopped one change nothing. DIR is left in place
# (meta/, data/, wal/, influxd.log) for inspection; the caller removes it.
# The machine's own influxd (if the package started one) is not touched.
set -euo pipefail

PACKAGES=(influxdb influxdb-client)

say() { printf '[influxdb] %s\n' "$*"; }
die() { printf '[influxdb] ERROR: %s\n' "$*" >&2; exit 1; }

install_pkgs() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  # The package's postinst may try to start the system service; harmless
  # here (it listens on 8086/8088, we do not), and allowed to fail.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# start/stop/status: the Go code the end-to-end tests start their influxd
# with (internal/testsupport/influxdb), not a copy of it.
lab_influxdb() { # start|stop|status DIR ADDR
  if [ "$1" = start ]; then install_pkgs; fi
  (cd "$REPO_DIR" && go run ./internal/testsupport/influxdb/cmd/influxdb-lab "$@")
}

main() {
  local cmd=${1:-}
  local dir=${2:-${TLV_INFLUXDB_DIR:-/tmp/tlv-influxdb}}
  local addr=${3:-${TLV_INFLUXDB_ADDR:-127.0.0.1:18086}}
  case "$cmd" in
    install) install_pkgs ;;
    start|stop|status) lab_influxdb "$cmd" "$dir" "$addr" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
