#!/usr/bin/env bash
# Builds Telegraf from the github.com/influxdata/telegraf module at the
# version this repository's go.mod requires, with custom build tags (only
# the plugins named are compiled in: a ~21 MB binary in a fraction of the
# time of a full build).
#
#   scripts/telegraf-build.sh stock  [OUT]   # stock Telegraf for inputs.execd -> outputs.influxdb
#                                            #   (default OUT: bin/telegraf-stock)
#   scripts/telegraf-build.sh custom [OUT]   # Telegraf with inputs.libvirt_stats compiled in
#                                            #   (default OUT: bin/telegraf-libvirt-stats)
#   scripts/telegraf-build.sh src            # prints the writable source copy (for Telegraf's
#                                            #   tools: readme_linter, readme_config_includer)
#
# Environment:
#   TELEGRAF_STOCK_TAGS   default custom,inputs.execd,parsers.influx,outputs.influxdb
#   TELEGRAF_CUSTOM_TAGS  default custom,inputs.libvirt_stats,outputs.influxdb
#   TELEGRAF_CUSTOM_MODULES  custom only: more local modules, "MODPATH=DIR ..." (require + replace)
#   TELEGRAF_CUSTOM_IMPORTS  custom only: more Go packages compiled in (one import each in a
#                         zz_extra_N.go beside libvirt_stats.go, no build tag); make bench adds its
#                         inputs.tlvbench_replay this way
#   TLV_TELEGRAF_CACHE    default .cache/telegraf (in this repository)
#   GOTAGS                this module's build tags (libvirt_dlopen), added to the
#                         custom build's; default: the Makefile's GOTAGS (`make -s gotags`)
#   CGO_ENABLED=0         custom: build as Telegraf's own `make` does, without cgo
#                         (the plugin registers, its Init says it needs cgo);
#                         cached apart, in custom-VERSION-nocgo/
#
# Cache (idempotent; delete it to start over):
#   src-VERSION/                   the module source, copied writable from the module cache
#   stock-VERSION-KEY/telegraf     stock binary, KEY = hash of tags + Go version;
#                                  reused without running the Go tool while it exists
#   custom-VERSION/                a copy of src-VERSION plus plugins/inputs/all/libvirt_stats.go
#                                  and `replace github.com/telegraf-libvirt/telegraf-libvirt => REPO`;
#                                  rebuilt on every call (Go's build cache makes an unchanged
#                                  rebuild a few seconds)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"
export PATH="/usr/local/go/bin:$PATH"

STOCK_TAGS=${TELEGRAF_STOCK_TAGS:-custom,inputs.execd,parsers.influx,outputs.influxdb}
CUSTOM_TAGS=${TELEGRAF_CUSTOM_TAGS:-custom,inputs.libvirt_stats,outputs.influxdb}
GOTAGS=${GOTAGS-$(make -s --no-print-directory -C "$REPO_DIR" gotags)}
[ -z "$GOTAGS" ] || CUSTOM_TAGS="$CUSTOM_TAGS,$GOTAGS"
CACHE=${TLV_TELEGRAF_CACHE:-$REPO_DIR/.cache/telegraf}
TELEGRAF_MOD=github.com/influxdata/telegraf
SELF_MOD=$(go list -m)
PLUGIN_PKG=$SELF_MOD/plugins/inputs/libvirt_stats

say() { printf '[telegraf-build] %s\n' "$*" >&2; }
die() { printf '[telegraf-build] ERROR: %s\n' "$*" >&2; exit 1; }

kind=${1:-}
case "$kind" in
  stock) out=${2:-bin/telegraf-stock} ;;
  custom) out=${2:-bin/telegraf-libvirt-stats} ;;
  src) out=bin/unused ;;
  *) sed -n '2,32p' "$0" >&2; exit 2 ;;
esac
case "$out" in /*) ;; *) out=$REPO_DIR/$out ;; esac
mkdir -p "$(dirname "$out")" "$CACHE"

version=$(go list -m -f '{{.Version}}' "$TELEGRAF_MOD")
[ -n "$version" ] || die "go.mod does not require $TELEGRAF_MOD"
ldflags="-s -w -X $TELEGRAF_MOD/internal.Version=${version#v}"

# ------------------------------------------------------------------ source
# The module cache is read-only: copy the module once, make it writable.
src=$CACHE/src-$version
if [ ! -f "$src/go.mod" ]; then
  moddir=$(go mod download -json "$TELEGRAF_MOD@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$moddir" ] && [ -d "$moddir" ] || die "go mod download $TELEGRAF_MOD@$version gave no directory"
  say "copying $TELEGRAF_MOD@$version source to ${src#"$REPO_DIR"/}"
  rm -rf "$src.tmp"
  cp -R "$moddir" "$src.tmp"
  chmod -R u+w "$src.tmp"
  rm -rf "$src"
  mv "$src.tmp" "$src"
fi

if [ "$kind" = src ]; then
  echo "$src"
  exit 0
fi

install_bin() { # from to: copy unless identical
  if ! cmp -s "$1" "$2"; then cp "$1" "$2.tmp" && mv -f "$2.tmp" "$2"; fi
  say "$(basename "$2"): $("$2" --version) [$3] -> ${2#"$REPO_DIR"/}"
}

# ------------------------------------------------------------------- stock
if [ "$kind" = stock ]; then
  key=$(printf '%s %s' "$STOCK_TAGS" "$(go env GOVERSION)" | sha256sum | cut -c1-12)
  dir=$CACHE/stock-$version-$key
  if [ -x "$dir/telegraf" ]; then
    say "cached: ${dir#"$REPO_DIR"/}/telegraf"
  else
    say "building stock Telegraf $version, tags $STOCK_TAGS"
    start=$(date +%s)
    mkdir -p "$dir"
    # -mod=readonly: Telegraf's own go.mod and go.sum, untouched.
    (cd "$src" && go build -mod=readonly -buildvcs=false -trimpath -tags "$STOCK_TAGS" \
      -ldflags "$ldflags" -o "$dir/telegraf.tmp" ./cmd/telegraf)
    mv "$dir/telegraf.tmp" "$dir/telegraf"
    printf 'version %s\ntags %s\ngo %s\n' "$version" "$STOCK_TAGS" "$(go env GOVERSION)" >"$dir/build-info"
    say "built in $(($(date +%s) - start))s"
  fi
  install_bin "$dir/telegraf" "$out" "$STOCK_TAGS"
  exit 0
fi

# ------------------------------------------------------------------ custom
# Exactly what a user does in their own Telegraf tree (README, "Telegraf with the plugin compiled in"):
# one file in plugins/inputs/all, a require and a replace in go.mod.
dir=$CACHE/custom-$version
[ "${CGO_ENABLED:-}" != 0 ] || dir=$dir-nocgo
if [ ! -f "$dir/go.mod" ]; then
  say "copying source to ${dir#"$REPO_DIR"/}"
  rm -rf "$dir.tmp"
  cp -R "$src" "$dir.tmp"
  mv "$dir.tmp" "$dir"
fi
# go.mod / go.sum start from Telegraf's own every time, so a change in this
# repository's requirements never leaves stale versions behind.
cp "$src/go.mod" "$src/go.sum" "$dir/"
# Extra imports of an earlier call must not stay in the next build.
rm -f "$dir"/plugins/inputs/all/zz_extra_*.go
n=0
for pkg in ${TELEGRAF_CUSTOM_IMPORTS:-}; do
  n=$((n + 1))
  printf 'package all\n\nimport _ "%s" // register plugin\n' "$pkg" >"$dir/plugins/inputs/all/zz_extra_$n.go"
done
cat >"$dir/plugins/inputs/all/libvirt_stats.go" <<EOF
//go:build !custom || inputs || inputs.libvirt_stats

package all

import _ "$PLUGIN_PKG" // register plugin
EOF
(
  cd "$dir"
  go mod edit -require="$SELF_MOD@v0.0.0-00010101000000-000000000000" -replace="$SELF_MOD=$REPO_DIR"
  for mr in ${TELEGRAF_CUSTOM_MODULES:-}; do
    go mod edit -require="${mr%%=*}@v0.0.0-00010101000000-000000000000" -replace="$mr"
  done
  say "building Telegraf $version with inputs.libvirt_stats, tags $CUSTOM_TAGS"
  start=$(date +%s)
  # -mod=mod: let the Go tool add this module's requirements (libvirt.org/go/libvirt,
  # and minimal-version-selection upgrades of shared dependencies) to the copy's go.mod.
  # The plugin logs its version (internal/version) at start; the commit
  # too, as `make build` stamps it into bin/telegraf-libvirt.
  commit=$(git -C "$REPO_DIR" describe --always --dirty --exclude='*' 2>/dev/null || true)
  go build -mod=mod -buildvcs=false -trimpath -tags "$CUSTOM_TAGS" \
    -ldflags "$ldflags -X $SELF_MOD/internal/version.Commit=$commit" -o "$dir/telegraf" ./cmd/telegraf
  say "built in $(($(date +%s) - start))s"
)
"$dir/telegraf" plugins inputs | grep -qx inputs.libvirt_stats || die "inputs.libvirt_stats is not in the built Telegraf"
install_bin "$dir/telegraf" "$out" "$CUSTOM_TAGS"
