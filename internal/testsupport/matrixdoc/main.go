// Command matrixdoc renders docs/compatibility.md from the results
// TestMatrix (plugins/inputs/libvirt_stats, -tags qemu) writes: per libvirt
// of the lab, the groups and key families its guests returned and each
// check's result. The table says only what the run saw.
//
//	matrixdoc -in /var/tmp/telegraf-libvirt-lab/matrix/results.json -out docs/compatibility.md
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// node is one libvirt of the matrix, as TestMatrix writes it.
type node struct {
	Node     string   `json:"node"`
	Suite    string   `json:"suite"`
	Libvirt  string   `json:"libvirt"`
	QEMU     string   `json:"qemu"`
	Groups   []string `json:"groups"`
	Families []string `json:"families"`
	Checks   []check  `json:"checks"`
}

type check struct {
	Name   string `json:"name"`
	Result string `json:"result"`
	Note   string `json:"note"`
}

// rpcCheck is one result of cmd/telegraf-libvirt's TestMatrixRPCsPerGather
// (rpc.json beside results.json).
type rpcCheck struct {
	Node   string `json:"node"`
	Name   string `json:"name"`
	Result string `json:"result"`
}

// allGroups are the plugin's statistics groups, in libvirt's order.
var allGroups = []string{"state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf", "iothread",
	"memory", "dirtyrate", "vm"}

// checkText says what each check of TestMatrix holds, and the options it
// exercises.
var checkText = map[string]string{
	"keys-match-virsh":               "key sets and order equal that version's own `virsh domstats` (default flags and `backing = true`)",
	"values-between-virsh-runs":      "stable values equal virsh's, counters between two virsh runs (default and `backing = true`)",
	"types-documented":               "every field has its documented type (an unknown key fails)",
	"read-only-complete":             "`read_only = true` (the default) returns the keys of the read-write socket",
	"device-layout-places-every-key": "`layout = \"device\"` puts every indexed key on a device metric",
	"frozen-guest-deadline":          "a guest's QEMU stopped (SIGSTOP): the gather keeps `timeout`, the domain is marked partial (`nowait` true and false)",
	"one-stats-rpc-per-gather":       "every gather is one `GET_ALL_DOMAIN_STATS` call on the read-only socket, nothing else",
	"groups-it-lacks":                "groups newer than the daemon: with `enforce = true` the error names each and its version; without, a warning at the first gather",
	"linux-guest": "Linux guest: guest-side balloon, net, block (`balloon.available` within 10 % of the guest's MemTotal, " +
		"`usable`, `unused`, `last-update` present; net rx/tx and block rd/wr rise between gathers; " +
		"with `derived = true`, `balloon.used_percent` in (0, 100) and the rates above 0)",
}

func main() {
	in := flag.String("in", "", "TestMatrix's results.json (required)")
	out := flag.String("out", "docs/compatibility.md", "the Markdown file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintf(os.Stderr, "matrixdoc: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" {
		return fmt.Errorf("-in is required")
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var nodes []node
	if err := json.Unmarshal(raw, &nodes); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(nodes) == 0 {
		return fmt.Errorf("%s: no nodes", in)
	}
	if err := addRPCChecks(nodes, filepath.Join(filepath.Dir(in), "rpc.json")); err != nil {
		return err
	}
	for i, n := range nodes {
		if n.Libvirt == "" { // the node did not answer: its checks say fail
			nodes[i].Libvirt = "? (node " + n.Node + " down)"
		}
	}
	slices.SortFunc(nodes, func(a, b node) int { return compareVersions(a.Libvirt, b.Libvirt) })
	return os.WriteFile(out, []byte(render(nodes)), 0o644)
}

func render(nodes []node) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Compatibility\n\n")
	p("Written by `make compat-doc` (internal/testsupport/matrixdoc) from the results of\n")
	p("`TestMatrix` (plugins/inputs/libvirt_stats/matrix_qemu_test.go, part of `make test`): do not edit.\n")
	p("Each column is a libvirtd of the test lab with its own QEMU (TCG, no KVM), the\n")
	p("Debian packages of the suite named. The root nodes' guests are three of\n")
	p("internal/testsupport/bootguest's XML (a running one with a qcow2 overlay, a NIC, two\n")
	p("iothreads and balloon stats; a paused one; a shut-off one; no OS, so no balloon driver\n")
	p("statistics) and one Linux guest of internal/testsupport/linuxguest (Debian's kernel\n")
	p("booted as a PVH ELF image, a busybox initramfs, virtio disk, NIC and balloon; it pings\n")
	p("the lab's bridge and reads and writes its disk every second); the host node's are the\n")
	p("tlv-* guests of testdata/qemu and the two Linux guests tlvl-linux1 and tlvl-linux2. Only what these runs\n")
	p("saw is listed: a group empty here (perf, memory and vm have nothing under TCG) may return\n")
	p("keys on KVM hosts.\n\n")

	p("| | %s |\n", join(nodes, func(n node) string { return "libvirt " + n.Libvirt }))
	p("|---|%s\n", strings.Repeat("---|", len(nodes)))
	p("| Debian | %s |\n", join(nodes, func(n node) string {
		if n.Suite == "host" {
			return "bookworm (this machine)"
		}
		return n.Suite
	}))
	p("| QEMU | %s |\n", join(nodes, func(n node) string { return n.QEMU }))
	p("| lab node | %s |\n", join(nodes, func(n node) string { return "`" + n.Node + "`" }))

	p("\n## Statistics groups returned on these guests\n\n")
	p("yes: the group's keys came back; empty: accepted, nothing returned here; unknown: the\n")
	p("daemon is older than the group (left out without `enforce`, an error with it).\n\n")
	p("| group | %s |\n", join(nodes, func(n node) string { return n.Libvirt }))
	p("|---|%s\n", strings.Repeat("---|", len(nodes)))
	for _, g := range allGroups {
		p("| `%s` | %s |\n", g, join(nodes, func(n node) string {
			switch {
			case slices.Contains(n.Groups, g):
				return "yes"
			case lacks(n, g):
				return "unknown"
			default:
				return "empty"
			}
		}))
	}

	p("\n## Checks\n\n")
	p("| check | %s |\n", join(nodes, func(n node) string { return n.Libvirt }))
	p("|---|%s\n", strings.Repeat("---|", len(nodes)))
	for _, c := range checkNames(nodes) {
		p("| %s | %s |\n", checkText[c], join(nodes, func(n node) string {
			for _, nc := range n.Checks {
				if nc.Name == c {
					if nc.Note != "" {
						return nc.Result + " (" + nc.Note + ")"
					}
					return nc.Result
				}
			}
			return "not run"
		}))
	}

	p("\n## Key families returned on these guests\n\n")
	p("Indices as N.\n\n")
	for _, n := range nodes {
		p("- **libvirt %s** (%d): %s\n", n.Libvirt, len(n.Families), "`"+strings.Join(n.Families, "`, `")+"`")
	}
	return b.String()
}

// addRPCChecks adds the RPC check of each node: from rpc.json for the root
// nodes (not run without it), TestQEMURPCsPerGather's for the host node.
func addRPCChecks(nodes []node, path string) error {
	var rpcs []rpcCheck
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &rpcs); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	case !os.IsNotExist(err):
		return err
	}
	for i, n := range nodes {
		c := check{Name: "one-stats-rpc-per-gather", Result: "not run"}
		if n.Node == "host" {
			c.Result, c.Note = "see", "TestQEMURPCsPerGather"
		}
		for _, r := range rpcs {
			if r.Node == n.Node {
				c.Result = r.Result
			}
		}
		nodes[i].Checks = append(nodes[i].Checks, c)
	}
	return nil
}

// lacks reads the groups-it-lacks check's note: the groups the daemon is
// older than.
func lacks(n node, g string) bool {
	for _, c := range n.Checks {
		if c.Name == "groups-it-lacks" && c.Note != "none" {
			return slices.Contains(strings.Split(c.Note, ", "), g)
		}
	}
	return false
}

func checkNames(nodes []node) []string {
	var names []string
	for _, n := range nodes {
		for _, c := range n.Checks {
			if !slices.Contains(names, c.Name) {
				names = append(names, c.Name)
			}
		}
	}
	return names
}

func join(nodes []node, f func(node) string) string {
	cells := make([]string, len(nodes))
	for i, n := range nodes {
		cells[i] = f(n)
	}
	return strings.Join(cells, " | ")
}

// compareVersions orders dotted versions numerically (9.0.0 before 11.3.0).
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		// A part that is not a number (a node that did not answer) sorts as 0.
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}
