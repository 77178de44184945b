package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
)

// agentRounds is a contender's CPU per gather, round by round (ms): the
// whole cgroup for Telegraf contenders, client CPU for floor and plugin.
func agentRounds(a *agentResult, c string, part func(agentSample) int64) map[int]float64 {
	out := map[int]float64{}
	switch c {
	case "floor", "plugin":
		for _, g := range a.Gather {
			if g.Contender == c {
				out[g.Round] = cpuOf(g) / 1e6
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

func allCPU(s agentSample) int64      { return s.CPUNs }
func childCPU(s agentSample) int64    { return s.ChildCPUNs }
func telegrafCPU(s agentSample) int64 { return s.CPUNs - s.ChildCPUNs }

func values(m map[int]float64) []float64 {
	var out []float64
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// limitRounds is a limit contender plus the floor's client CPU, per round.
func limitRounds(a *agentResult, limit string) map[int]float64 {
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
	n, d := distOf(values(num)), distOf(values(den))
	ratio := n.Median / d.Median
	paired := distOf(pairedMap(num, den))
	r.targets = append(r.targets, targetRow{what, fmt.Sprintf("≤ %.2f", limit),
		fmt.Sprintf("%.3f (%.2f ÷ %.2f ms; per round %.3f, %.3f–%.3f)", ratio, n.Median, d.Median, paired.Median, paired.Min, paired.Max),
		!math.IsNaN(ratio) && ratio <= limit})
}

func (r *report) agentTargets(a *agentResult) {
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

func (r *report) agentMethod(a *agentResult) {
	r.p("- The whole agent (section 5): each contender is a Telegraf process (`interval = \"1s\"`, aligned, no jitter, `flush_interval = \"1s\"`, `outputs.file` in the influx format, into a pipe, see below) started in a cgroup of its own (cgroup v1 `cpuacct`, joined before `exec`, so its execd child is inside too). After %.1f s or more (at least two gathers), CPU is read from the group's `cpuacct.usage` (ns, every thread of every process, also of those that exited) at 950 ms past a whole second (Telegraf gathers at whole seconds; the next gather has not started, the last is done), and again %d s later: %d whole gathers and flushes. The execd child is moved into a sub-group before the window, so its own CPU is read apart (the parent group still counts it). RSS is `VmRSS` of Telegraf and of the child at the end of the window. Each round runs every contender once, the order rotated, together with the floor and the plugin's Gather as `tlvbench gather` processes (their client CPU, as in sections 1 and 2). `outputs.file` writes into a named pipe the harness reads (the same write calls as into `/dev/null`), parsing every line back with Telegraf's influx parser: the gathers counted in the window are those whose metrics are stamped inside it (`precision = \"1ns\"`; a gather's metrics come in one burst), and CPU per gather is the window's CPU divided by them (a gather that outlives its interval makes Telegraf skip the next tick, and execd folds newlines that arrive during a gather into one); metrics and fields per gather are from the same count.\n", a.WarmupS, a.Gathers, a.Gathers)
}

func (r *report) agentSection(a *agentResult) {
	r.p("## 5. The whole agent: Telegraf's CPU per gather, children included\n\n")
	r.p("%d QEMU domains on `%s` (the 6 test guests and `tlvb-NN` guests, every domain on the host, as in section 1); %d rounds, %d gathers per Telegraf process. The first three rows are what a user runs; the two limits are Telegraf alone handling this gather's metrics: `replayexec` (`bench/replayexec`) writes a recorded gather of the execd binary (%d metrics, %d fields, %d bytes of line protocol, timestamps set to now) back at each line on stdin, in one write; `inputs.tlvbench_replay` (`bench/replay`, compiled into a Telegraf built by `scripts/telegraf-build.sh custom` with `TELEGRAF_CUSTOM_IMPORTS`) adds copies of the same metrics, parsed once at start. A limit in the targets is that row plus the floor's client CPU (the bare call the metrics come from). Stock Telegraf is built from Telegraf %s's own code with tags `custom,inputs.execd,inputs.libvirt,parsers.influx,outputs.file,serializers.influx`; the compiled-in one with `custom,inputs.libvirt_stats,outputs.file,serializers.influx` plus `inputs.tlvbench_replay`. The plugin runs with its defaults (all groups, NOWAIT) and `read_only = false`; `inputs.libvirt` with its defaults (its 10 groups).\n\n",
		a.Recorded.Metrics, a.URI, a.Rounds, a.Gathers, a.Recorded.Metrics, a.Recorded.Fields, a.Recorded.Bytes, r.host.telegraf)
	r.p("| contender | CPU ms / gather, all processes | of which Telegraf | of which the execd child | metrics / gather | fields / gather | RSS MB, Telegraf | RSS MB, child |\n")
	r.p("|---|---|---|---|---|---|---|---|\n")
	for _, c := range agentContenders {
		all := distOf(values(agentRounds(a, c, allCPU)))
		if all.N == 0 {
			continue
		}
		if c == "floor" || c == "plugin" {
			r.p("| %s | %s | – | – | – | – | – | – |\n", agentNames[c], fmtDist(all, 3))
			continue
		}
		tg, ch := distOf(values(agentRounds(a, c, telegrafCPU))), distOf(values(agentRounds(a, c, childCPU)))
		chs, chr := "–", "–"
		if strings.Contains(c, "execd") {
			chs = fmtDist(ch, 3)
			chr = fmtDist(distOf(agentRSS(a, c, true)), 1)
		}
		cal := a.Calib[c]
		r.p("| %s | %s | %s | %s | %d | %d | %s | %s |\n", agentNames[c], fmtDist(all, 3), fmtDist(tg, 3), chs,
			cal.Metrics, cal.Fields, fmtDist(distOf(agentRSS(a, c, false)), 1), chr)
	}
	errs, over := 0, 0
	first := ""
	for _, s := range a.Agent {
		errs += s.LogErrors
		over += s.LogOverruns
		if first == "" {
			first = s.FirstError
		}
	}
	r.p("\nTelegraf's logs over the windows: %d error lines, %d gathers that outlived their interval", errs, over)
	if first != "" {
		r.p(" (first: `%s`)", strings.TrimSpace(first))
	}
	r.p(". Host CPU idle: %.0f%% before the rounds (the guests alone), %.0f%% during them; %.0f s. Configurations: `%s/*.conf`.\n\n",
		a.IdleBefore, a.IdleDuring, a.Took.Seconds(), filepath.Base(filepathDir(a.Configs["agent-execd"])))
	med := func(c string, part func(agentSample) int64) float64 {
		return distOf(values(agentRounds(a, c, part))).Median
	}
	lib, ex, co := med("agent-inputs.libvirt", allCPU), med("agent-execd", allCPU), med("agent-compiled", allCPU)
	exBin, exTg := med("agent-execd", childCPU), med("agent-execd", telegrafCPU)
	lex, lco, fl, pl := med("limit-execd", allCPU), med("limit-compiled", allCPU), med("floor", nil), med("plugin", nil)
	r.p("Reading: with `inputs.libvirt`, Telegraf uses %.2f ms of CPU per gather. With the execd binary, Telegraf and the binary together use %.2f ms (%.2f×): the binary %.2f ms (its Gather alone, in a process of its own: %.2f ms), Telegraf %.2f ms reading and parsing its line protocol. Telegraf alone parsing the same recorded gather uses %.2f ms, so the execd path's limit is %.2f ms with the floor's %.2f ms. With the plugin compiled in, Telegraf uses %.2f ms (%.2f×); Telegraf handling the same metrics pre-built uses %.2f ms, a limit of %.2f ms with the floor. Every number includes Telegraf's own per-second work (its tickers, the flush, the output's serialiser writing every metric), which is in each row alike.\n\n",
		lib, ex, ex/lib, exBin, pl, exTg, lex, lex+fl, fl, co, co/lib, lco, lco+fl)
}

func agentRSS(a *agentResult, c string, child bool) []float64 {
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

// agentPerf is the whole-agent part of the README's Performance section.
func agentPerf(a *agentResult) string {
	var b strings.Builder
	med := func(c string, part func(agentSample) int64) float64 {
		return distOf(values(agentRounds(a, c, part))).Median
	}
	fl := med("floor", nil)
	fmt.Fprintf(&b, "\nThe table above is `Gather` alone, in a process of its own. What a user sees is the CPU of the whole agent: Telegraf (gathering every second, `outputs.file` writing every metric) and, with execd, the binary it runs. Median of %d rounds, %d QEMU domains, CPU of every process per gather (`cpuacct` cgroup), with the metrics and fields each delivers per gather:\n\n", a.Rounds, a.Recorded.Metrics)
	b.WriteString("| whole agent, per gather | CPU ms | of which Telegraf | of which the execd binary | metrics | fields | RSS MB |\n|---|---|---|---|---|---|---|\n")
	rows := []struct{ name, c string }{
		{"Telegraf with `inputs.libvirt`", "agent-inputs.libvirt"},
		{"stock Telegraf + `inputs.execd` + **`telegraf-libvirt`**", "agent-execd"},
		{"Telegraf with **`inputs.libvirt_stats`** compiled in", "agent-compiled"},
		{"limit, execd: Telegraf parsing a recorded gather (+ floor's client CPU)", "limit-execd"},
		{"limit, compiled in: Telegraf adding the same metrics pre-built (+ floor's client CPU)", "limit-compiled"},
	}
	for _, row := range rows {
		all, tg, ch := med(row.c, allCPU), med(row.c, telegrafCPU), med(row.c, childCPU)
		chs := "–"
		if strings.Contains(row.c, "execd") {
			chs = fmtFloat(ch, 2)
		}
		total := fmtFloat(all, 2)
		if strings.HasPrefix(row.c, "limit-") {
			total = fmt.Sprintf("%s + %s = %s", fmtFloat(all, 2), fmtFloat(fl, 2), fmtFloat(all+fl, 2))
		}
		rss := distOf(agentRSS(a, row.c, false)).Median + distOf(agentRSS(a, row.c, true)).Median
		cal := a.Calib[row.c]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %.0f |\n", row.name, total, fmtFloat(tg, 2), chs, cal.Metrics, cal.Fields, rss)
	}
	return b.String()
}
