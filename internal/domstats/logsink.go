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
func routeLog(sink func(line string)) error {
	if sink == nil || os.Getenv("LIBVIRT_LOG_OUTPUTS") != "" {
		return nil
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return fmt.Errorf("pipe for libvirt's log: %w", err)
	}
	// libvirt opens the path itself (a file output); the write end stays
	// open for the life of the process so that the path stays valid.
	if err := os.Setenv("LIBVIRT_LOG_OUTPUTS", fmt.Sprintf("3:file:/proc/self/fd/%d", fds[1])); err != nil {
		return fmt.Errorf("setting LIBVIRT_LOG_OUTPUTS: %w", err)
	}
	r := os.NewFile(uintptr(fds[0]), "libvirt-log")
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			sink(sc.Text())
		}
	}()
	return nil
}
