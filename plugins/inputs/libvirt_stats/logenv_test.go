//go:build cgo && linux

package libvirt_stats

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// The plugin points libvirt's log at a pipe of its own through
// LIBVIRT_LOG_OUTPUTS; a child process (virsh from inputs.exec, a
// libvirtd a test starts) must not inherit that path to a descriptor of
// this process: its libvirt would fail to initialize.
func TestLibvirtLogPathNotInherited(t *testing.T) {
	user := os.Getenv("LIBVIRT_LOG_OUTPUTS") // a user's own setting is kept
	gather(t, newPlugin(t, "test:///default"))
	out, err := exec.Command("sh", "-c", `printf %s "$LIBVIRT_LOG_OUTPUTS"`).Output()
	require.NoError(t, err)
	require.Equal(t, user, string(out))
}
