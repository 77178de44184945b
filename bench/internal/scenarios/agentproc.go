package scenarios

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// measure is run for contender c with its configuration, its errors
// naming the contender and round.
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
	tg, _ := a.input(c)
	logPath := filepath.Join(a.dir, c+".log")
	proc, start, err := startTelegraf(tg, conf, cg, logPath)
	if err != nil {
		return s, err
	}
	defer func() { _ = proc.stop() }()
	t0 := start.Add(a.warm).Truncate(time.Second).Add(time.Second + 950*time.Millisecond)
	if err := a.window(&s, proc, cg, child, t0); err != nil {
		return s, err
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

// startTelegraf starts Telegraf tg with conf in cgroup cg, its output into
// logPath, and returns it with the time it started.
func startTelegraf(tg, conf, cg, logPath string) (*telegrafProc, time.Time, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer logFile.Close() // Telegraf has its own copy once started
	// The shell joins the cgroup, then becomes Telegraf: nothing Telegraf
	// does, starting its execd child included, happens outside it.
	cmd := exec.Command("/bin/sh", "-c", `echo $$ >"$0/cgroup.procs" && exec "$@"`, cg, tg, "--config", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, start, err
	}
	return newTelegrafProc(cmd, logPath), start, nil
}

// window measures s.Window seconds from t0: the CPU of Telegraf's group
// cg and of its execd child's group child, and at the end both processes'
// RSS. The child moves into its group just before t0.
func (a *agentRun) window(s *results.AgentSample, proc *telegrafProc, cg, child string, t0 time.Time) error {
	if err := proc.sleepUntil(t0.Add(-300 * time.Millisecond)); err != nil {
		return err
	}
	// The execd child into a group of its own (the parent group still
	// counts it: both kinds of count are hierarchical).
	childPid := 0
	if strings.Contains(s.Contender, "execd") {
		var err error
		if childPid, err = moveExecdChild(cg, child, proc.cmd.Process.Pid); err != nil {
			return err
		}
	}
	if err := proc.sleepUntil(t0); err != nil {
		return err
	}
	u0, err1 := a.cg.Usage(cg)
	c0, err2 := a.cg.Usage(child)
	if err := proc.sleepUntil(t0.Add(time.Duration(s.Window) * time.Second)); err != nil {
		return err
	}
	u1, err3 := a.cg.Usage(cg)
	c1, err4 := a.cg.Usage(child)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	s.CPUNs, s.ChildCPUNs = u1-u0, c1-c0
	return recordRSS(s, proc.cmd.Process.Pid, child, childPid)
}

// recordRSS reads Telegraf's RSS and, with an execd child, the child's
// into s; the child must still be in its group.
func recordRSS(s *results.AgentSample, telegraf int, child string, childPid int) error {
	if m, err := procStatus(telegraf); err == nil {
		s.RSSKiB = m["VmRSS"]
	}
	if childPid == 0 {
		return nil
	}
	pids, _ := readPids(filepath.Join(child, "cgroup.procs"))
	if !slices.Contains(pids, childPid) {
		return fmt.Errorf("execd child %d exited during the window", childPid)
	}
	if m, err := procStatus(childPid); err == nil {
		s.ChildRSSKiB = m["VmRSS"]
	}
	return nil
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

// readPids reads the pids of a cgroup.procs file.
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

// tail is the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
