package dashboards

import (
	"slices"
	"strings"
)

// The way over from Telegraf's inputs.libvirt (as of the Telegraf version
// of the main module's go.mod): every measurement and field it writes, and
// where inputs.libvirt_stats with layout = "device" has the same value.
// docs/migrate.md is generated from this table; e2e/migrate_test.go runs
// both plugins on the same guests and checks each mapped value.

// telegrafVersion is the inputs.libvirt the table describes.
const telegrafVersion = "v1.39.3"

// valueKind tells how the migration test compares a mapped value.
type valueKind string

const (
	counter  valueKind = "counter"  // only grows: theirs lies between ours before and after
	gauge    valueKind = "gauge"    // moves either way: between ours before and after, give or take 10 %
	constant valueKind = "constant" // the same in all three gathers
	asTag    valueKind = "tag"      // their field is our tag of that name, same value
	noMatch  valueKind = "none"     // no equivalent (the note says why)
)

// timeDropped is the note on inputs.libvirt's fields named time.
const timeDropped = "InfluxDB 1.x drops a field named `time` (the key is the timestamp's): " +
	"through outputs.influxdb this one never arrived; ours (`cpu.time`) does"

// fieldMap is one field of inputs.libvirt.
type fieldMap struct {
	field string    // their field
	ours  string    // our field (or tag, for asTag) on the measurement of the group
	kind  valueKind // how the test compares
	note  string
}

// measurementMap is one measurement of inputs.libvirt.
type measurementMap struct {
	measurement string // theirs
	ours        string // ours, in the device layout
	// tags: theirs -> ours, besides domain_name -> domain and host
	tags   string
	fields []fieldMap
}

// same maps fields whose names differ only by the prefix our key has.
func same(prefix string, kind valueKind, fields ...string) []fieldMap {
	out := make([]fieldMap, 0, len(fields))
	for _, f := range fields {
		out = append(out, fieldMap{field: f, ours: prefix + f, kind: kind})
	}
	return out
}

func concat(parts ...[]fieldMap) []fieldMap {
	var out []fieldMap
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// migration is the table, in the order of inputs.libvirt's README.
var migration = slices.Concat([]measurementMap{
	{measurement: "libvirt_state", ours: "libvirt_stats", fields: []fieldMap{
		{field: "state", ours: "state.state", kind: constant},
		{field: "reason", ours: "state.reason", kind: constant},
	}},
	{measurement: "libvirt_cpu", ours: "libvirt_stats", fields: concat(
		[]fieldMap{{field: "time", ours: "cpu.time", kind: counter, note: timeDropped}},
		same("cpu.", counter, "user", "system"),
		[]fieldMap{
			{field: "haltpoll_success_time", ours: "cpu.haltpoll.success.time", kind: counter},
			{field: "haltpoll_fail_time", ours: "cpu.haltpoll.fail.time", kind: counter},
		})},
}, monitorFamily{
	theirs: "libvirt_cpu_cache_monitor", ours: "libvirt_stats_cache_monitor", key: "cpu.cache.monitor",
	tag: "cache_monitor_id", item: "bank", itemIndex: "bank_index", itemIs: "the bank's id",
	itemFields: []fieldMap{{field: "bytes", ours: "bytes", kind: gauge}},
}.maps(), []measurementMap{
	{measurement: "libvirt_balloon", ours: "libvirt_stats", fields: concat(
		same("balloon.", constant, "current", "maximum"),
		same("balloon.", counter, "swap_in", "swap_out", "major_fault", "minor_fault"),
		same("balloon.", gauge, "unused", "available", "rss", "usable", "disk_caches"),
		same("balloon.", counter, "hugetlb_pgalloc", "hugetlb_pgfail"),
		[]fieldMap{{field: "last_update", ours: "balloon.last-update", kind: counter,
			note: "seconds since the epoch of the guest's last report"}},
	)},
	{measurement: "libvirt_vcpu_total", ours: "libvirt_stats", fields: same("vcpu.", constant, "current", "maximum")},
	{measurement: "libvirt_vcpu", ours: "libvirt_stats_vcpu", tags: "vcpu_id → vcpu", fields: concat(
		same("", constant, "state"),
		[]fieldMap{{field: "time", ours: "time_ns", kind: counter, note: "InfluxDB 1.x drops a field named `time`, " +
			"so inputs.libvirt's never arrives through outputs.influxdb; ours (ns) is named `time_ns` so that it does " +
			"(Prometheus: `libvirt_vcpu_time`, `libvirt_stats_vcpu_time_ns`)"}},
		same("", counter, "wait", "delay"),
		[]fieldMap{
			{field: "halted", ours: "halted", kind: constant, note: "libvirt's boolean: a boolean in ours (0/1 in Prometheus), " +
				"an integer 1/0 in inputs.libvirt (its README says yes/no)"},
			{field: "halted_i", kind: noMatch, note: "always 0 in inputs.libvirt (it compares the integer with \"yes\"): use halted"},
			{field: "cpu_id", kind: noMatch, note: "the host CPU a vCPU runs on (additional_statistics = [\"vcpu_mapping\"]) " +
				"is not in the stats call; it needs a call per domain"},
		})},
	{measurement: "libvirt_cpu_affinity", tags: "vcpu_id", fields: []fieldMap{
		{field: "cpu_id", kind: noMatch, note: "vCPU pinning (vcpu_mapping) is not a statistic: `virsh vcpupin`"},
	}},
	{measurement: "libvirt_net_total", ours: "libvirt_stats", fields: []fieldMap{
		{field: "count", ours: "net.count", kind: constant},
	}},
	{measurement: "libvirt_net", ours: "libvirt_stats_net", tags: "interface_id (index) → interface (the name)", fields: concat(
		[]fieldMap{{field: "name", ours: "interface", kind: asTag}},
		netFields("rx"), netFields("tx"),
	)},
	{measurement: "libvirt_perf", ours: "libvirt_stats", fields: same("perf.", counter,
		"cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
		"branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
		"stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
		"context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj",
		"alignment_faults", "emulation_faults")},
	{measurement: "libvirt_block_total", ours: "libvirt_stats", fields: []fieldMap{
		{field: "count", ours: "block.count", kind: constant},
	}},
	{measurement: "libvirt_block", ours: "libvirt_stats_block", tags: "block_id (index) → device (the name)", fields: concat(
		[]fieldMap{
			{field: "name", ours: "device", kind: asTag},
			{field: "path", ours: "path", kind: asTag},
			{field: "backingIndex", ours: "backing_index", kind: asTag},
		},
		blockFields("rd"), blockFields("wr"),
		[]fieldMap{
			{field: "fl_reqs", ours: "fl.reqs", kind: counter},
			{field: "fl_times", ours: "fl.times", kind: counter},
			{field: "errors", ours: "errors", kind: counter, note: "Xen only"},
			{field: "allocation", ours: "allocation", kind: gauge},
			{field: "capacity", ours: "capacity", kind: constant},
			{field: "physical", ours: "physical", kind: gauge},
			{field: "threshold", ours: "threshold", kind: constant},
		})},
	{measurement: "libvirt_iothread_total", ours: "libvirt_stats", fields: []fieldMap{
		{field: "count", ours: "iothread.count", kind: constant},
	}},
	{measurement: "libvirt_iothread", ours: "libvirt_stats_iothread", tags: "iothread_id → iothread", fields: []fieldMap{
		{field: "poll_max_ns", ours: "poll-max-ns", kind: constant},
		{field: "poll_grow", ours: "poll-grow", kind: constant},
		{field: "poll_shrink", ours: "poll-shrink", kind: constant},
	}},
}, monitorFamily{
	theirs: "libvirt_memory_bandwidth_monitor", ours: "libvirt_stats_memory_bandwidth_monitor",
	key: "memory.bandwidth.monitor", tag: "memory_bandwidth_monitor_id", item: "node",
	itemIndex: "controller_index", itemIs: "the controller's id",
	itemFields: []fieldMap{
		{field: "bytes_local", ours: "bytes.local", kind: counter},
		{field: "bytes_total", ours: "bytes.total", kind: counter},
	},
}.maps(), []measurementMap{
	{measurement: "libvirt_dirtyrate", ours: "libvirt_stats", fields: concat(
		same("dirtyrate.", constant, "calc_status", "calc_start_time", "calc_period", "calc_mode"),
		[]fieldMap{{field: "megabytes_per_second", ours: "dirtyrate.megabytes_per_second", kind: constant}},
	)},
	{measurement: "libvirt_dirtyrate_vcpu", ours: "libvirt_stats_vcpu", tags: "vcpu_id → vcpu", fields: []fieldMap{
		{field: "megabytes_per_second", ours: "dirtyrate.megabytes_per_second", kind: constant},
	}},
})

func netFields(dir string) []fieldMap {
	var out []fieldMap
	for _, c := range []string{"bytes", "pkts", "errs", "drop"} {
		out = append(out, fieldMap{field: dir + "_" + c, ours: dir + "." + c, kind: counter})
	}
	return out
}

func blockFields(op string) []fieldMap {
	var out []fieldMap
	for _, c := range []string{"reqs", "bytes", "times"} {
		out = append(out, fieldMap{field: op + "_" + c, ours: op + "." + c, kind: counter})
	}
	return out
}

// monitorFamily is a kind of resctrl monitor (cache, memory bandwidth), for
// which inputs.libvirt writes three measurements: how many monitors, each
// monitor, and each item a monitor measures (a cache bank, a memory
// controller). Ours has the count on the domain's metric and one metric a
// monitor and item, on the family's measurement.
type monitorFamily struct {
	theirs     string     // inputs.libvirt's measurement of a monitor
	ours       string     // ours
	key        string     // our keys' prefix, before .count
	tag        string     // inputs.libvirt's tag of a monitor's index
	item       string     // what a monitor measures: their measurement's suffix, our tag
	itemIndex  string     // inputs.libvirt's tag of an item's index
	itemIs     string     // what our item tag holds
	itemFields []fieldMap // an item's values
}

func (f monitorFamily) maps() []measurementMap {
	monitorTag := f.tag + " → monitor (its name)"
	return []measurementMap{
		{measurement: f.theirs + "_total", ours: "libvirt_stats", fields: []fieldMap{
			{field: "count", ours: f.key + ".count", kind: constant},
		}},
		{measurement: f.theirs, ours: f.ours, tags: strings.Replace(monitorTag, " →", " (index) →", 1), fields: []fieldMap{
			{field: "name", ours: "monitor", kind: asTag},
			{field: "vcpus", ours: "vcpus", kind: asTag},
			{field: f.item + "_count", ours: f.item + ".count", kind: constant},
		}},
		{measurement: f.theirs + "_" + f.item, ours: f.ours,
			tags:   monitorTag + ", " + f.itemIndex + " → " + f.item + " (" + f.itemIs + ")",
			fields: append([]fieldMap{{field: "id", ours: f.item, kind: asTag}}, f.itemFields...)},
	}
}
