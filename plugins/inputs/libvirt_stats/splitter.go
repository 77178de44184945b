//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// splitter.go: the device layout (layout = "device") cuts each record into
// the domain's metric and one metric per entity of the families in
// families.go.

// entity is one metric of the device layout being built: its own tags
// (the name keys and index tags; the domain's come at the end) and its
// fields, in libvirt's order.
type entity struct {
	fam      *family
	parent   *family // the family fam is a child of; nil for a top-level entity
	index    string  // the index after the route's prefix
	subIndex string  // a child's index within its parent entity
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
// from record to record; the metrics are built at the end from a
// listMetric, as the domain layout's draft does.
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
	r, ok := routeOf(key)
	if !ok {
		return false
	}
	index, rest, ok := cutIndex(key[len(r.prefix):])
	if !ok {
		return false
	}
	own, parent, sub := r.fam, (*family)(nil), ""
	if c, i, field, ok := r.fam.child(rest); ok {
		own, parent, sub, rest = c, r.fam, i, field
	}
	e := &s.entities[s.entity(own, parent, index, sub)]
	for _, t := range own.tags {
		if t.key == rest {
			// An empty tag value is dropped by the serializers anyway.
			if tv := tagValue(v); tv != "" {
				e.setTag(t.tag, tv)
			}
			return true
		}
	}
	e.fields = appendField(e.fields, own.fieldOf(r.fieldPrefix+rest), v)
	return true
}

// entity returns the position of the entity, adding it if new.
func (s *splitter) entity(f, parent *family, index, sub string) int {
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
	e.fam, e.parent, e.index, e.subIndex = f, parent, index, sub
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
		if e := &es[i]; e.parent == nil {
			e.fam.nameEntity(e)
		}
	}
	out := make([]telegraf.Metric, 0, len(es))
	for i := range es {
		e := &es[i]
		if e.parent != nil {
			e.fam.nameEntity(e)
			s.inherit(e)
		}
		if len(e.fields) > 0 {
			out = append(out, s.build(e.fam.measurement, ts, e.tags, e.fields))
		}
	}
	return out
}

// inherit gives a nested entity the tags of the entity it belongs to (the
// domain's come with every metric at build), or its parent's index tag if
// the parent had no key of its own.
func (s *splitter) inherit(e *entity) {
	for i := range s.entities[:s.n] {
		if p := &s.entities[i]; p.fam == e.parent && p.index == e.index && p.parent == nil {
			for _, t := range p.tags {
				if !e.hasTag(t.Key) {
					e.tags = append(e.tags, t)
				}
			}
			return
		}
	}
	e.setTag(e.parent.indexTag, e.index)
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
	return l.build()
}

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
