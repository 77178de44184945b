//go:build cgo

package libvirt_stats

// The helpers the tests of this package share; a helper that serves one
// test file stays in that file. The ones at the end are for the tests
// tagged qemu: the test hypervisor and a private libvirtd.

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/virshtest"
)

// newPlugin returns the plugin as Telegraf creates it, defaults included.
func newPlugin(t *testing.T, uri string) *LibvirtStats {
	t.Helper()
	p := inputs.Inputs["libvirt_stats"]().(*LibvirtStats)
	p.URI = uri
	p.Log = testutil.Logger{}
	return p
}

// nodeURI is the test driver's URI of a node file in testdata/
// (node-120.xml: 120 domains from scripts/gen-node-xml.sh; node-nova.xml:
// domains with Nova's metadata).
func nodeURI(t *testing.T, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../../testdata", file))
	require.NoError(t, err)
	_, err = os.Stat(p)
	require.NoError(t, err)
	return "test://" + p
}

// gather runs Init and one Gather and returns the metrics; gather errors fail the test.
func gather(t *testing.T, p *LibvirtStats) []telegraf.Metric {
	t.Helper()
	require.NoError(t, p.Init())
	defer p.Stop()
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, acc.Errors)
	return acc.GetTelegrafMetrics()
}

// gatherAcc gathers once and returns the accumulator and the time it took.
func gatherAcc(t *testing.T, p *LibvirtStats) (*testutil.Accumulator, time.Duration) {
	t.Helper()
	var acc testutil.Accumulator
	start := time.Now()
	require.NoError(t, p.Gather(&acc))
	return &acc, time.Since(start)
}

// names are the domain tags of metrics, in their order.
func names(ms []telegraf.Metric) []string {
	var out []string
	for _, m := range ms {
		n, _ := m.GetTag("domain")
		out = append(out, n)
	}
	return out
}

// --- records

// testUUID is fullRecord's UUID.
const testUUID = "c0ffee00-7100-4000-8000-000000000001"

// t0 is the first gather's time in tests of samples over time.
var t0 = time.Unix(1700000000, 0)

// record converts synthetic typed parameters as the bulk call's records
// are converted.
func record(t testing.TB, name, uuid string, in ...domstats.Synthetic) domstats.Record {
	t.Helper()
	cp, err := domstats.BuildParams(in)
	require.NoError(t, err)
	defer cp.Free()
	return domstats.Record{Name: name, UUID: uuid, Params: domstats.NewConverter().Convert(cp)}
}

// syn is one synthetic typed parameter, its libvirt type from v's Go type
// (uint64 and anything else: ullong).
func syn(key string, v any) domstats.Synthetic {
	switch b := v.(type) {
	case int64:
		return domstats.Synthetic{Key: key, Type: domstats.TypeInt, Value: v}
	case string:
		return domstats.Synthetic{Key: key, Type: domstats.TypeString, Value: v}
	case bool:
		n := int64(0)
		if b {
			n = 1
		}
		return domstats.Synthetic{Key: key, Type: domstats.TypeBoolean, Value: n}
	case float64:
		return domstats.Synthetic{Key: key, Type: domstats.TypeDouble, Value: v}
	}
	return domstats.Synthetic{Key: key, Type: domstats.TypeULLong, Value: v}
}

// fullRecord has a key of every family in libvirt's order, with the
// backing chain of vda, a second NIC, hypervisor-specific vCPU keys, the
// dirty rate of each vCPU, cache and memory bandwidth monitors, and keys no
// version of libvirt has sent yet.
func fullRecord(t testing.TB) domstats.Record {
	t.Helper()
	return record(t, "web 1", testUUID,
		syn("state.state", int64(1)),
		syn("state.reason", int64(1)),
		syn("cpu.time", uint64(100)),
		syn("cpu.cache.monitor.count", uint64(1)),
		syn("cpu.cache.monitor.0.name", "mon0"),
		syn("cpu.cache.monitor.0.vcpus", "0-1"),
		syn("cpu.cache.monitor.0.bank.count", uint64(2)),
		syn("cpu.cache.monitor.0.bank.0.id", uint64(0)),
		syn("cpu.cache.monitor.0.bank.0.bytes", uint64(4096)),
		syn("cpu.cache.monitor.0.bank.1.id", uint64(1)),
		syn("cpu.cache.monitor.0.bank.1.bytes", uint64(8192)),
		syn("balloon.current", uint64(65536)),
		syn("vcpu.current", uint64(2)),
		syn("vcpu.maximum", uint64(2)),
		syn("vcpu.0.state", int64(1)),
		syn("vcpu.0.time", uint64(10)),
		syn("vcpu.0.halted", true),
		syn("vcpu.0.exits.sum", uint64(7)),
		syn("vcpu.1.state", int64(1)),
		syn("vcpu.1.time", uint64(20)),
		syn("net.count", uint64(2)),
		syn("net.0.name", "tap0"),
		syn("net.0.rx.bytes", uint64(90)),
		syn("net.1.name", "tap1"),
		syn("net.1.tx.pkts", uint64(3)),
		syn("block.count", uint64(2)),
		syn("block.0.name", "vda"),
		syn("block.0.path", "/img/top.qcow2"),
		syn("block.0.backingIndex", uint64(1)),
		syn("block.0.rd.reqs", uint64(5)),
		syn("block.0.capacity", uint64(1<<26)),
		syn("block.0.future_key", 0.5),
		syn("block.1.name", "vda"),
		syn("block.1.path", "/img/base.qcow2"),
		syn("block.1.backingIndex", uint64(2)),
		syn("block.1.allocation", uint64(0)),
		syn("perf.cmt", uint64(0)),
		syn("iothread.count", uint64(2)),
		syn("iothread.2.poll-max-ns", uint64(32768)),
		syn("iothread.1.poll-max-ns", uint64(16384)),
		syn("memory.bandwidth.monitor.count", uint64(1)),
		syn("memory.bandwidth.monitor.0.name", "mbm0"),
		syn("memory.bandwidth.monitor.0.vcpus", "0"),
		syn("memory.bandwidth.monitor.0.node.count", uint64(1)),
		syn("memory.bandwidth.monitor.0.node.0.id", uint64(0)),
		syn("memory.bandwidth.monitor.0.node.0.bytes.local", uint64(11)),
		syn("memory.bandwidth.monitor.0.node.0.bytes.total", uint64(22)),
		syn("dirtyrate.calc_status", int64(2)),
		syn("dirtyrate.megabytes_per_second", int64(4)),
		syn("dirtyrate.vcpu.0.megabytes_per_second", uint64(3)),
		syn("dirtyrate.vcpu.1.megabytes_per_second", uint64(1)),
		syn("vm.remote_tlb_flush.sum", uint64(9)),
		syn("gpu.0.util", uint64(50)),
	)
}

// --- metrics

// deviceMetrics shapes one record with a splitter of its own.
func deviceMetrics(r domstats.Record, ts time.Time, tags map[string]string) (telegraf.Metric, []telegraf.Metric) {
	var s splitter
	return s.metrics(r, ts, tags)
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

// fieldKeys lists a metric's fields in the order the plugin added them; a
// missing metric (a record with no parameters) has none.
func fieldKeys(m telegraf.Metric) []string {
	if m == nil {
		return nil
	}
	var keys []string
	for _, f := range m.FieldList() {
		keys = append(keys, f.Key)
	}
	return keys
}

// sortedKeys are a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// --- metadata_tags

// The Nova recipe of docs/layout.md.
const novaNS = "http://openstack.org/xmlns/libvirt/nova/1.1"

func novaTags() (tags, namespaces map[string]string) {
	return map[string]string{
			"instance_name": "/domain/metadata/nova:instance/nova:name",
			"flavor":        "/domain/metadata/nova:instance/nova:flavor/@name",
			"project":       "/domain/metadata/nova:instance/nova:owner/nova:project",
			"project_id":    "/domain/metadata/nova:instance/nova:owner/nova:project/@uuid",
			"user":          "/domain/metadata/nova:instance/nova:owner/nova:user",
			"user_id":       "/domain/metadata/nova:instance/nova:owner/nova:user/@uuid",
		}, map[string]string{
			"nova": novaNS,
		}
}

// --- memory

// rssKiB reads this process's resident set, C allocations included.
func rssKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			require.NoError(t, err)
			return kb
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// --- the QEMU test hypervisor and a private libvirtd (tests tagged qemu)

// qemuURI is the shared test hypervisor (scripts/hypervisor-up.sh).
const qemuURI = "qemu:///system"

// hvRequire fails the test when the test hypervisor is not reachable.
func hvRequire(t *testing.T) {
	t.Helper()
	conn, err := libvirt.NewConnectReadOnly(qemuURI)
	require.NoError(t, err, "the QEMU hypervisor is not reachable: run scripts/hypervisor-up.sh (make hypervisor)")
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
	require.NoError(t, err, "libvirtd is not installed: run scripts/hypervisor-up.sh (make hypervisor)")
	// Short: a unix socket path holds at most 107 bytes.
	dir, err := os.MkdirTemp("", "tlvc-")
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
	require.Eventually(t, func() bool {
		_, err := os.Stat(sock)
		return err == nil
	}, 15*time.Second, 20*time.Millisecond, "private libvirtd did not create %s; see %s", sock, d.dir)
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
