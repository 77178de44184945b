//go:build cgo && linux

package main

import (
	"os"
	"syscall"
)

// pollableStdin returns stdin as a file Go's network poller waits on, when
// stdin is a pipe or a socket (as inputs.execd gives it). os.Stdin reads
// with a blocking read(2): a thread sits in that system call between
// gathers, so the runtime's monitor thread (sysmon) never goes to sleep
// and wakes every 20 µs to 10 ms, retaking the processor from the
// blocked read and from each C call of a gather. On 6 QEMU domains, one
// line per gather back to back, that thread used 0.68 ms of CPU per gather
// with os.Stdin and 0.09 ms with this (per-thread CPU from
// /proc/PID/task/*/schedstat; the whole process 1.75 and 1.22 ms). A
// non-blocking descriptor parks the reading goroutine in the poller
// instead; TestStdinReadThroughPoller keeps it so.
//
// Only a pipe or a socket: O_NONBLOCK belongs to the open file, and a
// terminal or file shared with a shell must not be left non-blocking.
// Nothing else reads the pipe inputs.execd opens for the child.
func pollableStdin() *os.File {
	var st syscall.Stat_t
	if err := syscall.Fstat(0, &st); err != nil {
		return os.Stdin
	}
	if mode := st.Mode & syscall.S_IFMT; mode != syscall.S_IFIFO && mode != syscall.S_IFSOCK {
		return os.Stdin
	}
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	// os.NewFile sees the descriptor non-blocking and registers it with
	// the poller.
	return os.NewFile(0, "/dev/stdin")
}
