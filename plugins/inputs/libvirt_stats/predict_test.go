//go:build cgo && linux

package libvirt_stats

import (
	"regexp"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// wantEntity is one metric of the device layout as virsh's keys predict it.
type wantEntity struct {
	measurement string
	tags        map[string]string // the entity's own tags
	fields      map[string]string // field -> libvirt's key
}

// The test's own reading of libvirt's keys, apart from layout.go's: an
// entity's index, its keys, and which of them are tags.
var entityKeys = []struct {
	re          *regexp.Regexp
	measurement string
	nameKey     string // its value names the entity
	nameTag     string // ... in this tag; else the tag is the index
	fieldPrefix string
	tagKeys     map[string]string
	renames     map[string]string // key -> field, for a name InfluxDB drops
}{
	{regexp.MustCompile(`^block\.(\d+)\.(.+)$`), "libvirt_stats_block", "name", "device", "",
		map[string]string{"name": "device", "path": "path", "backingIndex": "backing_index"}, nil},
	{regexp.MustCompile(`^net\.(\d+)\.(.+)$`), "libvirt_stats_net", "name", "interface", "",
		map[string]string{"name": "interface"}, nil},
	{regexp.MustCompile(`^vcpu\.(\d+)\.(.+)$`), "libvirt_stats_vcpu", "", "vcpu", "", nil,
		map[string]string{"time": "time_ns"}},
	{regexp.MustCompile(`^dirtyrate\.vcpu\.(\d+)\.(.+)$`), "libvirt_stats_vcpu", "", "vcpu", "dirtyrate.", nil, nil},
	{regexp.MustCompile(`^iothread\.(\d+)\.(.+)$`), "libvirt_stats_iothread", "", "iothread", "", nil, nil},
}

// predict splits a virsh domain into its domain-level keys and entities.
func predict(d virshtest.Domain) (domain []string, entities map[string]*wantEntity) {
	entities = map[string]*wantEntity{}
	for _, key := range d.Keys {
		matched := false
		for _, ek := range entityKeys {
			m := ek.re.FindStringSubmatch(key)
			if m == nil {
				continue
			}
			matched = true
			id := ek.measurement + "/" + m[1]
			e := entities[id]
			if e == nil {
				e = &wantEntity{measurement: ek.measurement, tags: map[string]string{}, fields: map[string]string{}}
				entities[id] = e
				if ek.nameKey == "" {
					e.tags[ek.nameTag] = m[1]
				}
			}
			if tag, ok := ek.tagKeys[m[2]]; ok {
				e.tags[tag] = d.Values[key]
			} else if f, ok := ek.renames[m[2]]; ok {
				e.fields[f] = key
			} else {
				e.fields[ek.fieldPrefix+m[2]] = key
			}
			break
		}
		if !matched {
			domain = append(domain, key)
		}
	}
	return domain, entities
}

// entityID names a device-layout metric by its measurement and own tags.
func entityID(measurement string, tags map[string]string) string {
	var b strings.Builder
	b.WriteString(measurement)
	for _, k := range []string{"device", "backing_index", "path", "interface", "vcpu", "iothread"} {
		if v, ok := tags[k]; ok {
			b.WriteString("," + k + "=" + v)
		}
	}
	return b.String()
}
