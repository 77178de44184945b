package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// The sections of BENCHMARKS.md and docs/performance.md: the values each
// template of report.md.tmpl and performance.md.tmpl shows.

func (r *report) header(revision string) {
	if revision == "" {
		revision = r.host.describe
	}
	r.render("header", struct {
		Command, Started string
		Machine          [][2]string
	}{r.command, r.started.UTC().Format("2006-01-02 15:04 UTC"),
		append(slices.Clone(r.host.machine), [2]string{"this repository (measured)", revision})})
}

func (r *report) targetTable() {
	type row struct {
		What, Target, Measured string
		Met                    bool
	}
	var rows []row
	for _, t := range r.targets {
		rows = append(rows, row{t.what, t.target, t.measured, t.met})
	}
	r.render("targets", rows)
}

func (r *report) method(q, t *results.ScenarioResult, agent *results.AgentResult) {
	r.render("method", struct {
		Q, T       *results.ScenarioResult
		RPCGathers int
		Agent      *results.AgentResult
	}{q, t, results.RPCGathers, agent})
}

// scenarioData is one scenario's table: the contenders of order it ran.
type scenarioData struct {
	Rows                   []scenarioRow
	RPCByProc              string
	IdleBefore, IdleDuring float64
	Rounds                 int
	TookS                  float64
}

type scenarioRow struct {
	Name                                 string
	Wall, CPU, GoAllocs, CMallocs, CtxSw results.Dist
	RPCs                                 float64
	Domains, Fields, Metrics             int
}

func scenarioTable(s *results.ScenarioResult, order []string) scenarioData {
	d := scenarioData{IdleBefore: s.IdleBefore, IdleDuring: s.IdleDuring, Rounds: s.Rounds, TookS: s.Took.Seconds()}
	var parts []string
	for _, c := range order {
		if slices.Contains(s.Contenders, c) {
			p := results.RoundsOf(s.Samples, c)
			fields := p.Tally.Params
			if fields == 0 {
				fields = p.Tally.Fields
			}
			d.Rows = append(d.Rows, scenarioRow{contenderNames[c], results.DistOf(p.Wall), results.DistOf(p.CPU), results.DistOf(p.GoAllocs),
				results.DistOf(p.CMallocs), results.DistOf(p.CtxSw), s.RPC[c].PerGather, p.Tally.Domains, fields, p.Tally.Metrics})
		}
		if rc, ok := s.RPC[c]; ok {
			var procs []string
			for name, n := range rc.ByProc {
				procs = append(procs, fmt.Sprintf("%s %s", name, fmtFloat(n, 1)))
			}
			slices.Sort(procs)
			parts = append(parts, fmt.Sprintf("%s: %s", c, strings.Join(procs, ", ")))
		}
	}
	d.RPCByProc = strings.Join(parts, "; ")
	return d
}

func (r *report) qemu(q10, q30 *results.ScenarioResult) {
	order := []string{"floor", "plugin", "floor-tg", "telegraf", "legacy"}
	r.render("qemu", struct {
		URI      string
		Q10, Q30 scenarioData
	}{q10.URI, scenarioTable(q10, order), scenarioTable(q30, order)})
}

func (r *report) testDriver(t *results.ScenarioResult) {
	r.render("testDriver", struct {
		URI   string
		Table scenarioData
	}{t.URI, scenarioTable(t, []string{"floor", "plugin", "golibvirt"})})
}

func (r *report) goBench(gb map[string]map[string]results.Dist) {
	type row struct {
		Name, What      string
		Units           map[string]results.Dist
		MsOp            results.Dist
		AllocsPerGather *results.Dist // a whole Gather's allocations
	}
	what := map[string]string{
		"BenchmarkConvert":              "typed parameters → Go records (`internal/domstats`)",
		"BenchmarkShape":                "Go records → Telegraf metrics (completeness check + one metric per domain)",
		"BenchmarkShapeDevice":          "the same in the device layout (a metric per disk, NIC, vCPU, iothread besides the domain's)",
		"BenchmarkGatherTestDriver1000": "a whole Gather, 1000 test-driver domains in-process (no daemon); per op = per gather",
	}
	var rows []row
	for _, name := range []string{"BenchmarkConvert", "BenchmarkShape", "BenchmarkShapeDevice", "BenchmarkGatherTestDriver1000"} {
		m, ok := gb[name]
		if !ok {
			continue
		}
		nsop := m["ns/op"]
		rw := row{Name: name, What: what[name], Units: m, MsOp: results.Dist{Median: nsop.Median / 1e6, Min: nsop.Min / 1e6, Max: nsop.Max / 1e6, N: nsop.N}}
		if a, ok := m["allocs/op"]; ok && name == "BenchmarkGatherTestDriver1000" {
			rw.AllocsPerGather = &a
		}
		rows = append(rows, rw)
	}
	r.render("goBench", rows)
}

func (r *report) execd(ex results.ExecdResult) {
	sum := summarizeExecd(ex)
	var walls []float64
	for _, w := range ex.WallNs[sum.From:] {
		walls = append(walls, float64(w)/1e6)
	}
	r.render("execd", struct {
		execdSummary
		Config                                        string
		SteadyFrom, Before, Bytes, Threads            int
		Wall                                          results.Dist
		RSSFirst, RSSBefore, RSSLast, HWM, Anon, File float64
		IdleHost                                      float64
	}{sum, filepath.Base(ex.Config), sum.From + 1, sum.From, ex.Bytes, ex.Threads, results.DistOf(walls),
		mib(ex.RSSKiB[0]), mib(ex.RSSKiB[sum.From-1]), mib(ex.RSSKiB[len(ex.RSSKiB)-1]), mib(ex.HWMKiB), mib(ex.AnonKiB), mib(ex.FileKiB),
		ex.IdleHost})
}

// qemuReading is the reading of one QEMU scenario: medians per gather (ms),
// percentages over the floor.
type qemuReading struct {
	Domains                                              int
	PluginWall, FloorWall, OverFloorPct                  float64
	Paired                                               results.Dist // plugin ÷ floor wall time per round, % over
	PluginCPU, FloorCPU, TelegrafCPU, TelegrafOverPlugin float64
	TelegrafAllocs, PluginAllocs, MetricsPerDomain       float64
	TelegrafWall, FloorTGWall                            float64
	LegacyRPCs, PluginRPCs, LegacyCPU, LegacyOverPlugin  float64
	LegacyWall                                           float64
	LegacyAsksLess                                       bool // faster than the bulk call: it asks for less
}

// testDriverReading is the reading of the 1000 test-driver domains.
type testDriverReading struct {
	FloorWall, FloorCPU, PluginWall, PluginCPU, OverFloorPct float64
	Paired                                                   results.Dist
	FloorPerDomainUs, OverFloorPerDomainUs, TargetSlackUs    float64
	PairedSpreadPct                                          float64
	AlwaysSlower                                             bool
	GoLibvirtWall, GoLibvirtCPU, GoLibvirtAllocs             float64
}

// overPct is a ratio's distribution as % over 1.
func overPct(d results.Dist) results.Dist {
	return results.Dist{Median: 100 * (d.Median - 1), Min: 100 * (d.Min - 1), Max: 100 * (d.Max - 1), N: d.N}
}

func (r *report) reading(q10, q30, t *results.ScenarioResult, gb map[string]map[string]results.Dist, ex results.ExecdResult) {
	med := func(s *results.ScenarioResult, c string, f func(results.PerRound) []float64) float64 {
		return results.DistOf(f(results.RoundsOf(s.Samples, c))).Median
	}
	var qemu []qemuReading
	for _, s := range []*results.ScenarioResult{q10, q30} {
		n := results.RoundsOf(s.Samples, "floor").Tally.Domains
		q := qemuReading{Domains: n,
			FloorWall: med(s, "floor", wallOfRound), PluginWall: med(s, "plugin", wallOfRound),
			PluginCPU: med(s, "plugin", cpuOfRound), TelegrafCPU: med(s, "telegraf", cpuOfRound), FloorCPU: med(s, "floor", cpuOfRound),
			Paired:         overPct(results.DistOf(results.PairedRatios(s.Samples, "plugin", "floor", results.WallOf))),
			TelegrafAllocs: med(s, "telegraf", allocsOfRound), PluginAllocs: med(s, "plugin", allocsOfRound),
			MetricsPerDomain: float64(results.RoundsOf(s.Samples, "telegraf").Tally.Metrics) / float64(max(n, 1)),
			FloorTGWall:      med(s, "floor-tg", wallOfRound), TelegrafWall: med(s, "telegraf", wallOfRound),
			LegacyWall: med(s, "legacy", wallOfRound), LegacyCPU: med(s, "legacy", cpuOfRound),
			LegacyRPCs: s.RPC["legacy"].PerGather, PluginRPCs: s.RPC["plugin"].PerGather,
		}
		q.OverFloorPct = 100 * (q.PluginWall/q.FloorWall - 1)
		q.TelegrafOverPlugin = q.TelegrafCPU / q.PluginCPU
		q.LegacyOverPlugin = q.LegacyCPU / q.PluginCPU
		q.LegacyAsksLess = q.LegacyWall < q.FloorWall
		qemu = append(qemu, q)
	}
	td := testDriverReading{
		FloorWall: med(t, "floor", wallOfRound), PluginWall: med(t, "plugin", wallOfRound), GoLibvirtWall: med(t, "golibvirt", wallOfRound),
		FloorCPU: med(t, "floor", cpuOfRound), PluginCPU: med(t, "plugin", cpuOfRound), GoLibvirtCPU: med(t, "golibvirt", cpuOfRound),
		GoLibvirtAllocs: med(t, "golibvirt", allocsOfRound),
	}
	paired := results.DistOf(results.PairedRatios(t.Samples, "plugin", "floor", results.WallOf))
	td.Paired = overPct(paired)
	td.OverFloorPct = 100 * (td.PluginWall/td.FloorWall - 1)
	// ms per gather of 1000 domains is µs per domain
	td.FloorPerDomainUs, td.OverFloorPerDomainUs = td.FloorWall, td.PluginWall-td.FloorWall
	td.TargetSlackUs = 0.15 * td.FloorWall
	td.PairedSpreadPct = 100 * (paired.Max - paired.Min)
	td.AlwaysSlower = paired.Min > 1
	var missed []string
	for _, tr := range r.targets {
		if !tr.met {
			missed = append(missed, tr.what)
		}
	}
	r.render("reading", struct {
		QEMU           []qemuReading
		TestDriver     testDriverReading
		Convert, Shape benchPerParam
		Execd          execdSummary
		Missed         string
		IdleBefore30   float64
	}{qemu, td, perParam(gb["BenchmarkConvert"]), perParam(gb["BenchmarkShape"]), summarizeExecd(ex), strings.Join(missed, "; "), q30.IdleBefore})
}
