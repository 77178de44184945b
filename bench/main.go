// Command tlvbench measures the libvirt_stats plugin next to the bare bulk
// call, Telegraf's inputs.libvirt, go-libvirt's own bulk call and the
// per-domain calls collectd makes. scripts/bench.sh (make bench) drives it
// and sets up what it measures; see BENCHMARKS.md for the results and
// README.md for what each subcommand measures and needs.
//
// This is its own module so that Telegraf's inputs.libvirt and go-libvirt
// stay out of the plugin's go.mod. As a nested module whose path is under
// the plugin module's, it may import internal/domstats (Go checks internal
// imports by import path), so the floor is the plugin's own cgo, not a copy.
package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/report"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/scenarios"
)

// A subcommand is one registration: its name, the function that runs it
// and its main flags and purpose, which usage prints.
type subcommand struct {
	name, flags, what string
	run               func(args []string) error
}

var subcommands = []subcommand{
	{"gather", "-contender C -uri U -warmup W -n K", "one contender in this process: JSON on stdout", scenarios.Gather},
	{"run", "-scenario S -uri U -contenders a,b,...", "interleaved rounds of gather processes, RPC counts", scenarios.Run},
	{"execd", "-bin B -config F -gathers N", "the execd binary driven over stdin", scenarios.Execd},
	{"agent", "-stock T -custom T -bin B ...", "the whole agent: Telegraf processes, CPU per gather", scenarios.Agent},
	{"hostcost", "-uri U -libvirtd-pidfile F -qemu-piddir D", "libvirtd's and QEMU's CPU per gather", scenarios.HostCost},
	{"report", "-results DIR -out BENCHMARKS.md", "the tables, ratios and reading", report.Main},
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	for _, s := range subcommands {
		if s.name != os.Args[1] {
			continue
		}
		if err := s.run(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "tlvbench %s: %v\n", s.name, err)
			os.Exit(1)
		}
		return
	}
	usage()
}

func usage() {
	w := tabwriter.NewWriter(os.Stderr, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "usage: tlvbench SUBCOMMAND [flags]")
	for _, s := range subcommands {
		_, _ = fmt.Fprintf(w, "  tlvbench %s %s\t%s\n", s.name, s.flags, s.what)
	}
	_ = w.Flush()
	os.Exit(2)
}
