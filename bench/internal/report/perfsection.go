package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// perfSection is the README's Performance section: the summary of this run.
func perfSection(h host, q30, t *results.ScenarioResult, gb map[string]map[string]results.Dist, ex results.ExecdResult, agent *results.AgentResult, hostCost *hostSectionData, transports []transportSet, targets []targetRow) (string, error) {
	// A contender a scenario did not run is NaN: "–" in the table.
	median := func(s *results.ScenarioResult, c string, f func(results.PerRound) []float64) float64 {
		if !slices.Contains(s.Contenders, c) {
			return math.NaN()
		}
		return results.DistOf(f(results.RoundsOf(s.Samples, c))).Median
	}
	rpcs := func(s *results.ScenarioResult, c string) float64 {
		if rc, ok := s.RPC[c]; ok {
			return rc.PerGather
		}
		return math.NaN()
	}
	type row struct {
		Name                                          string
		Q30Wall, Q30CPU, Q30RPCs, T1000Wall, T1000CPU float64
	}
	type target struct {
		What, Target, Value string
		Met                 bool
	}
	data := struct {
		Rounds             int
		CPU, Libvirt, QEMU string
		Rows               []row
		Agent              *agentPerfData
		Host               *hostSectionData
		Transports         []transportSet
		Convert, Shape     benchPerParam
		Execd              execdSummary
		Targets            []target
	}{Host: hostCost, Transports: transports, Rounds: q30.Rounds, CPU: h.cpu, Libvirt: h.libvirt, QEMU: h.qemu,
		Convert: perParam(gb["BenchmarkConvert"]), Shape: perParam(gb["BenchmarkShape"]), Execd: summarizeExecd(ex)}
	for _, c := range []struct{ name, c string }{
		{"bare `virConnectGetAllDomainStats` + free (floor)", "floor"},
		{"**this plugin** (`Gather` into Telegraf's accumulator)", "plugin"},
		{"Telegraf `inputs.libvirt`", "telegraf"},
		{"per-domain calls, as collectd makes them", "legacy"},
		{"go-libvirt's bulk call, no metrics built", "golibvirt"},
	} {
		data.Rows = append(data.Rows, row{c.name, median(q30, c.c, wallOfRound), median(q30, c.c, cpuOfRound), rpcs(q30, c.c),
			median(t, c.c, wallOfRound), median(t, c.c, cpuOfRound)})
	}
	if agent != nil {
		data.Agent = agentPerf(agent)
	}
	for _, tr := range targets {
		// The measured value alone; BENCHMARKS.md has the rest.
		data.Targets = append(data.Targets, target{tr.what, tr.target, strings.SplitN(tr.measured, " ", 2)[0], tr.met})
	}
	var b strings.Builder
	if err := reportTemplates.ExecuteTemplate(&b, "performance", data); err != nil {
		return "", fmt.Errorf("report template performance: %w", err)
	}
	return b.String(), nil
}

// benchPerParam is a Go benchmark's cost per typed parameter (medians).
type benchPerParam struct{ NsPerParam, AllocsPerParam float64 }

func perParam(m map[string]results.Dist) benchPerParam {
	return benchPerParam{m["ns/param"].Median, m["allocs/param"].Median}
}

// execdSummary is the execd run's steady state: from its tenth gather on.
type execdSummary struct {
	Gathers, Lines, From int
	CPU, RSSMed, RSSMax  float64 // ms per gather, MB
}

func summarizeExecd(ex results.ExecdResult) execdSummary {
	from := len(ex.RSSKiB) / 10
	cpu, rssMed, rssMax := ex.Steady(from)
	return execdSummary{Gathers: ex.Gathers, Lines: ex.Lines, From: from, CPU: cpu, RSSMed: mib(rssMed), RSSMax: mib(rssMax)}
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func wallOfRound(p results.PerRound) []float64   { return p.Wall }
func cpuOfRound(p results.PerRound) []float64    { return p.CPU }
func allocsOfRound(p results.PerRound) []float64 { return p.GoAllocs }
