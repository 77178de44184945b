package report

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// agentRounds is a contender's CPU per gather, round by round (ms): the
// whole cgroup for Telegraf contenders, client CPU for floor and plugin.
func agentRounds(a *results.AgentResult, c string, part func(results.AgentSample) int64) map[int]float64 {
	out := map[int]float64{}
	switch c {
	case "floor", "plugin":
		for _, g := range a.Gather {
			if g.Contender == c {
				out[g.Round] = results.CPUOf(g) / 1e6
			}
		}
	default:
		for _, s := range a.Agent {
			if s.Contender == c && s.Gathers > 0 {
				out[s.Round] = float64(part(s)) / float64(s.Gathers) / 1e6
			}
		}
	}
	return out
}

func allCPU(s results.AgentSample) int64      { return s.CPUNs }
func childCPU(s results.AgentSample) int64    { return s.ChildCPUNs }
func telegrafCPU(s results.AgentSample) int64 { return s.CPUNs - s.ChildCPUNs }

func values(m map[int]float64) []float64 {
	var out []float64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// limitRounds is a limit contender plus the floor's client CPU, per round.
func limitRounds(a *results.AgentResult, limit string) map[int]float64 {
	l, f := agentRounds(a, limit, allCPU), agentRounds(a, "floor", nil)
	out := map[int]float64{}
	for r, v := range l {
		if fv, ok := f[r]; ok {
			out[r] = v + fv
		}
	}
	return out
}

func pairedMap(a, b map[int]float64) []float64 {
	var out []float64
	for r, av := range a {
		if bv, ok := b[r]; ok && bv > 0 {
			out = append(out, av/bv)
		}
	}
	return out
}

func (r *report) agentTarget(what string, limit float64, num, den map[int]float64) {
	r.ratioTarget(what, fmt.Sprintf("≤ %.2f", limit), limit, results.DistOf(values(num)), results.DistOf(values(den)), results.DistOf(pairedMap(num, den)))
}

func (r *report) agentTargets(a *results.AgentResult) {
	n := a.Recorded.Metrics
	libvirt := agentRounds(a, "agent-inputs.libvirt", allCPU)
	r.agentTarget(fmt.Sprintf("whole agent: execd binary's CPU ÷ its own Gather, %d QEMU domains", n), 1.3,
		agentRounds(a, "agent-execd", childCPU), agentRounds(a, "plugin", nil))
	r.agentTarget(fmt.Sprintf("whole agent, execd (Telegraf + binary) ÷ Telegraf with inputs.libvirt, %d QEMU domains", n), 0.6,
		agentRounds(a, "agent-execd", allCPU), libvirt)
	r.agentTarget("whole agent, execd ÷ its limit (Telegraf + execd + replayexec, plus the floor's client CPU)", 1.25,
		agentRounds(a, "agent-execd", allCPU), limitRounds(a, "limit-execd"))
	r.agentTarget(fmt.Sprintf("whole agent, compiled in ÷ Telegraf with inputs.libvirt, %d QEMU domains", n), 0.5,
		agentRounds(a, "agent-compiled", allCPU), libvirt)
	r.agentTarget("whole agent, compiled in ÷ its limit (Telegraf + inputs.tlvbench_replay, plus the floor's client CPU)", 1.25,
		agentRounds(a, "agent-compiled", allCPU), limitRounds(a, "limit-compiled"))
}

// agentRow is a contender's row of section 5; the floor and the plugin's
// Gather (GatherOnly) have their client CPU only.
type agentRow struct {
	Name                 string
	GatherOnly, Execd    bool
	All, Telegraf, Child results.Dist // CPU ms per gather
	RSS, ChildRSS        results.Dist // MB
	Metrics, Fields      int
}

// agentCPU is the medians the reading of section 5 compares, ms per gather.
type agentCPU struct {
	Libvirt, Execd, ExecdRatio, ExecdChild, ExecdTelegraf, Plugin float64
	LimitExecd, LimitExecdFloor, Floor                            float64
	Compiled, CompiledRatio, LimitCompiled, LimitCompiledFloor    float64
	// A limit ÷ Telegraf with inputs.libvirt: the lowest ratio that path
	// can reach on these guests.
	LimitExecdRatio, LimitCompiledRatio float64
}

func (r *report) agentSection(a *results.AgentResult) {
	data := struct {
		Metrics, Fields, Bytes int
		URI, Telegraf          string
		Rounds, Gathers        int
		Rows                   []agentRow
		LogErrors, LogOverruns int
		FirstError             string
		IdleBefore, IdleDuring float64
		TookS                  float64
		ConfigDir              string
		CPU                    agentCPU
	}{Metrics: a.Recorded.Metrics, Fields: a.Recorded.Fields, Bytes: a.Recorded.Bytes, URI: a.URI, Telegraf: r.host.telegraf,
		Rounds: a.Rounds, Gathers: a.Gathers, IdleBefore: a.IdleBefore, IdleDuring: a.IdleDuring, TookS: a.Took.Seconds(),
		ConfigDir: filepath.Base(filepathDir(a.Configs["agent-execd"]))}
	for _, c := range results.AgentContenders {
		row := agentRow{Name: results.AgentNames[c], All: results.DistOf(values(agentRounds(a, c, allCPU)))}
		if row.All.N == 0 {
			continue
		}
		if c == "floor" || c == "plugin" {
			row.GatherOnly = true
		} else {
			row.Telegraf, row.Child = results.DistOf(values(agentRounds(a, c, telegrafCPU))), results.DistOf(values(agentRounds(a, c, childCPU)))
			row.Execd = strings.Contains(c, "execd")
			row.RSS, row.ChildRSS = results.DistOf(agentRSS(a, c, false)), results.DistOf(agentRSS(a, c, true))
			row.Metrics, row.Fields = a.Calib[c].Metrics, a.Calib[c].Fields
		}
		data.Rows = append(data.Rows, row)
	}
	for _, s := range a.Agent {
		data.LogErrors += s.LogErrors
		data.LogOverruns += s.LogOverruns
		if data.FirstError == "" {
			data.FirstError = strings.TrimSpace(s.FirstError)
		}
	}
	med := func(c string, part func(results.AgentSample) int64) float64 {
		return results.DistOf(values(agentRounds(a, c, part))).Median
	}
	cpu := agentCPU{Libvirt: med("agent-inputs.libvirt", allCPU), Execd: med("agent-execd", allCPU), Compiled: med("agent-compiled", allCPU),
		ExecdChild: med("agent-execd", childCPU), ExecdTelegraf: med("agent-execd", telegrafCPU),
		LimitExecd: med("limit-execd", allCPU), LimitCompiled: med("limit-compiled", allCPU), Floor: med("floor", nil), Plugin: med("plugin", nil)}
	cpu.ExecdRatio, cpu.CompiledRatio = cpu.Execd/cpu.Libvirt, cpu.Compiled/cpu.Libvirt
	cpu.LimitExecdFloor, cpu.LimitCompiledFloor = cpu.LimitExecd+cpu.Floor, cpu.LimitCompiled+cpu.Floor
	cpu.LimitExecdRatio, cpu.LimitCompiledRatio = cpu.LimitExecdFloor/cpu.Libvirt, cpu.LimitCompiledFloor/cpu.Libvirt
	data.CPU = cpu
	r.render("agent", data)
}

func agentRSS(a *results.AgentResult, c string, child bool) []float64 {
	var out []float64
	for _, s := range a.Agent {
		if s.Contender != c {
			continue
		}
		v := s.RSSKiB
		if child {
			v = s.ChildRSSKiB
		}
		out = append(out, float64(v)/1024)
	}
	return out
}

func filepathDir(p string) string {
	if p == "" {
		return "agent"
	}
	return filepath.Dir(p)
}

// agentPerfData is the whole-agent part of the README's Performance
// section: medians, ms per gather (NaN: not measured).
type agentPerfData struct {
	Rounds, Domains int
	Floor           float64
	Rows            []agentPerfRow
	Cgroup          string
}

type agentPerfRow struct {
	Name                                   string
	Limit, Execd                           bool
	All, AllAndFloor, Telegraf, Child, RSS float64
	Metrics, Fields                        int
}

func agentPerf(a *results.AgentResult) *agentPerfData {
	med := func(c string, part func(results.AgentSample) int64) float64 {
		return results.DistOf(values(agentRounds(a, c, part))).Median
	}
	d := &agentPerfData{Cgroup: a.CgroupName(), Rounds: a.Rounds, Domains: a.Recorded.Metrics, Floor: med("floor", nil)}
	for _, row := range []struct{ name, c string }{
		{"Telegraf with `inputs.libvirt`", "agent-inputs.libvirt"},
		{"stock Telegraf + `inputs.execd` + **`telegraf-libvirt`**", "agent-execd"},
		{"Telegraf with **`inputs.libvirt_stats`** compiled in", "agent-compiled"},
		{"limit, execd: Telegraf parsing a recorded gather (+ floor's client CPU)", "limit-execd"},
		{"limit, compiled in: Telegraf adding the same metrics pre-built (+ floor's client CPU)", "limit-compiled"},
	} {
		all := med(row.c, allCPU)
		d.Rows = append(d.Rows, agentPerfRow{Name: row.name, All: all, AllAndFloor: all + d.Floor,
			Limit: strings.HasPrefix(row.c, "limit-"), Execd: strings.Contains(row.c, "execd"),
			Telegraf: med(row.c, telegrafCPU), Child: med(row.c, childCPU),
			RSS:     results.DistOf(agentRSS(a, row.c, false)).Median + results.DistOf(agentRSS(a, row.c, true)).Median,
			Metrics: a.Calib[row.c].Metrics, Fields: a.Calib[row.c].Fields})
	}
	return d
}
