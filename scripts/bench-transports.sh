# shellcheck shell=bash
# What each libvirt transport costs per gather (wall, and the CPU of the
# collector, libvirtd and sshd) and per connection: BenchmarkTransport of
# cmd/telegraf-libvirt, raw `go test -bench` output to $OUT/transports.txt.
# scripts/bench.sh sources this file and calls transports(); it needs
# REPO_DIR, OUT, GOTAGS, say and locked from there, the lab up, and root
# (cgroup v1 cpuacct groups, the lab's network namespace).
#
# The test-driver nodes of 10, 100 and 1000 domains over every transport,
# and the lab's QEMU guests over unix, tcp (SASL), ssh and libssh; libssh's
# gathers of 100 domains and more take ~5 s each (docs/auth.md), so this
# takes ~2 minutes.
#
#   TLV_BENCH_TRANSPORTS  the -bench pattern (default 'Transport/')
#   TLV_BENCH_TRANSPORT_N gathers per transport after the connecting one (default 5)

transports() {
  local pattern=${TLV_BENCH_TRANSPORTS:-Transport/}
  local n=${TLV_BENCH_TRANSPORT_N:-5}
  say "7. transports: $pattern, $n gathers each (BenchmarkTransport)"
  (cd "$REPO_DIR" && locked scripts/lab.sh exec -- nice -n 10 \
    go test -tags "qemu${GOTAGS:+ $GOTAGS}" -run '^$' -bench "$pattern" -benchtime "${n}x" ./cmd/telegraf-libvirt) \
    | tee "$OUT/transports.txt" | grep '^Benchmark' >&2
}
