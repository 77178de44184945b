//go:build cgo

package libvirt_stats

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// namedBit is a configuration word and the libvirt bit it stands for.
type namedBit struct {
	name string
	bit  uint32
}

// statsGroups maps the configured group names to VIR_DOMAIN_STATS_* bits,
// in libvirt's order.
var statsGroups = []namedBit{
	{"state", uint32(libvirt.DOMAIN_STATS_STATE)},
	{"cpu_total", uint32(libvirt.DOMAIN_STATS_CPU_TOTAL)},
	{"balloon", uint32(libvirt.DOMAIN_STATS_BALLOON)},
	{"vcpu", uint32(libvirt.DOMAIN_STATS_VCPU)},
	{"interface", uint32(libvirt.DOMAIN_STATS_INTERFACE)},
	{"block", uint32(libvirt.DOMAIN_STATS_BLOCK)},
	{"perf", uint32(libvirt.DOMAIN_STATS_PERF)},
	{"iothread", uint32(libvirt.DOMAIN_STATS_IOTHREAD)},
	{"memory", uint32(libvirt.DOMAIN_STATS_MEMORY)},
	{"dirtyrate", uint32(libvirt.DOMAIN_STATS_DIRTYRATE)},
	{"vm", uint32(libvirt.DOMAIN_STATS_VM)},
}

// domainStates maps the configured state names to the filter flags that
// virConnectListAllDomains and virConnectGetAllDomainStats share.
var domainStates = []namedBit{
	{"active", uint32(libvirt.CONNECT_LIST_DOMAINS_ACTIVE)},
	{"inactive", uint32(libvirt.CONNECT_LIST_DOMAINS_INACTIVE)},
	{"persistent", uint32(libvirt.CONNECT_LIST_DOMAINS_PERSISTENT)},
	{"transient", uint32(libvirt.CONNECT_LIST_DOMAINS_TRANSIENT)},
	{"running", uint32(libvirt.CONNECT_LIST_DOMAINS_RUNNING)},
	{"paused", uint32(libvirt.CONNECT_LIST_DOMAINS_PAUSED)},
	{"shutoff", uint32(libvirt.CONNECT_LIST_DOMAINS_SHUTOFF)},
	{"other", uint32(libvirt.CONNECT_LIST_DOMAINS_OTHER)},
}

// groupMask turns statistics_groups into the stats bitmask. No names gives
// 0, which libvirt reads as every group the hypervisor supports.
func groupMask(names []string) (uint32, error) {
	return bitsOf("statistics group", statsGroups, names)
}

// stateFlags turns domain_states into list filter flags. libvirt ORs the
// flags within one kind (active/inactive; persistent/transient;
// running/paused/shutoff/other) and ANDs the kinds.
func stateFlags(names []string) (uint32, error) {
	return bitsOf("domain state", domainStates, names)
}

func bitsOf(what string, table []namedBit, names []string) (uint32, error) {
	var mask uint32
	for _, n := range names {
		bit, ok := uint32(0), false
		for _, e := range table {
			if e.name == n {
				bit, ok = e.bit, true
				break
			}
		}
		if !ok {
			return 0, fmt.Errorf("unknown %s %q; valid: %s", what, n, validNames(table))
		}
		if mask&bit != 0 {
			return 0, fmt.Errorf("%s %q given twice", what, n)
		}
		mask |= bit
	}
	return mask, nil
}

func validNames(table []namedBit) string {
	names := make([]string, len(table))
	for i, e := range table {
		names[i] = e.name
	}
	return strings.Join(names, ", ")
}
