package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ProcCPU is one reading of a process's CPU time, two ways:
//
//   - Ticks: utime + stime of /proc/PID/stat, every thread including those
//     that have exited, in clock ticks (10 ms with USER_HZ 100). A
//     difference of two readings is off by up to a tick at each end: 20 ms
//     over a window in which libvirtd spends 80 ms answering six gathers.
//   - Sched: the sum of /proc/PID/task/TID/schedstat's first field, the time
//     each live thread has run, in nanoseconds. Exact, but a thread that
//     exits between two readings takes its time with it.
//
// Delta uses Sched when the same threads are alive at both readings (then
// nothing was lost) and Ticks otherwise.
type ProcCPU struct {
	TicksNs int64
	SchedNs int64
	tids    string // the live thread ids, sorted
}

// NewProcCPU is a reading made of its parts, for tests of what uses them.
func NewProcCPU(ticksNs, schedNs int64, tids ...int) ProcCPU {
	return ProcCPU{TicksNs: ticksNs, SchedNs: schedNs, tids: fmt.Sprint(tids)}
}

// ReadProcCPU reads pid's CPU time; hz is USER_HZ (ClockTicks).
func ReadProcCPU(pid, hz int) (ProcCPU, error) {
	ticks, err := ProcCPUTicks(pid)
	if err != nil {
		return ProcCPU{}, err
	}
	c := ProcCPU{TicksNs: ticks * int64(time.Second) / int64(hz)}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ProcCPU{}, err
	}
	ids := make([]int, 0, len(ents))
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited while we read: Delta sees the tid set change
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return ProcCPU{}, fmt.Errorf("%s/%s/schedstat: %w", dir, e.Name(), err)
		}
		c.SchedNs += ns
		id, _ := strconv.Atoi(e.Name())
		ids = append(ids, id)
	}
	sort.Ints(ids)
	c.tids = fmt.Sprint(ids)
	return c, nil
}

// Delta is the CPU time from a to b, in nanoseconds, and whether it is
// exact (no thread came or went, so the schedstat sums compare).
func (b ProcCPU) Delta(a ProcCPU) (ns int64, exact bool) {
	if a.tids == b.tids && b.SchedNs >= a.SchedNs {
		return b.SchedNs - a.SchedNs, true
	}
	return b.TicksNs - a.TicksNs, false
}

// ClockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
func ClockTicks() int {
	if b, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && hz > 0 {
			return hz
		}
	}
	return 100
}

// ProcCPUTicks is utime + stime of /proc/PID/stat, in clock ticks: every
// thread of the process, those that exited included.
func ProcCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, errors.Join(err1, err2))
	}
	return ut + st, nil
}
