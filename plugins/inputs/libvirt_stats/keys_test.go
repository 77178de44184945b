//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// How a key's value may move between two reads, from the meaning libvirt's
// documentation of virConnectGetAllDomainStats gives it.
type motion int

const (
	// stable: configuration or identity; equal in every read.
	stable motion = iota
	// counter: cumulative since the domain (or device) started; never
	// decreases, so it lies between a read before and one after.
	counter
	// gauge: an instant value (or a timestamp, or hypervisor-specific) that
	// may move either way: only its presence and type are checked.
	gauge
)

func (m motion) String() string {
	return [...]string{"stable", "counter", "gauge"}[m]
}

// keySpec is one documented key pattern: <n> stands for an index or id.
type keySpec struct {
	pattern string
	types   []string // Go types the plugin may emit (libvirt type -> Go type)
	motion  motion
}

// libvirt's types as the plugin maps them.
var (
	tInt    = []string{"int64"}          // int, llong
	tUint   = []string{"uint64"}         // uint, ullong
	tBool   = []string{"bool"}           // boolean
	tString = []string{"string"}         // string
	tHyper  = []string{"uint64", "bool"} // "either an unsigned long long or a boolean"
)

// documentedKeys is every key libvirt documents for virConnectGetAllDomainStats
// (libvirt-domain.c, 9.0), with its documented type. Where the documentation
// names no type, the type is the one libvirt's QEMU driver emits.
var documentedKeys = []keySpec{
	// VIR_DOMAIN_STATS_STATE
	{`state\.(state|reason)`, tInt, stable},
	// VIR_DOMAIN_STATS_CPU_TOTAL
	{`cpu\.(time|user|system)`, tUint, counter},
	{`cpu\.haltpoll\.(success|fail)\.time`, tUint, counter},
	{`cpu\.cache\.monitor\.count`, tUint, stable},
	{`cpu\.cache\.monitor\.<n>\.(name|vcpus)`, tString, stable},
	{`cpu\.cache\.monitor\.<n>\.bank\.count`, tUint, stable},
	{`cpu\.cache\.monitor\.<n>\.bank\.<n>\.id`, tUint, stable},
	{`cpu\.cache\.monitor\.<n>\.bank\.<n>\.bytes`, tUint, gauge},
	// VIR_DOMAIN_STATS_BALLOON (KiB, counts, seconds)
	{`balloon\.(current|maximum)`, tUint, stable},
	{`balloon\.(swap_in|swap_out|major_fault|minor_fault|hugetlb_pgalloc|hugetlb_pgfail)`, tUint, counter},
	{`balloon\.(unused|available|usable|rss|disk_caches|last-update)`, tUint, gauge},
	// VIR_DOMAIN_STATS_VCPU
	{`vcpu\.(current|maximum)`, tUint, stable},
	{`vcpu\.<n>\.state`, tInt, stable},
	{`vcpu\.<n>\.(time|wait)`, tUint, counter},
	{`vcpu\.<n>\.delay`, tUint, gauge},
	{`vcpu\.<n>\.halted`, tBool, gauge},
	{`vcpu\.<n>\.[^.]+\.(cur|sum|max)`, tHyper, gauge},
	// VIR_DOMAIN_STATS_INTERFACE
	{`net\.count`, tUint, stable},
	{`net\.<n>\.name`, tString, stable},
	{`net\.<n>\.(rx|tx)\.(bytes|pkts|errs|drop)`, tUint, counter},
	// VIR_DOMAIN_STATS_BLOCK (bytes, ns)
	{`block\.count`, tUint, stable},
	{`block\.<n>\.(name|path)`, tString, stable},
	{`block\.<n>\.backingIndex`, tUint, stable},
	{`block\.<n>\.(rd|wr)\.(reqs|bytes|times)`, tUint, counter},
	{`block\.<n>\.fl\.(reqs|times)`, tUint, counter},
	{`block\.<n>\.errors`, tUint, counter},
	{`block\.<n>\.capacity`, tUint, stable},
	{`block\.<n>\.(allocation|physical|threshold)`, tUint, gauge},
	// the disk's I/O limits (libvirt 12.x; seen on 12.8 by TestMatrix):
	// request_alignment, iov_max, memory_alignment_minimal/optimal, ...
	{`block\.<n>\.limits\.[a-z_]+`, tUint, stable},
	// VIR_DOMAIN_STATS_PERF: event counts, except the cache/bandwidth gauges
	{`perf\.(cmt|mbmt|mbml)`, tUint, gauge},
	{`perf\.(cache_misses|cache_references|instructions|cpu_cycles|branch_instructions|branch_misses|bus_cycles|` +
		`stalled_cycles_frontend|stalled_cycles_backend|ref_cpu_cycles|cpu_clock|task_clock|page_faults|` +
		`context_switches|cpu_migrations|page_faults_min|page_faults_maj|alignment_faults|emulation_faults)`, tUint, counter},
	// VIR_DOMAIN_STATS_IOTHREAD (<n> is the iothread id)
	{`iothread\.count`, tUint, stable},
	{`iothread\.<n>\.(poll-max-ns|poll-grow|poll-shrink)`, tUint, stable},
	// libvirt 12.x (seen on 12.8 by TestMatrix)
	{`iothread\.<n>\.poll-weight`, tUint, stable},
	// VIR_DOMAIN_STATS_MEMORY
	{`memory\.bandwidth\.monitor\.count`, tUint, stable},
	{`memory\.bandwidth\.monitor\.<n>\.(name|vcpus)`, tString, stable},
	{`memory\.bandwidth\.monitor\.<n>\.node\.count`, tUint, stable},
	{`memory\.bandwidth\.monitor\.<n>\.node\.<n>\.id`, tUint, stable},
	{`memory\.bandwidth\.monitor\.<n>\.node\.<n>\.bytes\.(local|total)`, tUint, counter},
	// VIR_DOMAIN_STATS_DIRTYRATE: the last calculation, redone at will
	{`dirtyrate\.(calc_status|calc_period)`, tInt, gauge},
	{`dirtyrate\.(calc_start_time|megabytes_per_second)`, tInt, gauge},
	{`dirtyrate\.calc_mode`, tString, gauge},
	{`dirtyrate\.vcpu\.<n>\.megabytes_per_second`, tUint, gauge},
	// VIR_DOMAIN_STATS_VM: hypervisor-specific
	{`vm\.[^.]+\.(cur|sum|max)`, tHyper, gauge},
}

var documentedKeyRes = func() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(documentedKeys))
	for i, s := range documentedKeys {
		res[i] = regexp.MustCompile(`^` + strings.ReplaceAll(s.pattern, "<n>", `\d+`) + `$`)
	}
	return res
}()

// specFor returns the one documented pattern a key matches. An unknown key,
// or one two patterns claim, is an error naming it: extend the table.
func specFor(key string) (keySpec, error) {
	var found []keySpec
	for i, re := range documentedKeyRes {
		if re.MatchString(key) {
			found = append(found, documentedKeys[i])
		}
	}
	switch len(found) {
	case 0:
		return keySpec{}, fmt.Errorf("key %q is in no row of documentedKeys: add it with its documented type", key)
	case 1:
		return found[0], nil
	}
	return keySpec{}, fmt.Errorf("key %q matches %d rows of documentedKeys: %v", key, len(found), found)
}

// checkType says whether a field's value has the key's documented type.
func checkType(key string, v any) error {
	spec, err := specFor(key)
	if err != nil {
		return err
	}
	got := fmt.Sprintf("%T", v)
	for _, t := range spec.types {
		if t == got {
			return nil
		}
	}
	return fmt.Errorf("key %q is %s (%v), documented as %s", key, got, v, strings.Join(spec.types, " or "))
}

func TestDocumentedKeys(t *testing.T) {
	tests := []struct {
		key    string
		value  any
		motion motion
	}{
		{"state.state", int64(1), stable},
		{"cpu.time", uint64(1), counter},
		{"cpu.cache.monitor.0.bank.1.bytes", uint64(1), gauge},
		{"balloon.rss", uint64(1), gauge},
		{"balloon.last-update", uint64(1), gauge},
		{"vcpu.current", uint64(2), stable},
		{"vcpu.1.state", int64(1), stable},
		{"vcpu.1.time", uint64(1), counter},
		{"vcpu.1.delay", uint64(1), gauge},
		{"vcpu.1.halted", true, gauge},
		{"vcpu.1.exits.sum", uint64(1), gauge},
		{"vcpu.1.guest_mode.cur", false, gauge},
		{"net.0.name", "tap0", stable},
		{"net.10.tx.drop", uint64(0), counter},
		{"block.0.backingIndex", uint64(1), stable},
		{"block.1.fl.times", uint64(1), counter},
		{"block.1.physical", uint64(1), gauge},
		{"iothread.2.poll-grow", uint64(0), stable},
		{"dirtyrate.calc_mode", "page-sampling", gauge},
		{"dirtyrate.calc_start_time", int64(0), gauge},
		{"vm.remote_tlb_flush.sum", uint64(1), gauge},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			spec, err := specFor(tt.key)
			require.NoError(t, err)
			require.Equal(t, tt.motion, spec.motion)
			require.NoError(t, checkType(tt.key, tt.value))
		})
	}
}

func TestDocumentedKeysRejects(t *testing.T) {
	require.EqualError(t, checkType("cpu.time", int64(1)),
		`key "cpu.time" is int64 (1), documented as uint64`)
	require.EqualError(t, checkType("vm.x.sum", "s"),
		`key "vm.x.sum" is string (s), documented as uint64 or bool`)
	require.EqualError(t, checkType("block.0.new_key", uint64(1)),
		`key "block.0.new_key" is in no row of documentedKeys: add it with its documented type`)
	_, err := specFor("vcpu.0.x")
	require.ErrorContains(t, err, `key "vcpu.0.x" is in no row`)
}
