//go:build qemu

package libvirt_stats

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// privateDaemon is a libvirtd of the test's own: its config, sockets, pid
// file and log in a directory of its own, and no driver module loaded
// (LIBVIRT_DRIVER_DIR points at an empty directory), so it serves only
// the test driver built into libvirt and never touches the QEMU guests,
// networks or storage of the shared system daemon. Tests may kill it.
type privateDaemon struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startPrivateDaemon(t *testing.T) *privateDaemon {
	t.Helper()
	_, err := exec.LookPath("libvirtd")
	require.NoError(t, err, "libvirtd is not installed: run scripts/hypervisor-up.sh (make hypervisor)")
	// Short: a unix socket path holds at most 107 bytes.
	dir, err := os.MkdirTemp("", "tlvc-")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "drivers"), 0o700))
	conf := fmt.Sprintf(`unix_sock_dir = %q
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:%s"
`, dir, filepath.Join(dir, "libvirtd.log"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "libvirtd.conf"), []byte(conf), 0o600))
	d := &privateDaemon{dir: dir}
	t.Cleanup(func() {
		d.kill(t)
		_ = os.RemoveAll(dir)
	})
	d.start(t)
	return d
}

// uri is test+unix:///path (a node file, or "default") through this daemon.
func (d *privateDaemon) uri(path string) string {
	return "test+unix://" + path + "?socket=" + url.QueryEscape(filepath.Join(d.dir, "libvirt-sock"))
}

func (d *privateDaemon) start(t *testing.T) {
	t.Helper()
	sock := filepath.Join(d.dir, "libvirt-sock")
	_ = os.Remove(sock)
	d.cmd = exec.Command("libvirtd", "--config", filepath.Join(d.dir, "libvirtd.conf"),
		"--pid-file", filepath.Join(d.dir, "libvirtd.pid"))
	d.cmd.Env = append(os.Environ(), "LIBVIRT_DRIVER_DIR="+filepath.Join(d.dir, "drivers"))
	out, err := os.Create(filepath.Join(d.dir, "stdout"))
	require.NoError(t, err)
	defer out.Close()
	d.cmd.Stdout, d.cmd.Stderr = out, out
	require.NoError(t, d.cmd.Start())
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(d.cmd, d.done)
	require.Eventually(t, func() bool {
		_, err := os.Stat(sock)
		return err == nil
	}, 15*time.Second, 20*time.Millisecond, "private libvirtd did not create %s; see %s", sock, d.dir)
}

// kill SIGKILLs the daemon and waits until it is gone.
func (d *privateDaemon) kill(t *testing.T) {
	t.Helper()
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGKILL))
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("private libvirtd did not die on SIGKILL")
	}
}

// pid is the running daemon's process id.
func (d *privateDaemon) pid() int { return d.cmd.Process.Pid }
