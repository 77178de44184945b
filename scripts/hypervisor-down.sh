#!/usr/bin/env bash
# Remove what scripts/hypervisor-up.sh created: the tlv-* domains named in
# testdata/qemu/*.xml (destroy + undefine) and /var/lib/libvirt/images/tlv/.
# Idempotent: fine if nothing exists or libvirtd is not running.
#
#   scripts/hypervisor-down.sh                 # domains + disks only
#   scripts/hypervisor-down.sh --stop-daemons  # ... then stop libvirtd and virtlogd
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XML_DIR="$REPO_DIR/testdata/qemu"
IMG_DIR=/var/lib/libvirt/images/tlv
URI=qemu:///system
WAIT_SECS=${TLV_WAIT_SECS:-30}

# shellcheck source=scripts/hv-lib.sh
. "$REPO_DIR/scripts/hv-lib.sh"

say() { printf '[hv-down] %s\n' "$*"; }
die() { printf '[hv-down] ERROR: %s\n' "$*" >&2; exit 1; }
virsh_() { timeout 60 virsh -q -c "$URI" "$@"; }

remove_domains() {
  local xml name state
  if [ -n "$(daemon_pid libvirtd)" ] && timeout 5 virsh -c "$URI" version >/dev/null 2>&1; then
    resume_stopped_qemus
    for xml in "$XML_DIR"/*.xml; do
      [ -e "$xml" ] || continue
      name=$(xml_name "$xml")
      case "$name" in tlv-*) ;; *) say "skipping $xml: name '$name' does not start with tlv-"; continue ;; esac
      virsh_ domuuid -- "$name" >/dev/null 2>&1 || continue
      state=$(virsh_ domstate -- "$name" 2>/dev/null | head -n 1 || true)
      if [ "$state" != "shut off" ]; then
        say "destroy '$name' (was: $state)"
        virsh_ destroy -- "$name" >/dev/null
      fi
      say "undefine '$name'"
      virsh_ undefine --managed-save --snapshots-metadata --checkpoints-metadata --nvram -- "$name" >/dev/null
    done
  else
    say "libvirtd not running: no domains to remove"
  fi
}

remove_disks() {
  if [ -d "$IMG_DIR" ]; then
    say "removing $IMG_DIR"
    rm -rf -- "$IMG_DIR"
  fi
}

stop_daemon() {
  local name=$1 pid
  pid=$(daemon_pid "$name")
  if [ -z "$pid" ]; then say "$name: not running"; return 0; fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((WAIT_SECS * 10))); do
    alive "$pid" || return 0
    sleep 0.1
  done
  die "$name (pid $pid) still running after ${WAIT_SECS}s"
}

main() {
  local a stop_daemons=0
  for a in "$@"; do
    case "$a" in
      --stop-daemons) stop_daemons=1 ;;
      -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
      *) die "unknown argument: $a (usage: $0 [--stop-daemons])" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || die "must run as root"

  remove_domains
  remove_disks
  if [ "$stop_daemons" = 1 ]; then
    # libvirtd first: it talks to virtlogd. Guests not listed in testdata/qemu
    # (if any) keep running without libvirtd.
    stop_daemon libvirtd
    stop_daemon virtlogd
  fi

  say "done"
}

main "$@"
