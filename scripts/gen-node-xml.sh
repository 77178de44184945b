#!/usr/bin/env bash
# Writes a libvirt test-driver node with COUNT domains (default 120; every
# 10th paused, every 10th+1 shut off, every 3rd with iothreads, every 20th+5
# transient): the Go tests' own generator, internal/testsupport/nodexml.
# Usage: scripts/gen-node-xml.sh [COUNT] > testdata/node-COUNT.xml
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

main() {
  cd "$REPO_DIR"
  exec go run ./internal/testsupport/nodexml/cmd/nodexml "$@"
}

main "$@"
