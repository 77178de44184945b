//go:build cgo && linux

package domstats

import (
	"bufio"
	"fmt"
	"os"
	"syscall"
)

// routeLog points libvirt's own logging at a pipe whose lines go to sink.
// libvirt reads LIBVIRT_LOG_OUTPUTS once, in virInitialize, and otherwise
// writes its warnings and errors to stderr: under execd every such line
// becomes a Telegraf error line beside the plugin's own error, which
// already carries the message (a bad TLS certificate printed three).
// Warnings and errors only (priority 3). A user who set LIBVIRT_LOG_OUTPUTS
// keeps it: that is how libvirt's debug log is asked for.
//
// The variable is set only around virInitialize (unset, the returned
// function): libvirt reads it again in every child it forks (the ssh of
// qemu+ssh://), where the pipe's descriptor is closed, and that child then
// fails with "failed to open /proc/self/fd/N".
func routeLog(sink func(line string)) (unset func(), err error) {
	unset = func() {}
	if sink == nil || os.Getenv("LIBVIRT_LOG_OUTPUTS") != "" {
		return unset, nil
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return unset, fmt.Errorf("pipe for libvirt's log: %w", err)
	}
	// libvirt opens the path itself (a file output); the write end stays
	// open for the life of the process so that the path stays valid.
	if err := os.Setenv("LIBVIRT_LOG_OUTPUTS", fmt.Sprintf("3:file:/proc/self/fd/%d", fds[1])); err != nil {
		return unset, fmt.Errorf("setting LIBVIRT_LOG_OUTPUTS: %w", err)
	}
	r := os.NewFile(uintptr(fds[0]), "libvirt-log")
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			sink(sc.Text())
		}
	}()
	return func() { os.Unsetenv("LIBVIRT_LOG_OUTPUTS") }, nil
}
