#!/usr/bin/env bash
# The test lab: every daemon the tests need, ours alone, under one directory.
#
#   scripts/lab.sh up               start it (idempotent); prints LAB_URI=<read-only URI>
#   scripts/lab.sh down             stop it and remove what it made (the cache/ stays)
#   scripts/lab.sh uri [ro|rw] [NODE]   a node's URI (default: ro, host)
#   scripts/lab.sh exec -- CMD...   CMD in the lab's network namespace (the tests)
#   scripts/lab.sh node-exec NODE -- CMD...   CMD in a node's mount + network namespace
#   scripts/lab.sh restart-libvirtd [NODE]    stop a node's libvirtd and start it again
#   scripts/lab.sh up-roots [NODE...]         start the root nodes (default: all; see below)
#   scripts/lab.sh root-nodes                 the root nodes, one "NODE SUITE ROOT" a line
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
#
# Root nodes (v7.0, v11.3, v12.8) run the libvirtd and QEMU of a Debian root
# of scripts/roots.sh (bullseye, trixie, sid): in the node's mount namespace
# the root is bind-mounted on itself, the node's state directories over its
# /etc/libvirt, /var/{lib,log,cache}/libvirt and /run, the lab's directory at
# its own path inside it, and virtlogd and libvirtd start chrooted there.
# Each has three guests of internal/testsupport/bootguest's XML, named after
# the node: NODE-run (running; a qcow2 overlay on a base image, a NIC, two
# iothreads, balloon stats), NODE-paused and NODE-off (defined, shut off);
# and one Linux guest of internal/testsupport/linuxguest, tlvl-NODE with
# the dots as dashes (tlvl-v7-0), that pings the bridge's address.
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

# The pid in FILE if that process is alive and its command name starts
# with COMM (when given), else nothing. A pid file can outlive its process
# (a killed lab, a rebooted machine) and its pid be reused by another one:
# never signal or enter a process only by a number read from a file.
live_pid() { # FILE [COMM]
  local pid comm
  [ -r "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [ -n "$pid" ] && alive "$pid" || return 1
  if [ -n "${2:-}" ]; then
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    case "$comm" in "$2"*) ;; *) return 1 ;; esac
  fi
  echo "$pid"
}

# The holders are `sleep infinity` in a namespace other than ours.
holder_pid() { # FILE NS
  local pid
  pid=$(live_pid "$1" sleep) || return 1
  [ "$(readlink "/proc/$pid/ns/$2")" != "$(readlink "/proc/self/ns/$2")" ] || return 1
  echo "$pid"
}
netns_pid() { holder_pid "$LAB/netns.pid" net; }
node_ns_pid() { holder_pid "$(node_dir "$1")/ns.pid" mnt; }

# Every holder runs in a session of its own (setsid): a test that starts the
# lab and then kills its own process group must not take the lab with it.
#
# The lab's network namespace, held by a sleeping process: loopback up and
# one bridge for the guests that talk to each other. No link leaves it.
start_netns() {
  local pid
  if pid=$(netns_pid); then return 0; fi
  say "network namespace"
  (close_fds; exec setsid unshare --net -- sleep infinity) </dev/null >/dev/null 2>&1 &
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

# A node's mount namespace, made by `lab.sh _node-ns NODE` (the host's
# libvirt) or `lab.sh _root-ns NODE ROOT` (a root's), unless it is up.
start_node_ns() { # NODE [ROOT]
  local node=$1 dir pid main=(_node-ns "$1")
  [ $# -gt 1 ] && main=(_root-ns "$1" "$2")
  dir=$(node_dir "$node")
  if node_ns_pid "$node" >/dev/null; then return 0; fi
  mkdir -p "$dir"
  rm -f "$dir/ns.pid"
  say "node $node: mount namespace${2:+ over $2}"
  (close_fds; exec setsid nsenter --net="/proc/$(netns_pid)/ns/net" -- \
    unshare --mount --propagation private -- "$REPO_DIR/scripts/lab.sh" "${main[@]}") \
    </dev/null >>"$LAB/lab.log" 2>&1 &
  for _ in $(seq 1 50); do
    pid=$(node_ns_pid "$node") && break
    sleep 0.1
  done
  node_ns_pid "$node" >/dev/null || die "node $node's mount namespace did not start (see $LAB/lab.log)"
}

# The root nodes and their Debian suites (scripts/roots.sh).
ROOT_NODES=(v7.0:bullseye v11.3:trixie v12.8:sid)

root_suite() { # NODE
  local e
  for e in "${ROOT_NODES[@]}"; do
    [ "${e%%:*}" = "$1" ] && { echo "${e#*:}"; return 0; }
  done
  die "unknown root node '$1' (valid: ${ROOT_NODES[*]%%:*})"
}

# Runs inside a new mount namespace (see start_root_node): the root with
# the node's directories over libvirt's paths, /proc, /sys and /dev, and
# the lab's directory at the same path; then holds the namespace.
root_ns_main() { # NODE ROOT
  local dir root=$2 d
  dir=$(node_dir "$1")
  mount --bind "$root" "$root"
  for d in etc/libvirt var/lib/libvirt var/log/libvirt var/cache/libvirt; do
    mkdir -p "$dir/state/$d" "$root/$d"
    mount --bind "$dir/state/$d" "$root/$d"
  done
  mkdir -p "$dir/run" "$root$LAB"
  mount --bind "$dir/run" "$root/run"
  mount --bind "$LAB" "$root$LAB"
  mount -t proc proc "$root/proc"
  # /sys with its cgroup mounts: libvirt puts each guest in a cgroup of its
  # own (machine/qemu-N-NAME.libvirt-qemu; guest names differ per node).
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  echo "$BASHPID" >"$dir/ns.pid"
  exec sleep infinity
}

# In the root (chrooted, in the node's namespaces): qemu.conf as the host
# node's (guests as root, no relabelling), virtlogd and libvirtd unless
# running, then the guests unless defined. Idempotent.
# shellcheck disable=SC2016 # expanded by the root's shell
ROOT_SETUP='
node=$1 wait=$2 xml_run=$3 xml_paused=$4 xml_off=$5
img=/var/lib/libvirt/images/tlvm
mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu /var/log/libvirt "$img"
printf "user = \"root\"\ngroup = \"root\"\ndynamic_ownership = 0\nsecurity_driver = \"none\"\n" >/etc/libvirt/qemu.conf
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
export LIBVIRT_LOG_OUTPUTS
running /run/virtlogd.pid || LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/virtlogd.log" virtlogd -d
running /run/libvirtd.pid || LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d
unset LIBVIRT_LOG_OUTPUTS
i=0
until [ -S /run/libvirt/libvirt-sock ] && virsh -q -c qemu:///system version >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -le $((wait * 10)) ] || { echo "libvirtd did not answer"; tail -20 /var/log/libvirt/libvirtd.log; exit 1; }
  sleep 0.1
done
v() { virsh -q -c qemu:///system "$@"; }
[ -f "$img/base.qcow2" ] || qemu-img create -q -f qcow2 "$img/base.qcow2" 64M
for g in run paused off; do
  case $g in
    run) [ -f "$img/$node-run.qcow2" ] || qemu-img create -q -f qcow2 -F qcow2 -b "$img/base.qcow2" "$img/$node-run.qcow2" ;;
    *) [ -f "$img/$node-$g.qcow2" ] || qemu-img create -q -f qcow2 "$img/$node-$g.qcow2" 64M ;;
  esac
done
v dominfo "$node-off" >/dev/null 2>&1 || v define "$xml_off" >/dev/null
state() { v domstate "$1" 2>/dev/null || true; }
case $(state "$node-run") in running | paused) ;; *) v create "$xml_run" >/dev/null ;; esac
case $(state "$node-paused") in running | paused) ;; *) v create "$xml_paused" --paused >/dev/null ;; esac
[ "$(v domstate "$node-paused")" = paused ] || v suspend "$node-paused" >/dev/null
v list --all
'

# A root node: its namespace, daemons and guests; the root is built if it
# is not (scripts/roots.sh, in the host's network: the lab's has none).
start_root_node() { # NODE
  local node=$1 suite root dir xml
  suite=$(root_suite "$node")
  "$REPO_DIR/scripts/roots.sh" build "$suite" >/dev/null
  root=$("$REPO_DIR/scripts/roots.sh" path "$suite")
  dir=$(node_dir "$node")
  start_node_ns "$node" "$root"
  # The guests' XML, written where the root sees it (the lab's directory).
  xml=$dir/xml
  mkdir -p "$xml"
  guest_xml -name "$node-run" -memory 64 -current-memory 48 -vcpus 2 -iothreads 2 \
    -disk "/var/lib/libvirt/images/tlvm/$node-run.qcow2" -format qcow2 -mac 52:54:00:7e:00:01 \
    -balloon-period 1 >"$xml/run.xml"
  guest_xml -name "$node-paused" -memory 32 -vcpus 1 \
    -disk "/var/lib/libvirt/images/tlvm/$node-paused.qcow2" -format qcow2 >"$xml/paused.xml"
  guest_xml -name "$node-off" -memory 32 -vcpus 1 \
    -disk "/var/lib/libvirt/images/tlvm/$node-off.qcow2" -format qcow2 >"$xml/off.xml"
  # shellcheck disable=SC2016 # dpkg-query's format
  say "node $node: libvirtd of $suite ($(chroot "$root" dpkg-query -W -f='${Version}' libvirt-daemon)) and its guests"
  (close_fds; node_exec "$node" chroot "$root" /bin/sh -ec "$ROOT_SETUP" sh "$node" "$WAIT_SECS" \
    "$xml/run.xml" "$xml/paused.xml" "$xml/off.xml") </dev/null >&2
  # Its Linux guest (tlvl-NODE, dots as dashes), after the boot-sector
  # ones: the kernel, initramfs and disk are in the lab's directory, which
  # the root sees at the same path.
  linux_guests "$node"
  echo "LAB_URI_$node=$(uri ro "$node")"
}

# A node's Linux guests (internal/testsupport/linuxguest), defined and
# started through its read-write socket unless they run already.
linux_guests() { # NODE
  (cd "$REPO_DIR" && go run ./internal/testsupport/linuxguest/cmd/linuxguest -node "$1" \
    -cache "$LAB/cache/linuxguest" -images "$LAB/images" -uri "$(uri rw "$1")") </dev/null >&2
}

# bootguest's guestxml command, built once into the lab's cache.
guest_xml() { # guestxml flags...
  local bin=$LAB/cache/bin/guestxml
  if [ ! -x "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    (cd "$REPO_DIR" && go build -o "$bin" ./internal/testsupport/bootguest/guestxml)
  fi
  "$bin" "$@"
}

up_roots() { # [NODE...]
  local node suites
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  if [ "$#" -eq 0 ]; then set -- "${ROOT_NODES[@]%%:*}"; fi
  mkdir -p "$LAB/nodes" "$LAB/cache"
  # The missing roots first, all at once (scripts/roots.sh builds them in parallel).
  suites=()
  for node in "$@"; do suites+=("$(root_suite "$node")"); done
  "$REPO_DIR/scripts/roots.sh" build "${suites[@]}" >/dev/null
  start_netns
  for node in "$@"; do start_root_node "$node"; done
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
  # The Linux guests (tlvl-linux1, tlvl-linux2): kernel and initramfs from
  # Debian's packages, built once into cache/; they reach the lab through
  # its read-write socket.
  linux_guests host
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
      pid=$(live_pid "$pidf" qemu) || continue
      say "node $node: stopping QEMU $pid (${pidf##*/})"
      kill -CONT "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
    done
    for pidf in "$dir"run/libvirtd.pid "$dir"run/virtlogd.pid; do
      pid=$(live_pid "$pidf" "$(basename "$pidf" .pid)") || continue
      say "node $node: stopping ${pidf##*/} ($pid)"
      stop_pid "$pid"
    done
    if pid=$(node_ns_pid "$node"); then say "node $node: stopping its namespace's holder ($pid)"; stop_pid "$pid"; fi
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
  pid=$(live_pid "$(node_dir "$node")/run/libvirtd.pid" libvirtd) || true
  if [ -n "$pid" ]; then
    say "node $node: stopping libvirtd ($pid)"
    stop_pid "$pid"
  fi
  case " ${ROOT_NODES[*]%%:*} " in
    *" $node "*) start_root_node "$node" >/dev/null ;;
    *) node_exec "$node" "$REPO_DIR/scripts/hypervisor-up.sh" >&2 ;;
  esac
}

status() {
  local dir pid
  if pid=$(netns_pid); then echo "network namespace: holder $pid"; else echo "network namespace: down"; fi
  for dir in "$LAB"/nodes/*/; do
    [ -d "$dir" ] || continue
    printf 'node %s: ns %s, libvirtd %s, %s\n' "$(basename "$dir")" \
      "$(node_ns_pid "$(basename "$dir")" || echo down)" "$(live_pid "$dir/run/libvirtd.pid" libvirtd || echo down)" \
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
    up-roots) up_roots "$@" ;;
    root-nodes)
      local e
      for e in "${ROOT_NODES[@]}"; do echo "${e%%:*} ${e#*:} $("$REPO_DIR/scripts/roots.sh" path "${e#*:}")"; done
      ;;
    status) status ;;
    _node-ns) node_ns_main "$1" ;;
    _root-ns) root_ns_main "$1" "$2" ;;
    *) sed -n '2,10p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
