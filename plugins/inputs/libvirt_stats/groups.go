//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// statsGroup is one statistics group, everything the plugin knows of it:
// the configuration word and its VIR_DOMAIN_STATS_* bit, the libvirt
// release that added it (the "Since:" of libvirt-domain.h, which
// explainUnsupported and absentGroups quote to an older daemon), the
// prefix of its keys (absentGroups looks for it), and the families of
// indexed entities among its keys, which the device layout cuts into
// metrics of their own (families.go). The README's table of groups is
// generated from this one (docs_gen_test.go).
type statsGroup struct {
	namedBit
	since     string
	keyPrefix string
	families  []route
}

// statsGroups is every group, in libvirt's order. Adding a group is one
// row here (and its row in groups_test.go).
var statsGroups = []statsGroup{
	{namedBit{"state", uint32(libvirt.DOMAIN_STATS_STATE)}, "1.2.8", "state.", nil},
	{namedBit{"cpu_total", uint32(libvirt.DOMAIN_STATS_CPU_TOTAL)}, "1.2.9", "cpu.",
		[]route{{"cpu.cache.monitor.", cacheMonitorFamily, ""}, {"cpu.energy.monitor.", energyMonitorFamily, ""}}},
	{namedBit{"balloon", uint32(libvirt.DOMAIN_STATS_BALLOON)}, "1.2.9", "balloon.", nil},
	{namedBit{"vcpu", uint32(libvirt.DOMAIN_STATS_VCPU)}, "1.2.9", "vcpu.", []route{{"vcpu.", vcpuFamily, ""}}},
	{namedBit{"interface", uint32(libvirt.DOMAIN_STATS_INTERFACE)}, "1.2.9", "net.", []route{{"net.", netFamily, ""}}},
	{namedBit{"block", uint32(libvirt.DOMAIN_STATS_BLOCK)}, "1.2.9", "block.", []route{{"block.", blockFamily, ""}}},
	{namedBit{"perf", uint32(libvirt.DOMAIN_STATS_PERF)}, "1.3.3", "perf.", nil},
	{namedBit{"iothread", uint32(libvirt.DOMAIN_STATS_IOTHREAD)}, "4.10.0", "iothread.",
		[]route{{"iothread.", iothreadFamily, ""}}},
	{namedBit{"memory", uint32(libvirt.DOMAIN_STATS_MEMORY)}, "6.0.0", "memory.",
		[]route{{"memory.bandwidth.monitor.", memoryBandwidthFamily, ""}}},
	// dirtyrate.vcpu.<n>.* is vCPU <n>'s: on its metric, as dirtyrate.*.
	{namedBit{"dirtyrate", uint32(libvirt.DOMAIN_STATS_DIRTYRATE)}, "7.2.0", "dirtyrate.",
		[]route{{"dirtyrate.vcpu.", vcpuFamily, "dirtyrate."}}},
	{namedBit{"vm", uint32(libvirt.DOMAIN_STATS_VM)}, "8.9.0", "vm.", nil},
}

// namedBit is a configuration word and the libvirt bit it stands for.
type namedBit struct {
	name string
	bit  uint32
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

// groupSince and groupKeyPrefix are each group's libvirt version and key
// prefix by name, read from statsGroups.
var (
	groupSince     = groupColumn(func(g statsGroup) string { return g.since })
	groupKeyPrefix = groupColumn(func(g statsGroup) string { return g.keyPrefix })
)

func groupColumn(col func(statsGroup) string) map[string]string {
	m := make(map[string]string, len(statsGroups))
	for _, g := range statsGroups {
		m[g.name] = col(g)
	}
	return m
}

// groupBits is statsGroups' words and bits, for bitsOf.
var groupBits = func() []namedBit {
	out := make([]namedBit, len(statsGroups))
	for i, g := range statsGroups {
		out[i] = g.namedBit
	}
	return out
}()

// groupMask turns statistics_groups into the stats bitmask. No names gives
// 0, which libvirt reads as every group the hypervisor supports.
func groupMask(names []string) (uint32, error) {
	return bitsOf("statistics group", groupBits, names)
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
