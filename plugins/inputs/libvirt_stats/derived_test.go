//go:build cgo && linux

package libvirt_stats

import (
	"regexp"
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

// counters of one synthetic sample of a running domain with 2 vCPUs, one
// disk and one NIC (or as many as disks names).
type sampleSpec struct {
	cpu, vcpu0, delay0 uint64
	vcpus              uint64
	disks              []string // block.<i>.name, in index order
	rdReqs, rdBytes    uint64   // of every disk
	rdTimes            uint64
	rxBytes            uint64
	avail, usable      uint64 // 0: the balloon keys are left out
}

func (s sampleSpec) record(t *testing.T, uuid string) domstats.Record {
	t.Helper()
	vcpus := s.vcpus
	if vcpus == 0 {
		vcpus = 2
	}
	ps := []domstatstest.Synthetic{
		syn("state.state", int64(1)),
		syn("cpu.time", s.cpu),
		syn("balloon.current", uint64(65536)),
	}
	if s.avail > 0 {
		ps = append(ps, syn("balloon.available", s.avail), syn("balloon.usable", s.usable))
	}
	ps = append(ps,
		syn("vcpu.current", vcpus),
		syn("vcpu.0.state", int64(1)),
		syn("vcpu.0.time", s.vcpu0),
		syn("vcpu.0.delay", s.delay0),
		syn("net.count", uint64(1)),
		syn("net.0.name", "tap0"),
		syn("net.0.rx.bytes", s.rxBytes),
		syn("block.count", uint64(len(s.disks))),
	)
	for i, d := range s.disks {
		p := "block." + string(rune('0'+i)) + "."
		ps = append(ps,
			syn(p+"name", d),
			syn(p+"rd.reqs", s.rdReqs),
			syn(p+"rd.bytes", s.rdBytes),
			syn(p+"rd.times", s.rdTimes),
			syn(p+"capacity", uint64(1<<26)),
		)
	}
	return record(t, "d", uuid, ps...)
}

// plus is the next sample of a domain that did d's work since s: s with
// d's counters added.
func (s sampleSpec) plus(d sampleSpec) sampleSpec {
	s.cpu += d.cpu
	s.vcpu0 += d.vcpu0
	s.delay0 += d.delay0
	s.rdReqs += d.rdReqs
	s.rdBytes += d.rdBytes
	s.rdTimes += d.rdTimes
	s.rxBytes += d.rxBytes
	return s
}

// derivedOnly keeps the derived fields: those whose name matches a row's
// name pattern (derivations), in either layout (with or without the
// device's <group>.<n>. prefix).
func derivedOnly(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		if derivedFieldName.MatchString(k) {
			out[k] = v
		}
	}
	return out
}

// derivedFieldName matches every derived field's name, built from the rows.
var derivedFieldName = func() *regexp.Regexp {
	var alts []string
	for _, row := range derivations {
		for _, n := range expand(row.name) {
			q := regexp.QuoteMeta(n)
			q = strings.ReplaceAll(q, "<n>", "[^.]+")
			q = strings.ReplaceAll(q, `\*`, ".+")
			alts = append(alts, q)
			// the device layout's name: the tail after the device's index
			if _, tail, ok := strings.Cut(q, "[^.]+\\."); ok {
				alts = append(alts, tail)
			}
		}
	}
	return regexp.MustCompile("^(" + strings.Join(alts, "|") + ")$")
}()

func derivedPlugin(t *testing.T, layout string) *LibvirtStats {
	t.Helper()
	p := newPlugin(t, "test:///default")
	p.Derived = true
	p.Layout = layout
	require.NoError(t, p.Init())
	return p
}

// emitOne shapes one record as the gather at ts and returns its domain
// metric's derived fields.
func emitOne(t *testing.T, p *LibvirtStats, r domstats.Record, ts time.Time, missing []string) map[string]any {
	t.Helper()
	var acc testutil.Accumulator
	p.emit(&acc, r, ts, missing)
	p.derive.forgetUnseen()
	ms := acc.GetTelegrafMetrics()
	require.NotEmpty(t, ms)
	return derivedOnly(ms[0].Fields())
}

// Two samples 10 s apart: every derived field, by the formulas,
// beside the raw keys.
func TestDerivedFields(t *testing.T) {
	p := derivedPlugin(t, "domain")
	first := sampleSpec{cpu: 1e9, vcpu0: 1e9, delay0: 1e8, disks: []string{"vda"},
		rdReqs: 100, rdBytes: 51200, rdTimes: 1e6, rxBytes: 1000, avail: 60000, usable: 45000}
	// The first gather has nothing to compare with: only the balloon's
	// fields, which come from one sample.
	require.Equal(t, map[string]any{"balloon.used": uint64(15000), "balloon.used_percent": 25.0},
		emitOne(t, p, first.record(t, "u1"), t0, nil))

	second := first.plus(sampleSpec{
		cpu:     4e9, // 4 s of CPU in 10 s on 2 vCPUs: 20 %
		vcpu0:   3e9, // 30 %
		delay0:  5e8, // 5 % steal
		rdReqs:  50,  // 5 IOPS
		rdBytes: 25600,
		rdTimes: 5e6, // 100 us per request
		rxBytes: 20000,
	})
	second.usable = 30000
	var acc testutil.Accumulator
	p.emit(&acc, second.record(t, "u1"), t0.Add(10*time.Second), nil)
	got := acc.GetTelegrafMetrics()[0]
	require.Equal(t, map[string]any{
		"cpu.utilization":       20.0,
		"vcpu.0.utilization":    30.0,
		"vcpu.0.steal":          5.0,
		"net.0.rx.bytes.rate":   2000.0,
		"block.0.rd.reqs.rate":  5.0,
		"block.0.rd.bytes.rate": 2560.0,
		"block.0.rd.latency":    100000.0,
		"balloon.used":          uint64(30000),
		"balloon.used_percent":  50.0,
	}, derivedOnly(got.Fields()))
	// Raw keys stay, with libvirt's types.
	v, ok := got.GetField("block.0.rd.reqs")
	require.True(t, ok)
	require.Equal(t, uint64(150), v)
	v, ok = got.GetField("cpu.time")
	require.True(t, ok)
	require.Equal(t, uint64(5e9), v)
}

// Each case: a first and a second sample 10 s apart, and the derived
// fields of the second.
func TestDerivedAbsent(t *testing.T) {
	base := sampleSpec{cpu: 5e9, vcpu0: 5e9, delay0: 1e8, disks: []string{"vda"},
		rdReqs: 100, rdBytes: 51200, rdTimes: 1e6, rxBytes: 1000}
	grow := func(s sampleSpec) sampleSpec {
		return s.plus(sampleSpec{cpu: 2e9, vcpu0: 1e9, delay0: 1e8, rdReqs: 10, rdBytes: 10240, rdTimes: 1e6, rxBytes: 500})
	}
	// grown is grow, then what the case changes.
	grown := func(edit func(*sampleSpec)) func(sampleSpec) sampleSpec {
		return func(s sampleSpec) sampleSpec {
			s = grow(s)
			edit(&s)
			return s
		}
	}
	all := map[string]any{
		"cpu.utilization": 10.0, "vcpu.0.utilization": 10.0, "vcpu.0.steal": 1.0,
		"net.0.rx.bytes.rate": 50.0, "block.0.rd.reqs.rate": 1.0, "block.0.rd.bytes.rate": 1024.0,
		"block.0.rd.latency": 100000.0,
	}
	for _, tc := range []struct {
		name   string
		second func(sampleSpec) sampleSpec
		dt     time.Duration
		want   map[string]any
	}{
		{"steady", grow, 10 * time.Second, all},
		{"restart: cpu.time went backwards, every counter is new", grown(func(s *sampleSpec) { s.cpu = 1e9 }),
			10 * time.Second, map[string]any{}},
		{"one counter reset: only its fields go", grown(func(s *sampleSpec) { s.rxBytes = 10 }),
			10 * time.Second, without(all, "net.0.rx.bytes.rate")},
		{"no read requests: no latency", grown(func(s *sampleSpec) { s.rdReqs, s.rdTimes = base.rdReqs, base.rdTimes }),
			10 * time.Second, merge(without(all, "block.0.rd.latency"), map[string]any{"block.0.rd.reqs.rate": 0.0})},
		{"vCPU hot-plugged: no CPU % of the domain", grown(func(s *sampleSpec) { s.vcpus = 3 }),
			10 * time.Second, without(all, "cpu.utilization")},
		{"disk replaced under the same name: its counters went back", grown(func(s *sampleSpec) { s.rdReqs, s.rdBytes, s.rdTimes = 1, 512, 10 }),
			10 * time.Second, without(all, "block.0.rd.reqs.rate", "block.0.rd.bytes.rate", "block.0.rd.latency")},
		{"disk hot-unplugged", grown(func(s *sampleSpec) { s.disks = nil }),
			10 * time.Second, without(all, "block.0.rd.reqs.rate", "block.0.rd.bytes.rate", "block.0.rd.latency")},
		{"clock went backwards", grow, -time.Second, map[string]any{}},
		{"same timestamp", grow, 0, map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := derivedPlugin(t, "domain")
			require.Empty(t, emitOne(t, p, base.record(t, "u1"), t0, nil))
			got := emitOne(t, p, tc.second(base).record(t, "u1"), t0.Add(tc.dt), nil)
			require.Equal(t, tc.want, got)
		})
	}
}

func without(m map[string]any, keys ...string) map[string]any {
	out := merge(m, nil)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// A disk hot-plugged ahead of vda takes index 0: vda's rates follow its
// name to index 1, the new disk has none until its second sample.
func TestDerivedHotPlugByName(t *testing.T) {
	p := derivedPlugin(t, "domain")
	first := sampleSpec{cpu: 1e9, disks: []string{"vda"}, rdReqs: 100, rdBytes: 1000, rdTimes: 1000}
	emitOne(t, p, first.record(t, "u1"), t0, nil)

	// vdb is new; the record gives every disk the same counters, so vda
	// (now block.1) moved by 10 requests, and vdb's counters are not
	// compared with vda's old ones.
	second := first
	second.disks = []string{"vdb", "vda"}
	second.rdReqs, second.rdBytes, second.rdTimes = 110, 2000, 2000
	got := emitOne(t, p, second.record(t, "u1"), t0.Add(time.Second), nil)
	require.Equal(t, 10.0, got["block.1.rd.reqs.rate"])
	require.Equal(t, 1000.0, got["block.1.rd.bytes.rate"])
	require.Equal(t, 100.0, got["block.1.rd.latency"])
	for _, k := range []string{"block.0.rd.reqs.rate", "block.0.rd.bytes.rate", "block.0.rd.latency"} {
		require.NotContains(t, got, k)
	}

	third := second
	third.rdReqs += 20
	got = emitOne(t, p, third.record(t, "u1"), t0.Add(2*time.Second), nil)
	require.Equal(t, 20.0, got["block.0.rd.reqs.rate"])
	require.Equal(t, 20.0, got["block.1.rd.reqs.rate"])
}

// A backing image carries its disk's name: it is told apart by
// backingIndex, not compared with the top image.
func TestDerivedBackingChain(t *testing.T) {
	rec := func(top, base uint64) domstats.Record {
		return record(t, "d", "u1",
			syn("state.state", int64(1)),
			syn("block.count", uint64(2)),
			syn("block.0.name", "vda"),
			syn("block.0.rd.reqs", top),
			syn("block.1.name", "vda"),
			syn("block.1.backingIndex", uint64(1)),
			syn("block.1.rd.reqs", base),
		)
	}
	p := derivedPlugin(t, "domain")
	emitOne(t, p, rec(100, 10), t0, nil)
	got := emitOne(t, p, rec(200, 12), t0.Add(time.Second), nil)
	require.Equal(t, map[string]any{"block.0.rd.reqs.rate": 100.0, "block.1.rd.reqs.rate": 2.0}, got)
}

// A partial record derives nothing and is not a reference: the next
// complete one is compared with the last complete one, over 20 s.
func TestDerivedPartial(t *testing.T) {
	p := derivedPlugin(t, "domain")
	s := sampleSpec{cpu: 1e9, vcpu0: 1e9, disks: []string{"vda"}, avail: 100, usable: 50}
	emitOne(t, p, s.record(t, "u1"), t0, nil)

	partial := s
	partial.cpu += 1e9
	require.Empty(t, emitOne(t, p, partial.record(t, "u1"), t0.Add(10*time.Second), []string{"block"}))

	third := s
	third.cpu += 8e9 // 8 s over 20 s on 2 vCPUs
	got := emitOne(t, p, third.record(t, "u1"), t0.Add(20*time.Second), nil)
	require.Equal(t, 20.0, got["cpu.utilization"])
}

// Domains are tracked by UUID, and forgotten when a gather misses them.
func TestDerivedForgetsUnseen(t *testing.T) {
	p := derivedPlugin(t, "domain")
	s := sampleSpec{cpu: 1e9, disks: []string{"vda"}}
	emitOne(t, p, s.record(t, "u1"), t0, nil)
	emitOne(t, p, s.record(t, "u2"), t0.Add(time.Second), nil)
	require.Len(t, p.derive.last, 1, "u1 was not in the second gather")
	require.Contains(t, p.derive.last, "u2")

	// u1 is back: a first gather again, whatever its counters.
	s.cpu += 1e9
	require.NotContains(t, emitOne(t, p, s.record(t, "u1"), t0.Add(2*time.Second), nil), "cpu.utilization")
	// Another domain's counters are never used for u1.
	require.NotContains(t, emitOne(t, p, s.record(t, "u3"), t0.Add(3*time.Second), nil), "cpu.utilization")
}

// In the device layout the fields go to their entity's metric without the
// prefix, the domain's own on the domain metric.
func TestDerivedDeviceLayout(t *testing.T) {
	p := derivedPlugin(t, "device")
	s := sampleSpec{cpu: 1e9, vcpu0: 1e9, disks: []string{"vda"}, rdReqs: 10, rdBytes: 1024, rdTimes: 1e5, rxBytes: 5}
	var acc testutil.Accumulator
	p.emit(&acc, s.record(t, "u1"), t0, nil)
	s = s.plus(sampleSpec{cpu: 2e9, vcpu0: 1e9, rdReqs: 10, rdBytes: 2048, rdTimes: 1e5, rxBytes: 100})
	acc.ClearMetrics()
	p.emit(&acc, s.record(t, "u1"), t0.Add(time.Second), nil)
	tags := func(kv ...string) map[string]string { return metricTags("d", "u1", kv...) }
	ts := t0.Add(time.Second)
	want := []telegraf.Metric{
		metric.New("libvirt_stats", tags(), map[string]any{
			"state.state": int64(1), "cpu.time": uint64(3e9), "balloon.current": uint64(65536),
			"vcpu.current": uint64(2), "net.count": uint64(1), "block.count": uint64(1),
			"cpu.utilization": 100.0,
		}, ts),
		metric.New("libvirt_stats_vcpu", tags("vcpu", "0"), map[string]any{
			"state": int64(1), "time_ns": uint64(2e9), "delay": uint64(0),
			"utilization": 100.0, "steal": 0.0,
		}, ts),
		metric.New("libvirt_stats_net", tags("interface", "tap0"), map[string]any{
			"rx.bytes": uint64(105), "rx.bytes.rate": 100.0,
		}, ts),
		metric.New("libvirt_stats_block", tags("device", "vda"), map[string]any{
			"rd.reqs": uint64(20), "rd.bytes": uint64(3072), "rd.times": uint64(2e5), "capacity": uint64(1 << 26),
			"rd.reqs.rate": 10.0, "rd.bytes.rate": 2048.0, "rd.latency": 10000.0,
		}, ts),
	}
	testutil.RequireMetricsEqual(t, want, acc.GetTelegrafMetrics(), testutil.SortMetrics())
}

// A shut-off domain derives nothing, and its next start is a first
// gather again: nothing is compared across the time it was off.
func TestDerivedShutOff(t *testing.T) {
	p := derivedPlugin(t, "domain")
	s := sampleSpec{cpu: 1e9, disks: []string{"vda"}}
	emitOne(t, p, s.record(t, "u1"), t0, nil)
	off := record(t, "d", "u1", syn("state.state", int64(5)), syn("cpu.time", uint64(0)), syn("vcpu.current", uint64(2)))
	require.Empty(t, emitOne(t, p, off, t0.Add(time.Second), nil))
	require.Empty(t, emitOne(t, p, off, t0.Add(2*time.Second), nil))
	s.cpu = 5e9
	require.Empty(t, emitOne(t, p, s.record(t, "u1"), t0.Add(3*time.Second), nil))
	s.cpu = 6e9
	require.Equal(t, 50.0, emitOne(t, p, s.record(t, "u1"), t0.Add(4*time.Second), nil)["cpu.utilization"])
}

// derived = false (the default) adds nothing, not even on a second sample.
func TestDerivedOff(t *testing.T) {
	p := newPlugin(t, "test:///default")
	require.NoError(t, p.Init())
	s := sampleSpec{cpu: 1e9, disks: []string{"vda"}, avail: 10, usable: 5}
	for i := range 2 {
		var acc testutil.Accumulator
		s.cpu += 1e9
		p.emit(&acc, s.record(t, "u1"), t0.Add(time.Duration(i)*time.Second), nil)
		require.Empty(t, derivedOnly(acc.GetTelegrafMetrics()[0].Fields()))
	}
}

func BenchmarkDerived(b *testing.B) {
	r := fullRecord(b)
	d := newDeriver()
	ts := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ts = ts.Add(time.Second)
		d.fields(r, ts, false)
		d.forgetUnseen()
	}
}
