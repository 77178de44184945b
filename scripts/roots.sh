#!/usr/bin/env bash
# Debian roots for the version matrix and the release build, made with
# debootstrap from the registry this machine's apt already uses, and cached:
# built once per machine, rebuilt only when the package list changes.
#
#   scripts/roots.sh build [SUITE...]     # build the missing or stale roots (default: all),
#                                         #   in parallel; prints ROOT_SUITE=DIR for each
#   scripts/roots.sh path SUITE           # the root's directory (built or not)
#   scripts/roots.sh run SUITE -- CMD...  # CMD chrooted in the root, /proc, /dev and /sys
#                                         #   mounted in a mount namespace of its own (gone after)
#   scripts/roots.sh go -- ARGS...        # `go ARGS...` in the current directory inside the
#                                         #   build root (bullseye: glibc 2.31), Go, its caches
#                                         #   and this repository bind-mounted in
#
# Suites: bullseye (libvirt 7.0, QEMU 5.2, glibc 2.31; also the build root:
# gcc, libvirt-dev), trixie (libvirt 11.3, QEMU 10.0), sid (libvirt 12.8,
# QEMU 11.1).
#
# Cache: ${TLV_LAB_DIR:-/var/tmp/telegraf-libvirt-lab}/cache/roots/SUITE, its
# stamp file .tlv-root (suite, mirror, packages) and the build's log
# SUITE.log beside it. Delete a root's directory to start it over.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB_DIR=${TLV_LAB_DIR:-/var/tmp/telegraf-libvirt-lab}
ROOTS_DIR=$LAB_DIR/cache/roots
SUITES=(bullseye trixie sid)
BUILD_SUITE=bullseye
STAMP=.tlv-root
# What every root runs: a libvirtd with the QEMU driver, and virsh.
BASE_PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils)
# The build root compiles cgo against its glibc and libvirt headers.
BUILD_PKGS=(gcc libc6-dev libvirt-dev pkg-config)

say() { printf '[roots] %s\n' "$*" >&2; }
die() { printf '[roots] ERROR: %s\n' "$*" >&2; exit 1; }

root_dir() { echo "$ROOTS_DIR/$1"; }

known_suite() { # suite
  local s
  for s in "${SUITES[@]}"; do [ "$s" = "$1" ] && return 0; done
  die "unknown suite '$1' (valid: ${SUITES[*]})"
}

# The Debian mirror of this machine's apt sources (deb822 or one-line form).
mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\1/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  [ -n "$uri" ] || die "no Debian mirror in /etc/apt/sources.list*"
  echo "$uri"
}

packages() { # suite: the packages installed in that root, one a line
  printf '%s\n' "${BASE_PKGS[@]}"
  [ "$1" != "$BUILD_SUITE" ] || printf '%s\n' "${BUILD_PKGS[@]}"
}

# The stamp a finished root carries: a root whose stamp differs is rebuilt.
stamp() { # suite
  printf 'suite %s\nmirror %s\n' "$1" "$(mirror)"
  packages "$1" | sed 's/^/package /'
}

fresh() { # suite: the root exists and was built from the same list
  local dir
  dir=$(root_dir "$1")
  [ -f "$dir/$STAMP" ] && [ "$(cat "$dir/$STAMP")" = "$(stamp "$1")" ]
}

# CMD chrooted in DIR with /proc, /sys and /dev mounted; in a private mount
# namespace, so the mounts go away with the command, even when it fails.
in_root() { # dir cmd...
  local dir=$1
  shift
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private -- /bin/sh -ec '
    d=$1; shift
    mount -t proc proc "$d/proc"
    mount -t sysfs sysfs "$d/sys"
    mount --rbind /dev "$d/dev"
    exec chroot "$d" "$@"' sh "$dir" "$@"
}

# apt options for the root: sid's Release file on this registry is past its
# Valid-Until, which apt refuses by default.
apt_conf() { # suite
  echo 'APT::Install-Recommends "false";'
  [ "$1" != sid ] || echo 'Acquire::Check-Valid-Until "false";'
}

# debootstrap's --include trips over the systemd pre-dependencies of trixie
# and sid; a plain minbase root and apt-get inside it does not.
build_one() { # suite
  local suite=$1 dir tmp start pkgs=()
  dir=$(root_dir "$suite")
  tmp=$dir.tmp
  mapfile -t pkgs < <(packages "$suite")
  start=$(date +%s)
  rm -rf "$tmp"
  say "$suite: debootstrap --variant=minbase from $(mirror)"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$suite" "$tmp" "$(mirror)"
  apt_conf "$suite" >"$tmp/etc/apt/apt.conf.d/90telegraf-libvirt"
  # No daemon starts from a package's maintainer script.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
  say "$suite: apt-get install ${pkgs[*]}"
  in_root "$tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/sh -ec '
    apt-get update -q
    apt-get install -y -q --no-install-recommends "$@"
    apt-get clean
    getent group kvm >/dev/null || groupadd -r kvm
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
      useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu' sh "${pkgs[@]}"
  stamp "$suite" >"$tmp/$STAMP"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  say "$suite: built in $(($(date +%s) - start))s: $(versions "$suite")"
}

versions() { # suite: what the root runs
  local dir
  dir=$(root_dir "$1")
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  printf 'libvirt %s, qemu %s, glibc %s' \
    "$(chroot "$dir" dpkg-query -W -f='${Version}' libvirt-daemon)" \
    "$(chroot "$dir" dpkg-query -W -f='${Version}' qemu-system-x86)" \
    "$(chroot "$dir" dpkg-query -W -f='${Version}' libc6)"
}

# Builds the stale roots in parallel (debootstrap and apt spend their time
# waiting on the network), each logging to SUITE.log; fails if any failed.
build() { # suites...
  local s pids=() names=() i rc=0 start
  [ "$(id -u)" -eq 0 ] || die "building a root needs root"
  command -v debootstrap >/dev/null || "$REPO_DIR/scripts/deps.sh" debootstrap
  mkdir -p "$ROOTS_DIR"
  start=$(date +%s)
  for s in "$@"; do
    known_suite "$s"
    if fresh "$s"; then
      say "$s: cached ($(root_dir "$s"))"
      continue
    fi
    say "$s: building, log in $ROOTS_DIR/$s.log"
    build_one "$s" >"$ROOTS_DIR/$s.log" 2>&1 &
    pids+=("$!")
    names+=("$s")
  done
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      tail -1 "$ROOTS_DIR/${names[$i]}.log" >&2
    else
      rc=1
      say "${names[$i]}: FAILED; the end of its log:"
      tail -20 "$ROOTS_DIR/${names[$i]}.log" >&2
    fi
  done
  [ "$rc" -eq 0 ] || die "root build failed"
  [ "${#pids[@]}" -eq 0 ] || say "built ${names[*]} in $(($(date +%s) - start))s"
  for s in "$@"; do echo "ROOT_$s=$(root_dir "$s")"; done
}

# `go ARGS...` in the current directory, inside the build root: what it
# builds with cgo links against glibc 2.31 and so starts on every
# distribution with that glibc or newer. Go, this repository, the current
# directory, Go's module and build caches and the directories of
# TLV_ROOT_BINDS (space-separated) are bind-mounted at the same paths, so
# nothing is downloaded again. Sharing the build cache with the host's builds
# is safe: the action ID of a cgo package includes the C compiler's identity
# (`gcc -###`), and the root's gcc 10 is not the host's, so no object compiled
# against one glibc's headers is reused for the other.
go_in_root() { # go args...
  local dir goroot modcache gocache binds
  dir=$(root_dir "$BUILD_SUITE")
  fresh "$BUILD_SUITE" || build "$BUILD_SUITE" >/dev/null
  goroot=$(go env GOROOT)
  modcache=$(go env GOMODCACHE)
  gocache=$(go env GOCACHE)
  binds="$goroot $REPO_DIR $PWD $modcache $gocache ${TLV_ROOT_BINDS:-}"
  # The host's CA certificates: a build that adds requirements (Telegraf's
  # custom build, -mod=mod) asks the checksum database over TLS.
  [ ! -d /etc/ssl/certs ] || binds="$binds /etc/ssl/certs"
  mkdir -p "$gocache" "$modcache"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private -- /bin/sh -ec '
    d=$1 binds=$2 wd=$3 goroot=$4 modcache=$5 gocache=$6 proxy=$7 sumdb=$8; shift 8
    for p in $binds; do
      mkdir -p "$d$p"
      mount --bind "$p" "$d$p"
    done
    mount -t proc proc "$d/proc"
    mount --rbind /dev "$d/dev"
    exec chroot "$d" /usr/bin/env -C "$wd" PATH="$goroot/bin:/usr/bin:/bin" HOME=/root \
      GOROOT="$goroot" GOMODCACHE="$modcache" GOCACHE="$gocache" GOPROXY="$proxy" GOSUMDB="$sumdb" \
      GOFLAGS="${GOFLAGS:-}" GOTOOLCHAIN=local CGO_ENABLED="${CGO_ENABLED:-1}" \
      go "$@"' sh "$dir" "$binds" "$PWD" "$goroot" "$modcache" "$gocache" "$(go env GOPROXY)" "$(go env GOSUMDB)" "$@"
}

main() {
  local cmd=${1:-} s
  export PATH="/usr/local/go/bin:$PATH"
  case "$cmd" in
    build)
      shift
      if [ "$#" -eq 0 ]; then set -- "${SUITES[@]}"; fi
      build "$@"
      ;;
    path)
      known_suite "${2:-}"
      root_dir "$2"
      ;;
    run)
      s=${2:-}
      known_suite "$s"
      [ "${3:-}" = -- ] || die "usage: $0 run SUITE -- CMD..."
      shift 3
      fresh "$s" || die "root $s is not built (scripts/roots.sh build $s)"
      in_root "$(root_dir "$s")" "$@"
      ;;
    go)
      [ "${2:-}" = -- ] || die "usage: $0 go -- ARGS..."
      shift 2
      go_in_root "$@"
      ;;
    *)
      sed -n '2,21p' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"
