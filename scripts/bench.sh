#!/usr/bin/env bash
# make bench: the bare bulk call, this plugin, Telegraf's inputs.libvirt,
# go-libvirt and collectd-style per-domain calls side by side, and what a
# gather costs libvirtd and QEMU; writes BENCHMARKS.md and docs/performance.md
# (the README's Performance section). Needs root and the lab (scripts/lab.sh,
# which it starts if needed); ~40 minutes on 2 cores (38 m 36 s on 2026-12-05).
#
# Each scenario holds `flock -x /tmp/tlv-hv.lock` for itself only (a few
# minutes at most), so no two bench scenarios overlap; the extra guests exist
# only inside that hold. The lab's other users are not stopped: their load is
# in the idle figures of each scenario. The lab's Linux guests are shut off
# for most of the run (their own load would be most of QEMU's) and started
# again at the end, also when a scenario fails.
#
#   TLV_BENCH_ROUNDS  rounds per scenario (default 12, at least 10 for the report)
#   TLV_BENCH_OUT     where the binaries and raw results go (default bench/out)
#   TLV_BENCH_AGENT_ROUNDS   rounds of the whole-agent scenario (default 10)
#   TLV_BENCH_AGENT_GATHERS  gathers (seconds) per Telegraf process there (default 5)
#   TLV_BENCH_HOST_ROUNDS  rounds of the host-cost scenario, every case (default 8)
#   TLV_BENCH_HOST_GROUP_ROUNDS  rounds of its each-group-alone part (default 2)
#   TLV_BENCH_HOST_LINUX_ROUNDS  rounds of its part with the lab's Linux guests (default 4)
#   TLV_LAB_DIR       the lab (scripts/lab.sh) whose guests the host-cost scenario
#                     measures (default /var/tmp/telegraf-libvirt-lab)
#   TLV_BENCH_CGROUP  the cgroup hierarchy that counts the agents' CPU: auto (default:
#                     v1 cpuacct where mounted, else v2's cpu.stat), v1 or v2
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT=${TLV_BENCH_OUT:-$REPO_DIR/bench/out}
LOCK=/tmp/tlv-hv.lock
ROUNDS=${TLV_BENCH_ROUNDS:-12}
QEMU_GATHERS=5   # measured gathers per process, QEMU scenarios
TEST_GATHERS=30  # per process, 1000 test-driver domains (short gathers: more of them)
EXECD_GATHERS=${TLV_BENCH_EXECD_GATHERS:-1000}
AGENT_ROUNDS=${TLV_BENCH_AGENT_ROUNDS:-10}
AGENT_GATHERS=${TLV_BENCH_AGENT_GATHERS:-5}
CGROUP=${TLV_BENCH_CGROUP:-auto}
HOST_ROUNDS=${TLV_BENCH_HOST_ROUNDS:-8}
HOST_GROUP_ROUNDS=${TLV_BENCH_HOST_GROUP_ROUNDS:-2}
HOST_LINUX_ROUNDS=${TLV_BENCH_HOST_LINUX_ROUNDS:-4}
LAB_DIR=${TLV_LAB_DIR:-/var/tmp/telegraf-libvirt-lab}
URI="" # the lab's read-write URI (scripts/lab.sh uri rw), set in main
# The QEMU scenarios' contenders, sections 1 and 5.
QEMU_CONTENDERS=floor,plugin,floor-tg,telegraf,legacy

# Set by build, read by the scenarios: GOTAGS (unless given) and
TEST_URI="" # libvirt's test driver behind libvirtd, 1000 domains

say() { printf '[bench] %s\n' "$*" >&2; }
# transports(): 7. what each transport costs (BenchmarkTransport).
# shellcheck source=scripts/bench-transports.sh
. "$REPO_DIR/scripts/bench-transports.sh"
# One scenario under the exclusive lock, killed (and its guests removed) if
# it outlives 9 minutes.
locked() { flock -x "$LOCK" timeout 9m "$@"; }
# 30 QEMU domains and the whole agent on the same guests: ~3 + ~10 minutes
# of rounds plus the guests' boot.
locked_long() { flock -x "$LOCK" timeout 25m "$@"; }

# A fresh $OUT: the results of an earlier run go, its binaries are rebuilt.
prepare_out() {
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
  rm -f "$OUT"/*.json "$OUT/gobench.txt"
  rm -rf "$OUT/agent"
}

# The harness, the C allocation counter, the execd binary, the Telegraf
# builds of the whole agent, and the test driver's node of 1000 domains.
build() {
  say "building the harness, the C allocation counter and the execd binary into $OUT"
  scripts/deps.sh
  # The Makefile's GOTAGS (libvirt_dlopen): measure what make build ships.
  GOTAGS=${GOTAGS-$(make -s --no-print-directory -C "$REPO_DIR" gotags)}
  (cd bench && go build -tags "$GOTAGS" -o "$OUT/tlvbench" .)
  gcc -shared -fPIC -O2 -o "$OUT/cmalloc.so" bench/cmalloc/cmalloc.c
  go build -tags "$GOTAGS" -o "$OUT/telegraf-libvirt" ./cmd/telegraf-libvirt
  (cd bench && go build -o "$OUT/replayexec" ./replayexec)
  # The whole agent's Telegraf builds (scripts/telegraf-build.sh, cached):
  # stock Telegraf with inputs.execd and inputs.libvirt, and one with
  # inputs.libvirt_stats and bench/replay (inputs.tlvbench_replay) compiled in.
  TELEGRAF_STOCK_TAGS=custom,inputs.execd,inputs.libvirt,parsers.influx,outputs.file,serializers.influx \
    scripts/telegraf-build.sh stock "$OUT/telegraf-stock" >&2
  TELEGRAF_CUSTOM_TAGS=custom,inputs.libvirt_stats,outputs.file,serializers.influx \
    TELEGRAF_CUSTOM_MODULES="github.com/telegraf-libvirt/telegraf-libvirt/bench=$REPO_DIR/bench" \
    TELEGRAF_CUSTOM_IMPORTS=github.com/telegraf-libvirt/telegraf-libvirt/bench/replay \
    scripts/telegraf-build.sh custom "$OUT/telegraf-custom" >&2
  scripts/gen-node-xml.sh 1000 >"$OUT/node-1000.xml"
  # Behind the lab's libvirtd (the default socket would be the host's).
  TEST_URI="test+unix://$OUT/node-1000.xml?socket=$LAB_DIR/nodes/host/run/libvirt/libvirt-sock"
  cat >"$OUT/execd.conf" <<EOF
[[inputs.libvirt_stats]]
  libvirt_uri = "$TEST_URI"
  collector_metrics = true
EOF
}

run() { # scenario title guests uri contenders gathers
  local scenario=$1 title=$2 guests=$3 uri=$4 contenders=$5 n=$6
  local cmd=("$OUT/tlvbench" run -scenario "$scenario" -title "$title" -uri "$uri"
    -contenders "$contenders" -rounds "$ROUNDS" -warmup 2 -n "$n"
    -preload "$OUT/cmalloc.so" -out "$OUT/$scenario.json")
  say "scenario $scenario: $title"
  if [ "$guests" -gt 0 ]; then
    locked scripts/bench-guests.sh "$guests" "${cmd[@]}"
  else
    locked "${cmd[@]}"
  fi
}

go_benchmarks() {
  say "3. conversion alone: go test -bench"
  locked go test -tags "$GOTAGS" -run '^$' -bench . -benchmem -count 10 ./internal/domstats ./plugins/inputs/libvirt_stats \
    | tee "$OUT/gobench.txt" | grep '^Benchmark' >&2
}

# 30 QEMU domains, then section 5, the whole agent, on the same guests (one
# boot of 22 guests, which takes minutes on a loaded host, for both).
qemu30_and_agent() {
  say "scenario qemu-30: 30 QEMU domains; then 5. the whole agent on them, $AGENT_ROUNDS rounds"
  mkdir -p "$OUT/agent"
  {
    printf '%q ' "$OUT/tlvbench" run -scenario qemu-30 -title "30 QEMU domains" -uri "$URI" \
      -contenders "$QEMU_CONTENDERS" -rounds "$ROUNDS" -warmup 2 -n "$QEMU_GATHERS" \
      -preload "$OUT/cmalloc.so" -out "$OUT/qemu-30.json"
    printf '&& '
    printf '%q ' "$OUT/tlvbench" agent -uri "$URI" -title "30 QEMU domains, the whole agent" \
      -stock "$OUT/telegraf-stock" -custom "$OUT/telegraf-custom" -bin "$OUT/telegraf-libvirt" \
      -replayexec "$OUT/replayexec" -dir "$OUT/agent" -rounds "$AGENT_ROUNDS" -gathers "$AGENT_GATHERS" \
      -cgroup "$CGROUP" -preload "$OUT/cmalloc.so" -out "$OUT/agent.json"
    echo
  } >"$OUT/qemu-30-agent.sh"
  locked_long scripts/bench-guests.sh 22 bash "$OUT/qemu-30-agent.sh"
}

execd_gathers() {
  say "4. execd binary, $EXECD_GATHERS gathers"
  locked "$OUT/tlvbench" execd -bin "$OUT/telegraf-libvirt" -config "$OUT/execd.conf" \
    -gathers "$EXECD_GATHERS" -out "$OUT/execd.json"
}

# 6. What a gather costs libvirtd and QEMU, on the lab's guests (its own
# libvirtd: the pid files are the lab's). Two sets of guests:
#  - quiet: the lab's boot-sector guests and 4 tlvb-NN (9 QEMUs, every one
#    idling in its BIOS), its Linux guests shut off for the while: the main
#    cases, then each group alone (one idle window per round: 22 cases);
#  - linux: the lab's guests with its two Linux guests running (their
#    balloon drivers report guest memory; their own load is larger and
#    noisier), the main cases.
# The Linux guests run again afterwards (scripts/lab.sh up; also when
# make bench fails, see main).
host_cost() {
  local run=$LAB_DIR/nodes/host/run
  local args=(-uri "$URI" -libvirtd-pidfile "$run/libvirtd.pid" -qemu-piddir "$run/libvirt/qemu" -n 6 -interval 1s)
  say "6. host cost on 9 guests in their BIOS (the lab's Linux guests shut off), $HOST_ROUNDS rounds"
  linux_guests_off
  {
    printf '%q ' "$OUT/tlvbench" hostcost -scenario hostcost -title "the lab's boot-sector guests and 4 tlvb-NN" \
      "${args[@]}" -cases main -rounds "$HOST_ROUNDS" -out "$OUT/hostcost.json"
    printf '&& '
    printf '%q ' "$OUT/tlvbench" hostcost -scenario hostcost-groups -title "the same guests, each group alone" \
      "${args[@]}" -cases groups -bracket=false -rounds "$HOST_GROUP_ROUNDS" -out "$OUT/hostcost-groups.json"
    echo
  } >"$OUT/hostcost.sh"
  locked_long scripts/bench-guests.sh 4 bash "$OUT/hostcost.sh"
  say "6. host cost with the lab's Linux guests running, $HOST_LINUX_ROUNDS rounds"
  scripts/lab.sh up >/dev/null
  locked "$OUT/tlvbench" hostcost -scenario hostcost-linux -title "the lab's guests, its 2 Linux guests running" \
    "${args[@]}" -cases main -rounds "$HOST_LINUX_ROUNDS" -out "$OUT/hostcost-linux.json"
}

# The lab's Linux guests (tlvl-*) shut off: their idle load is most of
# QEMU's, and it drifts.
linux_guests_off() {
  local d
  for d in $(virsh -q -c "$URI" list --name | grep '^tlvl-' || true); do
    virsh -q -c "$URI" destroy "$d" >/dev/null
  done
}

report() {
  "$OUT/tlvbench" report -results "$OUT" -out "$REPO_DIR/BENCHMARKS.md" -command "make bench" \
    -perf "$REPO_DIR/docs/performance.md"
  say "wrote BENCHMARKS.md and docs/performance.md (raw results in $OUT)"
}

main() {
  cd "$REPO_DIR"
  [ "$(id -u)" -eq 0 ] || { say "must run as root (it starts guests)"; exit 1; }
  export PATH=/usr/local/go/bin:$PATH
  prepare_out
  build

  # The lab (scripts/lab.sh): its own libvirtd and test guests, never the
  # host's libvirt.
  [ -x scripts/lab.sh ] || { say "scripts/lab.sh missing: make bench runs on the lab's libvirtd"; exit 1; }
  say "the lab (scripts/lab.sh up)"
  scripts/lab.sh up >/dev/null
  URI=$(scripts/lab.sh uri rw)
  export TLVB_URI=$URI # scripts/bench-guests.sh's guests go there

  # Sections 1 to 5 and the first part of 6 on guests that idle in their
  # BIOS: the lab's 6 tlv-* and 2 tlvl-* domains (its Linux guests shut off,
  # started again on the way out) plus 2 or 22 tlvb-NN make 10 or 30.
  linux_guests_off
  trap 'scripts/lab.sh up >/dev/null 2>&1 || true' EXIT
  go_benchmarks
  run qemu-10 "10 QEMU domains" 2 "$URI" "$QEMU_CONTENDERS" "$QEMU_GATHERS"
  qemu30_and_agent
  run test-1000 "1000 test-driver domains" 0 "$TEST_URI" floor,plugin,golibvirt "$TEST_GATHERS"
  execd_gathers
  host_cost
  transports
  report
}

main "$@"
