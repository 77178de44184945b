#!/usr/bin/env bash
# A Telegraf built without cgo, with inputs.libvirt_stats compiled in, must
# refuse to start on a libvirt_stats configuration with the plugin's message
# (built without cgo, how to build with libvirt), not start and gather nothing.
#
#   scripts/nocgo-check.sh TELEGRAF_BINARY
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tg=${1:?usage: $0 TELEGRAF_BINARY}
conf=$(mktemp --suffix=.conf)
out=$(mktemp)
trap 'rm -f "$conf" "$out"' EXIT
# Every option of the plugin's sample.conf stays accepted without cgo.
sed -E 's/^  # ( *[a-z[])/  \1/' "$REPO_DIR/plugins/inputs/libvirt_stats/sample.conf" >"$conf"

if timeout 60 "$tg" --config "$conf" --test >"$out" 2>&1; then
  cat "$out" >&2
  echo "[nocgo-check] FAIL: $tg started with inputs.libvirt_stats although built without cgo" >&2
  exit 1
fi
for want in 'inputs.libvirt_stats' 'built without cgo (CGO_ENABLED=0)' 'CGO_ENABLED=1' 'libvirt-dev'; do
  if ! grep -qF -- "$want" "$out"; then
    cat "$out" >&2
    echo "[nocgo-check] FAIL: $tg's error does not say: $want" >&2
    exit 1
  fi
done
echo "[nocgo-check] ok: $(grep -m1 -F 'built without cgo' "$out")"
