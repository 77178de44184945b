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
#   (custom, with cgo: built inside the build root of scripts/roots.sh, glibc 2.31)
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
TELEGRAF_MOD=github.com/influxdata/telegraf

# Set by setup and copy_source, read by the builds.
STOCK_TAGS="" CUSTOM_TAGS="" CACHE="" SELF_MOD="" PLUGIN_PKG=""
VERSION="" LDFLAGS="" # Telegraf's module version; its -ldflags
SRC=""                # the writable copy of Telegraf's source

say() { printf '[telegraf-build] %s\n' "$*" >&2; }
die() { printf '[telegraf-build] ERROR: %s\n' "$*" >&2; exit 1; }

setup() {
  STOCK_TAGS=${TELEGRAF_STOCK_TAGS:-custom,inputs.execd,parsers.influx,outputs.influxdb}
  CUSTOM_TAGS=${TELEGRAF_CUSTOM_TAGS:-custom,inputs.libvirt_stats,outputs.influxdb}
  GOTAGS=${GOTAGS-$(make -s --no-print-directory -C "$REPO_DIR" gotags)}
  [ -z "$GOTAGS" ] || CUSTOM_TAGS="$CUSTOM_TAGS,$GOTAGS"
  CACHE=${TLV_TELEGRAF_CACHE:-$REPO_DIR/.cache/telegraf}
  SELF_MOD=$(go list -m)
  PLUGIN_PKG=$SELF_MOD/plugins/inputs/libvirt_stats
}

# The module cache is read-only: copy the module once, make it writable.
copy_source() {
  local moddir
  VERSION=$(go list -m -f '{{.Version}}' "$TELEGRAF_MOD")
  [ -n "$VERSION" ] || die "go.mod does not require $TELEGRAF_MOD"
  LDFLAGS="-s -w -X $TELEGRAF_MOD/internal.Version=${VERSION#v}"
  SRC=$CACHE/src-$VERSION
  if [ ! -f "$SRC/go.mod" ]; then
    moddir=$(go mod download -json "$TELEGRAF_MOD@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    if [ -z "$moddir" ] || [ ! -d "$moddir" ]; then die "go mod download $TELEGRAF_MOD@$VERSION gave no directory"; fi
    say "copying $TELEGRAF_MOD@$VERSION source to ${SRC#"$REPO_DIR"/}"
    rm -rf "$SRC.tmp"
    cp -R "$moddir" "$SRC.tmp"
    chmod -R u+w "$SRC.tmp"
    rm -rf "$SRC"
    mv "$SRC.tmp" "$SRC"
  fi
}

install_bin() { # from to tags: copy unless identical
  if ! cmp -s "$1" "$2"; then cp "$1" "$2.tmp" && mv -f "$2.tmp" "$2"; fi
  say "$(basename "$2"): $("$2" --version) [$3] -> ${2#"$REPO_DIR"/}"
}

build_stock() { # out
  local key dir start
  key=$(printf '%s %s' "$STOCK_TAGS" "$(go env GOVERSION)" | sha256sum | cut -c1-12)
  dir=$CACHE/stock-$VERSION-$key
  if [ -x "$dir/telegraf" ]; then
    say "cached: ${dir#"$REPO_DIR"/}/telegraf"
  else
    say "building stock Telegraf $VERSION, tags $STOCK_TAGS"
    start=$(date +%s)
    mkdir -p "$dir"
    # -mod=readonly: Telegraf's own go.mod and go.sum, untouched.
    (cd "$SRC" && go build -mod=readonly -buildvcs=false -trimpath -tags "$STOCK_TAGS" \
      -ldflags "$LDFLAGS" -o "$dir/telegraf.tmp" ./cmd/telegraf)
    mv "$dir/telegraf.tmp" "$dir/telegraf"
    printf 'version %s\ntags %s\ngo %s\n' "$VERSION" "$STOCK_TAGS" "$(go env GOVERSION)" >"$dir/build-info"
    say "built in $(($(date +%s) - start))s"
  fi
  install_bin "$dir/telegraf" "$1" "$STOCK_TAGS"
}

# Exactly what a user does in their own Telegraf tree (README, "Telegraf with the plugin compiled in"):
# one file in plugins/inputs/all, a require and a replace in go.mod.
build_custom() { # out
  local dir n pkg
  dir=$CACHE/custom-$VERSION
  [ "${CGO_ENABLED:-}" != 0 ] || dir=$dir-nocgo
  if [ ! -f "$dir/go.mod" ]; then
    say "copying source to ${dir#"$REPO_DIR"/}"
    rm -rf "$dir.tmp"
    cp -R "$SRC" "$dir.tmp"
    mv "$dir.tmp" "$dir"
  fi
  # go.mod / go.sum start from Telegraf's own every time, so a change in this
  # repository's requirements never leaves stale versions behind.
  cp "$SRC/go.mod" "$SRC/go.sum" "$dir/"
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
  (cd "$dir" && build_in_copy "$dir")
  "$dir/telegraf" plugins inputs | grep -qx inputs.libvirt_stats || die "inputs.libvirt_stats is not in the built Telegraf"
  install_bin "$dir/telegraf" "$1" "$CUSTOM_TAGS"
}

# In the custom copy DIR (the current directory): this module, and those of
# TELEGRAF_CUSTOM_MODULES, required and replaced by their directories; then
# the build.
build_in_copy() { # dir
  local mr start commit gocmd=(go)
  go mod edit -require="$SELF_MOD@v0.0.0-00010101000000-000000000000" -replace="$SELF_MOD=$REPO_DIR"
  for mr in ${TELEGRAF_CUSTOM_MODULES:-}; do
    go mod edit -require="${mr%%=*}@v0.0.0-00010101000000-000000000000" -replace="$mr"
  done
  say "building Telegraf $VERSION with inputs.libvirt_stats, tags $CUSTOM_TAGS"
  start=$(date +%s)
  # -mod=mod: let the Go tool add this module's requirements (libvirt.org/go/libvirt,
  # and minimal-version-selection upgrades of shared dependencies) to the copy's go.mod.
  # The plugin logs its version (internal/version) at start; the commit
  # too, as `make build` stamps it into bin/telegraf-libvirt.
  commit=$(git -C "$REPO_DIR" describe --always --dirty --exclude='*' 2>/dev/null || true)
  # With cgo, in the build root (scripts/roots.sh: Debian 11, glibc 2.31) as
  # `make build` builds bin/telegraf-libvirt, so this Telegraf starts on the
  # same systems; without cgo nothing links against glibc: the host's Go.
  [ "${CGO_ENABLED:-}" = 0 ] || gocmd=("$REPO_DIR/scripts/roots.sh" go --)
  "${gocmd[@]}" build -mod=mod -buildvcs=false -trimpath -tags "$CUSTOM_TAGS" \
    -ldflags "$LDFLAGS -X $SELF_MOD/internal/version.Commit=$commit" -o "$1/telegraf" ./cmd/telegraf
  say "built in $(($(date +%s) - start))s"
}

main() {
  local kind=${1:-} out
  cd "$REPO_DIR"
  export PATH="/usr/local/go/bin:$PATH"
  setup
  case "$kind" in
    stock) out=${2:-bin/telegraf-stock} ;;
    custom) out=${2:-bin/telegraf-libvirt-stats} ;;
    src) out=bin/unused ;;
    *) sed -n '2,32p' "$0" >&2; exit 2 ;;
  esac
  case "$out" in /*) ;; *) out=$REPO_DIR/$out ;; esac
  mkdir -p "$(dirname "$out")" "$CACHE"

  copy_source
  case "$kind" in
    src) echo "$SRC" ;;
    stock) build_stock "$out" ;;
    custom) build_custom "$out" ;;
  esac
}

main "$@"
