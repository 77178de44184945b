package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// What a gather costs the host: the CPU of libvirtd and of every QEMU
// process while a client gathers, less what they burn in an idle window of
// the same length in the same round. The client is a `tlvbench gather`
// process (this plugin's Gather, or Telegraf's inputs.libvirt) gathering
// every interval; its own CPU is read too. CPU comes from /proc/PID/stat
// (utime + stime of every thread, those that exited included: QEMU's I/O
// worker threads come and go), in clock ticks.

// hostCase is one thing measured in a round: a client with its groups, or
// nothing (idle).
type hostCase struct {
	Name      string `json:"name"`      // unique, the report's key
	Contender string `json:"contender"` // gather's -contender; "" for idle
	Groups    string `json:"groups"`    // gather's -groups; "" for the default
}

type hostSample struct {
	Case       string `json:"case"`
	Round      int    `json:"round"`
	Seq        int    `json:"seq"` // position in the round
	WindowNs   int64  `json:"window_ns"`
	Gathers    int    `json:"gathers"`
	LibvirtdNs int64  `json:"libvirtd_ns"`
	QEMUNs     int64  `json:"qemu_ns"`
	ClientNs   int64  `json:"client_ns"`
	QEMUs      int    `json:"qemus"` // QEMU processes alive over the window
}

type hostResult struct {
	Scenario   string        `json:"scenario"`
	Title      string        `json:"title"`
	URI        string        `json:"uri"`
	Rounds     int           `json:"rounds"`
	N          int           `json:"n"`
	IntervalS  float64       `json:"interval_s"`
	Cases      []hostCase    `json:"cases"`
	Samples    []hostSample  `json:"samples"`
	TickHz     int           `json:"tick_hz"`
	Bracket    bool          `json:"bracket"` // an idle window around every case
	IdleBefore float64       `json:"host_idle_before"`
	IdleDuring float64       `json:"host_idle_during"`
	Revision   string        `json:"revision"`
	Started    time.Time     `json:"started"`
	Took       time.Duration `json:"took"`
}

// The groups both clients know (inputs.libvirt has no vm group): the
// "same groups" of the comparison.
var sharedGroups = []string{"state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf", "iothread", "memory", "dirtyrate"}

// hostCaseSets are hostcost's -cases: main compares the two clients on the
// same groups, the plugin's defaults and the recommended configuration;
// groups measures each group alone, for both.
func hostCaseSets(set string) ([]hostCase, error) {
	idle := hostCase{Name: "idle"}
	switch set {
	case "main":
		shared := strings.Join(sharedGroups, ",")
		return []hostCase{idle,
			{Name: "plugin-shared", Contender: "plugin", Groups: shared},
			{Name: "telegraf-shared", Contender: "telegraf", Groups: shared},
			{Name: "plugin-all", Contender: "plugin"},
			{Name: "recommended", Contender: "recommended"},
		}, nil
	case "groups":
		cs := []hostCase{idle}
		for _, g := range sharedGroups {
			cs = append(cs, hostCase{Name: "plugin-" + g, Contender: "plugin", Groups: g},
				hostCase{Name: "telegraf-" + g, Contender: "telegraf", Groups: g})
		}
		return append(cs, hostCase{Name: "plugin-vm", Contender: "plugin", Groups: "vm"}), nil
	}
	return nil, fmt.Errorf("cases %q: valid choices are main, groups", set)
}

func hostcostMain(args []string) error {
	fs := flag.NewFlagSet("hostcost", flag.ExitOnError)
	scenario := fs.String("scenario", "hostcost", "scenario id")
	title := fs.String("title", "", "title for the report")
	uri := fs.String("uri", "", "libvirt URI (read-write socket, as for the other scenarios)")
	libvirtdPid := fs.String("libvirtd-pidfile", "", "libvirtd's pid file")
	qemuPids := fs.String("qemu-piddir", "", "directory of the QEMU processes' NAME.pid files")
	set := fs.String("cases", "main", "main or groups")
	rounds := fs.Int("rounds", 6, "rounds; each runs every case once, in a rotated order")
	n := fs.Int("n", 6, "measured gathers per case (a multiple of 6 for the recommended configuration)")
	interval := fs.Duration("interval", time.Second, "time between gathers")
	bracket := fs.Bool("bracket", true, "an idle window before every case and one after the last, each case's idle the mean of the two around it (the guests' own load drifts: other tenants, guests booting); false: one idle window per round, in the rotation")
	out := fs.String("out", "", "results JSON file")
	_ = fs.Parse(args)
	if *uri == "" || *libvirtdPid == "" || *qemuPids == "" || *out == "" {
		return fmt.Errorf("need -uri, -libvirtd-pidfile, -qemu-piddir and -out")
	}
	cases, err := hostCaseSets(*set)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	res := hostResult{Scenario: *scenario, Title: *title, URI: *uri, Rounds: *rounds, N: *n, IntervalS: interval.Seconds(),
		Cases: cases, Bracket: *bracket, TickHz: clockTicks(), Started: time.Now(), Revision: cmdOut("git", "describe", "--always", "--dirty")}
	h := &hostProbe{libvirtdPidfile: *libvirtdPid, qemuDir: *qemuPids, hz: res.TickHz}
	if _, err := h.read(0); err != nil {
		return err
	}
	if res.IdleBefore, err = harness.HostIdle(5 * time.Second); err != nil {
		return err
	}
	logf("%s: host CPU idle before: %.1f%%", *scenario, res.IdleBefore)
	cpu0, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	for r := range *rounds {
		for seq, c := range roundOrder(cases, r, *bracket) {
			s, err := h.measure(self, *uri, c, r, *n, *interval)
			if err != nil {
				logf("%s round %d %s failed, once more: %v", *scenario, r, c.Name, err)
				if s, err = h.measure(self, *uri, c, r, *n, *interval); err != nil {
					return err
				}
			}
			s.Seq = seq
			res.Samples = append(res.Samples, s)
			logf("%s round %d %-18s per gather: libvirtd %6.1f ms, QEMU %6.1f ms (%d), client %6.1f ms", *scenario, r, c.Name,
				float64(s.LibvirtdNs)/float64(*n)/1e6, float64(s.QEMUNs)/float64(*n)/1e6, s.QEMUs, float64(s.ClientNs)/float64(*n)/1e6)
		}
	}
	cpu1, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	res.IdleDuring = cpu1.IdleSince(cpu0)
	res.Took = time.Since(res.Started)
	return writeJSON(*out, res)
}

// roundOrder is round r's windows: the cases rotated by r (no case always
// first); bracketed, the idle case (cases[0]) before each other case and
// once more at the end.
func roundOrder(cases []hostCase, r int, bracket bool) []hostCase {
	if !bracket {
		out := make([]hostCase, len(cases))
		for i := range cases {
			out[i] = cases[(r+i)%len(cases)]
		}
		return out
	}
	rest := cases[1:]
	var out []hostCase
	for i := range rest {
		out = append(out, cases[0], rest[(r+i)%len(rest)])
	}
	return append(out, cases[0])
}

// hostProbe reads the CPU of libvirtd and of the QEMU processes.
type hostProbe struct {
	libvirtdPidfile, qemuDir string
	hz                       int
}

// hostCPU is a reading: ns per process (libvirtd under "libvirtd", QEMU by
// pid file name, the client under "client").
type hostCPU map[string]int64

func (h *hostProbe) read(client int) (hostCPU, error) {
	cpu := hostCPU{}
	pid, err := readPidfile(h.libvirtdPidfile)
	if err != nil {
		return nil, fmt.Errorf("libvirtd: %w", err)
	}
	if cpu["libvirtd"], err = h.procNs(pid); err != nil {
		return nil, fmt.Errorf("libvirtd: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(h.qemuDir, "*.pid"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		pid, err := readPidfile(f)
		if err != nil {
			continue // a guest shut off: its pid file may stay, empty or stale
		}
		if ns, err := h.procNs(pid); err == nil && isQEMU(pid) {
			cpu["qemu:"+filepath.Base(f)] = ns
		}
	}
	if client > 0 {
		if cpu["client"], err = h.procNs(client); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	return cpu, nil
}

func (h *hostProbe) procNs(pid int) (int64, error) {
	t, err := procCPUTicks(pid)
	return t * int64(time.Second) / int64(h.hz), err
}

func isQEMU(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(string(b), "qemu")
}

func readPidfile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no pid in %q", path, b)
	}
	return pid, nil
}

// hostDelta is b - a over the processes alive at both readings.
func hostDelta(a, b hostCPU) (libvirtd, qemu int64, qemus int) {
	for k, v := range b {
		w, ok := a[k]
		if !ok {
			continue
		}
		switch {
		case k == "libvirtd":
			libvirtd = v - w
		case strings.HasPrefix(k, "qemu:"):
			qemu += v - w
			qemus++
		}
	}
	return libvirtd, qemu, qemus
}

// measure runs one case: a gather process that warms up (one gather),
// then gathers n times an interval apart; the host's CPU is read when it
// says "warm" and when it says "done" (n intervals after its first
// measured gather). Idle reads the same processes n intervals apart.
func (h *hostProbe) measure(self, uri string, c hostCase, round, n int, interval time.Duration) (hostSample, error) {
	s := hostSample{Case: c.Name, Round: round, Gathers: n}
	if c.Contender == "" {
		a, err := h.read(0)
		if err != nil {
			return s, err
		}
		t0 := time.Now()
		time.Sleep(time.Duration(n) * interval)
		b, err := h.read(0)
		if err != nil {
			return s, err
		}
		s.WindowNs = time.Since(t0).Nanoseconds()
		s.LibvirtdNs, s.QEMUNs, s.QEMUs = hostDelta(a, b)
		return s, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"gather", "-contender", c.Contender, "-uri", uri, "-warmup", "1", "-n", strconv.Itoa(n),
		"-interval", interval.String(), "-round", strconv.Itoa(round), "-sync"}
	if c.Groups != "" {
		args = append(args, "-groups", c.Groups)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return s, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return s, err
	}
	if err := cmd.Start(); err != nil {
		return s, err
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	expect := func(want string) error {
		if !lines.Scan() || lines.Text() != want {
			_ = stdin.Close()
			_ = cmd.Wait()
			return fmt.Errorf("%s: expected %q from the gather process, got %q: %s", c.Name, want, lines.Text(), stderr.String())
		}
		return nil
	}
	if err := expect("warm"); err != nil {
		return s, err
	}
	a, err := h.read(cmd.Process.Pid)
	if err != nil {
		return s, err
	}
	t0 := time.Now()
	if _, err := io.WriteString(stdin, "\n"); err != nil {
		return s, err
	}
	if err := expect("done"); err != nil {
		return s, err
	}
	b, err := h.read(cmd.Process.Pid)
	if err != nil {
		return s, err
	}
	s.WindowNs = time.Since(t0).Nanoseconds()
	s.LibvirtdNs, s.QEMUNs, s.QEMUs = hostDelta(a, b)
	s.ClientNs = b["client"] - a["client"]
	if _, err := io.WriteString(stdin, "\n"); err != nil {
		return s, err
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return s, err
		}
		return s, fmt.Errorf("%s: gather process: %w: %s", c.Name, err, stderr.String())
	}
	return s, nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
func clockTicks() int {
	if b, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && hz > 0 {
			return hz
		}
	}
	return 100
}

// hostRound is one round of a case with the same round's idle window
// subtracted, ms per gather (NaN where the round has no idle window).
type hostRound struct {
	Libvirtd, QEMU, Client, Host float64 // Host: libvirtd + QEMU
	QEMUs                        int
}

// hostRounds is a case's cost per round, ms per gather: each window less
// what libvirtd and QEMU burn idle over as long a window, at the mean rate
// of the idle windows right before and after it in the same round (a
// round with one idle window, not bracketed: that one).
func hostRounds(res *hostResult, name string) map[int]hostRound {
	idle := map[int][]hostSample{}
	for _, s := range res.Samples {
		if s.Case == "idle" && s.WindowNs > 0 {
			idle[s.Round] = append(idle[s.Round], s)
		}
	}
	out := map[int]hostRound{}
	for _, s := range res.Samples {
		if s.Case != name || s.Gathers == 0 {
			continue
		}
		ref := idleAround(idle[s.Round], s.Seq)
		if len(ref) == 0 {
			continue
		}
		var lRate, qRate float64 // ns of CPU per ns of window
		for _, i := range ref {
			lRate += float64(i.LibvirtdNs) / float64(i.WindowNs) / float64(len(ref))
			qRate += float64(i.QEMUNs) / float64(i.WindowNs) / float64(len(ref))
		}
		w := float64(s.WindowNs)
		per := func(v int64, rate float64) float64 { return (float64(v) - rate*w) / float64(s.Gathers) / 1e6 }
		r := hostRound{Libvirtd: per(s.LibvirtdNs, lRate), QEMU: per(s.QEMUNs, qRate),
			Client: float64(s.ClientNs) / float64(s.Gathers) / 1e6, QEMUs: s.QEMUs}
		r.Host = r.Libvirtd + r.QEMU
		out[s.Round] = r
	}
	return out
}

// idleAround is the idle windows right before and right after position
// seq; where there is neither, every idle window of the round.
func idleAround(idle []hostSample, seq int) []hostSample {
	var before, after *hostSample
	for i := range idle {
		w := &idle[i]
		if w.Seq < seq && (before == nil || w.Seq > before.Seq) {
			before = w
		}
		if w.Seq > seq && (after == nil || w.Seq < after.Seq) {
			after = w
		}
	}
	var out []hostSample
	for _, w := range []*hostSample{before, after} {
		if w != nil {
			out = append(out, *w)
		}
	}
	if len(out) == 0 {
		return idle
	}
	return out
}

// hostDist is the spread over the rounds of one part of a case.
func hostDist(rs map[int]hostRound, part func(hostRound) float64) dist {
	var xs []float64
	for _, r := range rs {
		xs = append(xs, part(r))
	}
	return distOf(xs)
}

// hostRatio is a/b of a part round by round (both ran in each round: the
// host's drift cancels), over the rounds where b is positive.
func hostRatio(res *hostResult, a, b string, part func(hostRound) float64) dist {
	ra, rb := hostRounds(res, a), hostRounds(res, b)
	var xs []float64
	for _, r := range slices.Sorted(maps.Keys(ra)) {
		x, y := ra[r], rb[r]
		if _, ok := rb[r]; ok && part(y) > 0 {
			xs = append(xs, part(x)/part(y))
		}
	}
	return distOf(xs)
}

func partHost(r hostRound) float64     { return r.Host }
func partLibvirtd(r hostRound) float64 { return r.Libvirtd }
func partQEMU(r hostRound) float64     { return r.QEMU }
func partClient(r hostRound) float64   { return r.Client }
