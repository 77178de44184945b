package scenarios

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// The whole agent: each contender is a Telegraf process (its execd child
// included) gathering every second, measured over a window of whole
// gathers. CPU comes from a cgroup per process (internal/harness/cgroup.go: v1 cpuacct or
// v2 cpu.stat; every thread, children included, also those that exited),
// the execd child's share from a group of its own below it.

type agentRun struct {
	dir, stock, custom, bin, replayExec, recorded, uri string
	warm                                               time.Duration
	configs                                            map[string]string
	cg                                                 harness.CPUGroups
}

// Agent is tlvbench agent: the whole agent, each contender a Telegraf
// process whose CPU per gather comes from a cgroup of its own.
func Agent(args []string) error {
	fs := flag.NewFlagSet("agent", flag.ExitOnError)
	scenario := fs.String("scenario", "agent", "scenario id")
	title := fs.String("title", "", "title for the report")
	uri := fs.String("uri", "qemu:///system", "libvirt URI, the same for every contender")
	stock := fs.String("stock", "", "stock Telegraf (inputs.execd, inputs.libvirt, parsers.influx, outputs.file, serializers.influx)")
	custom := fs.String("custom", "", "Telegraf with inputs.libvirt_stats and inputs.tlvbench_replay, outputs.file, serializers.influx")
	bin := fs.String("bin", "", "the telegraf-libvirt execd binary")
	replayExec := fs.String("replayexec", "", "bench/replayexec binary")
	dir := fs.String("dir", "", "work directory (configs, the recorded gather, Telegraf logs)")
	rounds := fs.Int("rounds", 10, "rounds; each runs every contender once, in a rotated order")
	gathers := fs.Int("gathers", 5, "gathers (seconds) measured per Telegraf process")
	warm := fs.Duration("warmup", 2200*time.Millisecond, "time after Telegraf's start before the window may begin (>= 2 gathers)")
	preload := fs.String("preload", "", "bench/cmalloc for the floor and plugin gather processes")
	only := fs.String("contenders", strings.Join(results.AgentContenders, ","), "comma-separated subset")
	out := fs.String("out", "", "results JSON file")
	cgroup := fs.String("cgroup", "auto", "cgroup hierarchy that counts each process's CPU: "+strings.Join(harness.CgroupChoices, ", ")+" (auto: v1 cpuacct where mounted, else v2)")
	_ = fs.Parse(args)
	if *stock == "" || *custom == "" || *bin == "" || *replayExec == "" || *dir == "" || *out == "" {
		return fmt.Errorf("need -stock, -custom, -bin, -replayexec, -dir and -out")
	}
	names := strings.Split(*only, ",")
	for _, c := range names {
		if !slices.Contains(results.AgentContenders, c) {
			return fmt.Errorf("unknown contender %q (valid: %s)", c, strings.Join(results.AgentContenders, ", "))
		}
	}
	cg, err := harness.DetectCPUGroups(*cgroup)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cg.Root, 0o755); err != nil {
		return fmt.Errorf("cgroup %s at %s, needed for per-process CPU: %w", cg.Version, cg.Root, err)
	}
	logf("agent: CPU per process from cgroup %s (%s)", cg.Version, cg.Mount)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	a := &agentRun{cg: cg, dir: *dir, stock: *stock, custom: *custom, bin: *bin, replayExec: *replayExec, uri: *uri, warm: *warm,
		recorded: filepath.Join(*dir, "recorded.lp")}
	res := results.AgentResult{Scenario: *scenario, Title: *title, URI: *uri, Rounds: *rounds, Gathers: *gathers, WarmupS: warm.Seconds(),
		Contenders: names, Cgroup: cg.Version, Calib: map[string]results.AgentCalib{}, Started: time.Now(),
		Binaries: map[string]string{"stock": *stock, "custom": *custom, "bin": *bin, "replayexec": *replayExec},
		Revision: harness.CmdOut("git", "describe", "--always", "--dirty")}

	if err := a.record(); err != nil {
		return err
	}
	if res.Recorded, err = countLP(a.recorded, false); err != nil {
		return err
	}
	logf("agent: recorded gather: %d metrics, %d fields, %d bytes", res.Recorded.Metrics, res.Recorded.Fields, res.Recorded.Bytes)
	if err := a.writeConfigs(); err != nil {
		return err
	}
	res.Configs = a.configs

	res.IdleBefore, err = harness.HostIdle(5 * time.Second)
	if err != nil {
		return err
	}
	cpu0, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	if err := a.rounds(&res, self, *preload); err != nil {
		return err
	}
	cpu1, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	res.IdleDuring = cpu1.IdleSince(cpu0)
	calibrate(&res)
	res.Took = time.Since(res.Started)
	return writeJSON(*out, res)
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
	if c == "floor" || c == "plugin" {
		g, err := runGather(self, preload, c, res.URI, 2, 5, r, agentInterval)
		if err != nil {
			logf("agent round %d %s failed, once more: %v", r, c, err)
			if g, err = runGather(self, preload, c, res.URI, 2, 5, r, agentInterval); err != nil {
				return err
			}
		}
		res.Gather = append(res.Gather, g)
		logf("agent round %d %-20s cpu %7.3f ms/gather", r, c, float64(g.UserNs+g.SysNs)/float64(g.N)/1e6)
		return nil
	}
	s, err := a.measure(c, r, res.Gathers)
	if err != nil {
		logf("agent round %d %s failed, once more: %v", r, c, err)
		if s, err = a.measure(c, r, res.Gathers); err != nil {
			return err
		}
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

// record writes one gather of the execd binary as it writes it under
// inputs.execd (-poll_interval_disabled, a line on stdin; its -once output
// differs: uint64 with the u suffix) for the two limits to replay. -once
// first tells how many lines a gather has.
func (a *agentRun) record() error {
	conf := filepath.Join(a.dir, "libvirt_stats.conf")
	if err := os.WriteFile(conf, []byte(a.pluginConf()), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	once := exec.CommandContext(ctx, a.bin, "-once", "-config", conf)
	once.Stderr = &stderr
	lp, err := once.Output()
	if err != nil {
		return fmt.Errorf("recording a gather: %s -once: %w: %s", a.bin, err, stderr.String())
	}
	lines := bytes.Count(lp, []byte("\n"))
	cmd, stdin, stdout, err := startExecd(ctx, a.bin, conf, &stderr)
	if err != nil {
		return err
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	if _, err := stdin.Write([]byte("\n")); err != nil {
		return err
	}
	r := bufio.NewReader(stdout)
	var rec bytes.Buffer
	for range lines {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("recording a gather: %w: %s", err, stderr.String())
		}
		rec.Write(line)
	}
	return os.WriteFile(a.recorded, rec.Bytes(), 0o644)
}

// pluginConf is inputs.libvirt_stats as both the execd binary and the
// compiled-in plugin run it: defaults, on the read-write socket like
// inputs.libvirt (see BENCHMARKS.md's method).
func (a *agentRun) pluginConf() string {
	return fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n  read_only = false\n", a.uri)
}

func (a *agentRun) input(c string) (telegrafBin, toml string) {
	switch c {
	case "agent-execd":
		return a.stock, fmt.Sprintf("[[inputs.execd]]\n  command = [%q, \"-config\", %q, \"-poll_interval_disabled\"]\n  signal = \"STDIN\"\n  data_format = \"influx\"\n",
			a.bin, filepath.Join(a.dir, "libvirt_stats.conf"))
	case "agent-compiled":
		return a.custom, a.pluginConf()
	case "agent-inputs.libvirt":
		return a.stock, fmt.Sprintf("[[inputs.libvirt]]\n  libvirt_uri = %q\n", a.uri)
	case "limit-execd":
		return a.stock, fmt.Sprintf("[[inputs.execd]]\n  command = [%q, %q]\n  signal = \"STDIN\"\n  data_format = \"influx\"\n", a.replayExec, a.recorded)
	case "limit-compiled":
		return a.custom, fmt.Sprintf("[[inputs.tlvbench_replay]]\n  file = %q\n", a.recorded)
	}
	panic("unknown agent contender " + c)
}

// agentInterval is the agents' interval; the floor and the plugin's
// Gather run at the same cadence in this scenario (gather -interval), so
// that the CPU a gather costs after a second of idleness (cold caches,
// threads woken) is in the Gather alone as it is in the agents.
const agentInterval = time.Second

// agentConf: gather and flush every second, aligned, no jitter; every
// metric of a gather fits one batch.
func agentConf(input, outFile string) string {
	return fmt.Sprintf(`[agent]
  interval = "1s"
  round_interval = true
  collection_jitter = "0s"
  flush_interval = "1s"
  flush_jitter = "0s"
  metric_batch_size = 10000
  metric_buffer_limit = 100000
  precision = "1ns"

[[outputs.file]]
  files = [%q]
  data_format = "influx"

%s`, outFile, input)
}

func (a *agentRun) writeConfigs() error {
	a.configs = map[string]string{}
	for _, c := range results.AgentContenders {
		if !strings.HasPrefix(c, "agent-") && !strings.HasPrefix(c, "limit-") {
			continue
		}
		_, in := a.input(c)
		path := filepath.Join(a.dir, c+".conf")
		if err := os.WriteFile(path, []byte(agentConf(in, a.fifo(c))), 0o644); err != nil {
			return err
		}
		a.configs[c] = path
	}
	return nil
}

// fifo is where a contender's outputs.file writes: a named pipe the
// harness reads, so that it counts the gathers inside the window by their
// metrics' timestamps (a gather that outlives its interval makes Telegraf
// skip the next, and execd folds newlines that arrive during a gather).
// Writing to a pipe costs Telegraf what writing to /dev/null does, the
// write calls; reading it costs the harness, outside the cgroup.
func (a *agentRun) fifo(c string) string { return filepath.Join(a.dir, c+".fifo") }

// stampedLine is one metric Telegraf wrote: its timestamp and field count.
type stampedLine struct {
	ts     int64
	fields int
}

// readStamped reads line protocol from the pipe until Telegraf closes it.
func readStamped(path string, out chan<- []stampedLine) {
	var lines []stampedLine
	defer func() { out <- lines }()
	f, err := os.Open(path) // blocks until Telegraf opens it for writing
	if err != nil {
		return
	}
	defer f.Close()
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		m, err := p.ParseLine(sc.Text())
		if err != nil {
			continue
		}
		lines = append(lines, stampedLine{ts: m.Time().UnixNano(), fields: len(m.FieldList())})
	}
}

// inWindow counts the gathers (bursts of timestamps more than 300 ms from
// the previous), metrics and fields stamped in [from, to).
func inWindow(lines []stampedLine, from, to time.Time) (gathers, metrics, fields int) {
	ts := slices.Clone(lines)
	slices.SortFunc(ts, func(a, b stampedLine) int { return cmp.Compare(a.ts, b.ts) })
	var last int64
	for _, l := range ts {
		if l.ts < from.UnixNano() || l.ts >= to.UnixNano() {
			continue
		}
		if metrics == 0 || l.ts-last > int64(300*time.Millisecond) {
			gathers++
		}
		last = l.ts
		metrics++
		fields += l.fields
	}
	return gathers, metrics, fields
}

// countLP parses line protocol with Telegraf's influx parser; byGather
// splits it into gathers where consecutive timestamps (ns precision) are
// more than 300 ms apart (a gather's metrics come in one burst, gathers a
// second apart) and gives the median of the complete gathers (the first
// and the last dropped).
func countLP(path string, byGather bool) (results.AgentCalib, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return results.AgentCalib{}, err
	}
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return results.AgentCalib{}, err
	}
	ms, err := p.Parse(b)
	if err != nil {
		return results.AgentCalib{}, fmt.Errorf("%s: %w", path, err)
	}
	if !byGather {
		cal := results.AgentCalib{Metrics: len(ms), Bytes: len(b), Gathers: 1}
		for _, m := range ms {
			cal.Fields += len(m.FieldList())
		}
		return cal, nil
	}
	slices.SortStableFunc(ms, func(a, b telegraf.Metric) int { return a.Time().Compare(b.Time()) })
	type gather struct{ metrics, fields int }
	var gs []gather
	for i, m := range ms {
		if i == 0 || m.Time().Sub(ms[i-1].Time()) > 300*time.Millisecond {
			gs = append(gs, gather{})
		}
		gs[len(gs)-1].metrics++
		gs[len(gs)-1].fields += len(m.FieldList())
	}
	if len(gs) < 3 {
		return results.AgentCalib{}, fmt.Errorf("%s: %d gathers seen, want at least 3", path, len(gs))
	}
	var mets, fields []float64
	for _, g := range gs[1 : len(gs)-1] {
		mets = append(mets, float64(g.metrics))
		fields = append(fields, float64(g.fields))
	}
	return results.AgentCalib{Metrics: int(results.DistOf(mets).Median), Fields: int(results.DistOf(fields).Median),
		Bytes: len(b) / len(gs), Gathers: len(gs)}, nil
}

func (a *agentRun) measure(c string, round, gathers int) (results.AgentSample, error) {
	s, err := a.run(c, a.configs[c], round, gathers)
	if err != nil {
		return s, fmt.Errorf("%s round %d: %w", c, round, err)
	}
	return s, nil
}

// run starts Telegraf with conf in a cgroup of its own, waits for the
// warm-up, measures a window of `gathers` whole intervals, stops it.
// The window runs from x.95 s to x.95 s: Telegraf gathers at whole seconds
// and a gather that is not done by then has outlived its interval (logged).
func (a *agentRun) run(c, conf string, round, gathers int) (results.AgentSample, error) {
	s := results.AgentSample{Contender: c, Round: round, Window: gathers}
	tg, _ := a.input(c)
	cg := filepath.Join(a.cg.Root, fmt.Sprintf("%s-%d-%d", c, round, os.Getpid()))
	child := filepath.Join(cg, "child")
	if err := os.MkdirAll(child, 0o755); err != nil {
		return s, err
	}
	defer removeGroups(child, cg)
	fifo := a.fifo(c)
	_ = os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return s, err
	}
	stamped := make(chan []stampedLine, 1)
	go readStamped(fifo, stamped)
	logPath := filepath.Join(a.dir, c+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return s, err
	}
	defer logFile.Close()
	// The shell joins the cgroup, then becomes Telegraf: nothing Telegraf
	// does, starting its execd child included, happens outside it.
	cmd := exec.Command("/bin/sh", "-c", `echo $$ >"$0/cgroup.procs" && exec "$@"`, cg, tg, "--config", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return s, err
	}
	proc := newTelegrafProc(cmd, logPath)
	defer func() { _ = proc.stop() }()

	t0 := start.Add(a.warm).Truncate(time.Second).Add(time.Second + 950*time.Millisecond)
	if err := proc.sleepUntil(t0.Add(-300 * time.Millisecond)); err != nil {
		return s, err
	}
	// The execd child into a group of its own (the parent group still
	// counts it: both kinds of count are hierarchical).
	childPid := 0
	if strings.Contains(c, "execd") {
		if childPid, err = moveExecdChild(cg, child, cmd.Process.Pid); err != nil {
			return s, err
		}
	}
	if err := proc.sleepUntil(t0); err != nil {
		return s, err
	}
	u0, err1 := a.cg.Usage(cg)
	c0, err2 := a.cg.Usage(child)
	if err := proc.sleepUntil(t0.Add(time.Duration(gathers) * time.Second)); err != nil {
		return s, err
	}
	u1, err3 := a.cg.Usage(cg)
	c1, err4 := a.cg.Usage(child)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return s, err
	}
	s.CPUNs, s.ChildCPUNs = u1-u0, c1-c0
	if m, err := procStatus(cmd.Process.Pid); err == nil {
		s.RSSKiB = m["VmRSS"]
	}
	if childPid != 0 {
		pids, _ := readPids(filepath.Join(child, "cgroup.procs"))
		if !slices.Contains(pids, childPid) {
			return s, fmt.Errorf("execd child %d exited during the window", childPid)
		}
		if m, err := procStatus(childPid); err == nil {
			s.ChildRSSKiB = m["VmRSS"]
		}
	}
	// Telegraf's log up to here: what it says while stopping (execd's
	// pipes closing) is not about the gathers.
	b, _ := os.ReadFile(logPath)
	if err := proc.stop(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return s, err
		}
	}
	select {
	case lines := <-stamped:
		s.Gathers, s.Metrics, s.Fields = inWindow(lines, t0, t0.Add(time.Duration(gathers)*time.Second))
	case <-time.After(10 * time.Second):
		return s, fmt.Errorf("%s: Telegraf's output pipe not closed 10 s after it stopped", c)
	}
	if s.Gathers == 0 {
		return s, fmt.Errorf("no gather of %s within the %d s window: %s", c, gathers, tail(b, 2000))
	}
	countLog(&s, b)
	return s, nil
}

// telegrafProc is a started Telegraf process, waited for in the
// background so that a wait can notice it exiting early.
type telegrafProc struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan error
	stopped bool
}

func newTelegrafProc(cmd *exec.Cmd, logPath string) *telegrafProc {
	p := &telegrafProc{cmd: cmd, logPath: logPath, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	return p
}

// stop sends SIGTERM and waits for the exit, killing Telegraf after 15 s;
// once stopped (or found exited), it does nothing.
func (p *telegrafProc) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		err := <-p.exited
		return fmt.Errorf("telegraf did not stop within 15 s of SIGTERM, killed (%w)", err)
	}
}

// sleepUntil waits until t, failing with the log's tail if Telegraf exits
// before.
func (p *telegrafProc) sleepUntil(t time.Time) error {
	select {
	case err := <-p.exited:
		p.stopped = true
		b, _ := os.ReadFile(p.logPath)
		return fmt.Errorf("telegraf exited early (%w): %s", err, tail(b, 2000))
	case <-time.After(time.Until(t)):
		return nil
	}
}

// removeGroups removes the cgroups dirs, children first, waiting up to 5 s
// each for their processes to be gone.
func removeGroups(dirs ...string) {
	for _, d := range dirs {
		for i := 0; i < 50 && os.Remove(d) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// moveExecdChild moves Telegraf's execd child (every process in group cg
// other than telegraf) into group child, a subgroup of cg, so its CPU is
// also counted alone; the parent group still counts it (both kinds of
// count are hierarchical). It returns the child's pid.
func moveExecdChild(cg, child string, telegraf int) (int, error) {
	pids, err := readPids(filepath.Join(cg, "cgroup.procs"))
	if err != nil {
		return 0, err
	}
	childPid := 0
	for _, p := range pids {
		if p != telegraf {
			childPid = p
			if err := os.WriteFile(filepath.Join(child, "cgroup.procs"), []byte(strconv.Itoa(p)), 0o644); err != nil {
				return 0, fmt.Errorf("moving execd child %d: %w", p, err)
			}
		}
	}
	if childPid == 0 {
		return 0, fmt.Errorf("no execd child in %s", cg)
	}
	return childPid, nil
}

// countLog counts Telegraf's error lines (keeping the first) and its
// overrun warnings in log into s.
func countLog(s *results.AgentSample, log []byte) {
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, " E! ") {
			s.LogErrors++
			if s.FirstError == "" {
				s.FirstError = line
			}
		}
		if strings.Contains(line, "Collection took longer than expected") {
			s.LogOverruns++
		}
	}
}

func readPids(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
			pids = append(pids, p)
		}
	}
	return pids, sc.Err()
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
