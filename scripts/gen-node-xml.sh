#!/usr/bin/env bash
# Writes testdata/node-120.xml: a libvirt test-driver node with 120 domains
# (every 10th paused, every 10th+1 shut off, every 3rd with iothreads, every 20th+5 transient).
# Usage: scripts/gen-node-xml.sh [COUNT] > testdata/node-COUNT.xml
set -euo pipefail

domain() { # I: the test driver's domain node-I
  local i=$1 state=1 # running
  ((i % 10 == 0)) && state=3 # paused
  ((i % 10 == 1)) && state=5 # shutoff
  printf "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
  printf "    <name>%s</name>\n" "$(printf 'node-%04d' "$i")"
  printf "    <uuid>00000000-0000-4000-8000-%012d</uuid>\n" "$i"
  printf "    <memory unit='MiB'>64</memory>\n    <vcpu>2</vcpu>\n"
  ((i % 3 == 0)) && printf "    <iothreads>%d</iothreads>\n" $((i % 4 + 1))
  printf "    <os><type>hvm</type></os>\n"
  printf "    <test:runstate>%d</test:runstate>\n" "$state"
  ((i % 20 == 5)) && printf "    <test:transient/>\n"
  printf "  </domain>\n"
}

main() {
  local count=${1:-120} i
  echo "<node>"
  for ((i = 0; i < count; i++)); do
    domain "$i"
  done
  echo "</node>"
}

main "$@"
