//go:build cgo && linux

package libvirt_stats

// The helpers the tests of this package share; a helper that serves one
// test file stays in that file (fullRecord: layout_test.go). The tests
// tagged qemu have theirs in helpers_qemu_test.go.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// newPlugin returns the plugin as Telegraf creates it, defaults included.
func newPlugin(t *testing.T, uri string) *LibvirtStats {
	t.Helper()
	p := inputs.Inputs["libvirt_stats"]().(*LibvirtStats)
	p.URI = uri
	p.Log = testutil.Logger{}
	return p
}

// nodeURI is the test driver's URI of a node file in testdata/
// (node-120.xml: 120 domains from scripts/gen-node-xml.sh; node-nova.xml:
// domains with Nova's metadata).
func nodeURI(t *testing.T, file string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../../testdata", file))
	require.NoError(t, err)
	_, err = os.Stat(p)
	require.NoError(t, err)
	return "test://" + p
}

// gather runs Init and one Gather and returns the metrics; gather errors fail the test.
func gather(t *testing.T, p *LibvirtStats) []telegraf.Metric {
	t.Helper()
	require.NoError(t, p.Init())
	defer p.Stop()
	return gatherClean(t, p)
}

// gatherClean is one gather of an initialized plugin, which must report no
// error.
func gatherClean(t *testing.T, p *LibvirtStats) []telegraf.Metric {
	t.Helper()
	var acc testutil.Accumulator
	require.NoError(t, p.Gather(&acc))
	require.Empty(t, acc.Errors)
	return acc.GetTelegrafMetrics()
}

// names are the domain tags of metrics, in their order.
func names(ms []telegraf.Metric) []string {
	var out []string
	for _, m := range ms {
		n, _ := m.GetTag("domain")
		out = append(out, n)
	}
	return out
}

// t0 is the first gather's time in tests of samples over time.
var t0 = time.Unix(1700000000, 0)

// record converts synthetic typed parameters as the bulk call's records
// are converted.
func record(t testing.TB, name, uuid string, in ...domstatstest.Synthetic) domstats.Record {
	t.Helper()
	cp, err := domstatstest.BuildParams(in)
	require.NoError(t, err)
	defer cp.Free()
	return domstats.Record{Name: name, UUID: uuid, Params: domstats.NewConverter().Convert(cp)}
}

// syn is one synthetic typed parameter, its libvirt type from v's Go type
// (uint64 and anything else: ullong).
func syn(key string, v any) domstatstest.Synthetic {
	switch b := v.(type) {
	case int64:
		return domstatstest.Synthetic{Key: key, Type: domstats.TypeInt, Value: v}
	case string:
		return domstatstest.Synthetic{Key: key, Type: domstats.TypeString, Value: v}
	case bool:
		n := int64(0)
		if b {
			n = 1
		}
		return domstatstest.Synthetic{Key: key, Type: domstats.TypeBoolean, Value: n}
	case float64:
		return domstatstest.Synthetic{Key: key, Type: domstats.TypeDouble, Value: v}
	}
	return domstatstest.Synthetic{Key: key, Type: domstats.TypeULLong, Value: v}
}

// deviceMetrics shapes one record in the device layout with a splitter of
// its own: the domain's metric first, then its entities' in the order of
// their first key.
func deviceMetrics(r domstats.Record, ts time.Time, tags map[string]string) []telegraf.Metric {
	var s splitter
	dom, devices := s.metrics(r, ts, tags)
	return append([]telegraf.Metric{dom}, devices...)
}

// metricTags are the tags of a domain's metric, plus the key-value pairs
// in kv.
func metricTags(domain, uuid string, kv ...string) map[string]string {
	m := map[string]string{"domain": domain, "uuid": uuid}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// fieldKeys lists a metric's fields in the order the plugin added them; a
// missing metric (a record with no parameters) has none.
func fieldKeys(m telegraf.Metric) []string {
	if m == nil {
		return nil
	}
	var keys []string
	for _, f := range m.FieldList() {
		keys = append(keys, f.Key)
	}
	return keys
}

// sortedKeys are a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The Nova recipe of docs/layout.md.
const novaNS = "http://openstack.org/xmlns/libvirt/nova/1.1"

func novaTags() (tags, namespaces map[string]string) {
	return map[string]string{
			"instance_name": "/domain/metadata/nova:instance/nova:name",
			"flavor":        "/domain/metadata/nova:instance/nova:flavor/@name",
			"project":       "/domain/metadata/nova:instance/nova:owner/nova:project",
			"project_id":    "/domain/metadata/nova:instance/nova:owner/nova:project/@uuid",
			"user":          "/domain/metadata/nova:instance/nova:owner/nova:user",
			"user_id":       "/domain/metadata/nova:instance/nova:owner/nova:user/@uuid",
		}, map[string]string{
			"nova": novaNS,
		}
}

// rssKiB reads this process's resident set, C allocations included.
func rssKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			require.NoError(t, err)
			return kb
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// monitorKeys are the keys of a family of monitors (cpu.cache.monitor,
// memory.bandwidth.monitor, cpu.energy.monitor) with one monitor, as
// libvirt sends them: the count, the monitor's name and vCPUs, how many
// items it has (bank, node, pkg), then each item's id and values, whose
// keys are relative to the item (bytes: PREFIX.0.ITEM.N.bytes).
func monitorKeys(prefix, name, vcpus, item string, items ...[]domstatstest.Synthetic) []domstatstest.Synthetic {
	mon := prefix + ".0."
	out := []domstatstest.Synthetic{
		syn(prefix+".count", uint64(1)),
		syn(mon+"name", name),
		syn(mon+"vcpus", vcpus),
		syn(mon+item+".count", uint64(len(items))),
	}
	for i, values := range items {
		at := mon + item + "." + strconv.Itoa(i) + "."
		out = append(out, syn(at+"id", uint64(i)))
		for _, v := range values {
			v.Key = at + v.Key
			out = append(out, v)
		}
	}
	return out
}
