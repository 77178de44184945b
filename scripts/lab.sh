#!/usr/bin/env bash
# The test lab: every daemon the tests need, ours alone, under one directory.
#
#   scripts/lab.sh up               start it (idempotent); prints LAB_URI=<read-only URI>
#   scripts/lab.sh down             stop it and remove what it made (the cache/ stays)
#   scripts/lab.sh uri [ro|rw] [NODE]   a node's URI (default: ro, host)
#   scripts/lab.sh exec -- CMD...   CMD in the lab's network namespace (the tests)
#   scripts/lab.sh node-exec NODE -- CMD...   CMD in a node's mount + network namespace
#   scripts/lab.sh restart-libvirtd [NODE]    stop a node's libvirtd and start it again
#   scripts/lab.sh status
#
# Layout, under $TLV_LAB_DIR (default /var/tmp/telegraf-libvirt-lab):
#   netns.pid           a process that holds the lab's network namespace (lo,
#                       bridge tlvbr0 169.254.0.1/16; no link leaves it)
#   nodes/NODE/         one libvirtd: ns.pid holds its mount namespace; run/
#                       is its /run (sockets: run/libvirt/libvirt-sock[-ro],
#                       pid files: run/libvirtd.pid, run/libvirt/qemu/*.pid)
#   cache/              what is slow to make and kept by `down`
#
# Node "host" runs this machine's libvirtd binary. In its mount namespace
# /etc, /var/lib, /var/log and /var/cache are overlays whose writes land in
# nodes/host/ov/, and /etc/libvirt, /etc/sasl2, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt and /run are the node's own empty
# directories: nothing of the host's libvirt is read or written, and a host
# libvirtd (if any) and its guests are never seen. scripts/hypervisor-up.sh
# then runs inside that namespace and sets up the test domains there.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB=${TLV_LAB_DIR:-/var/tmp/telegraf-libvirt-lab}
BRIDGE=tlvbr0
BRIDGE_ADDR=169.254.0.1/16
WAIT_SECS=${TLV_WAIT_SECS:-30}
# What the host node runs; installed (in the host's namespaces, where the
# network is) before anything starts: the lab's namespace has no way out.
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  sasl2-bin libsasl2-modules iproute2 util-linux)

# shellcheck source=scripts/hv-lib.sh
. "$REPO_DIR/scripts/hv-lib.sh"

say() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

node_dir() { echo "$LAB/nodes/$1"; }
sock() { # ro|rw NODE
  local s=libvirt-sock
  [ "$1" = ro ] && s=libvirt-sock-ro
  echo "$(node_dir "$2")/run/libvirt/$s"
}
uri() { echo "qemu+unix:///system?socket=$(sock "$1" "$2")"; }

# The pid in FILE if that process is alive, else nothing.
live_pid() {
  local pid
  [ -r "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [ -n "$pid" ] && alive "$pid" && echo "$pid"
}

netns_pid() { live_pid "$LAB/netns.pid"; }
node_ns_pid() { live_pid "$(node_dir "$1")/ns.pid"; }

# The lab's network namespace, held by a sleeping process: loopback up and
# one bridge for the guests that talk to each other. No link leaves it.
start_netns() {
  local pid
  if pid=$(netns_pid); then return 0; fi
  say "network namespace"
  (close_fds; exec unshare --net -- sleep infinity) </dev/null >/dev/null 2>&1 &
  echo $! >"$LAB/netns.pid"
  for _ in $(seq 1 50); do
    pid=$(netns_pid) && [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.1
  done
  pid=$(netns_pid) || die "the network namespace's holder did not start"
  [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
    die "the network namespace's holder ($pid) is in the host's network namespace"
  nsenter --net="/proc/$pid/ns/net" -- ip link set lo up
  nsenter --net="/proc/$pid/ns/net" -- ip link add "$BRIDGE" type bridge
  # A non-loopback address: without one getaddrinfo(AI_ADDRCONFIG) finds no
  # IPv4 at all, and libvirtd cannot listen on 127.0.0.1.
  nsenter --net="/proc/$pid/ns/net" -- ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
  nsenter --net="/proc/$pid/ns/net" -- ip link set "$BRIDGE" up
}

# Runs inside a new mount namespace (see start_node_ns): lays the node's
# directories over libvirt's fixed paths, records its pid and sleeps, so
# that the namespace lives as long as the lab.
node_ns_main() { # NODE
  local dir d
  dir=$(node_dir "$1")
  for d in etc var/lib var/log var/cache; do
    mkdir -p "$dir/ov/$d/upper" "$dir/ov/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$dir/ov/$d/upper,workdir=$dir/ov/$d/work" "/$d"
  done
  for d in etc/libvirt etc/sasl2 var/lib/libvirt var/log/libvirt var/cache/libvirt; do
    mkdir -p "$dir/state/$d" "/$d"
    mount --bind "$dir/state/$d" "/$d"
  done
  mkdir -p "$dir/run"
  mount --bind "$dir/run" /run
  echo "$BASHPID" >"$dir/ns.pid"
  exec sleep infinity
}

start_node_ns() { # NODE
  local node=$1 dir pid
  dir=$(node_dir "$node")
  if node_ns_pid "$node" >/dev/null; then return 0; fi
  mkdir -p "$dir"
  rm -f "$dir/ns.pid"
  say "node $node: mount namespace"
  (close_fds; exec nsenter --net="/proc/$(netns_pid)/ns/net" -- \
    unshare --mount --propagation private -- "$REPO_DIR/scripts/lab.sh" _node-ns "$node") \
    </dev/null >>"$LAB/lab.log" 2>&1 &
  for _ in $(seq 1 50); do
    pid=$(node_ns_pid "$node") && break
    sleep 0.1
  done
  node_ns_pid "$node" >/dev/null || die "node $node's mount namespace did not start (see $LAB/lab.log)"
}

node_exec() { # NODE CMD...
  local node=$1 pid
  shift
  pid=$(node_ns_pid "$node") || die "node $node is not up: scripts/lab.sh up"
  nsenter -t "$pid" --mount --net -- env TLV_LAB_DIR="$LAB" TLV_LAB_NODE="$node" "$@"
}

lab_exec() { # CMD...
  local pid
  pid=$(netns_pid) || die "the lab is not up: scripts/lab.sh up"
  exec nsenter --net="/proc/$pid/ns/net" -- env TLV_LAB_DIR="$LAB" "$@"
}

install_packages() {
  "$REPO_DIR/scripts/deps.sh" "${PACKAGES[@]}"
}

up() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  install_packages
  mkdir -p "$LAB/nodes" "$LAB/cache"
  start_netns
  start_node_ns host
  node_exec host "$REPO_DIR/scripts/hypervisor-up.sh" >&2
  echo "LAB_URI=$(uri ro host)"
}

# Every process of the lab ends: each node's QEMUs, libvirtd, virtlogd and
# namespace holder, then the network namespace's. Their mounts go with the
# last process of each namespace.
down() {
  local dir node pidf pid
  for dir in "$LAB"/nodes/*/; do
    [ -d "$dir" ] || continue
    node=$(basename "$dir")
    for pidf in "$dir"run/libvirt/qemu/*.pid; do
      pid=$(live_pid "$pidf") || continue
      say "node $node: stopping QEMU $pid (${pidf##*/})"
      kill -CONT "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
    done
    for pidf in "$dir"run/libvirtd.pid "$dir"run/virtlogd.pid "$dir"ns.pid; do
      pid=$(live_pid "$pidf") || continue
      say "node $node: stopping ${pidf##*/} ($pid)"
      stop_pid "$pid"
    done
  done
  if pid=$(netns_pid); then say "network namespace: stopping its holder ($pid)"; stop_pid "$pid"; fi
  if [ -d "$LAB" ]; then
    say "removing $LAB (keeping $LAB/cache)"
    find "$LAB" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf -- {} +
  fi
}

stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 $((WAIT_SECS * 10))); do
    alive "$1" || return 0
    sleep 0.1
  done
  say "pid $1 did not exit on SIGTERM: SIGKILL"
  kill -KILL "$1" 2>/dev/null || true
}

restart_libvirtd() { # NODE
  local node=${1:-host} pid
  pid=$(live_pid "$(node_dir "$node")/run/libvirtd.pid") || true
  if [ -n "$pid" ]; then
    say "node $node: stopping libvirtd ($pid)"
    stop_pid "$pid"
  fi
  node_exec "$node" "$REPO_DIR/scripts/hypervisor-up.sh" >&2
}

status() {
  local dir pid
  if pid=$(netns_pid); then echo "network namespace: holder $pid"; else echo "network namespace: down"; fi
  for dir in "$LAB"/nodes/*/; do
    [ -d "$dir" ] || continue
    printf 'node %s: ns %s, libvirtd %s, %s\n' "$(basename "$dir")" \
      "$(live_pid "$dir/ns.pid" || echo down)" "$(live_pid "$dir/run/libvirtd.pid" || echo down)" \
      "$(uri ro "$(basename "$dir")")"
  done
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) up ;;
    down) down ;;
    uri) uri "${1:-ro}" "${2:-host}" ;;
    exec) [ "${1:-}" = -- ] && shift; lab_exec "$@" ;;
    node-exec) local node=${1:?node}; shift; [ "${1:-}" = -- ] && shift; node_exec "$node" "$@" ;;
    restart-libvirtd) restart_libvirtd "${1:-host}" ;;
    status) status ;;
    _node-ns) node_ns_main "$1" ;;
    *) sed -n '2,10p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
