package libvirt_stats

import (
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

const measurement = "libvirt_stats"

// domainMetric shapes one record into one metric: tags domain and uuid,
// every parameter a field in libvirt's order with libvirt's type. A record
// whose groups came back incomplete also gets partial=true and
// partial_groups (dotless keys: libvirt's keys always have a dot). A record
// with no parameters (every requested group empty) yields nil.
func domainMetric(r domstats.Record, ts time.Time, missing []string) telegraf.Metric {
	if len(r.Params) == 0 {
		return nil
	}
	m := metric.New(measurement, map[string]string{"domain": r.Name, "uuid": r.UUID}, nil, ts)
	for _, p := range r.Params {
		if v := p.Value(); v != nil {
			m.AddField(p.Key, v)
		}
	}
	if len(missing) > 0 {
		m.AddField("partial", true)
		m.AddField("partial_groups", strings.Join(missing, ","))
	}
	return m
}
