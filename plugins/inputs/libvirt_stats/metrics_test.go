//go:build cgo && linux

package libvirt_stats

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

func TestDomainMetric(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	r := record(t, "web 1,a=b", "c0ffee00-7100-4000-8000-000000000001",
		domstatstest.Synthetic{Key: "state.state", Type: domstats.TypeInt, Value: int64(1)},
		domstatstest.Synthetic{Key: "cpu.time", Type: domstats.TypeULLong, Value: uint64(602278000)},
		domstatstest.Synthetic{Key: "balloon.current", Type: domstats.TypeULLong, Value: uint64(65536)},
		domstatstest.Synthetic{Key: "vcpu.0.halted", Type: domstats.TypeBoolean, Value: int64(1)},
		domstatstest.Synthetic{Key: "block.0.name", Type: domstats.TypeString, Value: "vda"},
		domstatstest.Synthetic{Key: "dirtyrate.megabytes_per_second", Type: domstats.TypeLLong, Value: int64(-1)},
		domstatstest.Synthetic{Key: "perf.cmt", Type: domstats.TypeULLong, Value: uint64(0)},
		domstatstest.Synthetic{Key: "vm.some.future.key", Type: domstats.TypeDouble, Value: 1.5},
		domstatstest.Synthetic{Key: "iothread.count", Type: domstats.TypeUint, Value: uint64(2)},
	)
	want := []telegraf.Metric{metric.New("libvirt_stats",
		map[string]string{"domain": "web 1,a=b", "uuid": "c0ffee00-7100-4000-8000-000000000001"},
		map[string]any{
			"state.state":                    int64(1),
			"cpu.time":                       uint64(602278000),
			"balloon.current":                uint64(65536),
			"vcpu.0.halted":                  true,
			"block.0.name":                   "vda",
			"dirtyrate.megabytes_per_second": int64(-1),
			"perf.cmt":                       uint64(0),
			"vm.some.future.key":             1.5,
			"iothread.count":                 uint64(2),
		}, ts)}
	got := []telegraf.Metric{new(draft).domainMetric(r, ts, nil, nil, false)}
	testutil.RequireMetricsEqual(t, want, got)

	// Fields keep libvirt's order.
	require.Equal(t, []string{"state.state", "cpu.time", "balloon.current", "vcpu.0.halted", "block.0.name",
		"dirtyrate.megabytes_per_second", "perf.cmt", "vm.some.future.key", "iothread.count"}, fieldKeys(got[0]))
}

func TestDomainMetricWithoutParams(t *testing.T) {
	off := domstats.Record{Name: "off", UUID: "u"}
	require.Nil(t, new(draft).domainMetric(off, time.Now(), nil, nil, false))
}

// One draft builds metric after metric: each must hold its own record's
// tags and fields only, with the metadata tags sorted in among domain and
// uuid, the partial marker and the state names after libvirt's keys, and
// must not change when the draft moves on.
func TestDraftReusedAcrossDomains(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	running := record(t, "a", "u-a",
		syn("state.state", int64(1)),
		syn("state.reason", int64(1)),
		syn("cpu.time", uint64(7)),
		syn("block.0.name", "vda"),
	)
	paused := record(t, "b", "u-b", syn("state.state", int64(3)), syn("state.reason", int64(1)))
	meta := []telegraf.Tag{{Key: "project", Value: "p1"}, {Key: "az", Value: "nova"}, {Key: "domain", Value: "ignored"}}

	var d draft
	got := []telegraf.Metric{
		d.domainMetric(running, ts, meta, []string{"block"}, true),
		d.domainMetric(paused, ts, nil, nil, false),
		d.domainMetric(running, ts, nil, nil, true),
	}
	want := []telegraf.Metric{
		metric.New("libvirt_stats",
			map[string]string{"az": "nova", "domain": "a", "project": "p1", "uuid": "u-a"},
			map[string]any{"state.state": int64(1), "state.reason": int64(1), "cpu.time": uint64(7),
				"block.0.name": "vda", "partial": true, "partial_groups": "block",
				"state.state_name": "running", "state.reason_name": "booted"}, ts),
		metric.New("libvirt_stats", map[string]string{"domain": "b", "uuid": "u-b"},
			map[string]any{"state.state": int64(3), "state.reason": int64(1)}, ts),
		metric.New("libvirt_stats", map[string]string{"domain": "a", "uuid": "u-a"},
			map[string]any{"state.state": int64(1), "state.reason": int64(1), "cpu.time": uint64(7),
				"block.0.name": "vda", "state.state_name": "running", "state.reason_name": "booted"}, ts),
	}
	testutil.RequireMetricsEqual(t, want, got)

	var tags []string
	for _, tg := range got[0].TagList() {
		tags = append(tags, tg.Key)
	}
	require.Equal(t, []string{"az", "domain", "project", "uuid"}, tags)
	require.Equal(t, []string{"state.state", "state.reason", "cpu.time", "block.0.name",
		"partial", "partial_groups", "state.state_name", "state.reason_name"}, fieldKeys(got[0]))
}
