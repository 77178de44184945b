package procs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writePIDFile(t *testing.T, pid int) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "x.pid")
	if err := os.WriteFile(file, []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// A sleep started here is found by its pid file and name; by another name,
// once it has exited (a zombie until waited for), and once reaped, it is not.
func TestFromFile(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	file := writePIDFile(t, cmd.Process.Pid)
	if pid, err := FromFile(file, "sleep"); err != nil || pid != cmd.Process.Pid {
		t.Fatalf("FromFile(live sleep) = %d, %v; want %d", pid, err, cmd.Process.Pid)
	}
	if _, err := FromFile(file, "libvirtd"); err == nil || !strings.Contains(err.Error(), "no live libvirtd") {
		t.Errorf("FromFile(sleep, libvirtd) = %v, want an error naming libvirtd", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Killed and not waited for: a zombie, whose comm is still "sleep".
	// The kernel makes it one at once; 5 s leaves room on a loaded machine.
	for deadline := time.Now().Add(5 * time.Second); Named(cmd.Process.Pid, "sleep") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if Named(cmd.Process.Pid, "sleep") {
		t.Error("a killed sleep, not yet reaped, is still named live")
	}
	_ = cmd.Wait()
	if _, err := FromFile(file, "sleep"); err == nil {
		t.Error("FromFile found a reaped process")
	}
}

func TestReadPIDFileErrors(t *testing.T) {
	if _, err := ReadPIDFile(filepath.Join(t.TempDir(), "absent.pid")); !os.IsNotExist(err) {
		t.Errorf("absent pid file: %v, want not-exist", err)
	}
	file := filepath.Join(t.TempDir(), "bad.pid")
	if err := os.WriteFile(file, []byte("twelve\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPIDFile(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("bad pid file: %v, want an error naming %s", err, file)
	}
}
