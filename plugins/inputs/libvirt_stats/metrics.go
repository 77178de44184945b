//go:build cgo && linux

package libvirt_stats

import (
	"slices"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

const measurement = "libvirt_stats"

// emit shapes one record in the configured layout and adds its metrics.
func (l *LibvirtStats) emit(acc telegraf.Accumulator, r domstats.Record, ts time.Time, missing []string) {
	if len(r.Params) == 0 {
		return // every requested group empty: no metric
	}
	var extra []telegraf.Tag
	if l.meta != nil {
		extra = l.meta.tags(r.UUID)
	}
	var derived []telegraf.Field
	if l.derive != nil {
		derived = l.derive.fields(r, ts, len(missing) > 0)
	}
	if !l.deviceLayout {
		if m := l.draft.domainMetric(r, ts, extra, missing, l.StateNames, derived...); m != nil {
			acc.AddMetric(m)
		}
		return
	}
	m, devices := l.split.metrics(r, ts, domainTags(r, extra), derived...)
	for _, f := range appendPluginFields(nil, r, missing, l.StateNames) {
		m.AddField(f.Key, f.Value)
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
func domainTags(r domstats.Record, extra []telegraf.Tag) map[string]string {
	tags := make(map[string]string, 2+len(extra))
	for _, t := range extra {
		tags[t.Key] = t.Value
	}
	tags["domain"], tags["uuid"] = r.Name, r.UUID
	return tags
}

// draft collects one domain's tags and fields in buffers reused from one
// domain to the next, and builds its metric from a listMetric.
type draft struct {
	ts     time.Time
	tags   []telegraf.Tag
	fields []telegraf.Field
	list   listMetric
}

// domainMetric shapes one record into one metric (layout "domain"): tags
// domain, uuid and the metadata tags in extra, sorted by key as Telegraf
// keeps them; every parameter a field in libvirt's order with libvirt's
// type; then partial and partial_groups if groups are missing (dotless
// keys: libvirt's keys always have a dot), then the state names if asked.
// The derived fields (derived = true) come last. A record without fields
// yields nil.
func (d *draft) domainMetric(r domstats.Record, ts time.Time, extra []telegraf.Tag, missing []string, stateNames bool, derived ...telegraf.Field) telegraf.Metric {
	if len(r.Params) == 0 {
		return nil
	}
	d.ts = ts
	d.tags = append(d.tags[:0], telegraf.Tag{Key: "domain", Value: r.Name}, telegraf.Tag{Key: "uuid", Value: r.UUID})
	if len(extra) > 0 {
		for _, t := range extra {
			if t.Key != "domain" && t.Key != "uuid" {
				d.tags = append(d.tags, t)
			}
		}
		slices.SortFunc(d.tags, func(a, b telegraf.Tag) int { return strings.Compare(a.Key, b.Key) })
	}
	d.fields = d.fields[:0]
	for _, p := range r.Params {
		// An empty key (libvirt sends none) is no field in any output.
		if v := p.Value(); v != nil && carriable(p.Key) {
			d.fields = append(d.fields, telegraf.Field{Key: p.Key, Value: v})
		}
	}
	d.fields = appendPluginFields(d.fields, r, missing, stateNames)
	d.fields = append(d.fields, derived...)
	if len(d.fields) == 0 {
		return nil
	}
	l := &d.list
	l.name, l.ts = measurement, ts
	l.tagList = l.tagList[:0]
	for i := range d.tags {
		l.tagList = append(l.tagList, &d.tags[i])
	}
	l.fieldList = l.fieldList[:0]
	for i := range d.fields {
		l.fieldList = append(l.fieldList, &d.fields[i])
	}
	m := l.build()
	clear(d.fields) // drop the references to this domain's values and names
	clear(d.tags)
	return m
}

// appendPluginFields appends the fields the plugin adds to a domain's own
// metric after libvirt's keys, in either layout: partial=true and
// partial_groups for a record whose groups came back incomplete (dotless
// keys: libvirt's keys always have a dot), then, if stateNames,
// state.state_name and state.reason_name when the record has them and they
// are known.
func appendPluginFields(fields []telegraf.Field, r domstats.Record, missing []string, stateNames bool) []telegraf.Field {
	if len(missing) > 0 {
		fields = append(fields,
			telegraf.Field{Key: "partial", Value: true},
			telegraf.Field{Key: "partial_groups", Value: strings.Join(missing, ",")})
	}
	if stateNames {
		state, reason := stateNameFields(r)
		if state != "" {
			fields = append(fields, telegraf.Field{Key: fieldStateName, Value: state})
		}
		if reason != "" {
			fields = append(fields, telegraf.Field{Key: fieldReasonName, Value: reason})
		}
	}
	return fields
}

// carriable tells a key that line protocol can carry as a field key: not
// empty, and without a backslash (Telegraf's serializer does not escape
// one, so a trailing backslash escapes the '=' after it and the line no
// longer parses). libvirt's keys never have either; a key that did would
// be dropped rather than break the whole line.
func carriable(key string) bool {
	return key != "" && !strings.Contains(key, `\`)
}

// lineSafe writes a vertical tab in a tag value as the two characters \v,
// as Telegraf's influx serializer writes \t, \n, \f and \r: raw, it ends
// the line protocol's tag set for every parser (see domstats' intern).
func lineSafe(s string) string {
	if strings.IndexByte(s, '\v') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\v", `\v`)
}
