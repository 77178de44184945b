//go:build cgo && linux

package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/inputs/execd"
	_ "github.com/influxdata/telegraf/plugins/parsers/influx" // data_format = "influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
	"github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

// The two configuration files the packages install (packaging/nfpm.yaml),
// loaded with Telegraf's own config code, which refuses unknown options.
const (
	pkgPluginConf = "../packaging/libvirt_stats.conf"
	pkgExecdConf  = "../packaging/telegraf.d/libvirt_stats.conf"
)

func loadTelegrafConfig(t *testing.T, path string) []*models.RunningInput {
	t.Helper()
	c := config.NewConfig()
	require.NoError(t, c.LoadConfig(path), "Telegraf refuses %s", path)
	require.Len(t, c.Inputs, 1, "%s must hold exactly one input", path)
	require.Empty(t, c.Outputs, "%s must not add outputs: the operator's Telegraf has its own", path)
	return c.Inputs
}

// /etc/telegraf/libvirt_stats.conf: one [[inputs.libvirt_stats]] for the
// local libvirtd that passes Init.
func TestPackagedPluginConfig(t *testing.T) {
	in := loadTelegrafConfig(t, pkgPluginConf)[0]
	p, ok := in.Input.(*libvirt_stats.LibvirtStats)
	require.True(t, ok, "%s: want inputs.libvirt_stats, got %T", pkgPluginConf, in.Input)
	require.Equal(t, "qemu:///system", p.URI)
	require.True(t, p.ReadOnly, "the package's config must use the read-only socket")
	require.Equal(t, config.Duration(5*time.Second), p.Timeout)
	// what the packaged Grafana dashboards need (docs/dashboards.md)
	require.Equal(t, "device", p.Layout)
	require.True(t, p.Derived)
	require.True(t, p.CollectorMetrics)
	require.NoError(t, in.Init())
	p.Stop()
}

// /etc/telegraf/telegraf.d/libvirt_stats.conf: the execd table that runs
// the installed binary with the installed config, one gather per interval.
func TestPackagedExecdConfig(t *testing.T) {
	in := loadTelegrafConfig(t, pkgExecdConf)[0]
	e, ok := in.Input.(*execd.Execd)
	require.True(t, ok, "%s: want inputs.execd, got %T", pkgExecdConf, in.Input)
	require.Equal(t, []string{"/usr/bin/telegraf-libvirt", "-poll_interval_disabled", "-config", "/etc/telegraf/libvirt_stats.conf"}, e.Command)
	require.Equal(t, "STDIN", e.Signal)
	require.Equal(t, config.Duration(10*time.Second), e.RestartDelay)
	require.False(t, e.StopOnError, "a binary that exits must be restarted")
	// data_format = "influx": execd then reads with the streaming parser,
	// for which buffer_size is no line limit (docs/telegraf.md, "buffer_size").
	raw, err := os.ReadFile(pkgExecdConf)
	require.NoError(t, err)
	require.Contains(t, string(raw), "\n  data_format = \"influx\"\n")
	require.NotContains(t, string(raw), "inputs.libvirt_stats]]",
		"a stock Telegraf reads telegraf.d/ and does not know inputs.libvirt_stats")
}

// The recommended split at the end of the execd config, uncommented, is a
// second execd table once a minute on a second config file, with the groups
// of examples/recommended.conf (TestRecommendedConfig).
func TestPackagedRecommendedSplit(t *testing.T) {
	raw, err := os.ReadFile(pkgExecdConf)
	require.NoError(t, err)
	text := string(raw)
	block := text[strings.Index(text, "\n# [[inputs.execd]]")+1:]
	uncommented := strings.ReplaceAll("\n"+block, "\n# ", "\n")
	path := filepath.Join(t.TempDir(), "slow.conf")
	require.NoError(t, os.WriteFile(path, []byte(uncommented), 0o600))
	in := loadTelegrafConfig(t, path)[0]
	e, ok := in.Input.(*execd.Execd)
	require.True(t, ok, "want inputs.execd, got %T", in.Input)
	require.Equal(t, []string{"/usr/bin/telegraf-libvirt", "-poll_interval_disabled", "-config", "/etc/telegraf/libvirt_stats_slow.conf"}, e.Command)
	require.Equal(t, 60*time.Second, in.Config.Interval)
	require.Equal(t, "STDIN", e.Signal)
	require.Contains(t, text, `statistics_groups = ["state", "cpu_total", "vcpu", "interface", "block"]`)
	require.Contains(t, text, `statistics_groups = ["balloon", "iothread", "dirtyrate", "perf", "memory", "vm"]`)
	rec, err := os.ReadFile("recommended.conf")
	require.NoError(t, err)
	for _, groups := range []string{`["state", "cpu_total", "vcpu", "interface", "block"]`, `["balloon", "iothread", "dirtyrate", "perf", "memory", "vm"]`} {
		require.Contains(t, string(rec), "statistics_groups = "+groups, "the package's split and examples/recommended.conf differ")
	}
}

// The files are installed where the execd table and the README say.
func TestNfpmInstallsConfigs(t *testing.T) {
	raw, err := os.ReadFile("../packaging/nfpm.yaml")
	require.NoError(t, err)
	y := string(raw)
	for src, dst := range map[string]string{
		"../bin/telegraf-libvirt":         "/usr/bin/telegraf-libvirt",
		"./libvirt_stats.conf":            "/etc/telegraf/libvirt_stats.conf",
		"./telegraf.d/libvirt_stats.conf": "/etc/telegraf/telegraf.d/libvirt_stats.conf",
	} {
		require.Contains(t, y, "  - src: "+src+"\n    dst: "+dst+"\n", "packaging/nfpm.yaml must install %s as %s", src, dst)
	}
	require.Equal(t, 2, strings.Count(y, "type: config|noreplace"), "both configs are conffiles")
}

// Every dashboard of dashboards/json is installed in
// /usr/share/telegraf-libvirt/grafana, and nothing else is installed there.
func TestNfpmInstallsDashboards(t *testing.T) {
	raw, err := os.ReadFile("../packaging/nfpm.yaml")
	require.NoError(t, err)
	y := string(raw)
	files, err := filepath.Glob("../dashboards/json/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		require.Contains(t, y, "  - src: ../dashboards/json/"+name+"\n    dst: /usr/share/telegraf-libvirt/grafana/"+name+"\n",
			"packaging/nfpm.yaml must install %s", f)
	}
	require.Equal(t, len(files), strings.Count(y, "dst: /usr/share/telegraf-libvirt/grafana/"),
		"packaging/nfpm.yaml installs a dashboard that dashboards/json does not have")
}

// docs/deploy.md shows the two packaged files as shipped.
func TestDeployShowsPackagedConfigs(t *testing.T) {
	requireShown(t, "../docs/deploy.md", []string{pkgPluginConf, pkgExecdConf})
}

// The README's Install section holds the steps e2e/package_test.go runs,
// with the current version's file names.
func TestReadmeInstallSteps(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	readme := string(raw)
	start := strings.Index(readme, "\n## Install\n")
	require.GreaterOrEqual(t, start, 0, "README.md has no \"## Install\" section")
	end := strings.Index(readme[start+1:], "\n## ")
	require.Greater(t, end, 0)
	install := readme[start : start+1+end]
	require.Less(t, start, strings.Index(readme, "\n## Set up\n"), "Install comes before Set up")
	for _, step := range []string{
		"dpkg -i telegraf-libvirt_" + version.Version + "_amd64.deb",
		"rpm -i telegraf-libvirt-" + version.Version + "-1.x86_64.rpm",
		"telegraf-libvirt -once -config /etc/telegraf/libvirt_stats.conf",
		"restart telegraf",
		"dpkg --purge telegraf-libvirt",
		"make package",
	} {
		require.Contains(t, install, step, "README.md's Install section")
	}
}
