package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// A round's host cost is its window less the same round's idle window,
// scaled to the case's window length, per gather.
func TestHostRoundsSubtractIdle(t *testing.T) {
	ms := int64(time.Millisecond)
	res := &results.HostResult{Samples: []results.HostSample{
		{Case: "idle", Round: 0, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 60 * ms, QEMUNs: 600 * ms, QEMUs: 5},
		{Case: "plugin-all", Round: 0, WindowNs: 6600 * ms, Gathers: 6, LibvirtdNs: 186 * ms, QEMUNs: 1260 * ms, ClientNs: 30 * ms, QEMUs: 5},
		{Case: "idle", Round: 1, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 0, QEMUNs: 600 * ms, QEMUs: 5},
		{Case: "plugin-all", Round: 1, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 120 * ms, QEMUNs: 1200 * ms, ClientNs: 60 * ms, QEMUs: 5},
		{Case: "recommended", Round: 1, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 60 * ms, QEMUNs: 900 * ms, QEMUs: 5},
		// A round without an idle window counts for nothing.
		{Case: "plugin-all", Round: 2, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 999 * ms, QEMUNs: 999 * ms, QEMUs: 5},
	}}
	rs := results.HostRounds(res, "plugin-all")
	require.Len(t, rs, 2)
	// Round 0: the idle window is 1.1 times shorter: 66 ms and 660 ms of it.
	require.InDelta(t, 20, rs[0].Libvirtd, 1e-9)
	require.InDelta(t, 100, rs[0].QEMU, 1e-9)
	require.InDelta(t, 120, rs[0].Host, 1e-9)
	require.InDelta(t, 5, rs[0].Client, 1e-9)
	require.InDelta(t, 20, rs[1].Libvirtd, 1e-9)
	require.InDelta(t, 100, rs[1].QEMU, 1e-9)
	require.Equal(t, 5, rs[1].QEMUs)

	ratio := results.HostRatio(res, "recommended", "plugin-all", results.PartHost)
	require.Equal(t, 1, ratio.N)
	require.InDelta(t, 60.0/120.0, ratio.Median, 1e-9) // (10 + 50) ÷ (20 + 100)

	row := hostRowOf(res, "plugin-all", "x")
	require.InDelta(t, 120, row.Host.Median, 1e-9)
	require.InDelta(t, 24, row.PerDomain, 1e-9)
	// 100 guests every 10 s: (24 + 7.5 ÷ 5) ms per guest and gather, 2550 ms per 10 s: 25.5% of a core.
	require.InDelta(t, 25.5, row.ScaledPct, 1e-9)
}
