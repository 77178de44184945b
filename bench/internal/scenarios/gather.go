package scenarios

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// gatherOptions are gather's flags.
type gatherOptions struct {
	contender, uri, groups, cpuprofile string
	warmup, n, round                   int
	settle, interval                   time.Duration
	sync                               bool
}

func parseGatherOptions(args []string) (gatherOptions, error) {
	var o gatherOptions
	fs := flag.NewFlagSet("gather", flag.ExitOnError)
	fs.StringVar(&o.contender, "contender", "", "floor, plugin, telegraf, golibvirt or legacy")
	fs.StringVar(&o.uri, "uri", "", "libvirt URI")
	fs.IntVar(&o.warmup, "warmup", 2, "gathers before measuring (discarded)")
	fs.IntVar(&o.n, "n", 5, "gathers measured")
	fs.IntVar(&o.round, "round", 0, "round number, copied to the output")
	fs.DurationVar(&o.settle, "settle", 100*time.Millisecond, "pause after the measured gathers before reading CPU and allocations, so that work a gather leaves to other threads (records freed in the background, GC) is counted")
	fs.DurationVar(&o.interval, "interval", 0, "start the measured gathers this far apart, as Telegraf's ticks do, and read CPU and allocations n intervals after the first (instead of after -settle): the same cadence, and the same idle time counted, as a Telegraf process gathering every interval (0: back to back)")
	fs.BoolVar(&o.sync, "sync", false, "print 'warm' and 'done' around the measured gathers and wait for a line on stdin after each (RPC counting)")
	fs.StringVar(&o.groups, "groups", "", "statistics_groups of the plugin and of Telegraf's inputs.libvirt, comma-separated (empty: their defaults; host cost)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a Go CPU profile of the measured gathers to this file (for looking into a result, not used by make bench)")
	_ = fs.Parse(args)
	if err := requireFlags(fs, "contender", "uri"); err != nil {
		return o, err
	}
	if _, ok := contenders[o.contender]; !ok {
		return o, fmt.Errorf("unknown contender %q (valid: %s)", o.contender, strings.Join(contenderNames(), ", "))
	}
	return o, nil
}

// Gather is tlvbench gather: one contender's gathers in this process, as
// JSON on stdout. Run starts it once per contender and round.
func Gather(args []string) error {
	o, err := parseGatherOptions(args)
	if err != nil {
		return err
	}
	if o.groups != "" {
		gatherGroups = strings.Split(o.groups, ",")
	}
	c := contenders[o.contender](o.uri)
	if err := c.open(); err != nil {
		return fmt.Errorf("%s: open %s: %w", o.contender, o.uri, err)
	}
	defer c.close()
	for i := range o.warmup {
		if err := c.gather(); err != nil {
			return fmt.Errorf("%s: warm-up gather %d: %w", o.contender, i, err)
		}
		c.tally()
	}
	if m, ok := c.(interface{ measuring() }); ok {
		m.measuring()
	}
	res, err := o.measure(c, o.handshake())
	if err != nil || o.sync {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// handshake is -sync's exchange with the parent: a word on stdout, then a
// line from stdin; without -sync it does nothing.
func (o gatherOptions) handshake() func(say string) {
	stdin := bufio.NewReader(os.Stdin)
	return func(say string) {
		if o.sync {
			fmt.Println(say)
			_, _ = stdin.ReadString('\n')
		}
	}
}

// measure runs the measured gathers of c between the "warm" and "done"
// handshakes and reads this process's CPU and allocations around them.
func (o gatherOptions) measure(c contender, handshake func(string)) (results.GatherResult, error) {
	handshake("warm")
	res := results.GatherResult{Contender: o.contender, Round: o.round, Warmup: o.warmup, N: o.n, WallNs: make([]int64, o.n)}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0 := cMallocs()
	stopProfile, err := startCPUProfile(o.cpuprofile)
	if err != nil {
		return res, err
	}
	u0, s0, x0 := rusage()
	if err := o.gatherPaced(c, &res); err != nil {
		stopProfile()
		return res, err
	}
	u1, s1, x1 := rusage()
	stopProfile()
	c1 := cMallocs()
	runtime.ReadMemStats(&ms1)
	handshake("done")

	res.UserNs, res.SysNs, res.CtxSw = u1-u0, s1-s0, x1-x0
	res.GoMallocs = ms1.Mallocs - ms0.Mallocs
	res.GoBytes = ms1.TotalAlloc - ms0.TotalAlloc
	res.NumGC = ms1.NumGC - ms0.NumGC
	res.CMallocs = -1
	if c0 >= 0 {
		res.CMallocs = c1 - c0
	}
	return res, nil
}

// gatherPaced makes the n measured gathers, -interval apart if set, into
// res, then waits: until n intervals after the first, or -settle.
func (o gatherOptions) gatherPaced(c contender, res *results.GatherResult) error {
	start := time.Now()
	for i := range o.n {
		if o.interval > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * o.interval)))
		}
		t0 := time.Now()
		err := c.gather()
		res.WallNs[i] = time.Since(t0).Nanoseconds()
		if err != nil {
			return fmt.Errorf("%s: gather %d: %w", o.contender, i, err)
		}
		res.Tally = c.tally()
	}
	res.BlockNs = time.Since(start).Nanoseconds()
	if o.interval > 0 {
		time.Sleep(time.Until(start.Add(time.Duration(o.n) * o.interval)))
	} else {
		time.Sleep(o.settle)
	}
	return nil
}

// startCPUProfile starts a Go CPU profile into path (none if path is
// empty); the returned function stops it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// rusage returns this process's user and system CPU time and its context
// switches, all threads.
func rusage() (user, sys, ctxsw int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), ru.Nvcsw + ru.Nivcsw
}
