package libvirt_stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// The values of the layout option.
const (
	layoutDomain = "domain" // one metric per domain, libvirt's keys as fields
	layoutDevice = "device" // the domain's own keys, plus one metric per indexed entity
)

// family is one kind of indexed entity in libvirt's keys: block.<n>.*,
// net.<n>.*, ... In the device layout each entity of a family becomes a
// metric of the family's measurement, its keys fields without the prefix.
type family struct {
	prefix      string // "block.": then the index, a dot and the entity's key
	measurement string
	// tags are the entity keys that become tags instead of fields.
	tags []tagKey
	// indexTag is the tag that names the entity. Set from a key in tags
	// (block.<n>.name is the device) or, failing one, the index itself.
	indexTag string
	// sub is a family nested in each entity (a cache monitor's banks).
	sub *family
	// of and fieldPrefix: entities of another family under another prefix
	// (dirtyrate.vcpu.<n>.* belongs to vcpu <n>), their keys prefixed.
	of          *family
	fieldPrefix string
	// nested finds an entity within each entity whose keys nest deeper
	// (a disk's limits, timed groups, histograms: layout_newer.go);
	// parent is the family such an entity belongs to.
	nested func(rest string) (f *family, sub, field string, ok bool)
	parent *family
}

// tagKey maps an entity's key (after the index) to a tag name.
type tagKey struct {
	key, tag string
}

var (
	blockFamily = &family{
		prefix:      "block.",
		measurement: measurement + "_block",
		tags:        []tagKey{{"name", "device"}, {"path", "path"}, {"backingIndex", "backing_index"}},
		indexTag:    "device",
	}
	netFamily = &family{
		prefix:      "net.",
		measurement: measurement + "_net",
		tags:        []tagKey{{"name", "interface"}},
		indexTag:    "interface",
	}
	vcpuFamily = &family{
		prefix:      "vcpu.",
		measurement: measurement + "_vcpu",
		indexTag:    "vcpu",
	}
	dirtyrateVcpuFamily = &family{
		prefix:      "dirtyrate.vcpu.",
		of:          vcpuFamily,
		fieldPrefix: "dirtyrate.",
	}
	iothreadFamily = &family{
		prefix:      "iothread.",
		measurement: measurement + "_iothread",
		indexTag:    "iothread",
	}
	cacheMonitorFamily = &family{
		prefix:      "cpu.cache.monitor.",
		measurement: measurement + "_cache_monitor",
		tags:        []tagKey{{"name", "monitor"}, {"vcpus", "vcpus"}},
		indexTag:    "monitor",
		sub:         &family{prefix: "bank.", tags: []tagKey{{"id", "bank"}}, indexTag: "bank"},
	}
	memoryBandwidthFamily = &family{
		prefix:      "memory.bandwidth.monitor.",
		measurement: measurement + "_memory_bandwidth_monitor",
		tags:        []tagKey{{"name", "monitor"}, {"vcpus", "vcpus"}},
		indexTag:    "monitor",
		sub:         &family{prefix: "node.", tags: []tagKey{{"id", "node"}}, indexTag: "node"},
	}
)

// deviceTagNames are the tags the device layout sets; metadata tags may
// not take these names.
var deviceTagNames = []string{"device", "path", "backing_index", "interface", "vcpu", "iothread", "monitor", "vcpus", "bank", "node"}

// familyOf finds the family whose prefix starts key, by its first byte
// first so that most keys cost one comparison.
func familyOf(key string) *family {
	if key == "" {
		return nil
	}
	var f *family
	switch key[0] {
	case 'b':
		f = blockFamily
	case 'n':
		f = netFamily
	case 'v':
		f = vcpuFamily
	case 'i':
		f = iothreadFamily
	case 'd':
		f = dirtyrateVcpuFamily
	case 'c':
		f = cacheMonitorFamily
		if strings.HasPrefix(key, energyMonitorFamily.prefix) {
			f = energyMonitorFamily
		}
	case 'm':
		f = memoryBandwidthFamily
	default:
		return nil
	}
	if !strings.HasPrefix(key, f.prefix) {
		return nil
	}
	return f
}

// cutIndex splits "<digits>.<rest>" into the index and rest; ok is false
// for anything else (block.count, vcpu.current: the domain's own keys).
func cutIndex(s string) (index, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(s) || s[i] != '.' {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// entity is one metric of the device layout being built.
type entity struct {
	fam      *family
	index    string
	subIndex string // "" for a top-level entity
	m        telegraf.Metric
}

// splitter builds the device layout of one record.
type splitter struct {
	ts       time.Time
	tags     map[string]string
	entities []entity
	last     int // entity of the previous key: libvirt groups an entity's keys
}

// deviceMetrics shapes a record into the device layout: the domain's own
// keys (state, cpu, balloon, counts, vm, and every key of no known family)
// on the domain metric, each indexed entity on a metric of its own with the
// domain's tags, its name tags, and its keys as fields without the prefix.
// The derived fields go where their raw keys went (block.0.rd.bytes.rate
// to the disk's metric as rd.bytes.rate). The domain metric is never nil;
// entities without fields are left out.
func deviceMetrics(r domstats.Record, ts time.Time, tags map[string]string, derived ...telegraf.Field) (telegraf.Metric, []telegraf.Metric) {
	dom := metric.New(measurement, tags, nil, ts)
	s := splitter{ts: ts, tags: tags, last: -1}
	for _, p := range r.Params {
		v := p.Value()
		if v == nil || p.Key == "" {
			continue // an empty key is no field in any output
		}
		if !s.add(p.Key, v) {
			dom.AddField(p.Key, v)
		}
	}
	for _, f := range derived {
		if !s.add(f.Key, f.Value) {
			dom.AddField(f.Key, f.Value)
		}
	}
	return dom, s.finish()
}

// add puts one key on its entity's metric; false if it is the domain's.
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
	m := s.entities[s.entity(f, index, sub)].m
	for _, t := range own.tags {
		if t.key == rest {
			// An empty tag value is dropped by the serializers anyway.
			if tv := tagValue(v); tv != "" {
				m.AddTag(t.tag, tv)
			}
			return true
		}
	}
	if fieldPrefix != "" {
		rest = fieldPrefix + rest
	}
	m.AddField(rest, v)
	return true
}

// entity returns the position of the entity, adding it if new.
func (s *splitter) entity(f *family, index, sub string) int {
	if s.last >= 0 {
		if e := &s.entities[s.last]; e.fam == f && e.index == index && e.subIndex == sub {
			return s.last
		}
	}
	for i := range s.entities {
		if e := &s.entities[i]; e.fam == f && e.index == index && e.subIndex == sub {
			s.last = i
			return i
		}
	}
	s.entities = append(s.entities, entity{
		fam: f, index: index, subIndex: sub,
		m: metric.New(f.measurement, s.tags, nil, s.ts),
	})
	s.last = len(s.entities) - 1
	return s.last
}

// finish names the entities that had no name key (by their index), gives
// nested entities their parent's tags, and returns those with fields.
func (s *splitter) finish() []telegraf.Metric {
	if len(s.entities) == 0 {
		return nil
	}
	for i := range s.entities {
		if e := &s.entities[i]; e.subIndex == "" && !e.m.HasTag(e.fam.indexTag) {
			e.m.AddTag(e.fam.indexTag, e.index)
		}
	}
	out := make([]telegraf.Metric, 0, len(s.entities))
	for i := range s.entities {
		e := &s.entities[i]
		if e.fam.parent != nil {
			s.inheritNested(e)
		} else if e.subIndex != "" {
			s.inherit(e)
		}
		if len(e.m.FieldList()) > 0 {
			out = append(out, e.m)
		}
	}
	return out
}

// inherit gives a nested entity (a monitor's bank) its own index tag if it
// had no id, and the tags of the entity it belongs to.
func (s *splitter) inherit(e *entity) {
	if !e.m.HasTag(e.fam.sub.indexTag) {
		e.m.AddTag(e.fam.sub.indexTag, e.subIndex)
	}
	for i := range s.entities {
		p := &s.entities[i]
		if p.fam == e.fam && p.index == e.index && p.subIndex == "" {
			for _, t := range p.m.TagList() {
				if !e.m.HasTag(t.Key) {
					e.m.AddTag(t.Key, t.Value)
				}
			}
			return
		}
	}
	e.m.AddTag(e.fam.indexTag, e.index)
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

// lineSafe writes a vertical tab in a tag value as the two characters \v,
// as Telegraf's influx serializer writes \t, \n, \f and \r: raw, it ends
// the line protocol's tag set for every parser (see domstats' intern).
func lineSafe(s string) string {
	if strings.IndexByte(s, '\v') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\v", `\v`)
}

// validLayout checks the layout option.
func validLayout(layout string) error {
	switch layout {
	case layoutDomain, layoutDevice:
		return nil
	}
	return fmt.Errorf("layout %q: valid: %s, %s", layout, layoutDomain, layoutDevice)
}
