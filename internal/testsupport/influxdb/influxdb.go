// Package influxdb starts and stops a throwaway InfluxDB 1.x (Debian's
// influxdb package) for the end-to-end tests: loopback only, its data,
// configuration, log and pid file in one directory. scripts/influxdb.sh
// start/stop/status run this same code (through cmd/influxdb-lab).
package influxdb

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/procs"
)

// Wait bounds a start (until /ping answers) and a stop (until the process
// is gone after SIGTERM, then SIGKILL).
const Wait = 30 * time.Second

// Server is an influxd started from Dir, answering on http://Addr.
type Server struct {
	Dir, Addr string
	PID       int
}

// URL is the server's HTTP address.
func (s *Server) URL() string { return "http://" + s.Addr }

const conf = `# written by internal/testsupport/influxdb
reporting-disabled = true
# RPC (backup/restore) service: any free loopback port, so that several
# instances and the machine's own influxd (8088) never collide.
bind-address = "127.0.0.1:0"

[meta]
  dir = "%[1]s/meta"

[data]
  dir = "%[1]s/data"
  wal-dir = "%[1]s/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "%[2]s"
  auth-enabled = false
  log-enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false
`

func pidFile(dir string) string { return filepath.Join(dir, "influxd.pid") }

// running is the pid of the influxd of dir's pid file, or 0.
func running(dir string) int {
	pid, err := procs.FromFile(pidFile(dir), "influxd")
	if err != nil {
		return 0
	}
	return pid
}

// Ping tells whether http://addr/ping answers 204.
func Ping(addr string) bool {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/ping")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusNoContent
}

// Start starts influxd with its data in dir on addr (host:port), or finds
// the one already started there, and waits until it answers. The process
// is in a session of its own and outlives the caller until Stop.
func Start(dir, addr string) (*Server, error) {
	if _, err := exec.LookPath("influxd"); err != nil {
		return nil, fmt.Errorf("influxd not found (scripts/influxdb.sh install): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Addr: addr}
	if s.PID = running(dir); s.PID != 0 {
		if !Ping(addr) {
			return nil, fmt.Errorf("influxd (pid %d, %s) is running but %s/ping does not answer", s.PID, dir, addr)
		}
		return s, nil
	}
	if Ping(addr) {
		return nil, fmt.Errorf("something else already answers on http://%s; choose another address", addr)
	}
	confPath := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(confPath, fmt.Appendf(nil, conf, dir, addr), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "influxd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("influxd", "-config", confPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: a ^C at the terminal or a test's process-group
	// kill does not race Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.PID = cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := os.WriteFile(pidFile(dir), []byte(strconv.Itoa(s.PID)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	for deadline := time.Now().Add(Wait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-exited:
			os.Remove(pidFile(dir))
			return nil, fmt.Errorf("influxd exited during startup (log: %s/influxd.log)", dir)
		default:
		}
		if Ping(addr) {
			return s, nil
		}
	}
	_ = cmd.Process.Kill()
	os.Remove(pidFile(dir))
	return nil, fmt.Errorf("influxd (pid %d) did not answer http://%s/ping within %s (log: %s/influxd.log)", s.PID, addr, Wait, dir)
}

// Stop ends the influxd of dir's pid file (SIGTERM, SIGKILL after Wait);
// a stopped one is no error. The directory stays for the caller.
func Stop(dir string) error {
	pid := running(dir)
	defer os.Remove(pidFile(dir))
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	for deadline := time.Now().Add(Wait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if running(dir) == 0 {
			return nil
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	return fmt.Errorf("influxd (pid %d) ignored SIGTERM for %s: killed", pid, Wait)
}

// Status is nil when the influxd of dir runs and answers on addr.
func Status(dir, addr string) error {
	pid := running(dir)
	if pid == 0 || !Ping(addr) {
		return fmt.Errorf("not running (%s, %s)", dir, addr)
	}
	return nil
}
