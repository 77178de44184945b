//go:build qemu

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
)

// The packaged .deb on the oldest and the newest libvirt of the lab, as an
// operator there uses it: apt-get install ./DEB inside the Debian 11
// (libvirt 7.0, glibc 2.31) and sid (libvirt 12.8) roots, then
// telegraf-libvirt -version and -once with the packaged configuration,
// inside the root and its lab node: the binary starts on that glibc,
// loads that libvirt0 and gathers that node's guests. The package is
// purged from the root afterwards, even when the test fails.
func TestPackageInRoots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the test installs a .deb into the lab's roots: run it as root (make test does)")
	}
	deb := needDist(t, fmt.Sprintf("%s_%s_amd64.deb", pkgName, version.Version))
	nodes, err := lab.RootNodes()
	require.NoError(t, err)
	roots := map[string]string{}
	for _, n := range nodes {
		roots[n.Name] = n.Root
	}
	for _, node := range []string{"v7.0", "v12.8"} {
		t.Run(node, func(t *testing.T) {
			root, ok := roots[node]
			require.True(t, ok, "lab.sh root-nodes has no %s", node)
			lab.Require(t, node)
			inRoot := func(args ...string) (string, error) {
				argv := append([]string{"node-exec", node, "--", "chroot", root}, args...)
				out, err := exec.Command(lab.Script(), argv...).CombinedOutput()
				return string(out), err
			}
			// The .deb where apt inside the root sees it.
			require.NoError(t, os.MkdirAll(filepath.Join(root, "tmp"), 0o1777))
			inside := "/tmp/" + filepath.Base(deb)
			raw, err := os.ReadFile(deb)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(root, inside), raw, 0o644))
			t.Cleanup(func() {
				if out, err := inRoot("apt-get", "purge", "-y", "-q", pkgName); err != nil {
					t.Errorf("cleanup: apt-get purge %s in %s: %v\n%s", pkgName, node, err, out)
				}
				_ = os.Remove(filepath.Join(root, inside))
			})

			// The lab's namespace has no network: libvirt0 is in the root already.
			out, err := inRoot("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
				"--reinstall", "--no-install-recommends", inside)
			require.NoError(t, err, "apt-get install %s in %s:\n%s", inside, node, out)

			libvirt0, err := inRoot("dpkg-query", "-W", "-f=${Version}", "libvirt0")
			require.NoError(t, err, libvirt0)
			want := regexp.MustCompile(`^(\d+\.\d+\.\d+)`).FindString(libvirt0)
			require.NotEmpty(t, want, "libvirt0 version %q", libvirt0)

			// -version names the libvirt it loaded: the root's libvirt0.
			out, err = inRoot(pkgBinary, "-version")
			require.NoError(t, err, "%s -version in %s:\n%s", pkgBinary, node, out)
			require.Contains(t, out, "telegraf-libvirt "+version.Version+" (libvirt "+want+";")

			// One gather with the packaged configuration (qemu:///system:
			// the node's own libvirtd, seen from inside the root).
			out, err = inRoot(pkgBinary, "-once", "-config", pkgPluginCfg)
			require.NoError(t, err, "%s -once in %s:\n%s", pkgBinary, node, out)
			p := &influx.Parser{}
			require.NoError(t, p.Init())
			var lp strings.Builder
			for line := range strings.Lines(out) {
				if strings.HasPrefix(line, "libvirt_stats") {
					lp.WriteString(line)
				}
			}
			ms, err := p.Parse([]byte(lp.String()))
			require.NoError(t, err, out)
			// The packaged configuration turns on the device layout: one
			// libvirt_stats metric per domain, and metrics per device beside.
			var domains []string
			for _, m := range ms {
				if m.Name() == "libvirt_stats" {
					d, _ := m.GetTag("domain")
					domains = append(domains, d)
				}
			}
			require.ElementsMatch(t, []string{node + "-run", node + "-paused", node + "-off",
				"tlvl-" + strings.ReplaceAll(node, ".", "-")}, domains)
			t.Logf("%s: libvirt0 %s, %d metrics", node, libvirt0, len(ms))
		})
	}
}
