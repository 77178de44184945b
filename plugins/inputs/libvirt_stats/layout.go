//go:build cgo

package libvirt_stats

import (
	"fmt"
	"strings"
)

// layout.go: the layout option, and the families of indexed entities in
// libvirt's keys (block.<n>.*, net.<n>.*, ...) by which the device layout
// (splitter.go) cuts a record; layout_newer.go adds the newer families.

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

// validLayout checks the layout option.
func validLayout(layout string) error {
	switch layout {
	case layoutDomain, layoutDevice:
		return nil
	}
	return fmt.Errorf("layout %q: valid: %s, %s", layout, layoutDomain, layoutDevice)
}
