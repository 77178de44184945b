package procs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func writePIDFile(t *testing.T, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "x.pid")
	require.NoError(t, os.WriteFile(file, []byte(content+"\n"), 0o600))
	return file
}

// A sleep started here is found by its pid file and name; by another name,
// once it has exited (a zombie until waited for), and once reaped, it is not.
func TestFromFile(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	file := writePIDFile(t, strconv.Itoa(cmd.Process.Pid))
	pid, err := FromFile(file, "sleep")
	require.NoError(t, err)
	require.Equal(t, cmd.Process.Pid, pid)
	_, err = FromFile(file, "libvirtd")
	require.ErrorContains(t, err, "no live libvirtd")

	require.NoError(t, cmd.Process.Kill())
	// Killed and not waited for: a zombie, whose comm is still "sleep".
	// The kernel makes it one at once; 5 s leaves room on a loaded machine.
	for deadline := time.Now().Add(5 * time.Second); Named(pid, "sleep") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	require.False(t, Named(pid, "sleep"), "a killed sleep, not yet reaped, is still named live")
	_ = cmd.Wait()
	_, err = FromFile(file, "sleep")
	require.Error(t, err, "a reaped process")
}

func TestReadPIDFileErrors(t *testing.T) {
	_, err := ReadPIDFile(filepath.Join(t.TempDir(), "absent.pid"))
	require.ErrorIs(t, err, os.ErrNotExist)
	file := writePIDFile(t, "twelve")
	_, err = ReadPIDFile(file)
	require.ErrorContains(t, err, file)
}
