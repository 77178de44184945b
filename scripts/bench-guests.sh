#!/usr/bin/env bash
# Runs a command with COUNT extra QEMU guests (tlvb-01 ... tlvb-COUNT) next to
# the tlv-* test guests of the lab (scripts/lab.sh: its own libvirtd, never
# the host's), and removes them again whatever happens (trap): the lab is
# left with exactly what it had. For scripts/bench.sh, which holds
# `flock -x /tmp/tlv-hv.lock` around it so no other bench scenario runs
# beside the guests.
#
#   scripts/bench-guests.sh COUNT CMD [ARGS...]
#
# The guests are transient (virsh create: destroying one removes it) and
# shaped like testdata/qemu/tlv-run1.xml: TCG, 64 MiB, 2 vCPUs, a 64 MiB qcow2
# disk on virtio, an ethernet NIC (tap tap-tlvb-NN), a virtio balloon with
# stats, 2 iothreads; no graphics. No OS: the BIOS finds no boot disk and
# idles, while cpu, vcpu, balloon, block, net, iothread and dirtyrate stats
# are real. The command runs once every guest is running and the host's CPU
# has settled after their boot (at most TLVB_SETTLE_SECS, default 60).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB_DIR=${TLV_LAB_DIR:-/var/tmp/telegraf-libvirt-lab}
# The lab's read-write URI (TLVB_URI overrides it); the guests' disks under
# the lab's directory, which the lab's libvirtd sees at the same path.
URI=${TLVB_URI:-}
PREFIX=tlvb
IMG_DIR=$LAB_DIR/bench-images/$PREFIX
QEMU_PID_DIR=$LAB_DIR/nodes/host/run/libvirt/qemu
SETTLE_SECS=${TLVB_SETTLE_SECS:-60}
TOOL_DIR="" # build_guestxml's guestxml; removed on exit

say() { printf '[bench-guests] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
virsh_() { timeout 60 virsh -q -c "$URI" "$@"; }

# Every guest of ours, whoever started it (an earlier run that was killed
# hard included): destroy, and remove the disks.
cleanup() {
  local d
  [ -n "$URI" ] || return 0 # never the default URI: that is the host's libvirt
  for d in $(virsh -q -c "$URI" list --all --name 2>/dev/null | grep "^$PREFIX-" || true); do
    virsh_ destroy "$d" >/dev/null 2>&1 || true
    virsh_ undefine "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$IMG_DIR"
}

on_exit() {
  local rc=$?
  cleanup
  say "removed the $PREFIX-* guests"
  [ -z "$TOOL_DIR" ] || rm -rf "$TOOL_DIR"
  exit "$rc"
}

# A guest left SIGSTOPped by a fault test would hang every stats call.
refuse_stopped_qemus() {
  local pidf qpid
  for pidf in "$QEMU_PID_DIR"/*.pid; do
    [ -e "$pidf" ] || continue
    qpid=$(tr -dc '0-9' <"$pidf")
    if [ -n "$qpid" ] && [ "$(awk '{print $3}' "/proc/$qpid/stat" 2>/dev/null)" = T ]; then
      die "QEMU pid $qpid ($pidf) is stopped (SIGSTOP): resume it (kill -CONT $qpid) or restart the lab"
    fi
  done
}

# guestxml writes the guests' XML from internal/testsupport/bootguest/domain.xml.tmpl,
# the template of the tests' boot-sector guest too.
build_guestxml() {
  TOOL_DIR=$(mktemp -d)
  (cd "$REPO_DIR" && go build -o "$TOOL_DIR/guestxml" ./internal/testsupport/bootguest/guestxml)
}

start_guest() { # N: tlvb-NN, its disk, UUID and MAC end in NN
  local n=$1 name=$PREFIX-$1 xml
  qemu-img create -q -f qcow2 "$IMG_DIR/$name.qcow2" 64M
  xml=$(mktemp)
  "$TOOL_DIR/guestxml" -name "$name" -uuid "c0ffee00-7b00-4000-8000-0000000000$n" \
    -memory 64 -current-memory 64 -vcpus 2 -iothreads 2 \
    -disk "$IMG_DIR/$name.qcow2" -format qcow2 -on-reboot restart \
    -mac "52:54:00:7b:00:$n" -balloon-period 1 >"$xml"
  virsh_ create "$xml" >/dev/null || { rm -f "$xml"; die "could not start $name"; }
  rm -f "$xml"
}

cpu_ticks() { # total and idle (idle + iowait) ticks of all CPUs
  local f t=0 i
  read -r -a f </proc/stat
  for i in 1 2 3 4 5 6 7 8; do t=$((t + ${f[$i]})); done
  echo "$t $((f[4] + f[5]))"
}

idle_pct() { # host idle CPU in % over $1 seconds
  local t0 i0 t1 i1
  read -r t0 i0 < <(cpu_ticks)
  sleep "$1"
  read -r t1 i1 < <(cpu_ticks)
  echo $(( (i1 - i0) * 100 / (t1 - t0) ))
}

# Settle: the guests' BIOS boot costs CPU for a while; wait until two
# consecutive 3 s samples of host idle CPU differ by less than 3 points.
settle() {
  local start=$SECONDS prev=-100 cur
  while :; do
    cur=$(idle_pct 3)
    say "host CPU idle: $cur%"
    if [ $((cur - prev)) -lt 3 ] && [ $((prev - cur)) -lt 3 ]; then break; fi
    if [ $((SECONDS - start)) -ge "$SETTLE_SECS" ]; then say "not settled after ${SETTLE_SECS}s; going on"; break; fi
    prev=$cur
  done
}

main() {
  local count i
  [ $# -ge 2 ] || die "usage: $0 COUNT CMD [ARGS...]"
  count=$1; shift
  if ! [[ "$count" =~ ^[0-9]+$ ]] || [ "$count" -gt 99 ]; then die "COUNT must be 0..99"; fi
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  export PATH=/usr/local/go/bin:$PATH
  if [ -z "$URI" ]; then
    [ -x "$REPO_DIR/scripts/lab.sh" ] || die "scripts/lab.sh missing: the guests go into the lab's libvirtd"
    "$REPO_DIR/scripts/lab.sh" up >/dev/null
    URI=$("$REPO_DIR/scripts/lab.sh" uri rw)
  fi

  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cleanup
  refuse_stopped_qemus
  build_guestxml

  mkdir -p "$IMG_DIR"
  for i in $(seq 1 "$count"); do
    start_guest "$(printf '%02d' "$i")"
  done
  say "$count guests running: $(virsh -q -c "$URI" list --name | grep -c "^$PREFIX-" || true) $PREFIX-*"
  settle

  "$@"
}

main "$@"
