//go:build cgo && linux

package libvirt_stats

import "strings"

// families.go: the families of indexed entities the device layout makes
// metrics of, by what they describe. groups.go routes the key prefixes
// of each statistics group to them. Keys of families not listed anywhere
// stay on the domain's or the device's metric, keyed as libvirt names
// them.

// Disks: block.<n>.*, and what libvirt 11.10 to 12.4 nest in a disk.
var (
	blockFamily = &family{
		measurement: measurement + "_block",
		tags:        []tagKey{{"name", "device"}, {"path", "path"}, {"backingIndex", "backing_index"}},
		indexTag:    "device",
		children:    []*family{blockLimitsFamily, blockTimedGroupFamily, blockLatencyHistogramFamily},
	}
	// block.<n>.limits.*: the disk's I/O limits (alignments, maximum
	// transfer sizes), one metric per disk.
	blockLimitsFamily = &family{
		measurement: measurement + "_block_limits",
		prefix:      "limits.",
		cut:         func(after string) (string, string, bool) { return "limits", after, true },
	}
	// block.<n>.timed_group.<m>.*: min/max/avg latencies and queue depths
	// over the group's interval (s), tagged by the interval. The count
	// (timed_group.count) stays on the disk's metric.
	blockTimedGroupFamily = &family{
		measurement: measurement + "_block_timed_group",
		tags:        []tagKey{{"interval", "interval"}},
		indexTag:    "timed_group",
		prefix:      "timed_group.",
		cut:         cutIndex,
		indexDoc:    "M.",
	}
	// block.<n>.latency_histogram.<op>.bin.<i>.{start,value}: one metric
	// per bin, tagged op and bin; start is the bin's lower bound (ns),
	// value the requests in it. The count (<op>.bin.count) stays on the
	// disk's metric.
	blockLatencyHistogramFamily = &family{
		measurement: measurement + "_block_latency_histogram",
		prefix:      "latency_histogram.",
		cut:         cutHistogramBin,
		indexDoc:    "OP.bin.M.",
		indexTags: func(index string, set func(key, value string)) {
			op, bin, _ := strings.Cut(index, ".bin.")
			set("op", op)
			set("bin", bin)
		},
	}
)

// cutHistogramBin splits "<op>.bin.<i>.<field>" into "<op>.bin.<i>" and
// the field.
func cutHistogramBin(after string) (string, string, bool) {
	op, bins, ok := strings.Cut(after, ".bin.")
	if !ok || op == "" {
		return "", "", false
	}
	i, field, ok := cutIndex(bins)
	if !ok {
		return "", "", false
	}
	return after[:len(op)+len(".bin.")+len(i)], field, true
}

// NICs, vCPUs and iothreads: one metric each.
var (
	netFamily = &family{
		measurement: measurement + "_net",
		tags:        []tagKey{{"name", "interface"}},
		indexTag:    "interface",
	}
	vcpuFamily = &family{
		measurement: measurement + "_vcpu",
		indexTag:    "vcpu",
		// vcpu.<n>.time would be the field time, which InfluxDB 1.x
		// silently drops from the point: the vCPU's time in ns is time_ns,
		// one word as libvirt writes them (megabytes_per_second), its
		// unit in the name as in poll-max-ns.
		renames: []fieldName{{"time", "time_ns"}},
	}
	iothreadFamily = &family{
		measurement: measurement + "_iothread",
		indexTag:    "iothread",
	}
)

// Resource monitors (cache, memory bandwidth, energy): one metric per
// monitor, and one per bank, NUMA node or CPU package in it, on the
// monitor's measurement with the monitor's tags.
var (
	cacheMonitorFamily    = monitorFamily("_cache_monitor", "bank")
	memoryBandwidthFamily = monitorFamily("_memory_bandwidth_monitor", "node")
	energyMonitorFamily   = monitorFamily("_energy_monitor", "pkg")
)

// monitorFamily is a monitor of measurement suffix name, each with
// entities under "<unit>.<i>." tagged unit by their id key.
func monitorFamily(name, unit string) *family {
	return &family{
		measurement: measurement + name,
		tags:        []tagKey{{"name", "monitor"}, {"vcpus", "vcpus"}},
		indexTag:    "monitor",
		children: []*family{{
			measurement: measurement + name,
			tags:        []tagKey{{"id", unit}},
			indexTag:    unit,
			prefix:      unit + ".",
			cut:         cutIndex,
			indexDoc:    "M.",
		}},
	}
}
