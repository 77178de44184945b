//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/plugins/inputs"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
)

func TestDefaults(t *testing.T) {
	p := inputs.Inputs["libvirt_stats"]().(*LibvirtStats)
	require.Equal(t, "qemu:///system", p.URI)
	require.True(t, p.NoWait)
	require.True(t, p.ReadOnly)
	require.False(t, p.Backing)
	require.False(t, p.Enforce)
	require.Equal(t, config.Duration(5*time.Second), p.Timeout)
	require.Equal(t, sampleConfig, p.SampleConfig())
}

func TestInitErrors(t *testing.T) {
	tests := []struct {
		name string
		set  func(p *LibvirtStats)
		want string
	}{
		{"empty uri", func(p *LibvirtStats) { p.URI = "" },
			`libvirt_uri is empty; give a libvirt URI such as "qemu:///system"`},
		{"unknown group", func(p *LibvirtStats) { p.StatisticsGroups = []string{"state", "disk"} },
			`statistics_groups: unknown statistics group "disk"; valid: ` + strings.Join(groupWords, ", ")},
		{"duplicate group", func(p *LibvirtStats) { p.StatisticsGroups = []string{"vcpu", "block", "vcpu"} },
			`statistics_groups: statistics group "vcpu" given twice`},
		{"unknown state", func(p *LibvirtStats) { p.DomainStates = []string{"crashed"} },
			`domain_states: unknown domain state "crashed"; valid: active, inactive, persistent, transient, running, paused, shutoff, other`},
		{"duplicate state", func(p *LibvirtStats) { p.DomainStates = []string{"running", "running"} },
			`domain_states: domain state "running" given twice`},
		{"malformed include glob", func(p *LibvirtStats) { p.Domains = []string{"web-[0-9"} },
			`domains: invalid glob "web-[0-9" (unexpected end of input); use *, ?, [abc], [a-z], [!a] and {x,y}`},
		{"malformed exclude glob", func(p *LibvirtStats) { p.DomainsExclude = []string{"ok", "db-[a"} },
			`domains_exclude: invalid glob "db-[a"`},
		{"zero timeout", func(p *LibvirtStats) { p.Timeout = 0 },
			`timeout 0s must be positive`},
		{"enforce without groups", func(p *LibvirtStats) { p.Enforce = true },
			`enforce = true needs statistics_groups`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, "test:///default")
			tt.set(p)
			require.ErrorContains(t, p.Init(), tt.want)
		})
	}
}

func TestGatherDefaultDriver(t *testing.T) {
	got := gather(t, newPlugin(t, "test:///default"))
	require.Len(t, got, 1)
	want := metric.New("libvirt_stats",
		map[string]string{"domain": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f"},
		map[string]any{"state.state": int64(1), "state.reason": int64(0)},
		time.Unix(0, 0))
	testutil.RequireMetricsEqual(t, []telegraf.Metric{want}, got, testutil.IgnoreTime())
}

// node-120.xml, from scripts/gen-node-xml.sh: node-NNNN, every 10th paused,
// every 10th+1 shut off, every 20th+5 transient, every 3rd with i%4+1 iothreads.
type nodeDomain struct {
	name      string
	state     int64 // VIR_DOMAIN_*
	transient bool
	iothreads int
}

func nodeDomains() []nodeDomain {
	var ds []nodeDomain
	for i := range 120 {
		d := nodeDomain{name: fmt.Sprintf("node-%04d", i), state: 1, transient: i%20 == 5}
		switch i % 10 {
		case 0:
			d.state = 3
		case 1:
			d.state = 5
		}
		if i%3 == 0 {
			d.iothreads = i%4 + 1
		}
		ds = append(ds, d)
	}
	return ds
}

func TestGatherNodeEveryDomain(t *testing.T) {
	got := gather(t, newPlugin(t, nodeURI(t, "node-120.xml")))
	byName := map[string]telegraf.Metric{}
	ts := got[0].Time()
	for _, m := range got {
		require.Equal(t, "libvirt_stats", m.Name())
		require.Equal(t, ts, m.Time(), "one timestamp per gather")
		name, _ := m.GetTag("domain")
		uuid, _ := m.GetTag("uuid")
		require.Regexp(t, `^00000000-0000-4000-8000-0000000\d{5}$`, uuid)
		byName[name] = m
	}
	require.Len(t, got, 120)
	for _, d := range nodeDomains() {
		m := byName[d.name]
		require.NotNil(t, m, d.name)
		state, _ := m.GetField("state.state")
		require.Equal(t, d.state, state, d.name)
		require.IsType(t, int64(0), m.Fields()["state.reason"])
		active := d.state != 5
		if d.iothreads == 0 || !active {
			_, ok := m.GetField("iothread.count")
			require.False(t, ok, d.name)
			continue
		}
		require.Equal(t, uint64(d.iothreads), m.Fields()["iothread.count"], d.name)
		for id := 1; id <= d.iothreads; id++ {
			prefix := fmt.Sprintf("iothread.%d.", id)
			require.IsType(t, uint64(0), m.Fields()[prefix+"poll-max-ns"], d.name)
			require.IsType(t, uint64(0), m.Fields()[prefix+"poll-grow"], d.name)
			require.IsType(t, uint64(0), m.Fields()[prefix+"poll-shrink"], d.name)
		}
		require.Len(t, m.FieldList(), 3+3*d.iothreads, d.name)
	}
}

func expectNames(keep func(d nodeDomain, i int) bool) []string {
	var out []string
	for i, d := range nodeDomains() {
		if keep(d, i) {
			out = append(out, d.name)
		}
	}
	return out
}

func TestGatherNodeFilters(t *testing.T) {
	tests := []struct {
		name    string
		include []string
		exclude []string
		states  []string
		keep    func(d nodeDomain, i int) bool
	}{
		{"include glob", []string{"node-00[0-1]?"}, nil, nil,
			func(_ nodeDomain, i int) bool { return i < 20 }},
		{"include two globs", []string{"node-0003", "node-011*"}, nil, nil,
			func(_ nodeDomain, i int) bool { return i == 3 || i >= 110 }},
		{"exclude glob", nil, []string{"node-00*"}, nil,
			func(_ nodeDomain, i int) bool { return i >= 100 }},
		{"include and exclude", []string{"node-000?"}, []string{"node-0005"}, nil,
			func(_ nodeDomain, i int) bool { return i < 10 && i != 5 }},
		{"include nothing matches", []string{"web-*"}, nil, nil,
			func(nodeDomain, int) bool { return false }},
		{"paused", nil, nil, []string{"paused"},
			func(d nodeDomain, _ int) bool { return d.state == 3 }},
		{"shutoff", nil, nil, []string{"shutoff"},
			func(d nodeDomain, _ int) bool { return d.state == 5 }},
		{"running", nil, nil, []string{"running"},
			func(d nodeDomain, _ int) bool { return d.state == 1 }},
		{"active", nil, nil, []string{"active"},
			func(d nodeDomain, _ int) bool { return d.state != 5 }},
		{"inactive", nil, nil, []string{"inactive"},
			func(d nodeDomain, _ int) bool { return d.state == 5 }},
		{"transient", nil, nil, []string{"transient"},
			func(d nodeDomain, _ int) bool { return d.transient }},
		{"persistent and paused or shutoff", nil, nil, []string{"persistent", "paused", "shutoff"},
			func(d nodeDomain, _ int) bool { return !d.transient && d.state != 1 }},
		{"names and states", []string{"node-000?"}, nil, []string{"paused", "shutoff"},
			func(d nodeDomain, i int) bool { return i < 10 && d.state != 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, nodeURI(t, "node-120.xml"))
			p.Domains, p.DomainsExclude, p.DomainStates = tt.include, tt.exclude, tt.states
			want := expectNames(tt.keep)
			require.ElementsMatch(t, want, names(gather(t, p)))
		})
	}
}

func TestGatherNodeGroupsLimitKeys(t *testing.T) {
	tests := []struct {
		groups []string
		prefix []string
	}{
		{[]string{"state"}, []string{"state."}},
		{[]string{"iothread"}, []string{"iothread."}},
		{[]string{"state", "iothread"}, []string{"state.", "iothread."}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.groups, "+"), func(t *testing.T) {
			p := newPlugin(t, nodeURI(t, "node-120.xml"))
			p.StatisticsGroups = tt.groups
			got := gather(t, p)
			require.NotEmpty(t, got)
			seen := map[string]bool{}
			for _, m := range got {
				for _, f := range m.FieldList() {
					i := strings.IndexByte(f.Key, '.')
					seen[f.Key[:i+1]] = true
				}
			}
			var prefixes []string
			for k := range seen {
				prefixes = append(prefixes, k)
			}
			require.ElementsMatch(t, tt.prefix, prefixes)
		})
	}
}

// The test driver has no cpu_total support: enforce turns that into an error.
func TestGatherEnforceUnsupportedGroup(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.StatisticsGroups = []string{"cpu_total"}
	p.Enforce = true
	require.NoError(t, p.Init())
	defer p.Stop()
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Len(t, acc.Errors, 1)
	require.ErrorContains(t, acc.Errors[0], `getting domain stats from "test:///default"`)
	require.Empty(t, acc.GetTelegrafMetrics())
}

func TestGatherUnreachableReportsURIAndRetries(t *testing.T) {
	uri := "qemu+unix:///system?socket=/nonexistent/libvirt-sock"
	p := newPlugin(t, uri)
	require.NoError(t, p.Init(), "an unreachable libvirt is not an Init error")
	defer p.Stop()
	for range 2 {
		var acc testutil.Accumulator
		start := time.Now()
		require.NoError(t, p.Gather(&acc))
		require.Less(t, time.Since(start), 5*time.Second)
		require.Len(t, acc.Errors, 1)
		require.ErrorContains(t, acc.Errors[0], `connecting to "`+uri+`"`)
	}
	require.Equal(t, 0, p.pool.opens)
}

func TestGatherReusesConnection(t *testing.T) {
	p := newPlugin(t, nodeURI(t, "node-120.xml"))
	require.NoError(t, p.Init())
	defer p.Stop()
	for range 3 {
		require.Len(t, gatherClean(t, p), 120)
	}
	require.Equal(t, 1, p.pool.opens)
}

// go generate (Telegraf's readme_config_includer) writes the block; this
// catches a sample.conf edited without it.
func TestReadmeQuotesSampleConf(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "```toml @sample.conf\n"+sampleConfig+"```")
}

// A daemon that accepts the connection and never answers keeps the open
// hanging: the gather still returns at its deadline, and Stop (Telegraf
// shutting down) returns at once instead of waiting for the open.
func TestStopDoesNotWaitForHangingOpen(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // kept open, never answered
		}
	}()
	// Closing the listener and the accepted connections ends the hanging
	// open, so no goroutine outlives the test.
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	})

	p := newPlugin(t, "qemu+unix:///system?socket="+sock)
	p.Timeout = config.Duration(time.Second)
	require.NoError(t, p.Init())
	var acc testutil.Accumulator
	start := time.Now()
	require.NoError(t, p.Gather(&acc))
	require.Less(t, time.Since(start), 3*time.Second)
	require.Len(t, acc.Errors, 1)
	require.ErrorContains(t, acc.Errors[0], "no answer within the timeout")

	stopped := make(chan struct{})
	go func() { p.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("Stop waited for a connection that is still opening")
	}
}

// Init logs the release (internal/version): in a custom Telegraf build
// that log line is where a user sees which telegraf-libvirt it carries.
func TestInitLogsVersion(t *testing.T) {
	p := newPlugin(t, "test:///default")
	log := &testutil.CaptureLogger{Name: "inputs.libvirt_stats"}
	p.Log = log
	require.NoError(t, p.Init())
	defer p.Stop()
	var infos []string
	for _, m := range log.Messages() {
		if m.Level == testutil.LevelInfo {
			infos = append(infos, m.Text)
		}
	}
	require.Contains(t, infos, `telegraf-libvirt `+version.Version+`, libvirt_uri "test:///default"`)
}
