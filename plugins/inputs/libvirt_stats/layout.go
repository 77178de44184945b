//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"slices"
	"strings"
)

// layout.go: the layout option, and the family: one kind of indexed entity
// in libvirt's keys (block.<n>.*, net.<n>.*, ...) by which the device
// layout (splitter.go) cuts a record. families.go has the families; the
// statistics groups (groups.go) say under which key prefixes they are.

// The values of the layout option.
const (
	layoutDomain = "domain" // one metric per domain, libvirt's keys as fields
	layoutDevice = "device" // the domain's own keys, plus one metric per indexed entity
)

// family is one kind of indexed entity. In the device layout each entity
// of a family becomes a metric of the family's measurement, its keys
// fields without the prefix. A family may hold child families: entities
// nested in each of its entities (a disk's limits, a monitor's banks),
// which get their own metric with their parent's tags.
type family struct {
	measurement string
	// tags are the entity keys that become tags instead of fields.
	tags []tagKey
	// renames give a field another name than the key's (after the index,
	// and after a route's field prefix): a name InfluxDB would drop (a
	// field named time).
	renames []fieldName
	// indexTag is the tag that names the entity. Set from a key in tags
	// (block.<n>.name is the device) or, failing one, the entity's index.
	indexTag string
	// indexTags, if set, tags the entity from its index instead of
	// indexTag (a histogram bin's index holds its op and bin).
	indexTags func(index string, set func(key, value string))
	// children are the families nested in each entity.
	children []*family

	// A child's keys start with prefix after its parent's "<n>.", and cut
	// splits what follows into the child's index and the field; indexDoc
	// is how the docs write that index ("M.").
	prefix   string
	cut      func(after string) (index, field string, ok bool)
	indexDoc string
}

// tagKey maps an entity's key (after the index) to a tag name.
type tagKey struct {
	key, tag string
}

// fieldName gives an entity's key (after the index) the field name field.
type fieldName struct {
	key, field string
}

// fieldOf is the name of the field of the entity's key (after the index).
func (f *family) fieldOf(key string) string {
	for _, r := range f.renames {
		if r.key == key {
			return r.field
		}
	}
	return key
}

// route is a key prefix under which a family's entities are: "block." for
// the disks. fieldPrefix is put before the fields' names, for a prefix
// that holds part of another group's entity (dirtyrate.vcpu.<n>.* on
// vCPU <n>'s metric as dirtyrate.*).
type route struct {
	prefix      string
	fam         *family
	fieldPrefix string
}

// routesByByte indexes the groups' routes by the key's first byte, so
// that most keys cost one comparison.
var routesByByte = func() (idx [256][]route) {
	for _, g := range statsGroups {
		for _, r := range g.families {
			idx[r.prefix[0]] = append(idx[r.prefix[0]], r)
		}
	}
	return idx
}()

// routeOf finds the route whose prefix starts key.
func routeOf(key string) (route, bool) {
	if key == "" {
		return route{}, false
	}
	for _, r := range routesByByte[key[0]] {
		if strings.HasPrefix(key, r.prefix) {
			return r, true
		}
	}
	return route{}, false
}

// child finds the child family of f that rest (the key after "<n>.")
// belongs to, the child's index and the field's name.
func (f *family) child(rest string) (c *family, index, field string, ok bool) {
	for _, c := range f.children {
		if strings.HasPrefix(rest, c.prefix) {
			if index, field, ok := c.cut(rest[len(c.prefix):]); ok {
				return c, index, field, true
			}
		}
	}
	return nil, "", "", false
}

// nameEntity tags an entity that no key named by its index.
func (f *family) nameEntity(e *entity) {
	if f.indexTags != nil {
		f.indexTags(e.subIndex, e.setTag)
		return
	}
	index := e.index
	if e.parent != nil {
		index = e.subIndex
	}
	if f.indexTag != "" && !e.hasTag(f.indexTag) {
		e.setTag(f.indexTag, index)
	}
}

// deviceTagNames are the tags the device layout sets, sorted; metadata
// tags may not take these names.
var deviceTagNames = func() []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var walk func(f *family)
	walk = func(f *family) {
		for _, t := range f.tags {
			add(t.tag)
		}
		add(f.indexTag)
		if f.indexTags != nil {
			f.indexTags("", func(k, _ string) { add(k) })
		}
		for _, c := range f.children {
			walk(c)
		}
	}
	for _, g := range statsGroups {
		for _, r := range g.families {
			walk(r.fam)
		}
	}
	slices.Sort(names)
	return names
}()

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

// validLayout checks the layout option.
func validLayout(layout string) error {
	switch layout {
	case layoutDomain, layoutDevice:
		return nil
	}
	return fmt.Errorf("layout %q: valid: %s, %s", layout, layoutDomain, layoutDevice)
}
