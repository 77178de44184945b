package libvirt_stats

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The cgo code is Linux-only (syscall.Pipe2, /proc/self/fd): a macOS or
// FreeBSD build with cgo on must get the stub that says so, not fail to
// compile. go list shows which files each target selects.
func TestBuildTagsSelectStubOffLinux(t *testing.T) {
	stubs := map[string][]string{
		"./plugins/inputs/libvirt_stats": {"libvirt_stats_nocgo.go", "options.go"},
		"./cmd/telegraf-libvirt":         {"main_nocgo.go"},
		"./internal/domstats":            nil, // no file: only the cgo packages import it
	}
	for _, goos := range []string{"darwin", "freebsd"} {
		for pkg, want := range stubs {
			got := listFiles(t, goos, pkg)
			require.Equal(t, want, got, "GOOS=%s CGO_ENABLED=1 go list %s", goos, pkg)
		}
	}
	// And Linux with cgo gets the real code, not the stub.
	for pkg := range stubs {
		got := listFiles(t, "linux", pkg)
		require.NotEmpty(t, got, pkg)
		for _, f := range got {
			require.NotContains(t, f, "nocgo", "linux with cgo selects %s in %s", f, pkg)
		}
	}
}

// listFiles is the Go and cgo files go list selects for pkg (from the
// repository root) with GOOS=goos and CGO_ENABLED=1.
func listFiles(t *testing.T, goos, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", pkg)
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1", "GOFLAGS=")
	out, err := cmd.Output()
	require.NoError(t, err, "go list %s", pkg)
	var p struct {
		GoFiles, CgoFiles []string
		Error             *struct{ Err string }
	}
	require.NoError(t, json.Unmarshal(out, &p))
	if p.Error != nil {
		require.Contains(t, p.Error.Err, "build constraints exclude all Go files", "go list %s", pkg)
	}
	files := append(p.GoFiles, p.CgoFiles...)
	for _, f := range files {
		require.False(t, strings.Contains(f, "/"), f)
	}
	return files
}
