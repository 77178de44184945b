//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// counters are the plugin's own health, kept since Init and reported by
// collector_metrics = true.
type counters struct {
	gathers   uint64
	errors    uint64
	timeouts  uint64
	fallbacks uint64
	domains   int
	partial   int
}

func (c *counters) record(err error, fellBack bool, domains, partial int) {
	c.gathers++
	if err != nil {
		c.errors++
		if errors.Is(err, errTimeout) {
			c.timeouts++
		}
	}
	if fellBack {
		c.fallbacks++
	}
	c.domains, c.partial = domains, partial
}

// collectorMetric is one libvirt_stats_collector point: this gather's
// duration and domains, and running totals.
func (l *LibvirtStats) collectorMetric(start time.Time) telegraf.Metric {
	c := &l.counters
	_, reconnects := l.pool.counts()
	return metric.New(measurement+"_collector", map[string]string{"libvirt_uri": l.URI}, map[string]any{
		"gather_time_ns":  time.Since(start).Nanoseconds(),
		"domains":         int64(c.domains),
		"partial_domains": int64(c.partial),
		"gathers":         c.gathers,
		"errors":          c.errors,
		"timeouts":        c.timeouts,
		"fallbacks":       c.fallbacks,
		"stuck_calls":     l.caller.stuck.Load(),
		"reconnects":      uint64(reconnects),
	}, start)
}
