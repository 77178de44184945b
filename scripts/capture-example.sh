#!/usr/bin/env bash
# Capture, for the README's Example Output, what `virsh domstats` prints for
# one real QEMU domain and the plugin's line protocol for the same domain:
#
#   testdata/DOMAIN.domstats.txt   virsh -r domstats DOMAIN
#   testdata/DOMAIN.lp             telegraf-libvirt -once, domains = ["DOMAIN"]
#
#   scripts/capture-example.sh [DOMAIN]     (default: tlv-run1)
#
# With --device, the same in the device layout with state names and the
# Nova recipe of docs/layout.md (its Example Output):
#
#   testdata/DOMAIN.device.domstats.txt, testdata/DOMAIN.device.lp
#
#   scripts/capture-example.sh --device [DOMAIN]   (default: tlv-run3)
#
# Needs the lab (make lab): its host node's guests. virsh runs first, the
# plugin right after, so counters in the .lp are >= those in the .txt
# (plugins/inputs/libvirt_stats/example_test.go checks the pair).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URI=$("$REPO_DIR/scripts/lab.sh" uri ro host)
BIN=$REPO_DIR/bin/telegraf-libvirt
export PATH=/usr/local/go/bin:$PATH
CONF="" # write_conf; removed on exit

die() { printf '[capture] ERROR: %s\n' "$*" >&2; exit 1; }

# write_conf DOMAIN DEVICE: the plugin's table for DOMAIN alone; with
# DEVICE=1 also the device layout, state names and the Nova recipe of
# docs/layout.md.
write_conf() {
  CONF=$(mktemp)
  trap 'rm -f "$CONF"' EXIT
  printf '[[inputs.libvirt_stats]]\n  libvirt_uri = "%s"\n  domains = ["%s"]\n' "$URI" "$1" >"$CONF"
  if [ "$2" = 1 ]; then
    cat >>"$CONF" <<'EOF'
  layout = "device"
  state_names = true
  [inputs.libvirt_stats.metadata_namespaces]
    nova = "http://openstack.org/xmlns/libvirt/nova/1.1"
  [inputs.libvirt_stats.metadata_tags]
    instance_name = "/domain/metadata/nova:instance/nova:name"
    flavor = "/domain/metadata/nova:instance/nova:flavor/@name"
    project = "/domain/metadata/nova:instance/nova:owner/nova:project"
    project_id = "/domain/metadata/nova:instance/nova:owner/nova:project/@uuid"
    user = "/domain/metadata/nova:instance/nova:owner/nova:user"
    user_id = "/domain/metadata/nova:instance/nova:owner/nova:user/@uuid"
EOF
  fi
}

# capture DOMAIN DEVICE SUFFIX: virsh first, the plugin right after; the
# files are replaced only when the line count is what the layout gives.
capture() {
  local dom=$1 device=$2 suffix=$3 txt lp lines
  txt=$REPO_DIR/testdata/$dom$suffix.domstats.txt
  lp=$REPO_DIR/testdata/$dom$suffix.lp
  LC_ALL=C timeout 60 virsh -r -c "$URI" domstats -- "$dom" >"$txt.tmp" || die "virsh domstats $dom failed"
  timeout 60 "$BIN" -once -config "$CONF" >"$lp.tmp" || die "telegraf-libvirt -once failed"
  # one line; in the device layout one more per disk, NIC, vCPU and iothread
  lines=$((1 + $(sed -n 's/^  \(block\|net\|vcpu\|iothread\)\.\([0-9]*\)\..*/\1.\2/p' "$txt.tmp" | sort -u | wc -l)))
  [ "$device" = 1 ] || lines=1
  [ "$(wc -l <"$lp.tmp")" -eq "$lines" ] ||
    die "expected $lines lines of line protocol for $dom, got $(wc -l <"$lp.tmp") (another client held its job? run again)"
  mv "$txt.tmp" "$txt"
  mv "$lp.tmp" "$lp"
  printf '[capture] wrote %s (%d keys) and %s\n' "${txt#"$REPO_DIR"/}" "$(grep -c '^  ' "$txt")" "${lp#"$REPO_DIR"/}"
}

main() {
  local device=0 dom suffix=""
  if [ "${1:-}" = --device ]; then device=1; shift; fi
  dom=${1:-tlv-run1}
  if [ "$device" = 1 ]; then dom=${1:-tlv-run3}; suffix=.device; fi
  # The name becomes a file name and a glob: keep to characters that are neither special.
  [[ $dom =~ ^[A-Za-z0-9._-]+$ ]] || die "domain name '$dom': use letters, digits, '.', '_', '-'"

  (cd "$REPO_DIR" && go build -tags "$(make -s --no-print-directory gotags)" -o "$BIN" ./cmd/telegraf-libvirt)
  write_conf "$dom" "$device"
  capture "$dom" "$device" "$suffix"
}

main "$@"
