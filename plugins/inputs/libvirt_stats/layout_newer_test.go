//go:build cgo && linux

package libvirt_stats

import (
	"slices"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/testutil"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// The keys libvirt 11.10 to 12.4 added (names from libvirt's
// virConnectGetAllDomainStats documentation and its VIR_DOMAIN_STATS_*
// macros) in the device layout: a disk's limits, timed groups and latency
// histograms are metrics of their own with the disk's tags; energy
// monitors are tagged like cache monitors; an unknown nested key stays on
// the disk's metric.
func TestDeviceMetricsNewerKeys(t *testing.T) {
	energy := monitorKeys("cpu.energy.monitor", "em0", "0-1", "pkg",
		[]domstatstest.Synthetic{syn("energy", uint64(12345))})
	r := record(t, "d", "u", slices.Concat([]domstatstest.Synthetic{syn("cpu.time", uint64(1))}, energy, []domstatstest.Synthetic{
		syn("block.count", uint64(1)),
		syn("block.0.name", "vda"),
		syn("block.0.path", "/img/vda.qcow2"),
		syn("block.0.rd.reqs", uint64(5)),
		syn("block.0.limits.request_alignment", uint64(512)),
		syn("block.0.limits.transfer_max", uint64(1<<21)),
		syn("block.0.timed_group.count", uint64(2)),
		syn("block.0.timed_group.0.interval", uint64(60)),
		syn("block.0.timed_group.0.rd_latency_avg", uint64(1500)),
		syn("block.0.timed_group.0.rd_queue_depth_avg", 0.5),
		syn("block.0.timed_group.1.interval", uint64(3600)),
		syn("block.0.timed_group.1.rd_latency_max", uint64(9000)),
		syn("block.0.latency_histogram.read.bin.count", uint64(2)),
		syn("block.0.latency_histogram.read.bin.0.start", uint64(0)),
		syn("block.0.latency_histogram.read.bin.0.value", uint64(3)),
		syn("block.0.latency_histogram.read.bin.1.start", uint64(1000)),
		syn("block.0.latency_histogram.read.bin.1.value", uint64(7)),
		syn("block.0.latency_histogram.flush.bin.0.start", uint64(0)),
		syn("block.0.latency_histogram.flush.bin.0.value", uint64(1)),
		syn("block.0.future.0.thing", uint64(4)),
	})...)
	ts := time.Unix(1, 0)
	tags := func(kv ...string) map[string]string { return metricTags("d", "u", kv...) }
	disk := []string{"device", "vda", "path", "/img/vda.qcow2"}
	want := []telegraf.Metric{
		metric.New("libvirt_stats", tags(), map[string]any{
			"cpu.time": uint64(1), "cpu.energy.monitor.count": uint64(1), "block.count": uint64(1),
		}, ts),
		metric.New("libvirt_stats_energy_monitor", tags("monitor", "em0", "vcpus", "0-1"),
			map[string]any{"pkg.count": uint64(1)}, ts),
		metric.New("libvirt_stats_energy_monitor", tags("monitor", "em0", "vcpus", "0-1", "pkg", "0"),
			map[string]any{"energy": uint64(12345)}, ts),
		metric.New("libvirt_stats_block", tags(disk...), map[string]any{
			"rd.reqs": uint64(5), "timed_group.count": uint64(2),
			"latency_histogram.read.bin.count": uint64(2), "future.0.thing": uint64(4),
		}, ts),
		metric.New("libvirt_stats_block_limits", tags(disk...),
			map[string]any{"request_alignment": uint64(512), "transfer_max": uint64(1 << 21)}, ts),
		metric.New("libvirt_stats_block_timed_group", tags(append(disk, "timed_group", "0", "interval", "60")...),
			map[string]any{"rd_latency_avg": uint64(1500), "rd_queue_depth_avg": 0.5}, ts),
		metric.New("libvirt_stats_block_timed_group", tags(append(disk, "timed_group", "1", "interval", "3600")...),
			map[string]any{"rd_latency_max": uint64(9000)}, ts),
		metric.New("libvirt_stats_block_latency_histogram", tags(append(disk, "op", "read", "bin", "0")...),
			map[string]any{"start": uint64(0), "value": uint64(3)}, ts),
		metric.New("libvirt_stats_block_latency_histogram", tags(append(disk, "op", "read", "bin", "1")...),
			map[string]any{"start": uint64(1000), "value": uint64(7)}, ts),
		metric.New("libvirt_stats_block_latency_histogram", tags(append(disk, "op", "flush", "bin", "0")...),
			map[string]any{"start": uint64(0), "value": uint64(1)}, ts),
	}
	testutil.RequireMetricsEqual(t, want, deviceMetrics(r, ts, tags()), testutil.SortMetrics())
}
