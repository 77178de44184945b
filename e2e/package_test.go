//go:build qemu

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
)

// What the packages install (packaging/nfpm.yaml).
const (
	pkgName      = "telegraf-libvirt"
	pkgBinary    = "/usr/bin/telegraf-libvirt"
	pkgPluginCfg = "/etc/telegraf/libvirt_stats.conf"
	pkgExecdCfg  = "/etc/telegraf/telegraf.d/libvirt_stats.conf"
	pkgExecdDir  = "/etc/telegraf/telegraf.d"
	// the Grafana dashboards of dashboards/json
	pkgGrafanaDir = "/usr/share/telegraf-libvirt/grafana"
)

var pkgConffiles = []string{pkgPluginCfg, pkgExecdCfg}

var pkgFiles = []string{
	pkgPluginCfg,
	pkgExecdCfg,
	pkgBinary,
	"/usr/share/doc/telegraf-libvirt/CHANGELOG.md",
	"/usr/share/doc/telegraf-libvirt/LICENSE",
	"/usr/share/doc/telegraf-libvirt/README.md",
	pkgGrafanaDir + "/domain-influxdb.json",
	pkgGrafanaDir + "/domain-prometheus.json",
	pkgGrafanaDir + "/fleet-influxdb.json",
	pkgGrafanaDir + "/fleet-prometheus.json",
}

// domainMetrics keeps the libvirt_stats metrics of a gather.
func domainMetrics(ms []telegraf.Metric) []telegraf.Metric {
	var out []telegraf.Metric
	for _, m := range ms {
		if m.Name() == "libvirt_stats" {
			out = append(out, m)
		}
	}
	return out
}

// pkgCmd runs a command and returns its combined output; failure fails
// the test with that output.
func pkgCmd(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

func pkgPathExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// dpkgStatus is dpkg's status of the package ("" when dpkg does not know it).
func dpkgStatus(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkgName).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// needDist returns the absolute path of a package make package wrote into
// dist/, or fails the test.
func needDist(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot, "dist", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("dist/%s is missing (%v): run `make package` first", name, err)
	}
	return p
}

// The .deb as an operator uses it, the steps of the README's Install
// section: dpkg -i, check with the installed binary and configuration,
// (re)start Telegraf with its telegraf.d, metrics arrive; dpkg -r keeps the
// conffiles, dpkg --purge removes them. Runs as root on the test machine
// and leaves it as it found it (purged even when the test fails).
func TestPackageDeb(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the package test installs a .deb: run it as root (make test does)")
	}
	deb := needDist(t, fmt.Sprintf("%s_%s_amd64.deb", pkgName, version.Version))
	tg := needBinary(t, "bin/telegraf-stock", "telegraf-stock")
	db := needInfluxDB(t)
	domains := testDomains(t)

	// Refuse to touch an installation that is not the test's own.
	if st := dpkgStatus(t); st != "" && !strings.HasSuffix(st, "not-installed") {
		t.Fatalf("%s is installed on this machine already (%q): `dpkg --purge %s` first", pkgName, st, pkgName)
	}
	for _, f := range pkgFiles {
		require.False(t, pkgPathExists(f), "%s exists without the package: remove it first", f)
	}
	// /etc/telegraf may not exist yet: then purging must remove it again.
	var createdDirs []string
	for _, d := range []string{"/etc/telegraf", pkgExecdDir, "/usr/share/doc/telegraf-libvirt", "/usr/share/telegraf-libvirt"} {
		if !pkgPathExists(d) {
			createdDirs = append(createdDirs, d)
		}
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", pkgName).CombinedOutput(); err != nil {
			t.Errorf("cleanup: dpkg --purge %s: %v\n%s", pkgName, err, out)
		}
	})

	// ---------------------------------------------------------- install
	out := pkgCmd(t, "dpkg", "-i", deb)
	t.Logf("dpkg -i %s:\n%s", deb, out)
	require.Contains(t, out, "then restart Telegraf", "postinst names the next step")
	require.Equal(t, "install ok installed", dpkgStatus(t))
	listed := strings.Fields(pkgCmd(t, "dpkg", "-L", pkgName))
	for _, f := range pkgFiles {
		require.Contains(t, listed, f, "dpkg -L %s", pkgName)
	}
	conffiles := pkgCmd(t, "dpkg-query", "-W", "-f=${Conffiles}", pkgName)
	for _, f := range pkgConffiles {
		require.Regexp(t, `(?m)^ `+regexp.QuoteMeta(f)+` [0-9a-f]{32}$`, conffiles, "%s must be a conffile", f)
	}
	require.Contains(t, pkgCmd(t, "dpkg-query", "-W", "-f=${Depends}", pkgName), "libvirt0")

	// The installed binary is the release build: the package's version,
	// the commit it was built from (-ldflags), -trimpath.
	require.Regexp(t, `^telegraf-libvirt `+regexp.QuoteMeta(version.Version)+` \(libvirt \d+\.\d+\.\d+; built from commit [0-9a-f]{7,}(-dirty)?\)\n$`,
		pkgCmd(t, pkgBinary, "-version"))
	require.Contains(t, pkgCmd(t, "go", "version", "-m", pkgBinary), "\tbuild\t-trimpath=true\n")
	require.Equal(t, version.Version, strings.TrimSpace(pkgCmd(t, "dpkg-query", "-W", "-f=${Version}", pkgName)))

	// ------------------------------------ the Install section's check
	// telegraf-libvirt -once -config /etc/telegraf/libvirt_stats.conf
	// (the domain metrics: the packaged config adds the device layout's
	// and libvirt_stats_collector, which the dashboards need)
	got := expect(t, domainMetrics(pluginOnce(t, pkgBinary, pkgPluginCfg)))
	require.Subset(t, got.domains(), domains,
		"the installed binary with the installed config does not see every QEMU test domain")

	// ---------------------------- stock Telegraf with its telegraf.d
	// The operator's telegraf.conf: agent settings and an output; the
	// input comes from the package's telegraf.d snippet, unchanged.
	database := uniqueDatabase("package")
	conf := filepath.Join(t.TempDir(), "telegraf.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(`[agent]
  interval = "2s"
  flush_interval = "1s"

[[outputs.influxdb]]
  urls = [%q]
  database = %q
`, db.url(), database)), 0o600))
	p := startTelegrafArgs(t, tg, "--config", conf, "--config-directory", pkgExecdDir)
	waitForPoints(t, p, db, database, measurement, domains, gathers, 90*time.Second)
	p.stop(t)
	require.Empty(t, p.errorLines(), "Telegraf logged errors")
	require.Contains(t, p.log(), "Starting process: "+pkgBinary+" [-poll_interval_disabled -config "+pkgPluginCfg+"]",
		"Telegraf did not run the installed binary with the installed config")
	// The version reaches Telegraf's log at Info level (not as an error).
	require.Regexp(t, `(?m) I! \[inputs\.execd\] (\[inputs\.libvirt_stats\] )?telegraf-libvirt `+regexp.QuoteMeta(version.Version)+
		`( \(commit [^)]+\))?, libvirt_uri "qemu:///system"$`, p.log())
	tags := column(t, db.mustQuery(t, database, `SHOW TAG VALUES FROM "libvirt_stats" WITH KEY = "domain"`), "value")
	require.Subset(t, tags, domains)

	// ------------------------------------------- remove: conffiles stay
	out = pkgCmd(t, "dpkg", "-r", pkgName)
	t.Logf("dpkg -r:\n%s", out)
	// the kept execd snippet names the removed binary: Telegraf would not
	// start with it, and postrm says so
	require.Contains(t, out, "Purge the package (dpkg --purge telegraf-libvirt) or delete that file")
	require.Equal(t, "deinstall ok config-files", dpkgStatus(t))
	require.False(t, pkgPathExists(pkgBinary), "dpkg -r left %s", pkgBinary)
	require.False(t, pkgPathExists("/usr/share/doc/telegraf-libvirt"), "dpkg -r left the documentation")
	require.False(t, pkgPathExists("/usr/share/telegraf-libvirt"), "dpkg -r left the dashboards")
	for _, f := range pkgConffiles {
		require.True(t, pkgPathExists(f), "dpkg -r removed the conffile %s", f)
	}

	// ------------------------------------------- purge: conffiles gone
	t.Logf("dpkg --purge:\n%s", pkgCmd(t, "dpkg", "--purge", pkgName))
	require.Equal(t, "", dpkgStatus(t), "dpkg still knows %s after --purge", pkgName)
	for _, f := range pkgFiles {
		require.False(t, pkgPathExists(f), "dpkg --purge left %s", f)
	}
	for _, d := range createdDirs {
		require.False(t, pkgPathExists(d), "%s did not exist before the package and is still there after --purge", d)
	}
}

// The RPM's file list, conffiles and dependencies (Debian's rpm reads it;
// installing it needs an RPM distribution).
func TestPackageRPM(t *testing.T) {
	rpm := needDist(t, fmt.Sprintf("%s-%s-1.x86_64.rpm", pkgName, version.Version))
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Fatal("no rpm command: `make package-deps` (Debian's rpm package)")
	}
	require.Equal(t, pkgName+" "+version.Version+"-1 x86_64 MIT",
		pkgCmd(t, "rpm", "-qp", "--qf", "%{NAME} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE}", rpm))

	files := strings.Fields(pkgCmd(t, "rpm", "-qpl", rpm))
	want := append([]string(nil), pkgFiles...)
	sort.Strings(want)
	sort.Strings(files)
	require.Equal(t, want, files, "rpm -qpl")

	// %config(noreplace): c and n in the file flags, as a conffile in the .deb
	flags := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(pkgCmd(t, "rpm", "-qp", "--qf", `[%{FILEFLAGS:fflags} %{FILENAMES}\n]`, rpm)), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			flags[f[1]] = f[0]
		} else {
			flags[f[0]] = ""
		}
	}
	for _, f := range pkgConffiles {
		require.Equal(t, "cn", flags[f], "%s must be %%config(noreplace)", f)
	}
	require.Equal(t, "", flags[pkgBinary])

	requires := strings.Split(strings.TrimSpace(pkgCmd(t, "rpm", "-qpR", rpm)), "\n")
	require.Contains(t, requires, "libvirt-libs", "rpm -qpR")
	for _, r := range requires {
		require.True(t, r == "libvirt-libs" || strings.HasPrefix(r, "rpmlib("), "unexpected requirement %q", r)
	}
}
