package libvirt_stats

import (
	"os"
	"strconv"
	"testing"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/virshtest"
)

// The example the README quotes (scripts/capture-example.sh) is a real pair:
// the plugin's line has exactly the keys virsh printed, in libvirt's order,
// each with its documented type; stable values are virsh's and counters,
// captured just after virsh, are not below them.
func TestCapturedExample(t *testing.T) {
	txt, err := os.Open("../../../testdata/tlv-run1.domstats.txt")
	require.NoError(t, err)
	defer txt.Close()
	doms, err := virshtest.Parse(txt)
	require.NoError(t, err)
	require.Len(t, doms, 1)
	want := doms[0]
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
