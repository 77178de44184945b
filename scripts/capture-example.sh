#!/usr/bin/env bash
# Capture, for the README's Example Output, what `virsh domstats` prints for
# one real QEMU domain and the plugin's line protocol for the same domain:
#
#   testdata/DOMAIN.domstats.txt   virsh -r domstats DOMAIN
#   testdata/DOMAIN.lp             telegraf-libvirt -once, domains = ["DOMAIN"]
#
#   scripts/capture-example.sh [DOMAIN]     (default: tlv-run1)
#
# Needs the hypervisor of scripts/hypervisor-up.sh. virsh runs first, the
# plugin right after, so counters in the .lp are >= those in the .txt
# (plugins/inputs/libvirt_stats/example_test.go checks the pair).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
URI=qemu:///system
DOM=${1:-tlv-run1}
BIN=$REPO_DIR/bin/telegraf-libvirt
export PATH=/usr/local/go/bin:$PATH

die() { printf '[capture] ERROR: %s\n' "$*" >&2; exit 1; }
# The name becomes a file name and a glob: keep to characters that are neither special.
[[ $DOM =~ ^[A-Za-z0-9._-]+$ ]] || die "domain name '$DOM': use letters, digits, '.', '_', '-'"

(cd "$REPO_DIR" && go build -o "$BIN" ./cmd/telegraf-libvirt)
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
printf '[[inputs.libvirt_stats]]\n  libvirt_uri = "%s"\n  domains = ["%s"]\n' "$URI" "$DOM" >"$conf"

txt=$REPO_DIR/testdata/$DOM.domstats.txt
lp=$REPO_DIR/testdata/$DOM.lp
LC_ALL=C timeout 60 virsh -r -c "$URI" domstats -- "$DOM" >"$txt.tmp" || die "virsh domstats $DOM failed"
timeout 60 "$BIN" -once -config "$conf" >"$lp.tmp" || die "telegraf-libvirt -once failed"
[ "$(wc -l <"$lp.tmp")" -eq 1 ] || die "expected one line of line protocol for $DOM, got $(wc -l <"$lp.tmp")"
mv "$txt.tmp" "$txt"
mv "$lp.tmp" "$lp"
printf '[capture] wrote %s (%d keys) and %s\n' "${txt#"$REPO_DIR"/}" "$(grep -c '^  ' "$txt")" "${lp#"$REPO_DIR"/}"
