//go:build qemu

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/remotetest"
)

// Ports of the private TLS daemons of this package (cmd/telegraf-libvirt's
// tests use remotetest.TLSPort).
const (
	fleetTLSPort  = 18510
	reloadTLSPort = 18511
)

// fleet is the compiled-in Telegraf with four instances of the plugin,
// told apart by the tag "instance": the local daemon, a private libvirtd
// over TLS, a blackholed host (accepts TCP, never answers) and a refused
// port.
type fleet struct {
	tg       *telegrafProc
	tls      *remotetest.Daemon
	db       *influxDB
	database string
	conf     string
}

// deadTimeout is the dead instances' timeout: below the 1 s interval, so
// each gather ends, with its error, before the next is due.
const deadTimeout = 800 * time.Millisecond

func startFleet(t *testing.T, tlsPort int) *fleet {
	t.Helper()
	bin := needBinary(t, "bin/telegraf-libvirt-stats", "telegraf")
	db := needInfluxDB(t)
	f := &fleet{db: db, database: uniqueDatabase(strings.ToLower(t.Name())), tls: remotetest.StartTLSDaemon(t, tlsPort)}
	instance := func(name, uri string, timeout time.Duration, extra string) string {
		return fmt.Sprintf(`
[[inputs.libvirt_stats]]
  alias = %q
  libvirt_uri = %q
  timeout = %q
  collector_metrics = true%s
  [inputs.libvirt_stats.tags]
    instance = %q
`, name, uri, timeout, extra, name)
	}
	conf := fmt.Sprintf(`
[agent]
  interval = "1s"
  round_interval = true
  collection_jitter = "0s"
  flush_interval = "1s"
  flush_jitter = "0s"
  omit_hostname = true

[[outputs.influxdb]]
  urls = [%q]
  database = %q
`, db.url(), f.database) +
		// The shared system libvirtd, whose QEMU guests other tests run
		// beside: the groups that need no QEMU monitor, so that its gathers
		// fit the 1 s interval however busy the guests are (a full gather
		// took up to 1.45 s under load).
		instance("local", "qemu:///system", 5*time.Second, "\n  statistics_groups = [\"state\", \"cpu_total\"]") +
		instance("tls", f.tls.TLSURI("localhost", f.tls.PKI.Good), 5*time.Second, "") +
		instance("blackhole", "qemu+tcp://"+remotetest.Blackhole(t)+"/system", deadTimeout, "") +
		instance("refused", "qemu+tcp://"+remotetest.RefusedAddr(t)+"/system", deadTimeout, "")
	f.conf = filepath.Join(t.TempDir(), "telegraf.conf")
	require.NoError(t, os.WriteFile(f.conf, []byte(conf), 0o600))
	t.Logf("config:\n%s", conf)
	f.tg = startTelegraf(t, bin, f.conf)
	return f
}

// usage is what one process holds.
type usage struct {
	threads, fds int
	rssKB        int
	clients      int // the private TLS daemon's clients
}

func (u usage) String() string {
	return fmt.Sprintf("threads %d, fds %d, RSS %d KiB, TLS daemon clients %d", u.threads, u.fds, u.rssKB, u.clients)
}

func (f *fleet) usage(t *testing.T) usage {
	t.Helper()
	pid := f.tg.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	var u usage
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "Threads":
			u.threads = n
		case "VmRSS":
			u.rssKB = n
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	u.fds = len(fds)
	u.clients = f.tls.Clients(t)
	return u
}

// gatherStats is, per instance, what its collector metrics say.
type gatherStats struct {
	gathers   int64
	errors    int64 // the last cumulative error count
	maxTimeNS int64
}

func (f *fleet) gatherStats(t *testing.T, since time.Time) map[string]gatherStats {
	t.Helper()
	ss := f.db.mustQuery(t, f.database, fmt.Sprintf(
		`SELECT count("gather_time_ns"), max("gather_time_ns"), last("errors") FROM "libvirt_stats_collector" WHERE time >= %d GROUP BY "instance"`,
		since.UnixNano()))
	out := map[string]gatherStats{}
	for _, s := range ss {
		v := s.Values[0]
		out[s.Tags["instance"]] = gatherStats{gathers: jsonInt(t, v[1]), maxTimeNS: jsonInt(t, v[2]), errors: jsonInt(t, v[3])}
	}
	return out
}

// Four hosts in one agent, 60 gathers at 1 s.
func TestFleetManyHosts(t *testing.T) {
	f := startFleet(t, fleetTLSPort)
	// The first gathers open the connections and spend the blackholed
	// host's budget of calls; from then on nothing may grow.
	time.Sleep(5 * time.Second)
	start := time.Now()
	base := f.usage(t)
	t.Logf("after 5 s: %s", base)
	var peak usage
	for i := 0; i < 12; i++ {
		time.Sleep(5 * time.Second)
		u := f.usage(t)
		peak = usage{max(peak.threads, u.threads), max(peak.fds, u.fds), max(peak.rssKB, u.rssKB), max(peak.clients, u.clients)}
	}
	end := f.usage(t)
	t.Logf("after 60 more s: %s; peak %s", end, peak)
	time.Sleep(2 * time.Second) // the last flush
	f.tg.stop(t)

	stats := f.gatherStats(t, start)
	t.Logf("per instance over 60 s: %+v", stats)
	for _, name := range []string{"local", "tls", "blackhole", "refused"} {
		s := stats[name]
		require.GreaterOrEqual(t, s.gathers, int64(58), "%s: a gather every 1 s interval", name)
	}
	for _, name := range []string{"local", "tls"} {
		require.Zero(t, stats[name].errors, "%s: healthy, no error", name)
		// Not delayed: as many gathers as the dead instances had, none
		// overrunning the interval (checked in the log below). Their
		// duration is the daemon's: the lab's libvirtd is shared with other
		// tests, so it is logged, not bounded here.
		require.InDelta(t, stats["refused"].gathers, stats[name].gathers, 2, "%s: as many gathers as the dead instances", name)
	}
	for _, name := range []string{"blackhole", "refused"} {
		require.GreaterOrEqual(t, stats[name].errors, stats[name].gathers, "%s: an error at every gather", name)
		require.LessOrEqual(t, stats[name].maxTimeNS, int64(deadTimeout+200*time.Millisecond), "%s: the error within the timeout", name)
	}
	log := f.tg.log()
	for _, name := range []string{"tls", "blackhole", "refused"} {
		require.NotContains(t, log, fmt.Sprintf("W! [inputs.libvirt_stats::%s] Collection took longer than expected", name))
	}
	require.Contains(t, log, "E! [inputs.libvirt_stats::blackhole] Error in plugin: ")
	require.Contains(t, log, "E! [inputs.libvirt_stats::refused] Error in plugin: ")
	require.NotContains(t, log, "[inputs.libvirt_stats::local] Error")
	require.NotContains(t, log, "[inputs.libvirt_stats::tls] Error")

	requireFlat(t, base, peak)
}

// requireFlat: the peak stays at the base level (a few threads of slack:
// the Go runtime starts threads for its own reasons; none for a call).
func requireFlat(t *testing.T, base, peak usage) {
	t.Helper()
	require.LessOrEqual(t, peak.threads, base.threads+4, "threads grew: %s -> %s", base, peak)
	require.LessOrEqual(t, peak.fds, base.fds+2, "fds grew: %s -> %s", base, peak)
	require.LessOrEqual(t, peak.rssKB, base.rssKB*3/2, "RSS grew: %s -> %s", base, peak)
	require.LessOrEqual(t, peak.clients, base.clients, "TLS daemon clients grew: %s -> %s", base, peak)
}

// 50 reloads (SIGHUP) while gathering, the blackholed
// host included: its stuck calls are bounded for the process, not per
// plugin instance, so no reload adds threads or sockets.
func TestFleetReload(t *testing.T) {
	f := startFleet(t, reloadTLSPort)
	// SIGHUP before Telegraf has its signal handler would end it.
	waitFor(t, f.tg, 30*time.Second, func() bool { return strings.Contains(f.tg.log(), "[agent] Config:") })
	time.Sleep(2 * time.Second)
	const reloads, warmup = 50, 5
	var base, peak usage
	for i := 1; i <= reloads; i++ {
		f.reload(t)
		// A gather of the new instances, then the level.
		time.Sleep(1200 * time.Millisecond)
		u := f.usage(t)
		switch {
		case i == warmup:
			// The first reloads reach the level: the blackholed host's
			// budget spent, the Go runtime's idle threads started.
			base = u
			t.Logf("after %d reloads: %s", i, u)
		case i > warmup:
			peak = usage{max(peak.threads, u.threads), max(peak.fds, u.fds), max(peak.rssKB, u.rssKB), max(peak.clients, u.clients)}
		}
	}
	last := time.Now()
	time.Sleep(3 * time.Second)
	end := f.usage(t)
	t.Logf("after %d reloads: %s; peak over reloads %d-%d: %s", reloads, end, warmup+1, reloads, peak)
	f.tg.stop(t)

	log := f.tg.log()
	stats := f.gatherStats(t, last)
	t.Logf("after the last reload: %+v", stats)
	for _, name := range []string{"local", "tls"} {
		require.GreaterOrEqual(t, stats[name].gathers, int64(2), "%s gathers after the last reload", name)
		require.Zero(t, stats[name].errors, "%s: no error after the last reload", name)
	}
	require.Contains(t, log, "calls still stuck in libvirt", "the blackholed host's budget is spent and said so")
	requireFlat(t, base, peak)
	requireFlat(t, base, end)
}

// reload sends SIGHUP and waits until Telegraf has started again with the
// new plugin instances (a SIGHUP that arrives while Telegraf is still
// stopping its inputs is folded into the reload under way).
func (f *fleet) reload(t *testing.T) {
	t.Helper()
	started := strings.Count(f.tg.log(), "Loaded inputs: libvirt_stats (4x)")
	require.NoError(t, f.tg.cmd.Process.Signal(syscall.SIGHUP))
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(f.tg.log(), "Loaded inputs: libvirt_stats (4x)") == started {
		require.True(t, f.tg.running(), "Telegraf exited at a reload")
		require.True(t, time.Now().Before(deadline), "Telegraf did not start again within 30 s of SIGHUP")
		time.Sleep(50 * time.Millisecond)
	}
}
