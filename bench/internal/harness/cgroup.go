package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CPUGroups is where the whole-agent scenario makes a group per Telegraf
// process to count its CPU: every thread, children included, also those
// that exited. Two kinds of hierarchy give that count:
//
//   - cgroup v1, a hierarchy with the cpuacct controller: cpuacct.usage,
//     in nanoseconds;
//   - cgroup v2: cpu.stat's usage_usec, in microseconds. It is there in
//     every group whether or not the cpu controller is enabled (the kernel
//     keeps it for all groups), so a v2 hierarchy whose controllers are
//     bound to v1 (a hybrid host) counts as well.
//
// Both are hierarchical: a group's count includes its subgroups', which
// the scenario relies on (the execd child in a subgroup).
type CPUGroups struct {
	Version string // "v1" or "v2"
	Mount   string // the hierarchy's mount point
	Root    string // the scenario's groups go below this one
}

// CgroupChoices are the values of agent's -cgroup flag.
var CgroupChoices = []string{"auto", "v1", "v2"}

// FindCPUGroups picks the hierarchy from /proc/self/mounts' content: want
// "v1" or "v2" takes that kind or fails; "auto" takes a v1 cpuacct
// hierarchy where one is mounted (hosts that mount v1 for the controllers
// and v2 beside it, like this project's test host, keep the count they
// had) and v2 otherwise (current distributions mount v2 only).
func FindCPUGroups(mounts []byte, want string) (CPUGroups, error) {
	if !slices.Contains(CgroupChoices, want) {
		return CPUGroups{}, fmt.Errorf("cgroup %q: valid choices are %s", want, strings.Join(CgroupChoices, ", "))
	}
	var v1, v2 string
	sc := bufio.NewScanner(bytes.NewReader(mounts))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		dir, fstype, opts := unescapeMount(f[1]), f[2], strings.Split(f[3], ",")
		switch {
		case fstype == "cgroup" && v1 == "" && slices.Contains(opts, "cpuacct"):
			v1 = dir
		case fstype == "cgroup2" && v2 == "":
			v2 = dir
		}
	}
	g := func(version, mount string) CPUGroups {
		return CPUGroups{Version: version, Mount: mount, Root: filepath.Join(mount, "tlvbench")}
	}
	switch {
	case (want == "auto" || want == "v1") && v1 != "":
		return g("v1", v1), nil
	case (want == "auto" || want == "v2") && v2 != "":
		return g("v2", v2), nil
	case want == "v1":
		return CPUGroups{}, fmt.Errorf("no cgroup v1 hierarchy with the cpuacct controller is mounted (try -cgroup v2 or auto)")
	case want == "v2":
		return CPUGroups{}, fmt.Errorf("no cgroup v2 hierarchy is mounted (mount one: mount -t cgroup2 none /sys/fs/cgroup)")
	}
	return CPUGroups{}, fmt.Errorf("neither a cgroup v1 cpuacct hierarchy nor a cgroup v2 hierarchy is mounted: per-process CPU needs one")
}

// unescapeMount undoes the octal escapes of /proc/self/mounts (\040 for a
// space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// DetectCPUGroups reads this process's mounts.
func DetectCPUGroups(want string) (CPUGroups, error) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return CPUGroups{}, err
	}
	return FindCPUGroups(b, want)
}

// Usage is the CPU time of the group at dir and its subgroups, in ns.
func (c CPUGroups) Usage(dir string) (int64, error) {
	if c.Version == "v2" {
		b, err := os.ReadFile(filepath.Join(dir, "cpu.stat"))
		if err != nil {
			return 0, err
		}
		return parseCPUStatUsage(b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return 0, err
	}
	return parseCpuacctUsage(b)
}

// parseCpuacctUsage reads cgroup v1's cpuacct.usage: one number, ns.
func parseCpuacctUsage(b []byte) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cpuacct.usage: %w", err)
	}
	return n, nil
}

// parseCPUStatUsage reads cgroup v2's cpu.stat ("key value" lines) and
// returns usage_usec in ns.
func parseCPUStatUsage(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || k != "usage_usec" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu.stat usage_usec: %w", err)
		}
		return n * 1000, nil
	}
	return 0, fmt.Errorf("cpu.stat has no usage_usec line")
}
