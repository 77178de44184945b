//go:build cgo && linux

package libvirt_stats

import (
	"os"
	"strconv"
	"testing"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// capturedDomain parses a `virsh domstats` capture of one domain.
func capturedDomain(t *testing.T, path string) virshtest.Domain {
	t.Helper()
	txt, err := os.Open(path)
	require.NoError(t, err)
	defer txt.Close()
	doms, err := virshtest.Parse(txt)
	require.NoError(t, err)
	require.Len(t, doms, 1)
	return doms[0]
}

// The example README.md quotes (scripts/capture-example.sh) is a real pair:
// the plugin's line has exactly the keys virsh printed, in libvirt's order,
// each with its documented type; stable values are virsh's and counters,
// captured just after virsh, are not below them.
func TestCapturedExample(t *testing.T) {
	want := capturedDomain(t, "../../../testdata/tlv-run1.domstats.txt")
	require.Equal(t, "tlv-run1", want.Name)

	lp, err := os.ReadFile("../../../testdata/tlv-run1.lp")
	require.NoError(t, err)
	parser := &influx.Parser{}
	require.NoError(t, parser.Init())
	ms, err := parser.Parse(lp)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	m := ms[0]
	require.Equal(t, measurement, m.Name())
	require.Equal(t, map[string]string{"domain": "tlv-run1", "uuid": "c0ffee00-7100-4000-8000-000000000001"}, m.Tags())

	var keys []string
	for _, f := range m.FieldList() {
		keys = append(keys, f.Key)
		require.NoError(t, checkType(f.Key, f.Value))
		spec, err := specFor(f.Key)
		require.NoError(t, err)
		switch spec.motion {
		case stable:
			require.Equal(t, want.Values[f.Key], virshtest.Format(f.Value), f.Key)
		case counter:
			before, err := strconv.ParseUint(want.Values[f.Key], 10, 64)
			require.NoError(t, err, f.Key)
			require.GreaterOrEqual(t, f.Value, before, f.Key)
		case gauge:
		}
	}
	require.Equal(t, want.Keys, keys)
}

// docs/layout.md's Example Output is a real capture
// (scripts/capture-example.sh --device), quoted verbatim: the device
// layout of the keys virsh printed just before, each entity with its tags,
// its fields the entity's keys, stable values virsh's, counters not below
// them; the Nova recipe's tags and the state names on every metric.
func TestCapturedDeviceExample(t *testing.T) {
	d := capturedDomain(t, "../../../testdata/tlv-run3.device.domstats.txt")

	lp, err := os.ReadFile("../../../testdata/tlv-run3.device.lp")
	require.NoError(t, err)
	doc, err := os.ReadFile("../../../docs/layout.md")
	require.NoError(t, err)
	require.Contains(t, string(doc), "```text\n"+string(lp)+"```")

	parser := &influx.Parser{}
	require.NoError(t, parser.Init())
	ms, err := parser.Parse(lp)
	require.NoError(t, err)

	domKeys, entities := predict(d)
	want := map[string]*wantEntity{}
	for _, e := range entities {
		want[entityID(e.measurement, e.tags)] = e
	}
	nova := virshtest.Nova[d.Name]
	require.NotEmpty(t, nova)
	var seen []string
	for _, m := range ms {
		for k, v := range nova {
			require.Equal(t, v, m.Tags()[k], "%s: tag %s", m.Name(), k)
		}
		require.Equal(t, d.Name, m.Tags()["domain"])
		if m.Name() == measurement {
			require.Equal(t, append(domKeys, fieldStateName, fieldReasonName), fieldKeys(m))
			continue
		}
		id := entityID(m.Name(), m.Tags())
		e := want[id]
		require.NotNil(t, e, id)
		seen = append(seen, id)
		require.ElementsMatch(t, sortedKeys(e.fields), fieldKeys(m), id)
		for field, key := range e.fields {
			v, _ := m.GetField(field)
			require.NoError(t, checkType(key, v), id)
			spec, err := specFor(key)
			require.NoError(t, err)
			switch spec.motion {
			case stable:
				require.Equal(t, d.Values[key], virshtest.Format(v), "%s %s", id, field)
			case counter:
				before, err := strconv.ParseUint(d.Values[key], 10, 64)
				require.NoError(t, err, key)
				require.GreaterOrEqual(t, v, before, "%s %s", id, field)
			case gauge:
			}
		}
	}
	require.ElementsMatch(t, sortedKeys(want), seen)
}
