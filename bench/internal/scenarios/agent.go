package scenarios

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// agentRun is the whole agent: each contender is a Telegraf process (its
// execd child included) gathering every second, measured over a window of
// whole gathers. CPU comes from a cgroup per process
// (bench/internal/harness/cgroup.go: v1 cpuacct or v2 cpu.stat; every thread,
// children included, also those that exited), the execd child's share
// from a group of its own below it.
type agentRun struct {
	dir, stock, custom, bin, replayExec, recorded, uri string
	warm                                               time.Duration
	configs                                            map[string]string
	cg                                                 harness.CPUGroups
}

// agentOptions are agent's flags.
type agentOptions struct {
	scenario, title, uri, stock, custom, bin, replayExec, dir, preload, out, cgroup string
	contenders                                                                      []string
	rounds, gathers                                                                 int
	warm                                                                            time.Duration
}

func parseAgentOptions(args []string) (agentOptions, error) {
	var o agentOptions
	fs := flag.NewFlagSet("agent", flag.ExitOnError)
	fs.StringVar(&o.scenario, "scenario", "agent", "scenario id")
	fs.StringVar(&o.title, "title", "", "title for the report")
	fs.StringVar(&o.uri, "uri", "qemu:///system", "libvirt URI, the same for every contender")
	fs.StringVar(&o.stock, "stock", "", "stock Telegraf (inputs.execd, inputs.libvirt, parsers.influx, outputs.file, serializers.influx)")
	fs.StringVar(&o.custom, "custom", "", "Telegraf with inputs.libvirt_stats and inputs.tlvbench_replay, outputs.file, serializers.influx")
	fs.StringVar(&o.bin, "bin", "", "the telegraf-libvirt execd binary")
	fs.StringVar(&o.replayExec, "replayexec", "", "bench/replayexec binary")
	fs.StringVar(&o.dir, "dir", "", "work directory (configs, the recorded gather, Telegraf logs)")
	fs.IntVar(&o.rounds, "rounds", 10, "rounds; each runs every contender once, in a rotated order")
	fs.IntVar(&o.gathers, "gathers", 5, "gathers (seconds) measured per Telegraf process")
	fs.DurationVar(&o.warm, "warmup", 2200*time.Millisecond, "time after Telegraf's start before the window may begin (>= 2 gathers)")
	fs.StringVar(&o.preload, "preload", "", "bench/cmalloc for the floor and plugin gather processes")
	only := fs.String("contenders", strings.Join(results.AgentContenders, ","), "comma-separated subset")
	fs.StringVar(&o.out, "out", "", "results JSON file")
	fs.StringVar(&o.cgroup, "cgroup", "auto", "cgroup hierarchy that counts each process's CPU: "+strings.Join(harness.CgroupChoices, ", ")+" (auto: v1 cpuacct where mounted, else v2)")
	_ = fs.Parse(args)
	if err := requireFlags(fs, "stock", "custom", "bin", "replayexec", "dir", "out"); err != nil {
		return o, err
	}
	o.contenders = strings.Split(*only, ",")
	for _, c := range o.contenders {
		if !slices.Contains(results.AgentContenders, c) {
			return o, fmt.Errorf("unknown contender %q (valid: %s)", c, strings.Join(results.AgentContenders, ", "))
		}
	}
	return o, nil
}

// Agent is tlvbench agent: the whole agent, each contender a Telegraf
// process whose CPU per gather comes from a cgroup of its own.
func Agent(args []string) error {
	o, err := parseAgentOptions(args)
	if err != nil {
		return err
	}
	a, err := newAgentRun(o)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := results.AgentResult{Scenario: o.scenario, Title: o.title, URI: o.uri, Rounds: o.rounds, Gathers: o.gathers, WarmupS: o.warm.Seconds(),
		Contenders: o.contenders, Cgroup: a.cg.Version, Calib: map[string]results.AgentCalib{}, Started: time.Now(),
		Binaries: map[string]string{"stock": o.stock, "custom": o.custom, "bin": o.bin, "replayexec": o.replayExec},
		Revision: harness.Revision()}
	if err := a.prepare(&res); err != nil {
		return err
	}
	if res.IdleBefore, err = harness.HostIdle(5 * time.Second); err != nil {
		return err
	}
	if res.IdleDuring, err = idleDuring(func() error { return a.rounds(&res, self, o.preload) }); err != nil {
		return err
	}
	calibrate(&res)
	res.Took = time.Since(res.Started)
	return writeJSON(o.out, res)
}

// newAgentRun finds the cgroup hierarchy o asks for and makes the root of
// the groups the run's processes go in.
func newAgentRun(o agentOptions) (*agentRun, error) {
	cg, err := harness.DetectCPUGroups(o.cgroup)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cg.Root, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup %s at %s, needed for per-process CPU: %w", cg.Version, cg.Root, err)
	}
	logf("agent: CPU per process from cgroup %s (%s)", cg.Version, cg.Mount)
	return &agentRun{cg: cg, dir: o.dir, stock: o.stock, custom: o.custom, bin: o.bin, replayExec: o.replayExec, uri: o.uri, warm: o.warm,
		recorded: filepath.Join(o.dir, "recorded.lp")}, nil
}

// prepare records a gather for the limits to replay, counts it into res
// and writes every Telegraf contender's configuration.
func (a *agentRun) prepare(res *results.AgentResult) error {
	if err := a.record(); err != nil {
		return err
	}
	var err error
	if res.Recorded, err = countLP(a.recorded, false); err != nil {
		return err
	}
	logf("agent: recorded gather: %d metrics, %d fields, %d bytes", res.Recorded.Metrics, res.Recorded.Fields, res.Recorded.Bytes)
	if err := a.writeConfigs(); err != nil {
		return err
	}
	res.Configs = a.configs
	return nil
}

// rounds runs res's rounds: every contender once per round, in an order
// rotated by the round; a failed measurement is run again, once.
func (a *agentRun) rounds(res *results.AgentResult, self, preload string) error {
	names := res.Contenders
	for r := range res.Rounds {
		for i := range names {
			if err := a.round(res, self, preload, names[(r+i)%len(names)], r); err != nil {
				return err
			}
		}
	}
	return nil
}

// round measures contender c in round r into res: floor and plugin as
// gather processes, the others as Telegraf processes.
func (a *agentRun) round(res *results.AgentResult, self, preload, c string, r int) error {
	what := fmt.Sprintf("agent round %d %s", r, c)
	if c == "floor" || c == "plugin" {
		g, err := onceMore(what, func() (results.GatherResult, error) {
			return runGather(self, preload, c, res.URI, 2, 5, r, agentInterval)
		})
		if err != nil {
			return err
		}
		res.Gather = append(res.Gather, g)
		logf("agent round %d %-20s cpu %7.3f ms/gather", r, c, float64(g.UserNs+g.SysNs)/float64(g.N)/1e6)
		return nil
	}
	s, err := onceMore(what, func() (results.AgentSample, error) { return a.measure(c, r, res.Gathers) })
	if err != nil {
		return err
	}
	res.Agent = append(res.Agent, s)
	logf("agent round %d %-20s cpu %7.3f ms/gather (child %6.3f)  %d gathers in %d s, %d metrics, %d fields  RSS %6.1f + %5.1f MB  log errors %d, overruns %d",
		r, c, float64(s.CPUNs)/float64(s.Gathers)/1e6, float64(s.ChildCPUNs)/float64(s.Gathers)/1e6, s.Gathers, s.Window,
		s.Metrics, s.Fields, float64(s.RSSKiB)/1024, float64(s.ChildRSSKiB)/1024, s.LogErrors, s.LogOverruns)
	return nil
}

// calibrate sets what each contender delivers per gather: the median over
// its rounds.
func calibrate(res *results.AgentResult) {
	for _, c := range res.Contenders {
		var mets, fields []float64
		for _, s := range res.Agent {
			if s.Contender == c && s.Gathers > 0 {
				mets = append(mets, float64(s.Metrics)/float64(s.Gathers))
				fields = append(fields, float64(s.Fields)/float64(s.Gathers))
			}
		}
		if len(mets) > 0 {
			res.Calib[c] = results.AgentCalib{Metrics: int(math.Round(results.DistOf(mets).Median)), Fields: int(math.Round(results.DistOf(fields).Median)), Gathers: len(mets)}
		}
	}
}

// agentInterval is the agents' interval; the floor and the plugin's
// Gather run at the same cadence in this scenario (gather -interval), so
// that the CPU a gather costs after a second of idleness (cold caches,
// threads woken) is in the Gather alone as it is in the agents.
const agentInterval = time.Second
