package report

import (
	"math"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// The transports section of BENCHMARKS.md and its table in
// docs/performance.md: BenchmarkTransport's output (cmd/telegraf-libvirt,
// scripts/bench-transports.sh) in transports.txt; a run without it has
// neither.

// transportRow is one transport of one set of domains, per gather on the
// kept connection and for connecting.
type transportRow struct {
	Transport                                string
	Wall, Client, Daemon, SSHD               float64 // ms per gather
	ConnectS, ConnectCPUS, RxPerDom, Domains float64
}

type transportSet struct {
	Name, What string
	Rows       []transportRow
}

// transportSets are the sets BenchmarkTransport measures, in the order the
// report shows them, and what each is.
var transportSets = []struct{ name, what string }{
	{"test-100", "a private libvirtd, libvirt's test driver with 100 domains: the same reply on every transport"},
	{"test-1000", "the same with 1000 test-driver domains, about the reply of 100 QEMU guests"},
	{"lab", "the lab's QEMU guests (its libvirtd; tcp with SASL; ssh and libssh through virt-ssh-helper)"},
}

var transportNames = []struct{ key, name string }{
	{"unix", "unix"}, {"tcp", "tcp"}, {"tls", "tls"}, {"ssh", "ssh (`+ssh://`)"}, {"libssh", "libssh (`+libssh://`)"},
}

// transportTables turns BenchmarkTransport's results into a table per set;
// nil without them.
func transportTables(gb map[string]map[string]results.Dist) []transportSet {
	var out []transportSet
	for _, s := range transportSets {
		set := transportSet{Name: s.name, What: s.what}
		for _, t := range transportNames {
			m, ok := gb["BenchmarkTransport/"+s.name+"/"+t.key]
			if !ok {
				continue
			}
			med := func(unit string) float64 {
				if d, ok := m[unit]; ok {
					return d.Median
				}
				return math.NaN()
			}
			set.Rows = append(set.Rows, transportRow{Transport: t.name, Wall: med("wall-ms"), Client: med("client-cpu-ms"),
				Daemon: med("daemon-cpu-ms"), SSHD: med("sshd-cpu-ms"), ConnectS: med("connect-ms") / 1000,
				ConnectCPUS: med("connect-cpu-ms") / 1000, RxPerDom: med("rx-bytes/dom"), Domains: med("domains")})
		}
		if len(set.Rows) > 0 {
			out = append(out, set)
		}
	}
	return out
}
