// Package procs finds a live process by its pid file and its command name,
// as the test support finds the daemons it started or must leave alone
// (a libvirtd, an influxd, the lab's namespace holders): a pid file can
// outlive its process, and its number be reused by another process.
package procs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadPIDFile is the number in a pid file.
func ReadPIDFile(file string) (int, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	return pid, nil
}

// Named tells whether pid is a live process (not a zombie) whose command
// name (/proc/PID/comm) is name.
func Named(pid int, name string) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != name {
		return false
	}
	// /proc/PID/stat: "PID (COMM) STATE ...", COMM may hold spaces and ")".
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	i := strings.LastIndexByte(string(stat), ')')
	if err != nil || i < 0 {
		return false
	}
	state := strings.Fields(string(stat[i+1:]))
	return len(state) > 0 && state[0] != "Z"
}

// FromFile is the pid that file names when it is a live process named
// name; the error says which of the two it is not.
func FromFile(file, name string) (int, error) {
	pid, err := ReadPIDFile(file)
	if err != nil {
		return 0, err
	}
	if !Named(pid, name) {
		return 0, fmt.Errorf("%s: pid %d is no live %s", file, pid, name)
	}
	return pid, nil
}
