//go:build cgo && linux

package libvirt_stats

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

const testUUID = "c0ffee00-7100-4000-8000-000000000001"

// fullRecord has a key of every family in libvirt's order, with the
// backing chain of vda, a second NIC, hypervisor-specific vCPU keys, the
// dirty rate of each vCPU, cache and memory bandwidth monitors, and keys no
// version of libvirt has sent yet.
func fullRecord(t testing.TB) domstats.Record {
	t.Helper()
	return record(t, "web 1", testUUID, slices.Concat([]domstatstest.Synthetic{
		syn("state.state", int64(1)),
		syn("state.reason", int64(1)),
		syn("cpu.time", uint64(100)),
	}, monitorKeys("cpu.cache.monitor", "mon0", "0-1", "bank",
		[]domstatstest.Synthetic{syn("bytes", uint64(4096))},
		[]domstatstest.Synthetic{syn("bytes", uint64(8192))},
	), []domstatstest.Synthetic{
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
	}, monitorKeys("memory.bandwidth.monitor", "mbm0", "0", "node",
		[]domstatstest.Synthetic{syn("bytes.local", uint64(11)), syn("bytes.total", uint64(22))},
	), []domstatstest.Synthetic{
		syn("dirtyrate.calc_status", int64(2)),
		syn("dirtyrate.megabytes_per_second", int64(4)),
		syn("dirtyrate.vcpu.0.megabytes_per_second", uint64(3)),
		syn("dirtyrate.vcpu.1.megabytes_per_second", uint64(1)),
		syn("vm.remote_tlb_flush.sum", uint64(9)),
		syn("gpu.0.util", uint64(50)),
	})...)
}

func TestDeviceMetrics(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	tags := func(extra ...string) map[string]string { return metricTags("web 1", testUUID, extra...) }
	want := []telegraf.Metric{
		metric.New("libvirt_stats", tags(), map[string]any{
			"state.state":                    int64(1),
			"state.reason":                   int64(1),
			"cpu.time":                       uint64(100),
			"cpu.cache.monitor.count":        uint64(1),
			"balloon.current":                uint64(65536),
			"vcpu.current":                   uint64(2),
			"vcpu.maximum":                   uint64(2),
			"net.count":                      uint64(2),
			"block.count":                    uint64(2),
			"perf.cmt":                       uint64(0),
			"iothread.count":                 uint64(2),
			"memory.bandwidth.monitor.count": uint64(1),
			"dirtyrate.calc_status":          int64(2),
			"dirtyrate.megabytes_per_second": int64(4),
			"vm.remote_tlb_flush.sum":        uint64(9),
			"gpu.0.util":                     uint64(50),
		}, ts),
		metric.New("libvirt_stats_cache_monitor", tags("monitor", "mon0", "vcpus", "0-1"),
			map[string]any{"bank.count": uint64(2)}, ts),
		metric.New("libvirt_stats_cache_monitor", tags("monitor", "mon0", "vcpus", "0-1", "bank", "0"),
			map[string]any{"bytes": uint64(4096)}, ts),
		metric.New("libvirt_stats_cache_monitor", tags("monitor", "mon0", "vcpus", "0-1", "bank", "1"),
			map[string]any{"bytes": uint64(8192)}, ts),
		metric.New("libvirt_stats_vcpu", tags("vcpu", "0"), map[string]any{
			"state": int64(1), "time_ns": uint64(10), "halted": true, "exits.sum": uint64(7),
			"dirtyrate.megabytes_per_second": uint64(3),
		}, ts),
		metric.New("libvirt_stats_vcpu", tags("vcpu", "1"), map[string]any{
			"state": int64(1), "time_ns": uint64(20), "dirtyrate.megabytes_per_second": uint64(1),
		}, ts),
		metric.New("libvirt_stats_net", tags("interface", "tap0"), map[string]any{"rx.bytes": uint64(90)}, ts),
		metric.New("libvirt_stats_net", tags("interface", "tap1"), map[string]any{"tx.pkts": uint64(3)}, ts),
		metric.New("libvirt_stats_block", tags("device", "vda", "path", "/img/top.qcow2", "backing_index", "1"),
			map[string]any{"rd.reqs": uint64(5), "capacity": uint64(1 << 26), "future_key": 0.5}, ts),
		metric.New("libvirt_stats_block", tags("device", "vda", "path", "/img/base.qcow2", "backing_index", "2"),
			map[string]any{"allocation": uint64(0)}, ts),
		metric.New("libvirt_stats_iothread", tags("iothread", "2"), map[string]any{"poll-max-ns": uint64(32768)}, ts),
		metric.New("libvirt_stats_iothread", tags("iothread", "1"), map[string]any{"poll-max-ns": uint64(16384)}, ts),
		metric.New("libvirt_stats_memory_bandwidth_monitor", tags("monitor", "mbm0", "vcpus", "0"),
			map[string]any{"node.count": uint64(1)}, ts),
		metric.New("libvirt_stats_memory_bandwidth_monitor", tags("monitor", "mbm0", "vcpus", "0", "node", "0"),
			map[string]any{"bytes.local": uint64(11), "bytes.total": uint64(22)}, ts),
	}
	r := fullRecord(t)
	// In the order of first appearance, the domain first.
	testutil.RequireMetricsEqual(t, want, deviceMetrics(r, ts, tags()))
}

// InfluxDB 1.x silently drops a field named time (the name of the
// timestamp) and refuses a tag of that name: no key of any libvirt in
// docs/compatibility.md's key tables may take it in the device layout.
// vcpu.N.time, the vCPU's time in ns, arrives as time_ns.
func TestDeviceFieldNamesInfluxDBKeeps(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/compatibility.md")
	require.NoError(t, err)
	line := regexp.MustCompile(`(?m)^- \*\*libvirt ([0-9.]+)\*\* \(\d+\): (.+)$`)
	versions := line.FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, versions, "no key table in docs/compatibility.md")
	key := regexp.MustCompile("`([^`]+)`")
	ts := time.Unix(1700000000, 0)
	for _, v := range versions {
		var keys []domstatstest.Synthetic
		for _, k := range key.FindAllStringSubmatch(v[2], -1) {
			// Two entities of each family, the index as libvirt writes it.
			for _, i := range []string{"0", "1"} {
				keys = append(keys, syn(strings.ReplaceAll(k[1], ".N.", "."+i+"."), uint64(7)))
			}
		}
		ms := deviceMetrics(record(t, "web 1", testUUID, keys...), ts, metricTags("web 1", testUUID))
		vcpus := 0
		for _, m := range ms {
			for _, f := range m.FieldList() {
				require.NotEqual(t, "time", f.Key, "libvirt %s: %s has a field InfluxDB drops", v[1], m.Name())
				require.NotEmpty(t, f.Key, "libvirt %s: %s", v[1], m.Name())
			}
			for _, tag := range m.TagList() {
				require.NotEqual(t, "time", tag.Key, "libvirt %s: %s", v[1], m.Name())
			}
			if m.Name() == "libvirt_stats_vcpu" {
				vcpus++
				got, ok := m.GetField("time_ns")
				require.True(t, ok, "libvirt %s: vcpu metric without time_ns: %v", v[1], m)
				require.Equal(t, uint64(7), got)
			}
		}
		require.Equal(t, 2, vcpus, "libvirt %s: vcpu metrics", v[1])
	}
}

// An entity without its name key is named by its index; one with only tag
// keys has no metric; an empty tag value is no tag; a key that only looks
// indexed stays on the domain.
func TestDeviceMetricsEdges(t *testing.T) {
	ts := time.Unix(1, 0)
	r := record(t, "d", "u",
		syn("block.0.rd.reqs", uint64(1)),
		syn("block.1.name", "hdc"),
		syn("block.2.name", "sda"),
		syn("block.2.path", ""),
		syn("block.2.wr.reqs", uint64(2)),
		syn("net.x.name", "odd"),
		syn("net.0", uint64(1)),
		syn("vcpu.0.", uint64(1)),
		syn("cpu.cache.monitor.3.bank.0.bytes", uint64(8)),
		syn("iothread.7.poll-grow", uint64(0)),
	)
	want := []telegraf.Metric{
		metric.New("libvirt_stats", map[string]string{"domain": "d", "uuid": "u"},
			map[string]any{"net.x.name": "odd", "net.0": uint64(1), "vcpu.0.": uint64(1)}, ts),
		metric.New("libvirt_stats_block", map[string]string{"domain": "d", "uuid": "u", "device": "0"},
			map[string]any{"rd.reqs": uint64(1)}, ts),
		metric.New("libvirt_stats_block", map[string]string{"domain": "d", "uuid": "u", "device": "sda"},
			map[string]any{"wr.reqs": uint64(2)}, ts),
		metric.New("libvirt_stats_cache_monitor", map[string]string{"domain": "d", "uuid": "u", "monitor": "3", "bank": "0"},
			map[string]any{"bytes": uint64(8)}, ts),
		metric.New("libvirt_stats_iothread", map[string]string{"domain": "d", "uuid": "u", "iothread": "7"},
			map[string]any{"poll-grow": uint64(0)}, ts),
	}
	testutil.RequireMetricsEqual(t, want, deviceMetrics(r, ts, map[string]string{"domain": "d", "uuid": "u"}))
}

func TestCutIndex(t *testing.T) {
	tests := []struct {
		in, index, rest string
		ok              bool
	}{
		{"0.rd.bytes", "0", "rd.bytes", true},
		{"12.name", "12", "name", true},
		{"count", "", "", false},
		{"0", "", "", false},
		{"0.", "", "", false},
		{".name", "", "", false},
		{"1x.name", "", "", false},
	}
	for _, tt := range tests {
		index, rest, ok := cutIndex(tt.in)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.index, index, tt.in)
		require.Equal(t, tt.rest, rest, tt.in)
	}
}

// The plugin in the device layout: the domain metric carries the partial
// marker and state names, every metric the domain's tags.
func TestEmitDeviceLayout(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.Layout = "device"
	p.StateNames = true
	require.NoError(t, p.Init())
	ts := time.Unix(1, 0)
	r := record(t, "d", "u",
		syn("state.state", int64(3)),
		syn("state.reason", int64(1)),
		syn("net.count", uint64(1)),
		syn("net.0.name", "tap0"),
		syn("net.0.rx.bytes", uint64(1)),
	)
	var acc testutil.Accumulator
	p.emit(&acc, r, ts, []string{"block"})
	tags := map[string]string{"domain": "d", "uuid": "u"}
	want := []telegraf.Metric{
		metric.New("libvirt_stats", tags, map[string]any{
			"state.state": int64(3), "state.reason": int64(1), "net.count": uint64(1),
			"partial": true, "partial_groups": "block",
			"state.state_name": "paused", "state.reason_name": "user",
		}, ts),
		metric.New("libvirt_stats_net", map[string]string{"domain": "d", "uuid": "u", "interface": "tap0"},
			map[string]any{"rx.bytes": uint64(1)}, ts),
	}
	testutil.RequireMetricsEqual(t, want, acc.GetTelegrafMetrics())
}

// The test driver through the whole plugin: its domain has no devices, so
// the device layout is the domain layout.
func TestGatherDeviceLayoutTestDriver(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.Layout = "device"
	got := gather(t, p)
	want := metric.New("libvirt_stats",
		map[string]string{"domain": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f"},
		map[string]any{"state.state": int64(1), "state.reason": int64(0)},
		time.Unix(0, 0))
	testutil.RequireMetricsEqual(t, []telegraf.Metric{want}, got, testutil.IgnoreTime())
}

func TestLayoutInitError(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.Layout = "devices"
	require.EqualError(t, p.Init(), `layout "devices": valid: domain, device`)
}

func BenchmarkDeviceMetrics(b *testing.B) {
	r := fullRecord(b)
	ts := time.Now()
	tags := map[string]string{"domain": "web 1", "uuid": testUUID}
	var s splitter // as Gather: reused from domain to domain
	b.ReportAllocs()
	for b.Loop() {
		s.metrics(r, ts, tags)
	}
}

func BenchmarkDomainMetric(b *testing.B) {
	r := fullRecord(b)
	ts := time.Now()
	var d draft
	b.ReportAllocs()
	for b.Loop() {
		d.domainMetric(r, ts, nil, nil, false)
	}
}

// One splitter shapes domain after domain in Gather: each domain's metrics
// must be what a fresh splitter makes, and stay so when it moves on (its
// buffers are reused).
func TestSplitterReusedAcrossDomains(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	full := fullRecord(t)
	small := record(t, "b", "u-b",
		syn("state.state", int64(3)),
		syn("block.0.rd.reqs", uint64(1)),
		syn("net.0.name", "tap9"),
		syn("net.0.rx.bytes", uint64(5)),
	)
	fullTags := func() map[string]string {
		return map[string]string{"domain": "web 1", "uuid": testUUID, "project": "p1"}
	}
	wantFull, wantSmall := deviceMetrics(full, ts, fullTags()), deviceMetrics(small, ts, map[string]string{"domain": "b", "uuid": "u-b", "az": "nova"})

	var s splitter
	var got [][]telegraf.Metric
	for _, r := range []domstats.Record{full, small, full} {
		tg := fullTags()
		if r.Name == "b" {
			tg = map[string]string{"domain": "b", "uuid": "u-b", "az": "nova"}
		}
		dom, devices := s.metrics(r, ts, tg)
		got = append(got, append([]telegraf.Metric{dom}, devices...))
	}
	testutil.RequireMetricsEqual(t, wantFull, got[0])
	testutil.RequireMetricsEqual(t, wantSmall, got[1])
	testutil.RequireMetricsEqual(t, wantFull, got[2])
	require.Len(t, wantSmall, 3, "domain, block 0, net tap9")
}
