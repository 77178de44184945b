package libvirt_stats

import (
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

const measurement = "libvirt_stats"

// emit shapes one record in the configured layout and adds its metrics.
func (l *LibvirtStats) emit(acc telegraf.Accumulator, r domstats.Record, ts time.Time, missing []string) {
	var m telegraf.Metric
	var devices []telegraf.Metric
	tags := l.domainTags(r)
	if l.device {
		if len(r.Params) > 0 {
			m, devices = deviceMetrics(r, ts, tags)
		}
	} else {
		m = domainMetric(r, ts, tags)
	}
	if m == nil {
		return
	}
	markPartial(m, missing)
	if l.StateNames {
		addStateNames(m, r)
	}
	if len(m.FieldList()) > 0 {
		acc.AddMetric(m)
	}
	for _, d := range devices {
		acc.AddMetric(d)
	}
}

// domainTags are the tags of every metric of a domain: its name and UUID,
// and its metadata tags if configured.
func (l *LibvirtStats) domainTags(r domstats.Record) map[string]string {
	if l.meta == nil {
		return map[string]string{"domain": r.Name, "uuid": r.UUID}
	}
	extra := l.meta.tags(r.UUID)
	tags := make(map[string]string, 2+len(extra))
	for _, t := range extra {
		tags[t.Key] = t.Value
	}
	tags["domain"], tags["uuid"] = r.Name, r.UUID
	return tags
}

// domainMetric shapes one record into one metric: the domain's tags, every
// parameter a field in libvirt's order with libvirt's type. A record with
// no parameters (every requested group empty) yields nil.
func domainMetric(r domstats.Record, ts time.Time, tags map[string]string) telegraf.Metric {
	if len(r.Params) == 0 {
		return nil
	}
	m := metric.New(measurement, tags, nil, ts)
	for _, p := range r.Params {
		if v := p.Value(); v != nil {
			m.AddField(p.Key, v)
		}
	}
	return m
}

// markPartial adds partial=true and partial_groups to the metric of a
// record whose groups came back incomplete (dotless keys: libvirt's keys
// always have a dot).
func markPartial(m telegraf.Metric, missing []string) {
	if len(missing) > 0 {
		m.AddField("partial", true)
		m.AddField("partial_groups", strings.Join(missing, ","))
	}
}

// addStateNames adds state.state_name and state.reason_name for the
// record's state.state and state.reason, when it has them and they are
// known.
func addStateNames(m telegraf.Metric, r domstats.Record) {
	state, reason := stateNameFields(r)
	if state != "" {
		m.AddField(fieldStateName, state)
	}
	if reason != "" {
		m.AddField(fieldReasonName, reason)
	}
}
