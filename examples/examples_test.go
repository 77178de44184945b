// Package examples holds the configuration files the README shows and the
// end-to-end tests (e2e/) run; these tests keep the three in step.
package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

// The page that shows each example: README.md the demo, docs/telegraf.md
// the ways to run the plugin under Telegraf, docs/prometheus.md Prometheus.
var shownIn = map[string]string{
	"demo.conf":                "../README.md",
	"telegraf.conf":            "../docs/telegraf.md",
	"libvirt_stats.conf":       "../docs/telegraf.md",
	"telegraf-compiled.conf":   "../docs/telegraf.md",
	"telegraf-prometheus.conf": "../docs/prometheus.md",
	// make bench writes docs/performance.md (and the README's copy) from
	// this template, with what the configuration saves, measured.
	"recommended.conf": "../bench/internal/report/performance.md.tmpl",
}

func allExamples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.conf")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// tomlBlocks returns the contents of the ```toml fences of a Markdown file.
func tomlBlocks(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "%s must show the examples", path)
	var blocks []string
	var cur []string
	in := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```toml":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

func requireShown(t *testing.T, doc string, files []string) {
	t.Helper()
	blocks := tomlBlocks(t, doc)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Contains(t, blocks, string(raw), "%s must show examples/%s verbatim in a ```toml fence", doc, f)
	}
}

// Every example is shown verbatim, on the page shownIn names.
func TestDocsShowExamples(t *testing.T) {
	for _, f := range allExamples(t) {
		doc, ok := shownIn[f]
		require.True(t, ok, "examples/%s: add it to shownIn, with the page that shows it", f)
		requireShown(t, doc, []string{f})
	}
}

// Every example is valid TOML.
func TestExamplesParse(t *testing.T) {
	for _, f := range allExamples(t) {
		var v map[string]any
		_, err := toml.DecodeFile(f, &v)
		require.NoError(t, err, f)
	}
}

// The compiled-in Telegraf's config holds the execd binary's plugin table
// unchanged, so both ways of running the plugin gather the same.
func TestCompiledConfigHoldsPluginTable(t *testing.T) {
	plugin, err := os.ReadFile("libvirt_stats.conf")
	require.NoError(t, err)
	compiled, err := os.ReadFile("telegraf-compiled.conf")
	require.NoError(t, err)
	i := strings.Index(string(plugin), "[[inputs.libvirt_stats]]")
	require.GreaterOrEqual(t, i, 0, "libvirt_stats.conf has no [[inputs.libvirt_stats]] table")
	require.Contains(t, string(compiled), string(plugin[i:]))
}

// The README's Performance section is the one make bench wrote last
// (docs/performance.md, without its leading comment), verbatim.
func TestReadmeShowsPerformance(t *testing.T) {
	raw, err := os.ReadFile("../docs/performance.md")
	require.NoError(t, err)
	body := string(raw)
	if strings.HasPrefix(body, "<!--") {
		_, body, _ = strings.Cut(body, "-->\n")
	}
	body = strings.TrimSpace(body)
	require.NotEmpty(t, body)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(readme), body),
		"README.md must hold docs/performance.md (make bench writes it) verbatim, from its heading %q on", strings.SplitN(body, "\n", 2)[0])
}

// The README's Example output is the capture scripts/capture-example.sh
// wrote (testdata/tlv-run1.lp, which the plugin's TestCapturedExample holds
// against virsh), verbatim.
func TestReadmeShowsCapturedExample(t *testing.T) {
	lp, err := os.ReadFile("../testdata/tlv-run1.lp")
	require.NoError(t, err)
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "```text\n"+string(lp)+"```")
}

// The recommended configuration is two tables of the plugin, each with
// its own interval: every statistics group once, the ones charted every
// interval in the shorter one.
func TestRecommendedConfig(t *testing.T) {
	var conf struct {
		Inputs struct {
			LibvirtStats []struct {
				Interval         string   `toml:"interval"`
				URI              string   `toml:"libvirt_uri"`
				StatisticsGroups []string `toml:"statistics_groups"`
				Timeout          string   `toml:"timeout"`
			} `toml:"libvirt_stats"`
		} `toml:"inputs"`
	}
	md, err := toml.DecodeFile("recommended.conf", &conf)
	require.NoError(t, err)
	require.Empty(t, md.Undecoded(), "recommended.conf sets options this test does not know")
	tables := conf.Inputs.LibvirtStats
	require.Len(t, tables, 2)
	fast, slow := tables[0], tables[1]
	require.Equal(t, "10s", fast.Interval)
	require.Equal(t, "60s", slow.Interval)
	require.Equal(t, []string{"state", "cpu_total", "vcpu", "interface", "block"}, fast.StatisticsGroups)
	require.Equal(t, []string{"balloon", "iothread", "dirtyrate", "perf", "memory", "vm"}, slow.StatisticsGroups)
	// Every group libvirt_stats knows (plugins/inputs/libvirt_stats/groups.go), once.
	all := append(append([]string{}, fast.StatisticsGroups...), slow.StatisticsGroups...)
	require.ElementsMatch(t, []string{"state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf",
		"iothread", "memory", "dirtyrate", "vm"}, all)
	for _, tb := range tables {
		require.Equal(t, "qemu:///system", tb.URI)
		require.NotEmpty(t, tb.Timeout)
	}
}
