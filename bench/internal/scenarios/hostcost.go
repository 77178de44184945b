package scenarios

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// What a gather costs the host: the CPU of libvirtd and of every QEMU
// process while a client gathers, less what they burn in an idle window of
// the same length in the same round. The client is a `tlvbench gather`
// process (this plugin's Gather, or Telegraf's inputs.libvirt) gathering
// every interval; its own CPU is read too. CPU comes from /proc/PID/stat
// (utime + stime of every thread, those that exited included: QEMU's I/O
// worker threads come and go), in clock ticks.

// hostCaseSets are hostcost's -cases: main compares the two clients on the
// same groups, the plugin's defaults and the recommended configuration;
// groups measures each group alone, for both.
func hostCaseSets(set string) ([]results.HostCase, error) {
	idle := results.HostCase{Name: "idle"}
	switch set {
	case "main":
		shared := strings.Join(results.SharedGroups, ",")
		return []results.HostCase{idle,
			{Name: "plugin-shared", Contender: "plugin", Groups: shared},
			{Name: "telegraf-shared", Contender: "telegraf", Groups: shared},
			{Name: "plugin-all", Contender: "plugin"},
			{Name: "floor", Contender: "floor"},
			{Name: "recommended", Contender: "recommended"},
		}, nil
	case "groups":
		cs := []results.HostCase{idle}
		for _, g := range results.SharedGroups {
			cs = append(cs, results.HostCase{Name: "plugin-" + g, Contender: "plugin", Groups: g},
				results.HostCase{Name: "telegraf-" + g, Contender: "telegraf", Groups: g})
		}
		return append(cs, results.HostCase{Name: "plugin-vm", Contender: "plugin", Groups: "vm"}), nil
	}
	return nil, fmt.Errorf("cases %q: valid choices are main, groups", set)
}

// hostcostOptions are hostcost's flags.
type hostcostOptions struct {
	scenario, title, uri, libvirtdPid, qemuPids, set, out string
	rounds, n                                             int
	interval                                              time.Duration
	bracket                                               bool
}

func parseHostcostOptions(args []string) (hostcostOptions, error) {
	var o hostcostOptions
	fs := flag.NewFlagSet("hostcost", flag.ExitOnError)
	fs.StringVar(&o.scenario, "scenario", "hostcost", "scenario id")
	fs.StringVar(&o.title, "title", "", "title for the report")
	fs.StringVar(&o.uri, "uri", "", "libvirt URI (read-write socket, as for the other scenarios)")
	fs.StringVar(&o.libvirtdPid, "libvirtd-pidfile", "", "libvirtd's pid file")
	fs.StringVar(&o.qemuPids, "qemu-piddir", "", "directory of the QEMU processes' NAME.pid files")
	fs.StringVar(&o.set, "cases", "main", "main or groups")
	fs.IntVar(&o.rounds, "rounds", 6, "rounds; each runs every case once, in a rotated order")
	fs.IntVar(&o.n, "n", 6, "measured gathers per case (a multiple of 6 for the recommended configuration)")
	fs.DurationVar(&o.interval, "interval", time.Second, "time between gathers")
	fs.BoolVar(&o.bracket, "bracket", true, "an idle window before every case and one after the last, each case's idle the mean of the two around it (the guests' own load drifts: other tenants, guests booting); false: one idle window per round, in the rotation")
	fs.StringVar(&o.out, "out", "", "results JSON file")
	_ = fs.Parse(args)
	return o, requireFlags(fs, "uri", "libvirtd-pidfile", "qemu-piddir", "out")
}

// HostCost is tlvbench hostcost: the CPU libvirtd and the QEMU processes
// spend while a gather client gathers, less an idle window of the same length.
func HostCost(args []string) error {
	o, err := parseHostcostOptions(args)
	if err != nil {
		return err
	}
	cases, err := hostCaseSets(o.set)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := results.HostResult{Scenario: o.scenario, Title: o.title, URI: o.uri, Rounds: o.rounds, N: o.n, IntervalS: o.interval.Seconds(),
		Cases: cases, Bracket: o.bracket, TickHz: harness.ClockTicks(), Schedstat: true, Started: time.Now(), Revision: harness.Revision()}
	h := &hostProbe{libvirtdPidfile: o.libvirtdPid, qemuDir: o.qemuPids, hz: res.TickHz}
	if _, err := h.read(0); err != nil {
		return err
	}
	if res.IdleBefore, err = harness.HostIdle(5 * time.Second); err != nil {
		return err
	}
	logf("%s: host CPU idle before: %.1f%%", o.scenario, res.IdleBefore)
	if res.IdleDuring, err = idleDuring(func() error { return o.measureRounds(&res, h, self) }); err != nil {
		return err
	}
	res.Took = time.Since(res.Started)
	return writeJSON(o.out, res)
}

// measureRounds runs the rounds of res's cases, each case in the order
// roundOrder gives, into res.Samples.
func (o hostcostOptions) measureRounds(res *results.HostResult, h *hostProbe, self string) error {
	perGather := func(ns int64) float64 { return float64(ns) / float64(o.n) / 1e6 }
	for r := range o.rounds {
		for seq, c := range roundOrder(res.Cases, r, o.bracket) {
			s, err := onceMore(fmt.Sprintf("%s round %d %s", o.scenario, r, c.Name), func() (results.HostSample, error) {
				return h.measure(self, o.uri, c, r, o.n, o.interval)
			})
			if err != nil {
				return err
			}
			s.Seq = seq
			res.Samples = append(res.Samples, s)
			logf("%s round %d %-18s per gather: libvirtd %6.1f ms, QEMU %6.1f ms (%d), client %6.1f ms", o.scenario, r, c.Name,
				perGather(s.LibvirtdNs), perGather(s.QEMUNs), s.QEMUs, perGather(s.ClientNs))
		}
	}
	return nil
}

// roundOrder is round r's windows: the cases rotated by r (no case always
// first); bracketed, the idle case (cases[0]) before each other case and
// once more at the end.
func roundOrder(cases []results.HostCase, r int, bracket bool) []results.HostCase {
	if !bracket {
		out := make([]results.HostCase, len(cases))
		for i := range cases {
			out[i] = cases[(r+i)%len(cases)]
		}
		return out
	}
	rest := cases[1:]
	var out []results.HostCase
	for i := range rest {
		out = append(out, cases[0], rest[(r+i)%len(rest)])
	}
	return append(out, cases[0])
}
