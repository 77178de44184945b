package report

import (
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// The report's text: report.md.tmpl is BENCHMARKS.md, a named template per
// section; performance.md.tmpl is the README's Performance section.
//
//go:embed report.md.tmpl performance.md.tmpl
var reportFS embed.FS

var reportTemplates = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":    fmtFloat,
	"dist":   fmtDist,
	"distIn": fmtDistOpt,
	"pct":    fmtPct,
}).ParseFS(reportFS, "*.tmpl"))

// The contenders as the report names them.
var contenderNames = map[string]string{
	"floor":     "floor: bare C call + free",
	"floor-tg":  "floor, inputs.libvirt's groups",
	"plugin":    "**libvirt_stats** Gather",
	"telegraf":  "Telegraf inputs.libvirt Gather",
	"legacy":    "per-domain calls (collectd's way)",
	"golibvirt": "go-libvirt ConnectGetAllDomainStats",
}

// report is BENCHMARKS.md being written, section by section.
type report struct {
	b       strings.Builder
	err     error // the first template error
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
type runResults struct {
	q10, q30, t1000  *results.ScenarioResult
	ex               results.ExecdResult
	gb               map[string]map[string]results.Dist
	agent            *results.AgentResult // nil for a run from before section 5
	host, hostGroups *results.HostResult  // nil for a run from before the host-cost scenario
	hostLinux        *results.HostResult  // the host cost with the lab's Linux guests; nil if not run
	transports       []transportSet       // BenchmarkTransport's tables; nil if not run
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

// Main is tlvbench report: it renders the results directory into
// BENCHMARKS.md (-out) and docs/performance.md (-perf).
func Main(args []string) error {
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
	benchmarks, performance, err := renderReport(res, readHost(res.q10.URI), *command)
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

func loadResults(dir string) (*runResults, error) {
	var res runResults
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
		res.agent = &results.AgentResult{}
		if err := loadJSON(filepath.Join(dir, "agent.json"), res.agent); err != nil {
			return nil, err
		}
	}
	// The host-cost scenario (section 6); a results directory from before
	// it has none.
	for _, f := range []struct {
		name string
		to   **results.HostResult
	}{{"hostcost.json", &res.host}, {"hostcost-groups.json", &res.hostGroups}, {"hostcost-linux.json", &res.hostLinux}} {
		if _, err := os.Stat(filepath.Join(dir, f.name)); err == nil {
			*f.to = &results.HostResult{}
			if err := loadJSON(filepath.Join(dir, f.name), *f.to); err != nil {
				return nil, err
			}
		}
	}
	// What each transport costs (section 7): go test -bench output.
	if _, err := os.Stat(filepath.Join(dir, "transports.txt")); err == nil {
		tr, err := parseGoBench(filepath.Join(dir, "transports.txt"))
		if err != nil {
			return nil, err
		}
		res.transports = transportTables(tr)
	}
	return &res, nil
}

// renderReport is BENCHMARKS.md and the README's Performance section
// (docs/performance.md) of one run.
func renderReport(res *runResults, h host, command string) (benchmarks, performance string, err error) {
	q10, q30, t1000, ex, gb, agent := res.q10, res.q30, res.t1000, res.ex, res.gb, res.agent
	r := &report{command: command, host: h}

	// Targets first (the tables below are what they come from).
	r.pluginTarget(q30, "floor", 1.05, "≤ 1.05", "wall time, this plugin ÷ floor, N = 30 QEMU domains", false)
	r.pluginTarget(t1000, "floor", 1.15, "≤ 1.15", "wall time, this plugin ÷ floor, 1000 test-driver domains", false)
	r.pluginTarget(t1000, "floor", 2, "≤ 2.00", "client CPU, this plugin ÷ floor, 1000 test-driver domains", true)
	r.pluginTarget(q10, "telegraf", 0.5, "≤ 0.5", "client CPU, this plugin ÷ inputs.libvirt, N = 10", true)
	r.pluginTarget(q30, "telegraf", 0.5, "≤ 0.5", "client CPU, this plugin ÷ inputs.libvirt, N = 30", true)
	conv := gb["BenchmarkConvert"]
	r.targets = append(r.targets, targetRow{"allocations per typed parameter, conversion (amortized)", "≤ 1",
		fmt.Sprintf("%.3f", conv["allocs/param"].Median), conv["allocs/param"].Median <= 1})
	if dev, ok := gb["BenchmarkShapeDevice"]; ok {
		ratio := dev["ns/op"].Median / gb["BenchmarkShape"]["ns/op"].Median
		r.targets = append(r.targets, targetRow{"device layout shaping ÷ domain layout, per domain (`BenchmarkShapeDevice` ÷ `BenchmarkShape`)", "≤ 2",
			fmt.Sprintf("%.2f (%.2f ÷ %.2f ms per 1000 domains)", ratio, dev["ns/op"].Median/1e6, gb["BenchmarkShape"]["ns/op"].Median/1e6), ratio <= 2})
	}
	sum := summarizeExecd(ex)
	r.targets = append(r.targets, targetRow{"execd binary steady RSS, 1000 domains", "≤ 40 MB",
		fmt.Sprintf("%.1f MB (max %.1f MB)", sum.RSSMed, sum.RSSMax), sum.RSSMax <= 40})
	if agent != nil {
		r.agentTargets(agent)
	}
	if res.host != nil {
		r.hostTargets(res.host, "guests in their BIOS")
	}
	if res.hostLinux != nil {
		r.hostTargets(res.hostLinux, "with the lab's Linux guests")
	}

	r.started = q10.Started
	r.header(q30.Revision)
	r.targetTable()
	r.method(q10, t1000, agent)
	r.qemu(q10, q30)
	r.testDriver(t1000)
	r.goBench(gb)
	r.execd(ex)
	if agent != nil {
		r.agentSection(agent)
	}
	if res.host != nil {
		r.hostSection(res.host, res.hostGroups, res.hostLinux)
	}
	if res.transports != nil {
		r.render("transports", res.transports)
	}
	r.reading(q10, q30, t1000, gb, ex)
	if r.err != nil {
		return "", "", r.err
	}
	performance, err = perfSection(h, q30, t1000, gb, ex, agent, hostPerf(res.host), res.transports, r.targets)
	return r.b.String(), performance, err
}

func loadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func loadScenario(path string) (*results.ScenarioResult, error) {
	var s results.ScenarioResult
	if err := loadJSON(path, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// render appends the named section of report.md.tmpl; the first error is
// kept for renderReport.
func (r *report) render(name string, data any) {
	if err := reportTemplates.ExecuteTemplate(&r.b, name, data); err != nil && r.err == nil {
		r.err = fmt.Errorf("report template %s: %w", name, err)
	}
}

// ratioTarget is a target on num ÷ den, the ratio of their medians; paired
// is the same ratio round by round.
func (r *report) ratioTarget(what, wanted string, limit float64, num, den, paired results.Dist) {
	ratio := num.Median / den.Median
	r.targets = append(r.targets, targetRow{what, wanted,
		fmt.Sprintf("%.3f (%.2f ÷ %.2f ms; per round %.3f, %.3f–%.3f)", ratio, num.Median, den.Median, paired.Median, paired.Min, paired.Max),
		ratio <= limit}) // false for NaN: a ratio not measured is not met
}

// pluginTarget is the plugin ÷ another contender of one scenario, in wall
// time or client CPU.
func (r *report) pluginTarget(s *results.ScenarioResult, den string, limit float64, wanted, what string, cpu bool) {
	of, ofRound := wallOfRound, results.WallOf
	if cpu {
		of, ofRound = cpuOfRound, results.CPUOf
	}
	r.ratioTarget(what, wanted, limit, results.DistOf(of(results.RoundsOf(s.Samples, "plugin"))), results.DistOf(of(results.RoundsOf(s.Samples, den))),
		results.DistOf(results.PairedRatios(s.Samples, "plugin", den, ofRound)))
}
