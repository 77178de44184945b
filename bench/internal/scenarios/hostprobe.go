package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/procs"
)

// hostProbe reads the CPU of libvirtd and of the QEMU processes.
type hostProbe struct {
	libvirtdPidfile, qemuDir string
	hz                       int
}

// hostCPU is a reading per process (libvirtd under "libvirtd", QEMU by
// pid file name, the client under "client"): its threads' schedstat run
// time, exact, and /proc/PID/stat's ticks for a window in which a thread
// came or went (harness.ProcCPU).
type hostCPU map[string]harness.ProcCPU

func (h *hostProbe) read(client int) (hostCPU, error) {
	cpu := hostCPU{}
	pid, err := procs.FromFile(h.libvirtdPidfile, "libvirtd")
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
		pid, err := procs.ReadPIDFile(f)
		if err != nil {
			continue // a guest shut off: its pid file may stay, empty or stale
		}
		if c, err := h.procNs(pid); err == nil && isQEMU(pid) {
			cpu["qemu:"+filepath.Base(f)] = c
		}
	}
	if client > 0 {
		if cpu["client"], err = h.procNs(client); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	return cpu, nil
}

func (h *hostProbe) procNs(pid int) (harness.ProcCPU, error) {
	return harness.ReadProcCPU(pid, h.hz)
}

func isQEMU(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(string(b), "qemu")
}

// hostDelta is b - a over the processes alive at both readings, into s:
// libvirtd's, the QEMUs' and the client's CPU; s.Ticks if any of them came
// from ticks.
func hostDelta(a, b hostCPU, s *results.HostSample) {
	for k, v := range b {
		w, ok := a[k]
		if !ok {
			continue
		}
		ns, exact := v.Delta(w)
		s.Ticks = s.Ticks || !exact
		switch {
		case k == "libvirtd":
			s.LibvirtdNs = ns
		case k == "client":
			s.ClientNs = ns
		case strings.HasPrefix(k, "qemu:"):
			s.QEMUNs += ns
			s.QEMUs++
		}
	}
}

// measure runs one case: a gather process that warms up (one gather),
// then gathers n times an interval apart; the host's CPU is read when it
// says "warm" and when it says "done" (n intervals after its first
// measured gather). Idle reads the same processes n intervals apart.
func (h *hostProbe) measure(self, uri string, c results.HostCase, round, n int, interval time.Duration) (results.HostSample, error) {
	s := results.HostSample{Case: c.Name, Round: round, Gathers: n}
	if c.Contender == "" {
		return s, h.measureIdle(&s, time.Duration(n)*interval)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-contender", c.Contender, "-uri", uri, "-warmup", "1", "-n", strconv.Itoa(n),
		"-interval", interval.String(), "-round", strconv.Itoa(round)}
	if c.Groups != "" {
		args = append(args, "-groups", c.Groups)
	}
	g, err := startSyncedGather(ctx, self, args...)
	if err != nil {
		return s, err
	}
	defer func() { _ = g.wait() }()
	if err := g.expect("warm"); err != nil {
		return s, fmt.Errorf("%s: %w", c.Name, err)
	}
	a, err := h.read(g.pid())
	if err != nil {
		return s, err
	}
	t0 := time.Now()
	if err := g.proceed(); err != nil {
		return s, err
	}
	if err := g.expect("done"); err != nil {
		return s, fmt.Errorf("%s: %w", c.Name, err)
	}
	b, err := h.read(g.pid())
	if err != nil {
		return s, err
	}
	s.WindowNs = time.Since(t0).Nanoseconds()
	hostDelta(a, b, &s)
	if err := g.proceed(); err != nil {
		return s, err
	}
	if err := g.wait(); err != nil {
		return s, fmt.Errorf("%s: %w", c.Name, err)
	}
	return s, nil
}

// measureIdle reads the host's CPU over an idle window of length d into s.
func (h *hostProbe) measureIdle(s *results.HostSample, d time.Duration) error {
	a, err := h.read(0)
	if err != nil {
		return err
	}
	t0 := time.Now()
	time.Sleep(d)
	b, err := h.read(0)
	if err != nil {
		return err
	}
	s.WindowNs = time.Since(t0).Nanoseconds()
	hostDelta(a, b, s)
	return nil
}
