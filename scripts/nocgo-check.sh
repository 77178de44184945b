#!/usr/bin/env bash
# A Telegraf built without cgo, with inputs.libvirt_stats compiled in, must
# refuse to start on a libvirt_stats configuration with the plugin's message
# (built without cgo, how to build with libvirt), not start and gather nothing.
#
#   scripts/nocgo-check.sh TELEGRAF_BINARY
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="" OUT="" # the configuration and Telegraf's output; removed on exit

fail() { # message: Telegraf's output, then why it fails the check
  cat "$OUT" >&2
  echo "[nocgo-check] FAIL: $*" >&2
  exit 1
}

main() {
  local tg=${1:?usage: $0 TELEGRAF_BINARY} want
  CONF=$(mktemp --suffix=.conf)
  OUT=$(mktemp)
  trap 'rm -f "$CONF" "$OUT"' EXIT
  # Every option of the plugin's sample.conf stays accepted without cgo.
  sed -E 's/^  # ( *[a-z[])/  \1/' "$REPO_DIR/plugins/inputs/libvirt_stats/sample.conf" >"$CONF"

  if timeout 60 "$tg" --config "$CONF" --test >"$OUT" 2>&1; then
    fail "$tg started with inputs.libvirt_stats although built without cgo"
  fi
  for want in 'inputs.libvirt_stats' 'built without cgo (CGO_ENABLED=0)' 'CGO_ENABLED=1' 'libvirt-dev'; do
    grep -qF -- "$want" "$OUT" || fail "$tg's error does not say: $want"
  done
  echo "[nocgo-check] ok: $(grep -m1 -F 'built without cgo' "$OUT")"
}

main "$@"
