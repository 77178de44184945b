//go:build cgo && linux

package libvirt_stats

import (
	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// derivations.go: the derived fields (derived = true), one row each, and
// how a record's keys find their rows (derived.go keeps the samples).
// docs/derived.md's table and the README's list are generated from the
// rows (docs_gen_test.go).

// derivation is one derived field. key is the raw key it comes from, as a
// pattern: <n> an index, * one or more key parts, {a,b} either word. name
// is the derived key with the same placeholders: the raw key's text after
// its last placeholder is replaced by name's (block.0.rd.times ->
// block.0.rd.latency). inputs are the other raw keys value reads: a
// pattern with placeholders is the raw key with its tail replaced the same
// way, one without is that key of the domain. unit and formula are what
// the docs say.
type derivation struct {
	key, name string
	inputs    []string
	unit      string
	formula   string
	value     func(x *calc) (any, bool)
}

// derivations is every derived field. Adding one is one row here (and its
// case in derived_test.go).
var derivations = []derivation{
	{key: "cpu.time", name: "cpu.utilization", inputs: []string{"vcpu.current"},
		unit:    "float, % of the domain's vCPUs (0–100)",
		formula: "Δ`cpu.time` / (Δt × `vcpu.current`) × 100; absent if `vcpu.current` changed",
		value:   cpuPercent},
	{key: "vcpu.<n>.time", name: "vcpu.<n>.utilization", unit: "float, % of one vCPU",
		formula: "Δ`vcpu.N.time` / Δt × 100", value: percentOfTime},
	{key: "vcpu.<n>.delay", name: "vcpu.<n>.steal", unit: "float, % of one vCPU",
		formula: "Δ`vcpu.N.delay` / Δt × 100 (time runnable but waiting for a host CPU)", value: percentOfTime},
	{key: "balloon.usable", name: "balloon.used", inputs: []string{"balloon.available"},
		unit:    "unsigned, KiB",
		formula: "`balloon.available` − `balloon.usable`, from one gather (not a rate)", value: balloonUsed},
	{key: "balloon.usable", name: "balloon.used_percent", inputs: []string{"balloon.available"},
		unit:    "float, %",
		formula: "`balloon.used` / `balloon.available` × 100, from one gather", value: balloonUsedPercent},
	{key: "{block,net}.<n>.*.{bytes,pkts,reqs,errs,drop}", name: "{block,net}.<n>.*.{bytes,pkts,reqs,errs,drop}.rate",
		unit: "float, per second", formula: "Δcounter / Δt (`net.0.rx.bytes.rate`, `block.0.wr.reqs.rate`)",
		value: perSecond},
	{key: "block.<n>.{rd,wr,fl}.times", name: "block.<n>.{rd,wr,fl}.latency", inputs: []string{"block.<n>.{rd,wr,fl}.reqs"},
		unit: "float, ns per request", formula: "Δ`times` / Δ`reqs`; absent when no request was made (Δreqs = 0)",
		value: perRequest},
}

// calc is one derivation's view of a domain's two samples: the raw key's
// counter k and the row's inputs, and dt, the interval in ns. prev is nil
// when the samples cannot be compared.
type calc struct {
	cur, prev *counterSample
	k         counterKey
	inputs    []counterKey
	dt        float64
}

// delta is cur - prev of one counter; false if either sample lacks it or
// it went backwards (a reset, a replaced device).
func (x *calc) delta(k counterKey) (uint64, bool) {
	if x.prev == nil {
		return 0, false
	}
	c, okc := x.cur.vals[k]
	p, okp := x.prev.vals[k]
	if !okc || !okp || c < p {
		return 0, false
	}
	return c - p, true
}

func perSecond(x *calc) (any, bool) {
	dv, ok := x.delta(x.k)
	return float64(dv) / x.dt * 1e9, ok
}

func percentOfTime(x *calc) (any, bool) {
	dv, ok := x.delta(x.k)
	return float64(dv) / x.dt * 100, ok
}

// cpuPercent divides by the vCPUs the domain has now; a count that changed
// between the samples leaves it out: the interval had no single count.
func cpuPercent(x *calc) (any, bool) {
	dv, ok := x.delta(x.k)
	n, okc := x.cur.vals[x.inputs[0]]
	if !ok || !okc || n == 0 || x.prev.vals[x.inputs[0]] != n {
		return nil, false
	}
	return float64(dv) / (x.dt * float64(n)) * 100, true
}

func perRequest(x *calc) (any, bool) {
	dtime, okt := x.delta(x.k)
	dreq, okr := x.delta(x.inputs[0])
	if !okr || !okt || dreq == 0 {
		return nil, false
	}
	return float64(dtime) / float64(dreq), true
}

// balloonUsed is what the guest uses of the memory it has (as OpenStack's
// memory.usage), when the guest's balloon driver reports both keys.
func balloonUsed(x *calc) (any, bool) {
	used, _, ok := x.balloon()
	return used, ok
}

func balloonUsedPercent(x *calc) (any, bool) {
	used, avail, ok := x.balloon()
	return float64(used) / float64(avail) * 100, ok
}

func (x *calc) balloon() (used, avail uint64, ok bool) {
	usable, oku := x.cur.vals[x.k]
	avail, oka := x.cur.vals[x.inputs[0]]
	if !oka || !oku || avail == 0 || usable > avail {
		return 0, 0, false
	}
	return avail - usable, avail, true
}

// fieldsOf walks r in libvirt's order and appends the derived fields of
// each key a row derives from. prev is nil if there is nothing to compare
// with; dt is in nanoseconds.
func (d *deriver) fieldsOf(r domstats.Record, cur, prev *counterSample, dt float64) []telegraf.Field {
	var out []telegraf.Field
	x := &d.calc
	x.cur, x.prev, x.dt = cur, prev, dt
	for _, p := range r.Params {
		k, rows, ok := d.counter(p.Key)
		if !ok {
			continue
		}
		for _, m := range rows {
			if m.row == nil || !m.matches(k) {
				continue // an input of another row, or another key's row
			}
			x.k, x.inputs = k, m.inputKeys(k, x.inputs[:0])
			if v, ok := m.row.value(x); ok {
				out = append(out, telegraf.Field{Key: d.name(p.Key, m), Value: v})
			}
		}
	}
	return out
}

// maxDerivedNames bounds the derived-name cache; past it, it starts over.
const maxDerivedNames = 1 << 15

// name is the derived key of a raw one by m's row, cached so that a steady
// state allocates no names.
func (d *deriver) name(key string, m *matcher) string {
	ck := derivedName{key, m}
	if n, ok := d.names[ck]; ok {
		return n
	}
	n := key[:len(key)-len(m.tail)] + m.nameTail
	if len(d.names) >= maxDerivedNames {
		clear(d.names)
	}
	d.names[ck] = n
	return n
}

// derivedName is a raw key and the row that derives from it.
type derivedName struct {
	key string
	m   *matcher
}
