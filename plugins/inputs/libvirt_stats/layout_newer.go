//go:build cgo

package libvirt_stats

import "strings"

// layout_newer.go: the entity families libvirt 11.10 to 12.4 added to the
// bulk stats, placed by the device layout: a disk's block limits, its timed
// latency groups and latency histograms, and CPU energy monitors. Keys of
// families not listed anywhere still pass through unchanged.

var (
	// block.<n>.limits.*: the disk's I/O limits (alignments, maximum
	// transfer sizes), one metric per disk.
	blockLimitsFamily = &family{
		measurement: measurement + "_block_limits",
		parent:      blockFamily,
	}
	// block.<n>.timed_group.<m>.*: min/max/avg latencies and queue depths
	// over the group's interval (s), tagged by the interval.
	blockTimedGroupFamily = &family{
		measurement: measurement + "_block_timed_group",
		tags:        []tagKey{{"interval", "interval"}},
		indexTag:    "timed_group",
		parent:      blockFamily,
	}
	// block.<n>.latency_histogram.<op>.bin.<i>.{start,value}: one metric
	// per bin, tagged op and bin; start is the bin's lower bound (ns),
	// value the requests in it.
	blockLatencyHistogramFamily = &family{
		measurement: measurement + "_block_latency_histogram",
		parent:      blockFamily,
	}
	// cpu.energy.monitor.<n>.pkg.<i>.*: energy per CPU package of a
	// monitor, like the cache monitors' banks.
	energyMonitorFamily = &family{
		prefix:      "cpu.energy.monitor.",
		measurement: measurement + "_energy_monitor",
		tags:        []tagKey{{"name", "monitor"}, {"vcpus", "vcpus"}},
		indexTag:    "monitor",
		sub:         &family{prefix: "pkg.", tags: []tagKey{{"id", "pkg"}}, indexTag: "pkg"},
	}
)

func init() {
	blockFamily.nested = blockNested
	deviceTagNames = append(deviceTagNames, "timed_group", "interval", "op", "bin", "pkg")
}

// blockNested finds the entity nested in a disk that rest (the key after
// block.<n>.) belongs to: its family, its index within the disk and the
// field's name. The counts (timed_group.count,
// latency_histogram.<op>.bin.count) stay on the disk's metric.
func blockNested(rest string) (*family, string, string, bool) {
	switch {
	case strings.HasPrefix(rest, "limits."):
		return blockLimitsFamily, "limits", rest[len("limits."):], true
	case strings.HasPrefix(rest, "timed_group."):
		if i, field, ok := cutIndex(rest[len("timed_group."):]); ok {
			return blockTimedGroupFamily, i, field, true
		}
	case strings.HasPrefix(rest, "latency_histogram."):
		// <op>.bin.<i>.<field>
		after := rest[len("latency_histogram."):]
		op, bins, ok := strings.Cut(after, ".bin.")
		if !ok || op == "" {
			return nil, "", "", false
		}
		if i, field, ok := cutIndex(bins); ok {
			return blockLatencyHistogramFamily, after[:len(op)+len(".bin.")+len(i)], field, true
		}
	}
	return nil, "", "", false
}

// addNested puts one key of an entity nested in a disk on its metric.
func (s *splitter) addNested(f *family, index, sub, field string, v any) {
	e := &s.entities[s.entity(f, index, sub)]
	for _, t := range f.tags {
		if t.key == field {
			if tv := tagValue(v); tv != "" {
				e.setTag(t.tag, tv)
			}
			return
		}
	}
	e.fields = appendField(e.fields, field, v)
}

// inheritNested tags an entity nested in a disk: by its index (timed
// groups) or its op and bin (histograms), and with the disk's tags (the
// domain's come with every metric at build).
func (s *splitter) inheritNested(e *entity) {
	switch e.fam {
	case blockTimedGroupFamily:
		e.setTag(e.fam.indexTag, e.subIndex)
	case blockLatencyHistogramFamily:
		op, bin, _ := strings.Cut(e.subIndex, ".bin.")
		e.setTag("op", op)
		e.setTag("bin", bin)
	}
	parent := e.fam.parent
	for i := range s.entities[:s.n] {
		if p := &s.entities[i]; p.fam == parent && p.index == e.index && p.subIndex == "" {
			for _, t := range p.tags {
				if !e.hasTag(t.Key) {
					e.tags = append(e.tags, t)
				}
			}
			return
		}
	}
	e.setTag(parent.indexTag, e.index)
}
