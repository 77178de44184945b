//go:build qemu

package e2e

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// expected is what InfluxDB must hold, from the plugin's own output
// (`bin/telegraf-libvirt -once`, run with the same config).
type expected struct {
	uuid       map[string]string            // domain -> uuid
	fieldTypes map[string]string            // field key -> InfluxDB type
	strings    map[string]map[string]string // domain -> string field -> value
	running    map[string]bool              // state.state == 1 (VIR_DOMAIN_RUNNING)
}

func (e *expected) domains() []string {
	var out []string
	for d := range e.uuid {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// influxType is the type InfluxDB 1.x reports (SHOW FIELD KEYS) for a
// field of the plugin: uint64 too arrives as integer, as the shim and
// outputs.influxdb write integers without the u suffix.
func influxType(v any) string {
	switch v.(type) {
	case int64, uint64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("unexpected Go type %T", v)
}

// pluginOnce runs one gather of bin/telegraf-libvirt with conf and parses
// its line protocol. It runs in the lab host node's mount namespace, where
// the examples' and the package's qemu:///system is the lab's libvirtd.
func pluginOnce(t *testing.T, bin, conf string) []telegraf.Metric {
	t.Helper()
	cmd := exec.Command(bin, "-once", "-config", conf)
	lab.InNode(t, cmd, lab.Host)
	var stderr []byte
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		stderr = ee.Stderr
	}
	if err != nil {
		t.Fatalf("%s -once -config %s: %v\n%s", bin, conf, err, stderr)
	}
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	ms, err := p.Parse(out)
	if err != nil {
		t.Fatalf("parsing the output of %s -once: %v", bin, err)
	}
	if len(ms) == 0 {
		t.Fatalf("%s -once printed no metrics", bin)
	}
	return ms
}

// expect merges gathers of the plugin (taken before and after Telegraf
// ran): the domain set and uuids must agree, field keys are their union.
func expect(t *testing.T, gathers ...[]telegraf.Metric) *expected {
	t.Helper()
	e := &expected{
		uuid:       map[string]string{},
		fieldTypes: map[string]string{},
		strings:    map[string]map[string]string{},
		running:    map[string]bool{},
	}
	for i, ms := range gathers {
		seen := map[string]string{}
		for _, m := range ms {
			if m.Name() != "libvirt_stats" {
				t.Fatalf("plugin output: measurement %q", m.Name())
			}
			d, _ := m.GetTag("domain")
			u, _ := m.GetTag("uuid")
			seen[d] = u
			if e.strings[d] == nil {
				e.strings[d] = map[string]string{}
			}
			for _, f := range m.FieldList() {
				typ := influxType(f.Value)
				if old, ok := e.fieldTypes[f.Key]; ok && old != typ {
					t.Fatalf("plugin output: field %q is %s and %s", f.Key, old, typ)
				}
				e.fieldTypes[f.Key] = typ
				if s, ok := f.Value.(string); ok {
					e.strings[d][f.Key] = s
				}
			}
			if st, ok := m.GetField("state.state"); ok && st == int64(1) {
				e.running[d] = true
			}
		}
		if i == 0 {
			e.uuid = seen
		} else if fmt.Sprint(seen) != fmt.Sprint(e.uuid) {
			t.Fatalf("the domains changed while the test ran: %v, then %v", e.uuid, seen)
		}
	}
	return e
}

// testDomains returns the names of the QEMU test domains
// (testdata/qemu/*.xml), which scripts/hypervisor-up.sh defines.
func testDomains(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "qemu", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no domain XML in testdata/qemu (%v)", err)
	}
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var dom struct {
			Name string `xml:"name"`
		}
		if err := xml.Unmarshal(raw, &dom); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names = append(names, dom.Name)
	}
	sort.Strings(names)
	return names
}
