//go:build !cgo || !linux

package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Built without cgo, the binary exits 1 at once with the plugin's message.
func TestNoCgoBinaryExplains(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "telegraf-libvirt")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	out, err = exec.Command(bin, "-once", "-config", "../../examples/demo.conf").CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "built without cgo (CGO_ENABLED=0)")
	require.Contains(t, string(out), "libvirt-dev")
}
