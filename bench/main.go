// Command tlvbench measures the libvirt_stats plugin next to the bare bulk
// call, Telegraf's inputs.libvirt, go-libvirt's own bulk call and the
// per-domain calls collectd makes. scripts/bench.sh (make bench) drives it
// and sets up what it measures; see BENCHMARKS.md for the results.
//
//	tlvbench gather -contender C -uri U -warmup W -n K   one contender in this process: JSON on stdout
//	tlvbench run -scenario S -uri U -contenders a,b,...   interleaved rounds of gather processes, RPC counts
//	tlvbench execd -bin B -config F -gathers N           the execd binary driven over stdin
//	tlvbench agent -stock T -custom T -bin B ...          the whole agent: Telegraf processes, CPU per gather
//	tlvbench hostcost -uri U -libvirtd-pidfile F -qemu-piddir D   libvirtd's and QEMU's CPU per gather
//	tlvbench report -results DIR -out BENCHMARKS.md      the tables, ratios and reading
//
// This is its own module so that Telegraf's inputs.libvirt and go-libvirt
// stay out of the plugin's go.mod. As a nested module whose path is under
// the plugin module's, it may import internal/domstats (Go checks internal
// imports by import path), so the floor is the plugin's own cgo, not a copy.
package main

import (
	"fmt"
	"os"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/report"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "gather":
		err = gatherMain(args)
	case "run":
		err = runMain(args)
	case "execd":
		err = execdMain(args)
	case "agent":
		err = agentMain(args)
	case "hostcost":
		err = hostcostMain(args)
	case "report":
		err = report.Main(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlvbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlvbench gather|run|execd|agent|hostcost|report [flags]")
	os.Exit(2)
}
