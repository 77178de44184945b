//go:build qemu

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// edit is one change to an example config: old must occur exactly once.
type edit struct{ old, new string }

// The lines of examples/telegraf*.conf that every test changes: a short
// interval so a few gathers take seconds, and the test's InfluxDB.
func agentAndOutputEdits(db *influxDB, database string) []edit {
	return []edit{
		{"\n  interval = \"10s\"\n", "\n  interval = \"2s\"\n"},
		{"\n  flush_interval = \"10s\"\n", "\n  flush_interval = \"1s\"\n"},
		{`urls = ["http://127.0.0.1:8086"]`, fmt.Sprintf("urls = [%q]", db.url())},
		{`database = "telegraf"`, fmt.Sprintf("database = %q", database)},
	}
}

// deriveConfig writes examples/NAME with the edits applied to a temporary
// file. An edit whose text the example no longer holds exactly once fails
// the test: the test must not silently run something else than the example.
func deriveConfig(t *testing.T, name string, edits []edit) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, e := range edits {
		if n := strings.Count(text, e.old); n != 1 {
			t.Fatalf("examples/%s holds %q %d times, want once: update the test with the example", name, e.old, n)
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("config %s:\n%s", p, text)
	return p
}

// telegrafProc is one running Telegraf process.
type telegrafProc struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has exited
	err     error         // Wait's result, valid after exited
	// stopAt is the log's length when stop sent SIGTERM: errors after it
	// belong to shutdown (execd's reader may log "file already closed").
	stopAt int64
}

// startTelegraf runs bin --config conf. The process and its children
// (execd's program) get their own process group, killed at cleanup if
// still there; Telegraf's log (stderr) is printed when the test fails.
func startTelegraf(t *testing.T, bin, conf string) *telegrafProc {
	t.Helper()
	return startTelegrafArgs(t, bin, "--config", conf)
}

// startTelegrafArgs is startTelegraf with Telegraf's arguments given.
func startTelegrafArgs(t *testing.T, bin string, args ...string) *telegrafProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "telegraf.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	// In the lab host node's mount namespace: the examples' and the
	// package's qemu:///system is the lab's libvirtd there.
	lab.InNode(t, cmd, lab.Host)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	tg := &telegrafProc{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		tg.err = cmd.Wait()
		close(tg.exited)
	}()
	t.Cleanup(func() {
		tg.stop(t)
		// execd's program, should Telegraf have left it behind
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("Telegraf log (%s):\n%s", logPath, tg.log())
		}
	})
	return tg
}

func (tg *telegrafProc) running() bool {
	select {
	case <-tg.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM (Telegraf then stops its inputs and flushes its
// outputs) and waits; after 20 s it kills the process group. Idempotent.
func (tg *telegrafProc) stop(t *testing.T) {
	t.Helper()
	if !tg.running() {
		return
	}
	if st, err := os.Stat(tg.logPath); err == nil {
		tg.stopAt = st.Size()
	}
	_ = tg.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-tg.exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-tg.cmd.Process.Pid, syscall.SIGKILL)
		<-tg.exited
		t.Errorf("Telegraf (pid %d) did not stop within 20 s of SIGTERM: killed", tg.cmd.Process.Pid)
	}
}

func (tg *telegrafProc) log() string {
	b, err := os.ReadFile(tg.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// errorLines returns Telegraf's log lines at level E! from before stop.
func (tg *telegrafProc) errorLines() []string {
	log := tg.log()
	if tg.stopAt > 0 && tg.stopAt <= int64(len(log)) {
		log = log[:tg.stopAt]
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		if strings.Contains(sc.Text(), " E! ") {
			out = append(out, sc.Text())
		}
	}
	return out
}

// waitForPoints polls until every domain has at least n points in the
// database, or fails the test after timeout or when Telegraf exits.
func waitForPoints(t *testing.T, tg *telegrafProc, db *influxDB, database, measurement string, domains []string, n int, timeout time.Duration) {
	t.Helper()
	q := fmt.Sprintf(`SELECT count("state.state") FROM %s GROUP BY "domain"`, quoteIdent(measurement))
	deadline := time.Now().Add(timeout)
	var last map[string]int
	for {
		ss, err := db.query(database, q)
		if err != nil {
			t.Fatal(err)
		}
		last = map[string]int{}
		for _, s := range ss {
			last[s.Tags["domain"]] = int(jsonInt(t, s.Values[0][1]))
		}
		done := true
		for _, d := range domains {
			if last[d] < n {
				done = false
			}
		}
		switch {
		case done:
			return
		case !tg.running():
			t.Fatalf("Telegraf exited (%v) before every domain had %d points (points per domain: %v)", tg.err, n, last)
		case time.Now().After(deadline):
			t.Fatalf("after %s, not every domain of %q has %d points in InfluxDB: %v", timeout, domains, n, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
