package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The contenders as the report names them.
var contenderNames = map[string]string{
	"floor":     "floor: bare C call + free",
	"floor-tg":  "floor, inputs.libvirt's groups",
	"plugin":    "**libvirt_stats** Gather",
	"telegraf":  "Telegraf inputs.libvirt Gather",
	"legacy":    "per-domain calls (collectd's way)",
	"golibvirt": "go-libvirt ConnectGetAllDomainStats",
}

type report struct {
	b       strings.Builder
	started time.Time
	command string
	host    host
	targets []targetRow
}

type targetRow struct {
	what, target, measured string
	met                    bool
}

// results are what one `make bench` run recorded in its results directory:
// the report is a function of them and of the host it is written on.
type results struct {
	q10, q30, t1000 *scenarioResult
	ex              execdResult
	gb              map[string]map[string]dist
	agent           *agentResult // nil for a run from before section 5
}

// host is what the report says of the machine, read when the report is
// written (the results do not record it), so a test can fix it.
type host struct {
	machine  [][2]string // the Machine table, without the revision row
	cpu      string      // model name and cores, for the Performance section
	libvirt  string      // the daemon's version
	qemu     string
	telegraf string // the Telegraf module version the harness was built with
	describe string // git describe, for results that recorded no revision
}

func reportMain(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	dir := fs.String("results", "", "directory with the run's JSON files and gobench.txt")
	out := fs.String("out", "BENCHMARKS.md", "the file to write")
	command := fs.String("command", "make bench", "the command that produced the results")
	perf := fs.String("perf", "", "also write the README's Performance section (the summary table) to this file")
	_ = fs.Parse(args)
	res, err := loadResults(*dir)
	if err != nil {
		return err
	}
	benchmarks, performance, err := renderReport(res, readHost(), *command)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, []byte(benchmarks), 0o644); err != nil {
		return err
	}
	if *perf == "" {
		return nil
	}
	return os.WriteFile(*perf, []byte(performance), 0o644)
}

func loadResults(dir string) (*results, error) {
	var res results
	var err error
	if res.q10, err = loadScenario(filepath.Join(dir, "qemu-10.json")); err != nil {
		return nil, err
	}
	if res.q30, err = loadScenario(filepath.Join(dir, "qemu-30.json")); err != nil {
		return nil, err
	}
	if res.t1000, err = loadScenario(filepath.Join(dir, "test-1000.json")); err != nil {
		return nil, err
	}
	if err := loadJSON(filepath.Join(dir, "execd.json"), &res.ex); err != nil {
		return nil, err
	}
	if res.gb, err = parseGoBench(filepath.Join(dir, "gobench.txt")); err != nil {
		return nil, err
	}
	// The whole-agent scenario (section 5); a results directory from
	// before it has none.
	if _, err := os.Stat(filepath.Join(dir, "agent.json")); err == nil {
		res.agent = &agentResult{}
		if err := loadJSON(filepath.Join(dir, "agent.json"), res.agent); err != nil {
			return nil, err
		}
	}
	return &res, nil
}

// renderReport is BENCHMARKS.md and the README's Performance section
// (docs/performance.md) of one run.
func renderReport(res *results, h host, command string) (benchmarks, performance string, err error) {
	q10, q30, t1000, ex, gb, agent := res.q10, res.q30, res.t1000, res.ex, res.gb, res.agent
	r := &report{command: command, host: h}

	// Targets first (the tables below are what they come from).
	r.targetWall(q30, 1.05, "wall time, this plugin ÷ floor, N = 30 QEMU domains")
	r.targetWall(t1000, 1.15, "wall time, this plugin ÷ floor, 1000 test-driver domains")
	r.targetClientCPU(t1000, 2, "client CPU, this plugin ÷ floor, 1000 test-driver domains")
	r.targetCPU(q10, "client CPU, this plugin ÷ inputs.libvirt, N = 10")
	r.targetCPU(q30, "client CPU, this plugin ÷ inputs.libvirt, N = 30")
	conv := gb["BenchmarkConvert"]
	r.targets = append(r.targets, targetRow{"allocations per typed parameter, conversion (amortized)", "≤ 1",
		fmt.Sprintf("%.3f", conv["allocs/param"].Median), conv["allocs/param"].Median <= 1})
	if dev, ok := gb["BenchmarkShapeDevice"]; ok {
		ratio := dev["ns/op"].Median / gb["BenchmarkShape"]["ns/op"].Median
		r.targets = append(r.targets, targetRow{"device layout shaping ÷ domain layout, per domain (`BenchmarkShapeDevice` ÷ `BenchmarkShape`)", "≤ 2",
			fmt.Sprintf("%.2f (%.2f ÷ %.2f ms per 1000 domains)", ratio, dev["ns/op"].Median/1e6, gb["BenchmarkShape"]["ns/op"].Median/1e6), ratio <= 2})
	}
	_, rssMed, rssMax := ex.steady(len(ex.RSSKiB) / 10)
	r.targets = append(r.targets, targetRow{"execd binary steady RSS, 1000 domains", "≤ 40 MB",
		fmt.Sprintf("%.1f MB (max %.1f MB)", float64(rssMed)/1024, float64(rssMax)/1024), float64(rssMax)/1024 <= 40})
	if agent != nil {
		r.agentTargets(agent)
	}

	r.started = q10.Started
	r.header(q30.Revision)
	r.targetTable()
	r.method(q10, t1000)
	if agent != nil {
		r.agentMethod(agent)
		r.p("\n")
	}
	r.qemu(q10, q30)
	r.testDriver(t1000)
	r.goBench(gb)
	r.execd(ex)
	if agent != nil {
		r.agentSection(agent)
	}
	r.reading(q10, q30, t1000, gb, ex)
	return r.b.String(), perfSection(h, q30, t1000, gb, ex, agent, r.targets), nil
}

// perfSection is the README's Performance section: the summary of this run.
func perfSection(h host, q30, t *scenarioResult, gb map[string]map[string]dist, ex execdResult, agent *agentResult, targets []targetRow) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cell := func(s *scenarioResult, c string, f func(perRound) []float64, prec int) string {
		if !slices.Contains(s.Contenders, c) {
			return "–"
		}
		return fmtFloat(distOf(f(roundsOf(s.Samples, c))).Median, prec)
	}
	rpc := func(s *scenarioResult, c string) string {
		if rc, ok := s.RPC[c]; ok {
			return fmtFloat(rc.PerGather, 0)
		}
		return "–"
	}
	wall := func(p perRound) []float64 { return p.Wall }
	cpu := func(p perRound) []float64 { return p.CPU }
	p("<!-- The README's Performance section, written by make bench from the run in BENCHMARKS.md; links are relative to the repository root. -->\n\n")
	p("## Performance\n\n")
	p("One gather, median of %d rounds, each contender in its own process, interleaved; measured by `make bench` on %s, libvirt %s, QEMU %s (TCG guests). Full tables (spread, allocations, context switches, RPCs by procedure), the method and a reading: [BENCHMARKS.md](BENCHMARKS.md).\n\n",
		q30.Rounds, h.cpu, h.libvirt, h.qemu)
	p("| per gather | 30 QEMU domains: wall ms | client CPU ms | RPCs | 1000 test-driver domains: wall ms | client CPU ms |\n|---|---|---|---|---|---|\n")
	rows := []struct{ name, c string }{
		{"bare `virConnectGetAllDomainStats` + free (floor)", "floor"},
		{"**this plugin** (`Gather` into Telegraf's accumulator)", "plugin"},
		{"Telegraf `inputs.libvirt`", "telegraf"},
		{"per-domain calls, as collectd makes them", "legacy"},
		{"go-libvirt's bulk call, no metrics built", "golibvirt"},
	}
	for _, row := range rows {
		p("| %s | %s | %s | %s | %s | %s |\n", row.name, cell(q30, row.c, wall, 0), cell(q30, row.c, cpu, 2), rpc(q30, row.c),
			cell(t, row.c, wall, 1), cell(t, row.c, cpu, 1))
	}
	if agent != nil {
		b.WriteString(agentPerf(agent))
	}
	conv, shape := gb["BenchmarkConvert"], gb["BenchmarkShape"]
	cpuEx, rssMed, rssMax := ex.steady(len(ex.RSSKiB) / 10)
	p("\n- Converting a typed parameter: %.0f ns and %.2f allocations; turning it into a Telegraf field: %.0f ns and %.2f allocations (1000 domains × 150 parameters, `go test -bench`).\n",
		conv["ns/param"].Median, conv["allocs/param"].Median, shape["ns/param"].Median, shape["allocs/param"].Median)
	p("- The execd binary over %d gathers of 1000 domains: %.1f ms of CPU per gather, RSS %.1f MB (max %.1f MB).\n", ex.Gathers, cpuEx, float64(rssMed)/1024, float64(rssMax)/1024)
	p("- Targets of this run:")
	for i, tr := range targets {
		met := "met"
		if !tr.met {
			met = "missed"
		}
		sep := ";"
		if i == len(targets)-1 {
			sep = "."
		}
		p(" %s %s (%s, %s)%s", tr.what, tr.target, strings.SplitN(tr.measured, " ", 2)[0], met, sep)
	}
	p("\n\nTo reproduce (root, after `make test` has set up the hypervisor; about 15 minutes, the host otherwise idle):\n\n")
	p("```sh\nmake bench          # writes BENCHMARKS.md and docs/performance.md; raw results in bench/out/\n```\n\n")
	p("Each scenario holds `flock -x /tmp/tlv-hv.lock` and starts its extra `tlvb-NN` guests inside that hold (removed afterwards, also on failure). `bench/` is a module of its own, so Telegraf's `inputs.libvirt` and go-libvirt stay out of this module's `go.mod`.\n")
	return b.String()
}

// readHost reads the machine the report is written on (the one the run
// measured: make bench writes it right after the run).
func readHost() host {
	h := host{machine: machine(), describe: cmdOut("git", "describe", "--always", "--dirty"), libvirt: "?", qemu: "?", telegraf: "?"}
	h.cpu = fmt.Sprintf("%s, %d cores", firstMatch("/proc/cpuinfo", "model name"), runtime.NumCPU())
	for _, line := range strings.Split(cmdOut("virsh", "-c", "qemu:///system", "version", "--daemon"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.Contains(k, "daemon") {
			h.libvirt = strings.TrimSpace(v)
			break
		}
	}
	if f := strings.Fields(firstLine(cmdOut("qemu-system-x86_64", "--version"))); len(f) >= 4 {
		h.qemu = f[3]
	}
	for _, row := range h.machine {
		if row[0] == "github.com/influxdata/telegraf" {
			h.telegraf = row[1]
			break
		}
	}
	return h
}

func loadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func loadScenario(path string) (*scenarioResult, error) {
	var s scenarioResult
	if err := loadJSON(path, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format, args...) }

func (r *report) targetWall(s *scenarioResult, limit float64, what string) {
	pw, fw := distOf(roundsOf(s.Samples, "plugin").Wall), distOf(roundsOf(s.Samples, "floor").Wall)
	ratio := pw.Median / fw.Median
	paired := distOf(pairedRatios(s.Samples, "plugin", "floor", wallOf))
	r.targets = append(r.targets, targetRow{what, fmt.Sprintf("≤ %.2f", limit),
		fmt.Sprintf("%.3f (%.2f ÷ %.2f ms; per round %.3f, %.3f–%.3f)", ratio, pw.Median, fw.Median, paired.Median, paired.Min, paired.Max),
		ratio <= limit})
}

func (r *report) targetClientCPU(s *scenarioResult, limit float64, what string) {
	pc, fc := distOf(roundsOf(s.Samples, "plugin").CPU), distOf(roundsOf(s.Samples, "floor").CPU)
	ratio := pc.Median / fc.Median
	paired := distOf(pairedRatios(s.Samples, "plugin", "floor", cpuOf))
	r.targets = append(r.targets, targetRow{what, fmt.Sprintf("≤ %.2f", limit),
		fmt.Sprintf("%.3f (%.2f ÷ %.2f ms; per round %.3f, %.3f–%.3f)", ratio, pc.Median, fc.Median, paired.Median, paired.Min, paired.Max),
		ratio <= limit})
}

func (r *report) targetCPU(s *scenarioResult, what string) {
	pc, tc := distOf(roundsOf(s.Samples, "plugin").CPU), distOf(roundsOf(s.Samples, "telegraf").CPU)
	ratio := pc.Median / tc.Median
	paired := distOf(pairedRatios(s.Samples, "plugin", "telegraf", cpuOf))
	r.targets = append(r.targets, targetRow{what, "≤ 0.5",
		fmt.Sprintf("%.3f (%.2f ÷ %.2f ms; per round %.3f, %.3f–%.3f)", ratio, pc.Median, tc.Median, paired.Median, paired.Min, paired.Max),
		ratio <= 0.5})
}

func (r *report) header(revision string) {
	r.p("# Benchmarks\n\n")
	r.p("Written by `%s` (`scripts/bench.sh`, the harness is `bench/`) from a run started %s; do not edit by hand, run it again.\n\n",
		r.command, r.started.UTC().Format("2006-01-02 15:04 UTC"))
	r.p("## Machine\n\n| | |\n|---|---|\n")
	if revision == "" {
		revision = r.host.describe
	}
	for _, kv := range append(slices.Clone(r.host.machine), [2]string{"this repository (measured)", revision}) {
		r.p("| %s | %s |\n", kv[0], kv[1])
	}
	r.p("\n")
}

func (r *report) targetTable() {
	r.p("## Targets\n\nRatios of medians measured in this run; \"per round\" is the median and range of the same ratio taken round by round (the two contenders ran back to back in each round).\n\n")
	r.p("| target | wanted | measured | |\n|---|---|---|---|\n")
	for _, t := range r.targets {
		met := "met"
		if !t.met {
			met = "**missed**"
		}
		r.p("| %s | %s | %s | %s |\n", t.what, t.target, t.measured, met)
	}
	r.p("\n")
}

func (r *report) method(q *scenarioResult, t *scenarioResult) {
	r.p("## How it was measured\n\n")
	r.p("- Every contender runs in a process of its own (`tlvbench gather`): it connects, makes %d warm-up gathers that are discarded, then %d gathers back to back (%d for the test driver) that are measured. One such process per contender is one round; a scenario is %d rounds, the contenders' order rotated every round, so the processes of different contenders are interleaved in time.\n", q.Warmup, q.N, t.N, q.Rounds)
	r.p("- Per gather, in each process: wall time; client CPU = user + system time from `getrusage(RUSAGE_SELF)` (every thread of the process: libvirt's, Go's, the GC's) over the measured gathers and a 100 ms pause after them (so work a gather leaves to other threads is counted too); Go allocations = `runtime.MemStats.Mallocs` delta; C allocations = calls to malloc/calloc/realloc/aligned allocators counted by a preloaded shim (`bench/cmalloc`); context switches from the same `getrusage`. Tables give the median over the rounds and, in brackets, the smallest and largest round.\n")
	r.p("- RPCs per gather are counted on the wire: each contender runs once more through a unix-socket proxy that counts the calls of libvirt's REMOTE program the client sends (keepalives are another program and not counted), over %d gathers after one warm-up.\n", rpcGathers)
	r.p("- Every contender uses the same URI and the same socket, libvirtd's read-write `/run/libvirt/libvirt-sock`: Telegraf's `inputs.libvirt` and go-libvirt always use it, so this plugin runs with `read_only = false` here (its default is the read-only socket; the cost is the same).\n")
	r.p("- QEMU scenarios measure **every domain on the host**, the same for all contenders, with no domain filter: the 6 test guests of `scripts/hypervisor-up.sh` (4 running, 1 paused, 1 shut off) plus transient `tlvb-NN` guests started for the run by `scripts/bench-guests.sh` (TCG, 64 MiB, 2 vCPUs, a virtio qcow2 disk, an ethernet NIC, a balloon with stats, 2 iothreads) and removed after it. All groups: this plugin and the floor ask for `stats = 0` (every group the hypervisor supports) with NOWAIT, the plugin's default; `inputs.libvirt` asks for the 10 groups it knows (mask 1023, no `vm`) with no NOWAIT; the row *floor, inputs.libvirt's groups* is the bare call with those arguments.\n")
	r.p("- The per-domain contender makes, in C as collectd's virt plugin does, `virConnectListAllDomains`, then per domain `virDomainGetInfo`, and for an active one `virDomainGetVcpus`, `virDomainMemoryStats`, `virDomainBlockStats` per disk and `virDomainInterfaceStats` per NIC; the disk and NIC names come from the domain XML read once per domain (collectd re-reads it every `refresh_interval`). Its values land in a small Go struct per domain; it builds no Telegraf metrics.\n")
	r.p("- Each scenario runs under `flock -x /tmp/tlv-hv.lock`, so no test of this repository runs beside it; other processes on the machine are not stopped. Host CPU idle is measured (from `/proc/stat`) for 5 s before the rounds and over the rounds.\n")
	r.p("- The execd binary (`cmd/telegraf-libvirt`, `-poll_interval_disabled`, as `inputs.execd` with `signal = \"STDIN\"` runs it) gets a newline, and the gather counts as done when its `libvirt_stats_collector` line arrives; CPU from `/proc/PID/stat`, RSS from `/proc/PID/status` after every gather.\n\n")
}

func (r *report) scenarioTable(s *scenarioResult, order []string) {
	r.p("| contender | wall ms / gather | client CPU ms / gather | Go allocs / gather | C allocs / gather | ctx switches / gather | RPCs / gather | domains | params or fields | metrics |\n")
	r.p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range order {
		if !slices.Contains(s.Contenders, c) {
			continue
		}
		p := roundsOf(s.Samples, c)
		rpc := s.RPC[c]
		fields := p.Tally.Params
		if fields == 0 {
			fields = p.Tally.Fields
		}
		metrics := "–"
		if p.Tally.Metrics > 0 {
			metrics = strconv.Itoa(p.Tally.Metrics)
		}
		r.p("| %s | %s | %s | %s | %s | %s | %s | %d | %d | %s |\n", contenderNames[c],
			fmtDist(distOf(p.Wall), 2), fmtDist(distOf(p.CPU), 3), fmtDist(distOf(p.GoAllocs), 0),
			fmtDist(distOf(p.CMallocs), 0), fmtDist(distOf(p.CtxSw), 1), fmtFloat(rpc.PerGather, 1),
			p.Tally.Domains, fields, metrics)
	}
	r.p("\n")
	r.p("RPCs by procedure, per gather: ")
	var parts []string
	for _, c := range order {
		if rc, ok := s.RPC[c]; ok {
			var procs []string
			for name, n := range rc.ByProc {
				procs = append(procs, fmt.Sprintf("%s %s", name, fmtFloat(n, 1)))
			}
			slices.Sort(procs)
			parts = append(parts, fmt.Sprintf("%s: %s", c, strings.Join(procs, ", ")))
		}
	}
	r.p("%s.\n\n", strings.Join(parts, "; "))
	r.p("Host CPU idle: %.0f%% before the rounds (the guests alone), %.0f%% during them. %d rounds, %.0f s.\n\n",
		s.IdleBefore, s.IdleDuring, s.Rounds, s.Took.Seconds())
}

func (r *report) qemu(q10, q30 *scenarioResult) {
	order := []string{"floor", "plugin", "floor-tg", "telegraf", "legacy"}
	r.p("## 1. Real QEMU domains under libvirtd\n\n")
	r.p("URI `%s`.\n\n", q10.URI)
	r.p("### N = 10 domains (6 test guests + 4 `tlvb-NN`)\n\n")
	r.scenarioTable(q10, order)
	r.p("### N = 30 domains (6 test guests + 24 `tlvb-NN`)\n\n")
	r.scenarioTable(q30, order)
}

func (r *report) testDriver(t *scenarioResult) {
	r.p("## 2. 1000 test-driver domains behind libvirtd\n\n")
	r.p("URI `%s` (libvirt's test driver inside libvirtd; node XML from `scripts/gen-node-xml.sh 1000`). The test driver returns only the `state` and `iothread` groups, 4.5 parameters per domain on average: this is the per-domain cost, not the per-parameter one. Telegraf's `inputs.libvirt` refuses test URIs; the *go-libvirt* row is its transport making the same call (`ConnectGetAllDomainStats` with the plugin's arguments) and decoding the records, with no metrics built.\n\n", t.URI)
	r.scenarioTable(t, []string{"floor", "plugin", "golibvirt"})
}

func (r *report) goBench(gb map[string]map[string]dist) {
	r.p("## 3. Conversion alone (Go benchmarks)\n\n")
	r.p("`go test -run '^$' -bench . -benchmem -count 10 ./internal/domstats ./plugins/inputs/libvirt_stats`: synthetic records of 1000 domains × 150 typed parameters built in C with libvirt's `virTypedParamsAdd*` (`domstats.SyntheticDomain`: QEMU-shaped keys, 15 of the 150 strings). Median and range over the 10 runs.\n\n")
	r.p("| benchmark | what | ns / param | allocs / param | B / param | ms / op |\n|---|---|---|---|---|---|\n")
	what := map[string]string{
		"BenchmarkConvert":              "typed parameters → Go records (`internal/domstats`)",
		"BenchmarkShape":                "Go records → Telegraf metrics (completeness check + one metric per domain)",
		"BenchmarkShapeDevice":          "the same in the device layout (a metric per disk, NIC, vCPU, iothread besides the domain's)",
		"BenchmarkGatherTestDriver1000": "a whole Gather, 1000 test-driver domains in-process (no daemon); per op = per gather",
	}
	for _, name := range []string{"BenchmarkConvert", "BenchmarkShape", "BenchmarkShapeDevice", "BenchmarkGatherTestDriver1000"} {
		m, ok := gb[name]
		if !ok {
			continue
		}
		nsop := m["ns/op"]
		r.p("| `%s` | %s | %s | %s | %s | %s |\n", name, what[name], fmtDistOpt(m, "ns/param", 1), fmtDistOpt(m, "allocs/param", 3),
			fmtDistOpt(m, "B/param", 1), fmtDist(dist{Median: nsop.Median / 1e6, Min: nsop.Min / 1e6, Max: nsop.Max / 1e6, N: nsop.N}, 2))
		if a, ok := m["allocs/op"]; ok && name == "BenchmarkGatherTestDriver1000" {
			r.p("| | allocations per gather | | %s | | |\n", fmtDist(a, 0))
		}
	}
	r.p("\n")
}

func (r *report) execd(ex execdResult) {
	from := len(ex.RSSKiB) / 10
	cpu, rssMed, rssMax := ex.steady(from)
	var walls []float64
	for _, w := range ex.WallNs[from:] {
		walls = append(walls, float64(w)/1e6)
	}
	r.p("## 4. The execd binary over %d gathers\n\n", ex.Gathers)
	r.p("`bin/telegraf-libvirt -config %s -poll_interval_disabled`, 1000 test-driver domains (the URI of section 2, the plugin's defaults otherwise: read-only socket, NOWAIT, `collector_metrics = true`), one newline per gather. Steady state = gathers %d to %d.\n\n", filepath.Base(ex.Config), from+1, ex.Gathers)
	r.p("| | |\n|---|---|\n")
	r.p("| CPU per gather (steady) | %.2f ms |\n", cpu)
	r.p("| wall per gather (newline → last line) | %s ms |\n", fmtDist(distOf(walls), 2))
	r.p("| RSS, steady (median, max) | %.1f MB, %.1f MB |\n", float64(rssMed)/1024, float64(rssMax)/1024)
	r.p("| RSS after gather 1, %d, %d | %.1f MB, %.1f MB, %.1f MB |\n", from, ex.Gathers, float64(ex.RSSKiB[0])/1024, float64(ex.RSSKiB[from-1])/1024, float64(ex.RSSKiB[len(ex.RSSKiB)-1])/1024)
	r.p("| peak RSS (VmHWM) | %.1f MB |\n", float64(ex.HWMKiB)/1024)
	r.p("| RSS at the end: anonymous (heaps, stacks), file-backed (the binary, shared libraries) | %.1f MB, %.1f MB |\n", float64(ex.AnonKiB)/1024, float64(ex.FileKiB)/1024)
	r.p("| lines, bytes per gather | %d, %d |\n", ex.Lines, ex.Bytes)
	r.p("| threads at the end | %d |\n", ex.Threads)
	r.p("| host CPU idle during the run | %.0f%% |\n\n", ex.IdleHost)
}

func (r *report) reading(q10, q30, t *scenarioResult, gb map[string]map[string]dist, ex execdResult) {
	med := func(s *scenarioResult, c string, f func(perRound) []float64) float64 {
		return distOf(f(roundsOf(s.Samples, c))).Median
	}
	wall := func(p perRound) []float64 { return p.Wall }
	cpu := func(p perRound) []float64 { return p.CPU }
	allocs := func(p perRound) []float64 { return p.GoAllocs }

	r.p("## Reading\n\n")
	for _, s := range []*scenarioResult{q10, q30} {
		n := roundsOf(s.Samples, "floor").Tally.Domains
		fw, pw := med(s, "floor", wall), med(s, "plugin", wall)
		pc, tc, fc := med(s, "plugin", cpu), med(s, "telegraf", cpu), med(s, "floor", cpu)
		paired := distOf(pairedRatios(s.Samples, "plugin", "floor", wallOf))
		r.p("- **%d QEMU domains.** One gather of this plugin takes %.0f ms, the bare call %.0f ms (%+.1f%%; round by round %+.1f%%, from %+.0f%% to %+.0f%%): the time is libvirtd asking each guest's QEMU monitor for its statistics, and it varies with the host's load from round to round; the client's CPU is %.2f ms of it (the bare call alone %.2f ms). Telegraf's `inputs.libvirt` uses %.2f ms of CPU per gather, %.1f× this plugin, and allocates %.0f Go objects per gather against %.0f: go-libvirt decodes the reply with a reflection-based XDR decoder and the plugin splits every domain into %.0f metrics.\n",
			n, pw, fw, 100*(pw/fw-1), 100*(paired.Median-1), 100*(paired.Min-1), 100*(paired.Max-1), pc, fc, tc, tc/pc, med(s, "telegraf", allocs), med(s, "plugin", allocs),
			float64(roundsOf(s.Samples, "telegraf").Tally.Metrics)/float64(max(n, 1)))
		fg, tw := med(s, "floor-tg", wall), med(s, "telegraf", wall)
		r.p("  Its wall time, %.0f ms, is set by what it asks for: the bare call with its arguments takes %.0f ms; with every group (`stats = 0`) libvirt also runs the `vm` group's `query-stats` on each guest, which costs time under TCG and returns nothing there.\n", tw, fg)
		lw, lc, lr := med(s, "legacy", wall), med(s, "legacy", cpu), s.RPC["legacy"].PerGather
		why := "one round trip per call adds up"
		if lw < fw {
			why = "they ask QEMU for less: no block allocation/capacity, iothread, dirtyrate or vm queries, only what `virDomainBlockStats` and friends return; the bulk call's wall time is the price of the groups it adds"
		}
		r.p("  The per-domain calls make %.0f RPCs per gather where the bulk call makes %.0f, and cost %.2f ms of client CPU (%.1f× this plugin); on these idle TCG guests they take %.0f ms of wall time against the bulk call's %.0f ms: %s.\n",
			lr, s.RPC["plugin"].PerGather, lc, lc/pc, lw, fw, why)
	}
	fw, pw, gw := med(t, "floor", wall), med(t, "plugin", wall), med(t, "golibvirt", wall)
	fc, pc, gc := med(t, "floor", cpu), med(t, "plugin", cpu), med(t, "golibvirt", cpu)
	paired := distOf(pairedRatios(t.Samples, "plugin", "floor", wallOf))
	spread := fmt.Sprintf(" From round to round the ratio moves by %.0f points (the host's other tenants)", 100*(paired.Max-paired.Min))
	if paired.Min > 1 {
		spread += "; the plugin's overhead is there in every round."
	} else {
		spread += "; in some rounds the plugin was not slower at all."
	}
	r.p("- **1000 test-driver domains.** The bare call takes %.1f ms and %.1f ms of client CPU; this plugin %.1f ms (%+.0f%%; round by round %+.0f%%, from %+.0f%% to %+.0f%%) and %.1f ms of CPU. The test driver answers in ~%.0f µs per domain, so what the plugin does per domain after the call shows: %.1f µs per domain here. Profiled during development (`tlvbench gather -contender plugin -n 400 -cpuprofile` for Go, `perf record --call-graph dwarf` for C; about 10 ms of client CPU per gather), per domain that is about 1 µs reading its UUID (`virDomainGetUUID`, the only public way to it, formats the UUID with printf for a debug message before anything else: `virUUIDFormat` is a quarter of the process's CPU, with the free below), 1 µs building its Telegraf metric (`metric.FromMetric` makes ~10 allocations for a metric of 2 tags and ~4.5 fields), 0.4 µs checking its completeness, 0.3 µs converting its parameters, plus garbage collection. The records' free (~3 µs of client CPU per domain, most of it the same UUID formatting in libvirt's dispose; inside the floor's time) runs on a worker thread after the conversion, so it counts in the plugin's CPU but not in its wall time. With the floor at ~%.0f µs per domain, a 1.15× target leaves ~%.1f µs per domain for all of that: reading the UUID and handing Telegraf a metric alone take about 2 µs.%s go-libvirt alone, without building any metric, takes %.1f ms and %.1f ms of CPU with %.0f Go allocations per gather.\n",
		fw, fc, pw, 100*(pw/fw-1), 100*(paired.Median-1), 100*(paired.Min-1), 100*(paired.Max-1), pc, 1000*fw/1000, 1000*(pw-fw)/1000, fw, 0.15*fw, spread, gw, gc, med(t, "golibvirt", allocs))
	conv, shape := gb["BenchmarkConvert"], gb["BenchmarkShape"]
	r.p("- **Conversion.** Turning a typed parameter into a Go value costs %.0f ns and %.3f allocations (one slice per record here, where a gather makes one for all records, and one per string value; keys, names and UUIDs are interned). Shaping a parameter into a Telegraf field costs %.0f ns and %.2f allocations: Telegraf's metric holds each field as a separate `*telegraf.Field` with the value boxed in an interface, so about two allocations per field is the price of handing Telegraf a metric.\n",
		conv["ns/param"].Median, conv["allocs/param"].Median, shape["ns/param"].Median, shape["allocs/param"].Median)
	from := len(ex.RSSKiB) / 10
	ecpu, rssMed, rssMax := ex.steady(from)
	r.p("- **execd.** Over %d gathers of 1000 domains the binary uses %.1f ms of CPU per gather (serializing and writing %d lines included) and its RSS stays at %.1f MB (max %.1f MB).\n",
		ex.Gathers, ecpu, ex.Lines, float64(rssMed)/1024, float64(rssMax)/1024)
	var missed []string
	for _, tr := range r.targets {
		if !tr.met {
			missed = append(missed, tr.what)
		}
	}
	if len(missed) == 0 {
		r.p("- Every target is met in this run.\n")
	} else {
		r.p("- Missed in this run: %s. See the targets table for the numbers and the items above for where the time goes.\n", strings.Join(missed, "; "))
	}
	r.p("- Host: with 30 guests idling, the host's CPU was %.0f%% idle before the rounds (TCG guests in their BIOS idle loop); timings on a busier host or with KVM guests will differ, ratios less so.\n", q30.IdleBefore)
}

// parseGoBench reads `go test -bench` output: per benchmark, per unit, the
// spread over the runs.
func parseGoBench(path string) (map[string]map[string]dist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]map[string][]float64{}
	sc := bufio.NewScanner(f)
	pending := "" // a benchmark whose numbers come on the next line
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// The plugin's log line at Init can land between a benchmark's
		// name and its numbers: "BenchmarkX-2 <log line>", then
		// "N  123 ns/op ...".
		if len(fields) >= 3 && pending != "" {
			if _, err := strconv.Atoi(fields[0]); err == nil {
				fields = append([]string{pending}, fields...)
			}
		}
		pending = ""
		if len(fields) >= 2 && strings.HasPrefix(fields[0], "Benchmark") {
			if _, err := strconv.Atoi(fields[1]); err != nil {
				pending = fields[0]
				continue
			}
		}
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		if vals[name] == nil {
			vals[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			vals[name][fields[i+1]] = append(vals[name][fields[i+1]], v)
		}
	}
	out := map[string]map[string]dist{}
	for name, units := range vals {
		out[name] = map[string]dist{}
		for unit, vs := range units {
			out[name][unit] = distOf(vs)
		}
	}
	return out, sc.Err()
}

func machine() [][2]string {
	var rows [][2]string
	cpu := firstMatch("/proc/cpuinfo", "model name")
	rows = append(rows, [2]string{"CPU", fmt.Sprintf("%s, %d cores", cpu, runtime.NumCPU())})
	if mem := firstMatch("/proc/meminfo", "MemTotal"); mem != "" {
		kb, _ := strconv.ParseFloat(strings.Fields(mem)[0], 64)
		rows = append(rows, [2]string{"memory", fmt.Sprintf("%.1f GiB", kb/1024/1024)})
	}
	osName := strings.Trim(firstMatch("/etc/os-release", "PRETTY_NAME="), `"`)
	rows = append(rows, [2]string{"OS, kernel", fmt.Sprintf("%s, Linux %s", osName, cmdOut("uname", "-r"))})
	if v := cmdOut("virsh", "-c", "qemu:///system", "version", "--daemon"); v != "" {
		for _, line := range strings.Split(v, "\n") {
			k, val, ok := strings.Cut(line, ":")
			if ok {
				rows = append(rows, [2]string{"libvirt: " + strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)})
			}
		}
	}
	rows = append(rows, [2]string{"QEMU", firstLine(cmdOut("qemu-system-x86_64", "--version"))})
	rows = append(rows, [2]string{"Go", runtime.Version()})
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/influxdata/telegraf", "github.com/digitalocean/go-libvirt", "libvirt.org/go/libvirt":
				rows = append(rows, [2]string{d.Path, d.Version})
			}
		}
	}
	return rows
}

// firstMatch is the rest of the first line of a file starting with prefix
// (and a colon, if the prefix has none).
func firstMatch(path, prefix string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			rest := strings.TrimPrefix(line, prefix)
			rest = strings.TrimLeft(rest, " \t")
			rest = strings.TrimPrefix(rest, ":")
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func cmdOut(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// fmtDist is "median (min–max)".
func fmtDist(d dist, prec int) string {
	if d.N == 0 || math.IsNaN(d.Median) {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", fmtFloat(d.Median, prec), fmtFloat(d.Min, prec), fmtFloat(d.Max, prec))
}

func fmtDistOpt(m map[string]dist, unit string, prec int) string {
	d, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmtDist(d, prec)
}
