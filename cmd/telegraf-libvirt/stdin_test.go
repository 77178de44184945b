//go:build cgo

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Between gathers no thread of the binary may sit in read(2) on stdin
// (see pollableStdin): /proc/PID/task/TID/syscall starts with the number
// of the system call a blocked thread is in and its arguments, "0 0x0 ..."
// for read on descriptor 0.
func TestStdinReadThroughPoller(t *testing.T) {
	bin := binary(t)
	conf := writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n")
	out := filepath.Join(t.TempDir(), "out.lp")
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command(bin, "-config", conf, "-poll_interval_disabled")
	cmd.Stdout, cmd.Stderr = f, f
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = stdin.Close()
		require.NoError(t, cmd.Wait())
	}()

	_, err = stdin.Write([]byte("\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "libvirt_stats,")
	}, 30*time.Second, 10*time.Millisecond, "no gather")
	time.Sleep(200 * time.Millisecond) // the reader is back waiting for the next line

	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "task", "*", "syscall"))
	require.NoError(t, err)
	require.NotEmpty(t, tasks)
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if os.IsNotExist(err) {
			continue // the thread exited
		}
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(string(b), "0 0x0 "), "%s: a thread is blocked in read(2) on stdin: %s", task, b)
	}
}
