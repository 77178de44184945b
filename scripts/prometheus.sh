#!/usr/bin/env bash
# Debian's Prometheus (2.42, with promtool) for the end-to-end tests, which
# start their own private prometheus (own --storage.tsdb.path and
# --web.listen-address in a temporary directory): the package's system
# service must not run, so nothing stays on its default port 9090.
#
#   scripts/prometheus.sh install   # apt-get prometheus if missing; no service started
#
# Idempotent. Without systemd the package's postinst starts the service
# through invoke-rc.d, which asks /usr/sbin/policy-rc.d: if none exists,
# one that forbids starting services is put in place for the install and
# removed after; a service the install started anyway is stopped.
set -euo pipefail

say() { printf '[prometheus] %s\n' "$*"; }
die() { printf '[prometheus] ERROR: %s\n' "$*" >&2; exit 1; }

install_pkg() {
  if [ "$(dpkg-query -W -f='${Status}' prometheus 2>/dev/null)" = "install ok installed" ] &&
     command -v promtool >/dev/null; then
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "run as root (apt-get)"
  local policy=/usr/sbin/policy-rc.d ours=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/prometheus.sh: no service starts during its install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  say "installing prometheus (--no-install-recommends)"
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null ||
    { env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
  [ -n "$ours" ] && rm -f "$policy"
  # The system service, should it have started (a policy that allowed it).
  if [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    die "prometheus/promtool missing after install"
  fi
  say "$(prometheus --version 2>&1 | head -1)"
}

main() {
  case "${1:-}" in
    install) install_pkg ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
