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

// Gather is tlvbench gather: one contender's gathers in this process, as
// JSON on stdout. Run starts it once per contender and round.
func Gather(args []string) error {
	fs := flag.NewFlagSet("gather", flag.ExitOnError)
	name := fs.String("contender", "", "floor, plugin, telegraf, golibvirt or legacy")
	uri := fs.String("uri", "", "libvirt URI")
	warmup := fs.Int("warmup", 2, "gathers before measuring (discarded)")
	n := fs.Int("n", 5, "gathers measured")
	round := fs.Int("round", 0, "round number, copied to the output")
	settle := fs.Duration("settle", 100*time.Millisecond, "pause after the measured gathers before reading CPU and allocations, so that work a gather leaves to other threads (records freed in the background, GC) is counted")
	interval := fs.Duration("interval", 0, "start the measured gathers this far apart, as Telegraf's ticks do, and read CPU and allocations n intervals after the first (instead of after -settle): the same cadence, and the same idle time counted, as a Telegraf process gathering every interval (0: back to back)")
	sync := fs.Bool("sync", false, "print 'warm' and 'done' around the measured gathers and wait for a line on stdin after each (RPC counting)")
	groups := fs.String("groups", "", "statistics_groups of the plugin and of Telegraf's inputs.libvirt, comma-separated (empty: their defaults; host cost)")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile of the measured gathers to this file (for looking into a result, not used by make bench)")
	_ = fs.Parse(args)
	mk, ok := contenders[*name]
	if !ok || *uri == "" {
		return fmt.Errorf("need -contender (floor, plugin, telegraf, golibvirt, legacy) and -uri")
	}
	if *groups != "" {
		gatherGroups = strings.Split(*groups, ",")
	}
	c := mk(*uri)
	if err := c.open(); err != nil {
		return fmt.Errorf("%s: open %s: %w", *name, *uri, err)
	}
	defer c.close()
	for i := range *warmup {
		if err := c.gather(); err != nil {
			return fmt.Errorf("%s: warm-up gather %d: %w", *name, i, err)
		}
		c.tally()
	}
	stdin := bufio.NewReader(os.Stdin)
	handshake := func(say string) {
		if *sync {
			fmt.Println(say)
			_, _ = stdin.ReadString('\n')
		}
	}
	if m, ok := c.(interface{ measuring() }); ok {
		m.measuring()
	}
	handshake("warm")

	res := results.GatherResult{Contender: *name, Round: *round, Warmup: *warmup, N: *n, WallNs: make([]int64, *n)}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0 := cMallocs()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	u0, s0, x0 := rusage()
	start := time.Now()
	for i := range *n {
		if *interval > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * *interval)))
		}
		t0 := time.Now()
		err := c.gather()
		res.WallNs[i] = time.Since(t0).Nanoseconds()
		if err != nil {
			return fmt.Errorf("%s: gather %d: %w", *name, i, err)
		}
		res.Tally = c.tally()
	}
	res.BlockNs = time.Since(start).Nanoseconds()
	if *interval > 0 {
		time.Sleep(time.Until(start.Add(time.Duration(*n) * *interval)))
	} else {
		time.Sleep(*settle)
	}
	u1, s1, x1 := rusage()
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
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
	if *sync {
		return nil
	}
	return json.NewEncoder(os.Stdout).Encode(res)
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
