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
WAIT_SECS=${TLV_WAIT_SECS:-30}

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

# true while process PID exists, is not a zombie and is an influxd
ours() {
  local s
  s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = influxd ]
}

pid_of() { [ -r "$1/influxd.pid" ] && tr -dc '0-9' <"$1/influxd.pid"; }

# ping ADDR: true if GET /ping answers 204 (bash /dev/tcp: no curl needed)
ping_() {
  (
    exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
    printf 'GET /ping HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" >&3
    IFS= read -r -t 5 status <&3 || exit 1
    [[ $status == "HTTP/1."[01]" 204"* ]]
  ) 2>/dev/null
}

write_conf() { # dir addr
  cat >"$1/influxdb.conf" <<EOF
# written by scripts/influxdb.sh
reporting-disabled = true
# RPC (backup/restore) service: any free loopback port, so that several
# instances and the machine's own influxd (8088) never collide.
bind-address = "127.0.0.1:0"

[meta]
  dir = "$1/meta"

[data]
  dir = "$1/data"
  wal-dir = "$1/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "$2"
  auth-enabled = false
  log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false
EOF
}

start() { # dir addr
  local dir=$1 addr=$2 pid
  install_pkgs
  command -v influxd >/dev/null || die "influxd not found after installing ${PACKAGES[*]}"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if pid=$(pid_of "$dir") && [ -n "$pid" ] && ours "$pid"; then
    ping_ "$addr" || die "influxd (pid $pid, $dir) is running but $addr/ping does not answer"
    say "running (pid $pid) on http://$addr, data in $dir"
    return 0
  fi
  if ping_ "$addr"; then
    die "something else already answers on http://$addr; choose another ADDR"
  fi
  write_conf "$dir" "$addr"
  # setsid: not in the caller's process group, so ^C in a terminal or a
  # test's process-group kill does not race our stop. Inherited descriptors
  # are closed: a daemon must not keep, e.g., the caller's flock(1) lock.
  (
    for fd in "/proc/$BASHPID/fd/"*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid influxd -config "$dir/influxdb.conf"
  ) >>"$dir/influxd.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/influxd.pid"
  for _ in $(seq 1 $((WAIT_SECS * 10))); do
    if ! ours "$pid"; then
      tail -n 20 "$dir/influxd.log" >&2 || true
      rm -f "$dir/influxd.pid"
      die "influxd exited during startup (log: $dir/influxd.log)"
    fi
    if ping_ "$addr"; then
      say "started (pid $pid) on http://$addr, data in $dir"
      return 0
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/influxd.pid"
  tail -n 20 "$dir/influxd.log" >&2 || true
  die "influxd (pid $pid) did not answer http://$addr/ping within ${WAIT_SECS}s"
}

stop() { # dir
  local dir=$1 pid
  pid=$(pid_of "$dir" || true)
  if [ -z "$pid" ] || ! ours "$pid"; then
    rm -f "$dir/influxd.pid"
    say "not running ($dir)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((WAIT_SECS * 10))); do
    if ! ours "$pid"; then
      rm -f "$dir/influxd.pid"
      say "stopped (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  say "influxd (pid $pid) ignored TERM for ${WAIT_SECS}s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/influxd.pid"
}

status() { # dir addr
  local dir=$1 addr=$2 pid
  pid=$(pid_of "$dir" || true)
  if [ -z "$pid" ] || ! ours "$pid" || ! ping_ "$addr"; then say "not running ($dir, $addr)"; exit 1; fi
  say "running (pid $pid) on http://$addr"
}

main() {
  local cmd=${1:-}
  local dir=${2:-${TLV_INFLUXDB_DIR:-/tmp/tlv-influxdb}}
  local addr=${3:-${TLV_INFLUXDB_ADDR:-127.0.0.1:18086}}
  case "$cmd" in
    install) install_pkgs ;;
    start) start "$dir" "$addr" ;;
    stop) stop "$dir" ;;
    status) status "$dir" "$addr" ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
