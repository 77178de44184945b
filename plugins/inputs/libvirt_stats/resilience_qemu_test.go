//go:build cgo && linux && qemu

package libvirt_stats

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/procs"
)

// These tests stop guests and restart libvirtd: the lab (make lab) must be
// up, and they fail if it is not.

// hvStopDaemon kills libvirtd and waits for it to be gone; the guests keep
// running. The cleanup brings it back whatever the test did.
func hvStopDaemon(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { hvStartDaemon(t) })
	pid := lab.RequirePID(t, lab.LibvirtdPIDFile(lab.Host))
	require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
	require.Eventually(t, func() bool { return !procs.Named(pid, "libvirtd") }, 30*time.Second, 50*time.Millisecond, "libvirtd did not exit")
}

func hvStartDaemon(t *testing.T) {
	t.Helper()
	lab.RestartLibvirtd(t, lab.Host)
}

// One guest's QEMU stopped with SIGSTOP: every gather still returns by its
// deadline, every other domain complete, the frozen one present and marked
// partial; after SIGCONT full stats return.
func TestFrozenGuest(t *testing.T) {
	hvRequire(t)
	for _, nowait := range []bool{true, false} {
		t.Run("nowait="+strconv.FormatBool(nowait), func(t *testing.T) {
			const frozen = "tlv-run3"
			p, before := frozenGuestPlugin(t, qemuURI, nowait)
			require.Contains(t, before, frozen)

			resume := freezeGuest(t, lab.DomainPIDFile(lab.Host, frozen))

			for i := range 2 {
				got := gatherByDeadline(t, p, "gather "+strconv.Itoa(i+1)+" with "+frozen+" frozen")
				require.Len(t, got, len(before))
				for name, m := range got {
					if name == frozen {
						require.Equal(t, true, m.Fields()["partial"], "the frozen domain is marked partial")
						require.NotEmpty(t, m.Fields()["partial_groups"])
						require.Contains(t, m.Fields(), "state.state")
						continue
					}
					require.Equal(t, fieldKeys(before[name]), fieldKeys(m), "%s must arrive complete", name)
				}
			}

			resume()
			requireWholeAgain(t, p, frozen, fieldKeys(before[frozen]))
		})
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(fds)
}

// libvirtd killed and restarted under a running plugin, twice: gathers in
// between report the URI, the first gather after the daemon is back has
// every domain, and goroutines and fds after the second restart are at
// their level after the first.
func TestDaemonRestart(t *testing.T) {
	hvRequire(t)
	p := newPlugin(t, qemuURI)
	p.CollectorMetrics = true
	require.NoError(t, p.Init())
	defer p.Stop()

	acc, _ := gatherAcc(t, p)
	require.Empty(t, acc.Errors)
	want := len(acc.GetTelegrafMetrics()) - 1 // minus the collector metric
	require.Positive(t, want)

	var goroutines, fds int
	for cycle := 1; cycle <= 2; cycle++ {
		hvStopDaemon(t)
		acc, took := gatherAcc(t, p)
		require.Less(t, took, 6*time.Second)
		require.NotEmpty(t, acc.Errors)
		require.ErrorContains(t, acc.Errors[0], `"`+qemuURI+`"`)
		t.Logf("restart %d, libvirtd down: %v", cycle, acc.Errors[0])

		hvStartDaemon(t)
		acc, _ = gatherAcc(t, p)
		require.Empty(t, acc.Errors, "the first gather after the daemon is back must work")
		ms := acc.GetTelegrafMetrics()
		require.Len(t, ms, want+1)
		collector := ms[len(ms)-1]
		require.Equal(t, "libvirt_stats_collector", collector.Name())
		require.Equal(t, uint64(cycle), collector.Fields()["reconnects"])
		require.Equal(t, uint64(cycle), collector.Fields()["errors"])

		if cycle == 1 {
			runtime.GC()
			goroutines, fds = runtime.NumGoroutine(), countFDs(t)
			continue
		}
		var nowG, nowFDs int
		level := func() bool {
			runtime.GC()
			nowG, nowFDs = runtime.NumGoroutine(), countFDs(t)
			return nowG <= goroutines && nowFDs <= fds
		}
		// Polled on this goroutine: testify's Eventually runs each tick in a
		// goroutine of its own, which would be counted.
		settled := false
		for deadline := time.Now().Add(10 * time.Second); !settled && time.Now().Before(deadline); {
			if settled = level(); !settled {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if !settled {
			var stacks strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&stacks, 2)
			out, _ := exec.Command("ls", "-l", "/proc/"+strconv.Itoa(os.Getpid())+"/fd/").CombinedOutput()
			t.Fatalf("goroutines %d -> %d, fds %d -> %d\n%s\n%s", goroutines, nowG, fds, nowFDs, out, stacks.String())
		}
		t.Logf("after restart 2: goroutines %d (after restart 1: %d), fds %d (%d)", nowG, goroutines, nowFDs, fds)
	}
}

// Telegraf may start before libvirtd: Init succeeds, gathers report the
// URI, and the plugin starts working when the daemon appears.
func TestDaemonAbsentAtStart(t *testing.T) {
	hvRequire(t)
	hvStopDaemon(t)
	p := newPlugin(t, qemuURI)
	require.NoError(t, p.Init())
	defer p.Stop()
	acc, took := gatherAcc(t, p)
	require.Less(t, took, 6*time.Second)
	require.Len(t, acc.Errors, 1)
	require.ErrorContains(t, acc.Errors[0], `connecting to "`+qemuURI+`"`)
	require.Empty(t, acc.GetTelegrafMetrics())

	hvStartDaemon(t)
	acc, _ = gatherAcc(t, p)
	require.Empty(t, acc.Errors)
	require.NotEmpty(t, acc.GetTelegrafMetrics())
}
