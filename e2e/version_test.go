//go:build qemu

package e2e

import (
	"os/exec"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
)

// The Telegraf with the plugin compiled in (make telegraf) says which
// telegraf-libvirt it carries: the plugin logs its version at start.
func TestCompiledInLogsVersion(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-stats", "telegraf")
	cmd := exec.Command(tg, "--test", "--config", repoRoot+"/examples/telegraf-compiled.conf")
	lab.InNode(t, cmd, lab.Host) // where the example's qemu:///system is the lab's
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s --test:\n%s", tg, out)
	require.Regexp(t, `(?m) I! \[inputs\.libvirt_stats\] telegraf-libvirt `+regexp.QuoteMeta(version.Version)+
		`( \(commit [^)]+\))?, libvirt_uri "qemu:///system"$`, string(out))
}
