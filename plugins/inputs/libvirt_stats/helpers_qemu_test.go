//go:build cgo && linux && qemu

package libvirt_stats

// The helpers the tests tagged qemu share: the test hypervisor
// (scripts/hypervisor-up.sh) and a private libvirtd. helpers_test.go has
// the ones every build's tests share.

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// qemuURI is the shared test hypervisor: the lab's host node (make lab).
var qemuURI = lab.HostURI()

// hvRequire fails the test when the test hypervisor is not reachable.
func hvRequire(t *testing.T) {
	t.Helper()
	conn, err := libvirt.NewConnectReadOnly(qemuURI)
	require.NoError(t, err, "the lab's libvirtd is not reachable: run make lab")
	_, _ = conn.Close()
}

// qemuPlugin is the plugin pointed at the test hypervisor, with its
// defaults (read-only socket) except NOWAIT, which is off as it is for
// virsh domstats without --nowait. Other clients on the machine (another
// collector, a virsh) hold a domain's job for a few milliseconds while
// they read its stats, and NOWAIT then skips, by design, that domain's
// monitor-based stats: comparing against virsh would flake.
// TestQEMUDefaultFlagsComplete covers the default.
func qemuPlugin(t *testing.T) *LibvirtStats {
	t.Helper()
	virshtest.Require(t)
	p := newPlugin(t, virshtest.URI)
	p.NoWait = false
	return p
}

// virshStats runs virsh domstats with args on the test hypervisor.
func virshStats(t *testing.T, args ...string) []virshtest.Domain {
	t.Helper()
	doms, err := virshtest.Domstats(args...)
	require.NoError(t, err)
	return doms
}

// virshNames are the domain names of virsh's output, sorted.
func virshNames(doms []virshtest.Domain) []string {
	names := make([]string, 0, len(doms))
	for _, d := range doms {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	return names
}

// privateDaemon is a libvirtd of the test's own: its config, sockets, pid
// file and log in a directory of its own, and no driver module loaded
// (LIBVIRT_DRIVER_DIR points at an empty directory), so it serves only
// the test driver built into libvirt and never touches the QEMU guests,
// networks or storage of the shared system daemon. Tests may kill it.
type privateDaemon struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrivateDaemon(t *testing.T) *privateDaemon {
	t.Helper()
	_, err := exec.LookPath("libvirtd")
	require.NoError(t, err, "libvirtd is not installed: run make lab")
	// Under the lab's directory, short: a unix socket path holds at most 107 bytes.
	dir, err := lab.TempDir("tlvc-")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "drivers"), 0o700))
	conf := fmt.Sprintf(`unix_sock_dir = %q
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:%s"
`, dir, filepath.Join(dir, "libvirtd.log"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "libvirtd.conf"), []byte(conf), 0o600))
	d := &privateDaemon{dir: dir}
	t.Cleanup(func() {
		d.kill(t)
		_ = os.RemoveAll(dir)
	})
	d.start(t)
	return d
}

// uri is test+unix:///path (a node file, or "default") through this daemon.
func (d *privateDaemon) uri(path string) string {
	return "test+unix://" + path + "?socket=" + url.QueryEscape(filepath.Join(d.dir, "libvirt-sock"))
}

func (d *privateDaemon) start(t *testing.T) {
	t.Helper()
	sock := filepath.Join(d.dir, "libvirt-sock")
	_ = os.Remove(sock)
	d.cmd = exec.Command("libvirtd", "--config", filepath.Join(d.dir, "libvirtd.conf"),
		"--pid-file", filepath.Join(d.dir, "libvirtd.pid"))
	d.cmd.Env = append(os.Environ(), "LIBVIRT_DRIVER_DIR="+filepath.Join(d.dir, "drivers"))
	lab.InNode(t, d.cmd, lab.Host)
	out, err := os.Create(filepath.Join(d.dir, "stdout"))
	require.NoError(t, err)
	defer out.Close()
	d.cmd.Stdout, d.cmd.Stderr = out, out
	require.NoError(t, d.cmd.Start())
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(d.cmd, d.done)
	// Ready when the socket accepts: libvirtd binds it (the file appears)
	// before it listens, and a connection in between is refused.
	require.Eventually(t, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 15*time.Second, 20*time.Millisecond, "private libvirtd does not accept on %s; see %s", sock, d.dir)
}

// kill SIGKILLs the daemon and waits until it is gone.
func (d *privateDaemon) kill(t *testing.T) {
	t.Helper()
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("private libvirtd did not die on SIGKILL")
	}
}

// gatherAcc gathers once and returns the accumulator and the time it took.
func gatherAcc(t *testing.T, p *LibvirtStats) (*testutil.Accumulator, time.Duration) {
	t.Helper()
	var acc testutil.Accumulator
	start := time.Now()
	require.NoError(t, p.Gather(&acc))
	return &acc, time.Since(start)
}

// frozenTimeout is the plugin's timeout in the frozen-guest tests.
const frozenTimeout = 3 * time.Second

// frozenGuestPlugin is a plugin on uri with frozenTimeout and NOWAIT as
// given, initialized and stopped when the test ends, and the metrics by
// domain of its first gather, made before a guest is frozen.
func frozenGuestPlugin(t *testing.T, uri string, nowait bool) (*LibvirtStats, map[string]telegraf.Metric) {
	t.Helper()
	p := newPlugin(t, uri)
	p.Timeout = config.Duration(frozenTimeout)
	p.NoWait = nowait
	require.NoError(t, p.Init())
	t.Cleanup(p.Stop)
	acc, _ := gatherAcc(t, p)
	require.Empty(t, acc.Errors)
	return p, byDomain(t, acc.GetTelegrafMetrics())
}

// gatherByDeadline is a gather while a guest is frozen: it returns by the
// plugin's deadline (and a second for the rest of the gather) without
// errors; its metrics by domain.
func gatherByDeadline(t *testing.T, p *LibvirtStats, what string) map[string]telegraf.Metric {
	t.Helper()
	acc, took := gatherAcc(t, p)
	t.Logf("%s: %s", what, took)
	require.Less(t, took, frozenTimeout+time.Second, "%s overran its deadline", what)
	require.Empty(t, acc.Errors)
	return byDomain(t, acc.GetTelegrafMetrics())
}

// requireWholeAgain waits, after the guest's SIGCONT, for a gather that has
// the domain without the partial marker (and with keys, when given), then
// for the call stuck on it to return.
func requireWholeAgain(t *testing.T, p *LibvirtStats, domain string, keys []string) {
	t.Helper()
	require.Eventually(t, func() bool {
		acc, _ := gatherAcc(t, p)
		m := byDomain(t, acc.GetTelegrafMetrics())[domain]
		return len(acc.Errors) == 0 && m != nil && !m.HasField("partial") &&
			(keys == nil || slices.Equal(fieldKeys(m), keys))
	}, 30*time.Second, 500*time.Millisecond, "full stats did not return after SIGCONT")
	require.Eventually(t, func() bool { return p.caller.stuck.Load() == 0 }, 30*time.Second,
		100*time.Millisecond, "the stuck call never returned")
}

// byDomain indexes metrics by their domain tag; one metric per domain.
func byDomain(t *testing.T, ms []telegraf.Metric) map[string]telegraf.Metric {
	t.Helper()
	out := make(map[string]telegraf.Metric, len(ms))
	for _, m := range ms {
		name, ok := m.GetTag("domain")
		require.True(t, ok, "metric without domain tag: %v", m)
		require.NotContains(t, out, name, "two metrics for domain %q", name)
		out[name] = m
	}
	return out
}
