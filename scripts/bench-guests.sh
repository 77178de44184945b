#!/usr/bin/env bash
# Runs a command with COUNT extra QEMU guests (tlvb-01 ... tlvb-COUNT) next to
# the tlv-* test guests, and removes them again whatever happens (trap): the
# host is left with exactly what it had. For scripts/bench.sh, which holds
# `flock -x /tmp/tlv-hv.lock` around it so no test runs beside the guests.
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

URI=qemu:///system
PREFIX=tlvb
IMG_DIR=/var/lib/libvirt/images/$PREFIX
SETTLE_SECS=${TLVB_SETTLE_SECS:-60}

say() { printf '[bench-guests] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
virsh_() { timeout 60 virsh -q -c "$URI" "$@"; }

[ $# -ge 2 ] || die "usage: $0 COUNT CMD [ARGS...]"
count=$1; shift
[[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -le 99 ] || die "COUNT must be 0..99"
[ "$(id -u)" -eq 0 ] || die "must run as root"

# Every guest of ours, whoever started it (an earlier run that was killed
# hard included): destroy, and remove the disks.
cleanup() {
  local d
  for d in $(virsh -q -c "$URI" list --all --name 2>/dev/null | grep "^$PREFIX-" || true); do
    virsh_ destroy "$d" >/dev/null 2>&1 || true
    virsh_ undefine "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$IMG_DIR"
}
trap 'rc=$?; cleanup; say "removed the $PREFIX-* guests"; exit $rc' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cleanup
# A guest left SIGSTOPped by a fault test would hang every stats call.
for pidf in /run/libvirt/qemu/*.pid; do
  [ -e "$pidf" ] || continue
  qpid=$(tr -dc '0-9' <"$pidf")
  if [ -n "$qpid" ] && [ "$(awk '{print $3}' "/proc/$qpid/stat" 2>/dev/null)" = T ]; then
    die "QEMU pid $qpid ($pidf) is stopped (SIGSTOP); run scripts/hypervisor-up.sh"
  fi
done

mkdir -p "$IMG_DIR"
for i in $(seq 1 "$count"); do
  n=$(printf '%02d' "$i")
  name=$PREFIX-$n
  qemu-img create -q -f qcow2 "$IMG_DIR/$name.qcow2" 64M
  xml=$(mktemp)
  cat >"$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>c0ffee00-7b00-4000-8000-0000000000$n</uuid>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <iothreads>2</iothreads>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$IMG_DIR/$name.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='ethernet'>
      <mac address='52:54:00:7b:00:$n'/>
      <target dev='tap-$name' managed='yes'/>
      <model type='virtio'/>
    </interface>
    <memballoon model='virtio'>
      <stats period='1'/>
    </memballoon>
  </devices>
</domain>
EOF
  virsh_ create "$xml" >/dev/null || { rm -f "$xml"; die "could not start $name"; }
  rm -f "$xml"
done
say "$count guests running: $(virsh -q -c "$URI" list --name | grep -c "^$PREFIX-" || true) $PREFIX-*"

# Settle: the guests' BIOS boot costs CPU for a while; wait until two
# consecutive 3 s samples of host idle CPU differ by less than 3 points.
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
start=$SECONDS prev=-100
while :; do
  cur=$(idle_pct 3)
  say "host CPU idle: $cur%"
  if [ $((cur - prev)) -lt 3 ] && [ $((prev - cur)) -lt 3 ]; then break; fi
  if [ $((SECONDS - start)) -ge "$SETTLE_SECS" ]; then say "not settled after ${SETTLE_SECS}s; going on"; break; fi
  prev=$cur
done

"$@"
