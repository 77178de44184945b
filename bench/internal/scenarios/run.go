package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// runOptions are run's flags.
type runOptions struct {
	scenario, title, uri, out, preload string
	contenders                         []string
	rounds, warmup, n, idleSecs        int
}

func parseRunOptions(args []string) (runOptions, error) {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&o.scenario, "scenario", "", "scenario id (file name in the results)")
	fs.StringVar(&o.title, "title", "", "scenario title for the report")
	fs.StringVar(&o.uri, "uri", "", "libvirt URI, the same for every contender")
	list := fs.String("contenders", "floor,plugin,telegraf,legacy", "comma-separated")
	fs.IntVar(&o.rounds, "rounds", 10, "rounds; each runs every contender once, in a rotated order")
	fs.IntVar(&o.warmup, "warmup", 2, "warm-up gathers per process")
	fs.IntVar(&o.n, "n", 5, "measured gathers per process")
	fs.StringVar(&o.out, "out", "", "results JSON file")
	fs.StringVar(&o.preload, "preload", "", "bench/cmalloc shared object to LD_PRELOAD into the gather processes (C allocation counts)")
	fs.IntVar(&o.idleSecs, "idle", 5, "seconds of host CPU idle measured before the rounds")
	_ = fs.Parse(args)
	if err := requireFlags(fs, "scenario", "uri", "out"); err != nil {
		return o, err
	}
	o.contenders = strings.Split(*list, ",")
	for _, c := range o.contenders {
		if _, ok := contenders[c]; !ok {
			return o, fmt.Errorf("unknown contender %q (valid: %s)", c, strings.Join(contenderNames(), ", "))
		}
	}
	return o, nil
}

// Run is tlvbench run: interleaved rounds of gather processes, and each
// contender's libvirt RPCs per gather counted through a proxy socket.
func Run(args []string) error {
	o, err := parseRunOptions(args)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := results.ScenarioResult{Scenario: o.scenario, Title: o.title, URI: o.uri, Contenders: o.contenders,
		Rounds: o.rounds, Warmup: o.warmup, N: o.n, RPC: map[string]harness.RPCCount{}, Started: time.Now(),
		Revision: harness.Revision()}

	res.IdleBefore, err = harness.HostIdle(time.Duration(o.idleSecs) * time.Second)
	if err != nil {
		return err
	}
	logf("%s: host CPU idle before: %.1f%%", o.scenario, res.IdleBefore)
	if res.IdleDuring, err = idleDuring(func() error { return runRounds(&res, self, o.preload) }); err != nil {
		return err
	}
	if err := countAllRPCs(&res, self); err != nil {
		return err
	}
	res.Took = time.Since(res.Started)
	return writeJSON(o.out, res)
}

// idleDuring runs work and returns the percentage of the host's CPU time
// idle while it ran, from /proc/stat.
func idleDuring(work func() error) (float64, error) {
	cpu0, err := harness.ReadCPUStat()
	if err != nil {
		return 0, err
	}
	if err := work(); err != nil {
		return 0, err
	}
	cpu1, err := harness.ReadCPUStat()
	if err != nil {
		return 0, err
	}
	return cpu1.IdleSince(cpu0), nil
}

// runRounds runs res's rounds: every contender once per round, each in a
// gather process of its own, in an order rotated by the round.
func runRounds(res *results.ScenarioResult, self, preload string) error {
	names := res.Contenders
	for r := range res.Rounds {
		for i := range names {
			c := names[(r+i)%len(names)] // rotated: no contender always first
			g, err := onceMore(fmt.Sprintf("%s round %d %s", res.Scenario, r, c), func() (results.GatherResult, error) {
				return runGather(self, preload, c, res.URI, res.Warmup, res.N, r, 0)
			})
			if err != nil {
				return err
			}
			res.Samples = append(res.Samples, g)
			logf("%s round %d %-9s wall %7.2f ms/gather  cpu %7.2f ms/gather  domains %d", res.Scenario, r, c,
				float64(g.BlockNs)/float64(g.N)/1e6, float64(g.UserNs+g.SysNs)/float64(g.N)/1e6, g.Tally.Domains)
		}
	}
	return nil
}

// countAllRPCs counts each contender's RPCs per gather into res.RPC.
func countAllRPCs(res *results.ScenarioResult, self string) error {
	for _, c := range res.Contenders {
		rc, err := countRPCs(self, c, res.URI)
		if err != nil {
			return fmt.Errorf("counting RPCs of %s: %w", c, err)
		}
		res.RPC[c] = rc
		logf("%s %-9s %.1f RPCs per gather %v", res.Scenario, c, rc.PerGather, rc.ByProc)
	}
	return nil
}

// runGather runs one contender in its own process; interval > 0 paces its
// measured gathers (see gather's -interval).
func runGather(self, preload, c, uri string, warmup, n, round int, interval time.Duration) (results.GatherResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "gather", "-contender", c, "-uri", uri,
		"-warmup", fmt.Sprint(warmup), "-n", fmt.Sprint(n), "-round", fmt.Sprint(round), "-interval", interval.String())
	cmd.Env = os.Environ()
	if preload != "" {
		cmd.Env = append(cmd.Env, "LD_PRELOAD="+preload)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var g results.GatherResult
	if err := cmd.Run(); err != nil {
		return g, fmt.Errorf("%s round %d: %w\n%s", c, round, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &g); err != nil {
		return g, fmt.Errorf("%s round %d: output %q: %w", c, round, stdout.String(), err)
	}
	return g, nil
}

// countRPCs runs one contender through the counting proxy: a warm-up
// gather, then results.RPCGathers gathers whose RPCs are counted.
func countRPCs(self, c, uri string) (harness.RPCCount, error) {
	dir, err := os.MkdirTemp("", "tlvbench-rpc-")
	if err != nil {
		return harness.RPCCount{}, err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "proxy.sock")
	target, _, err := goURI(uri)
	if err != nil {
		return harness.RPCCount{}, err
	}
	p, err := harness.StartProxy(sock, target)
	if err != nil {
		return harness.RPCCount{}, err
	}
	defer p.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g, err := startSyncedGather(ctx, self, "-contender", c, "-uri", withSocket(uri, sock),
		"-warmup", "1", "-n", fmt.Sprint(results.RPCGathers))
	if err != nil {
		return harness.RPCCount{}, err
	}
	defer func() { _ = g.wait() }()
	if err := g.expect("warm"); err != nil {
		return harness.RPCCount{}, err
	}
	before := p.Snapshot()
	if err := g.proceed(); err != nil {
		return harness.RPCCount{}, err
	}
	if err := g.expect("done"); err != nil {
		return harness.RPCCount{}, err
	}
	after := p.Snapshot()
	if err := g.proceed(); err != nil {
		return harness.RPCCount{}, err
	}
	if err := g.wait(); err != nil {
		return harness.RPCCount{}, err
	}
	return rpcDelta(before, after), nil
}

// rpcDelta is the calls between two snapshots of the proxy, per gather of
// the results.RPCGathers between them.
func rpcDelta(before, after map[string]int) harness.RPCCount {
	rc := harness.RPCCount{ByProc: map[string]float64{}}
	total := 0
	for proc, n := range after {
		if d := n - before[proc]; d > 0 {
			rc.ByProc[proc] = float64(d) / results.RPCGathers
			total += d
		}
	}
	rc.PerGather = float64(total) / results.RPCGathers
	return rc
}

// withSocket makes a local libvirt URI explicit unix transport through the
// socket at sock (qemu:///system -> qemu+unix:///system?socket=PATH; a
// socket the URI named already is replaced).
func withSocket(uri, sock string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	if !strings.Contains(u.Scheme, "+") {
		u.Scheme += "+unix"
	}
	q := u.Query()
	q.Set("socket", sock)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "%2F", "/")
	return u.String()
}

// writeJSON writes v, indented, to path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// logf logs a progress line on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench] "+format+"\n", args...)
}

// onceMore runs measure, and once more if it fails: the hypervisor is
// shared, and a guest restarted by someone else fails one measurement.
// what names the measurement in the log.
func onceMore[T any](what string, measure func() (T, error)) (T, error) {
	v, err := measure()
	if err != nil {
		logf("%s failed, once more: %v", what, err)
		v, err = measure()
	}
	return v, err
}
