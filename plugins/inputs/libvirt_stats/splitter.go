//go:build cgo

package libvirt_stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// splitter.go: the device layout (layout = "device") cuts each record into
// the domain's metric and one metric per entity of the families in
// layout.go.

// entity is one metric of the device layout being built: its own tags
// (the name keys and index tags; the domain's come at the end) and its
// fields, in libvirt's order.
type entity struct {
	fam      *family
	index    string
	subIndex string // "" for a top-level entity
	tags     []telegraf.Tag
	fields   []telegraf.Field
}

func (e *entity) hasTag(key string) bool {
	for _, t := range e.tags {
		if t.Key == key {
			return true
		}
	}
	return false
}

// setTag is Telegraf's AddTag on the entity's own tags: a key set twice
// keeps the last value.
func (e *entity) setTag(key, value string) {
	for i := range e.tags {
		if e.tags[i].Key == key {
			e.tags[i].Value = value
			return
		}
	}
	e.tags = append(e.tags, telegraf.Tag{Key: key, Value: value})
}

// splitter builds the device layout of one record. Its buffers are reused
// from record to record; the metrics are built at the end with
// metric.FromMetric, each slice exactly sized, as the domain layout's
// draft does (metric.New and AddField per key cost ~3x as much: a scan of
// the fields so far per field and a slice grown step by step).
type splitter struct {
	entities []entity
	n        int // entities in use
	last     int // entity of the previous key: libvirt groups an entity's keys
	domain   []telegraf.Field
	domTags  []telegraf.Tag // the domain's tags, sorted by key
	list     listMetric
}

// metrics shapes a record into the device layout: the domain's own
// keys (state, cpu, balloon, counts, vm, and every key of no known family)
// on the domain metric, each indexed entity on a metric of its own with the
// domain's tags, its name tags, and its keys as fields without the prefix.
// The derived fields go where their raw keys went (block.0.rd.bytes.rate
// to the disk's metric as rd.bytes.rate). The domain metric is never nil;
// entities without fields are left out.
func (s *splitter) metrics(r domstats.Record, ts time.Time, tags map[string]string, derived ...telegraf.Field) (telegraf.Metric, []telegraf.Metric) {
	s.n, s.last = 0, -1
	s.domain = s.domain[:0]
	s.domTags = s.domTags[:0]
	for k, v := range tags {
		s.domTags = append(s.domTags, telegraf.Tag{Key: k, Value: v})
	}
	slices.SortFunc(s.domTags, func(a, b telegraf.Tag) int { return strings.Compare(a.Key, b.Key) })
	for _, p := range r.Params {
		v := p.Value()
		if v == nil || !carriable(p.Key) {
			continue
		}
		if !s.add(p.Key, v) {
			s.domain = appendField(s.domain, p.Key, v)
		}
	}
	for _, f := range derived {
		if !s.add(f.Key, f.Value) {
			s.domain = appendField(s.domain, f.Key, f.Value)
		}
	}
	dom := s.build(measurement, ts, nil, s.domain)
	devices := s.finish(ts)
	clear(s.domain)
	for i := range s.entities[:s.n] {
		clear(s.entities[i].fields)
		clear(s.entities[i].tags)
	}
	return dom, devices
}

// appendField is Telegraf's AddField on a field list: a key set twice
// keeps the last value in the first place.
func appendField(fields []telegraf.Field, key string, v any) []telegraf.Field {
	for i := range fields {
		if fields[i].Key == key {
			fields[i].Value = v
			return fields
		}
	}
	return append(fields, telegraf.Field{Key: key, Value: v})
}

// add puts one key on its entity; false if it is the domain's.
func (s *splitter) add(key string, v any) bool {
	f := familyOf(key)
	if f == nil {
		return false
	}
	index, rest, ok := cutIndex(key[len(f.prefix):])
	if !ok {
		return false
	}
	fieldPrefix := f.fieldPrefix
	if f.of != nil {
		f = f.of
	}
	if f.nested != nil {
		if nf, sub, field, ok := f.nested(rest); ok {
			s.addNested(nf, index, sub, field, v)
			return true
		}
	}
	own, sub := f, ""
	if f.sub != nil && strings.HasPrefix(rest, f.sub.prefix) {
		if i, r, ok := cutIndex(rest[len(f.sub.prefix):]); ok {
			own, sub, rest = f.sub, i, r
		}
	}
	e := &s.entities[s.entity(f, index, sub)]
	for _, t := range own.tags {
		if t.key == rest {
			// An empty tag value is dropped by the serializers anyway.
			if tv := tagValue(v); tv != "" {
				e.setTag(t.tag, tv)
			}
			return true
		}
	}
	if fieldPrefix != "" {
		rest = fieldPrefix + rest
	}
	e.fields = appendField(e.fields, rest, v)
	return true
}

// entity returns the position of the entity, adding it if new.
func (s *splitter) entity(f *family, index, sub string) int {
	if s.last >= 0 {
		if e := &s.entities[s.last]; e.fam == f && e.index == index && e.subIndex == sub {
			return s.last
		}
	}
	for i := range s.entities[:s.n] {
		if e := &s.entities[i]; e.fam == f && e.index == index && e.subIndex == sub {
			s.last = i
			return i
		}
	}
	if s.n == len(s.entities) {
		s.entities = append(s.entities, entity{})
	}
	e := &s.entities[s.n]
	e.fam, e.index, e.subIndex = f, index, sub
	e.tags, e.fields = e.tags[:0], e.fields[:0]
	s.last = s.n
	s.n++
	return s.last
}

// finish names the entities that had no name key (by their index), gives
// nested entities their parent's tags, and builds those with fields.
func (s *splitter) finish(ts time.Time) []telegraf.Metric {
	if s.n == 0 {
		return nil
	}
	es := s.entities[:s.n]
	for i := range es {
		if e := &es[i]; e.subIndex == "" {
			if !e.hasTag(e.fam.indexTag) {
				e.setTag(e.fam.indexTag, e.index)
			}
		}
	}
	out := make([]telegraf.Metric, 0, len(es))
	for i := range es {
		e := &es[i]
		if e.fam.parent != nil {
			s.inheritNested(e)
		} else if e.subIndex != "" {
			s.inherit(e)
		}
		if len(e.fields) > 0 {
			out = append(out, s.build(e.fam.measurement, ts, e.tags, e.fields))
		}
	}
	return out
}

// inherit gives a nested entity (a monitor's bank) its own index tag if it
// had no id, and the tags of the entity it belongs to.
func (s *splitter) inherit(e *entity) {
	if !e.hasTag(e.fam.sub.indexTag) {
		e.setTag(e.fam.sub.indexTag, e.subIndex)
	}
	for i := range s.entities[:s.n] {
		p := &s.entities[i]
		if p.fam == e.fam && p.index == e.index && p.subIndex == "" {
			for _, t := range p.tags {
				if !e.hasTag(t.Key) {
					e.tags = append(e.tags, t)
				}
			}
			return
		}
	}
	e.setTag(e.fam.indexTag, e.index)
}

// build makes one Telegraf metric: the domain's tags and own (own win on
// the same key, as AddTag after metric.New), sorted by key as Telegraf
// keeps them.
func (s *splitter) build(name string, ts time.Time, own []telegraf.Tag, fields []telegraf.Field) telegraf.Metric {
	l := &s.list
	l.name, l.ts = name, ts
	l.tagList = l.tagList[:0]
	for i := range s.domTags {
		if !slices.ContainsFunc(own, func(t telegraf.Tag) bool { return t.Key == s.domTags[i].Key }) {
			l.tagList = append(l.tagList, &s.domTags[i])
		}
	}
	for i := range own {
		l.tagList = append(l.tagList, &own[i])
	}
	if len(own) > 0 {
		slices.SortFunc(l.tagList, func(a, b *telegraf.Tag) int { return strings.Compare(a.Key, b.Key) })
	}
	l.fieldList = l.fieldList[:0]
	for i := range fields {
		l.fieldList = append(l.fieldList, &fields[i])
	}
	return metric.FromMetric(l)
}

// listMetric hands metric.FromMetric a metric's parts (the five methods it
// calls; see draft).
type listMetric struct {
	telegraf.Metric

	name      string
	ts        time.Time
	tagList   []*telegraf.Tag
	fieldList []*telegraf.Field
}

func (l *listMetric) Name() string                 { return l.name }
func (l *listMetric) Time() time.Time              { return l.ts }
func (l *listMetric) Type() telegraf.ValueType     { return telegraf.Untyped }
func (l *listMetric) TagList() []*telegraf.Tag     { return l.tagList }
func (l *listMetric) FieldList() []*telegraf.Field { return l.fieldList }

// tagValue renders a parameter used as a tag: names and paths are strings,
// backingIndex and ids numbers.
func tagValue(v any) string {
	switch x := v.(type) {
	case string:
		return lineSafe(x)
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}
