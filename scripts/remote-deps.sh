#!/usr/bin/env bash
# Installs what the remote-transport tests (TLS, SSH) run: certtool
# (gnutls-bin) for the certificates and openssh-server for a private sshd.
# The tests start their own daemons on 127.0.0.1; the system sshd that the
# package would start is not wanted (policy-rc.d on Debian images already
# forbids it; without one, sshd is not started by this script either way:
# the tests never use port 22).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

main() {
  exec "$REPO_DIR/scripts/deps.sh" gnutls-bin openssh-server
}

main "$@"
