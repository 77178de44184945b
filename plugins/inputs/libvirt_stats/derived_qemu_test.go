//go:build cgo && linux && qemu

package libvirt_stats

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
)

// num reads a raw counter of a metric as float64.
func num(t *testing.T, m telegraf.Metric, key string) float64 {
	t.Helper()
	v, ok := m.GetField(key)
	require.True(t, ok, "%s has no %s", m.Name(), key)
	switch x := v.(type) {
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	t.Fatalf("%s: %T", key, v)
	return 0
}

// derivedGathers gathers twice, 3 s apart, with derived = true.
func derivedGathers(t *testing.T, layout string, domains ...string) (first, second []telegraf.Metric) {
	t.Helper()
	p := qemuPlugin(t)
	p.Derived = true
	p.Layout = layout
	p.Domains = domains
	require.NoError(t, p.Init())
	defer p.Stop()
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	first = acc.GetTelegrafMetrics()
	time.Sleep(3 * time.Second)
	acc.ClearMetrics()
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, acc.Errors)
	return first, acc.GetTelegrafMetrics()
}

// On the real guests, every derived field of the second gather is what
// the raw counters and timestamps of the same two outputs give, and the
// boot-sector guest's disk reads at the timer's pace: 18.2 requests of
// 512 bytes a second.
func TestQEMUDerivedAgainstRawCounters(t *testing.T) {
	g := bootguest.Start(t)
	first, second := derivedGathers(t, layoutDomain, "tlv-*", g.Name)
	before, after := byDomain(t, first), byDomain(t, second)
	require.Contains(t, after, g.Name)
	require.Contains(t, after, "tlv-run1")

	for name, m := range after {
		prev := before[name]
		require.NotNil(t, prev, name)
		_, firstHas := prev.GetField("cpu.utilization")
		require.False(t, firstHas, "%s: derived field on the first gather", name)
		if state := num(t, m, "state.state"); state == 5 {
			for _, f := range m.FieldList() {
				require.NotContains(t, f.Key, "utilization", "shut-off %s", name)
			}
			continue
		}
		dt := float64(m.Time().Sub(prev.Time()).Nanoseconds())
		d := func(key string) float64 { return num(t, m, key) - num(t, prev, key) }
		require.InDelta(t, d("cpu.time")/(dt*num(t, m, "vcpu.current"))*100, num(t, m, "cpu.utilization"), 1e-9, name)
		for i := 0; i < int(num(t, m, "vcpu.current")); i++ {
			p := "vcpu." + string(rune('0'+i)) + "."
			require.InDelta(t, d(p+"time")/dt*100, num(t, m, p+"utilization"), 1e-9, name)
			require.InDelta(t, d(p+"delay")/dt*100, num(t, m, p+"steal"), 1e-9, name)
		}
		u := num(t, m, "cpu.utilization")
		require.True(t, u >= 0 && u <= 105, "%s: cpu.utilization %v", name, u)
		for _, f := range m.FieldList() {
			if raw, ok := cutSuffix(f.Key, ".rate"); ok {
				require.InDelta(t, d(raw)/dt*1e9, f.Value, 1e-6, "%s %s", name, f.Key)
			}
		}
		if name == "tlv-paused" {
			// QEMU's own threads still run; its vCPUs do not.
			require.Zero(t, num(t, m, "vcpu.0.utilization"), "a paused guest's vCPU runs")
		}
	}

	m := after[g.Name]
	reqs := num(t, m, "block.0.rd.reqs.rate")
	t.Logf("%s: %.2f reads/s, %.0f B/s, %.0f ns per read", g.Name, reqs, num(t, m, "block.0.rd.bytes.rate"), num(t, m, "block.0.rd.latency"))
	bootguest.RequirePace(t, reqs)
	require.InDelta(t, reqs*bootguest.SectorBytes, num(t, m, "block.0.rd.bytes.rate"), 1e-6)
	prev := before[g.Name]
	require.InDelta(t, (num(t, m, "block.0.rd.times")-num(t, prev, "block.0.rd.times"))/
		(num(t, m, "block.0.rd.reqs")-num(t, prev, "block.0.rd.reqs")), num(t, m, "block.0.rd.latency"), 1e-6)
	require.Greater(t, num(t, m, "block.0.rd.latency"), 0.0)
	_, ok := m.GetField("block.0.wr.latency")
	require.False(t, ok, "no writes, no write latency")
	require.Zero(t, num(t, m, "block.0.wr.reqs.rate"))
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return "", false
}

// In the device layout the boot-sector guest's disk metric carries its
// rates and latency without the prefix, beside rd.reqs.
func TestQEMUDerivedDeviceLayout(t *testing.T) {
	g := bootguest.Start(t)
	_, second := derivedGathers(t, layoutDevice, g.Name)
	var disk, dom telegraf.Metric
	for _, m := range second {
		switch m.Name() {
		case "libvirt_stats_block":
			disk = m
		case "libvirt_stats":
			dom = m
		}
	}
	require.NotNil(t, disk)
	require.Equal(t, map[string]string{"domain": g.Name, "uuid": g.UUID, "device": "vda",
		"path": g.Image()}, withoutTag(disk.Tags(), "backing_index"))
	bootguest.RequirePace(t, num(t, disk, "rd.reqs.rate"))
	require.Greater(t, num(t, disk, "rd.latency"), 0.0)
	num(t, disk, "rd.reqs")
	require.NotNil(t, dom)
	u := num(t, dom, "cpu.utilization")
	require.True(t, u >= 0 && u <= 105, "cpu.utilization %v", u)
}

func withoutTag(tags map[string]string, key string) map[string]string {
	delete(tags, key)
	return tags
}
