//go:build qemu

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// A table with Telegraf's per-plugin options (tags, name_override,
// fieldinclude, tagexclude, ...), the way a user copies it from a
// configuration with the plugin compiled in.
const sameTable = `[[inputs.libvirt_stats]]
  libvirt_uri = "URI"
  domains = ["DOMAINS"]
  name_override = "vm"
  name_suffix = "_stats"
  ## Fields libvirt reads without the domain's job lock: a guest busy
  ## with a job (NOWAIT) still has them in both gathers.
  fieldinclude = ["state.*", "balloon.current", "balloon.maximum", "vcpu.current", "block.count", "net.count"]
  tagexclude = ["uuid"]
  [inputs.libvirt_stats.tags]
    site = "lab 1"
    rack = "r=2"
`

// The same table gives the same metrics compiled into Telegraf (make
// telegraf; `telegraf --test`, which prints one gather with uint64 kept)
// and through the execd binary (-once): Telegraf's config loader and
// RunningInput in both.
func TestSameTableBothWays(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-stats", "telegraf")
	plugin := needBinary(t, "bin/telegraf-libvirt", "build")

	t.Run("test driver", func(t *testing.T) {
		table := strings.NewReplacer("URI", "test:///default", "DOMAINS", "*").Replace(sameTable)
		compiled, binary := bothWays(t, tg, plugin, table)
		require.Len(t, binary, 1)
		require.Equal(t, "vm_stats", binary[0].Name())
		require.Equal(t, map[string]string{"domain": "test", "site": "lab 1", "rack": "r=2"}, binary[0].Tags())
		testutil.RequireMetricsEqual(t, compiled, binary, testutil.IgnoreTime(), testutil.SortMetrics())
	})
	// Real guests: the values move between the two gathers, so the
	// metrics compare by name, tags, field keys and types.
	t.Run("QEMU", func(t *testing.T) {
		table := strings.NewReplacer("URI", lab.HostURI(), "DOMAINS", "tlv-run*").Replace(sameTable)
		compiled, binary := bothWays(t, tg, plugin, table)
		require.NotEmpty(t, binary)
		require.Equal(t, shapes(compiled), shapes(binary))
		for _, m := range binary {
			require.Equal(t, "vm_stats", m.Name())
			require.Equal(t, []string{"domain", "rack", "site"}, sortedTagKeys(m))
			_, ok := m.GetField("balloon.current")
			require.True(t, ok, "balloon.current of %v", m)
		}
	})
}

// bothWays gathers once with the table compiled into Telegraf and once
// through the binary.
func bothWays(t *testing.T, tg, plugin, table string) (compiled, binary []telegraf.Metric) {
	t.Helper()
	dir := t.TempDir()
	binConf := filepath.Join(dir, "libvirt_stats.conf")
	require.NoError(t, os.WriteFile(binConf, []byte(table), 0o600))
	// host is Telegraf's global tag: the Telegraf that runs the binary adds
	// it to the binary's lines too; left out here to compare the plugin's.
	tgConf := filepath.Join(dir, "telegraf.conf")
	require.NoError(t, os.WriteFile(tgConf, []byte("[agent]\n  omit_hostname = true\n"+table), 0o600))

	out, err := exec.Command(tg, "--config", tgConf, "--test").Output()
	require.NoError(t, err, "%s --test: %s", tg, stderrOf(err))
	var lines []byte
	for _, l := range strings.SplitAfter(string(out), "\n") {
		if rest, ok := strings.CutPrefix(l, "> "); ok {
			lines = append(lines, rest...)
		}
	}
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	compiled, err = p.Parse(lines)
	require.NoError(t, err)
	require.NotEmpty(t, compiled, "%s --test printed no metrics:\n%s", tg, out)
	return compiled, pluginOnce(t, plugin, binConf)
}

func stderrOf(err error) string {
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// shapes: per metric, its name, tags and field keys with their types,
// sorted.
func shapes(ms []telegraf.Metric) []string {
	var out []string
	for _, m := range ms {
		s := m.Name()
		for _, tag := range m.TagList() {
			s += "," + tag.Key + "=" + tag.Value
		}
		var fields []string
		for _, f := range m.FieldList() {
			fields = append(fields, f.Key+":"+influxType(f.Value))
		}
		sort.Strings(fields)
		out = append(out, s+" "+strings.Join(fields, ","))
	}
	sort.Strings(out)
	return out
}

func sortedTagKeys(m telegraf.Metric) []string {
	var keys []string
	for _, tag := range m.TagList() {
		keys = append(keys, tag.Key)
	}
	return keys
}
