package report

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// readHost reads the machine the report is written on (the one the run
// measured: make bench writes it right after the run), and the version of
// the libvirtd at uri (the lab's, which the QEMU scenarios measured). The
// Performance section's short form is taken from the Machine table's rows.
func readHost(uri string) host {
	h := host{machine: machine(uri), describe: harness.Revision(), libvirt: "?", qemu: "?", telegraf: "?"}
	for _, row := range h.machine {
		switch k, v := row[0], row[1]; {
		case k == "CPU":
			h.cpu = v
		case strings.HasPrefix(k, "libvirt: ") && strings.Contains(k, "daemon") && h.libvirt == "?":
			h.libvirt = v
		case k == "QEMU":
			if f := strings.Fields(v); len(f) >= 4 {
				h.qemu = f[3]
			}
		case k == "github.com/influxdata/telegraf":
			h.telegraf = v
		}
	}
	return h
}

// machine is the Machine table of BENCHMARKS.md, but for the revision.
func machine(uri string) [][2]string {
	var rows [][2]string
	cpu := firstMatch("/proc/cpuinfo", "model name")
	rows = append(rows, [2]string{"CPU", fmt.Sprintf("%s, %d cores", cpu, runtime.NumCPU())})
	if mem := firstMatch("/proc/meminfo", "MemTotal"); mem != "" {
		kb, _ := strconv.ParseFloat(strings.Fields(mem)[0], 64)
		rows = append(rows, [2]string{"memory", fmt.Sprintf("%.1f GiB", kb/1024/1024)})
	}
	osName := strings.Trim(firstMatch("/etc/os-release", "PRETTY_NAME="), `"`)
	rows = append(rows, [2]string{"OS, kernel", fmt.Sprintf("%s, Linux %s", osName, harness.CmdOut("uname", "-r"))})
	if v := harness.CmdOut("virsh", "-c", uri, "version", "--daemon"); v != "" {
		for _, line := range strings.Split(v, "\n") {
			k, val, ok := strings.Cut(line, ":")
			if ok {
				rows = append(rows, [2]string{"libvirt: " + strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)})
			}
		}
	}
	rows = append(rows, [2]string{"QEMU", firstLine(harness.CmdOut("qemu-system-x86_64", "--version"))})
	rows = append(rows, [2]string{"Go", runtime.Version()})
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/influxdata/telegraf", "github.com/digitalocean/go-libvirt", "libvirt.org/go/libvirt":
				rows = append(rows, [2]string{d.Path, d.Version})
			}
		}
	}
	return rows
}

// firstMatch is the rest of the first line of a file starting with prefix
// (and a colon, if the prefix has none).
func firstMatch(path, prefix string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			rest := strings.TrimPrefix(line, prefix)
			rest = strings.TrimLeft(rest, " \t")
			rest = strings.TrimPrefix(rest, ":")
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
