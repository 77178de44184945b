//go:build cgo

package libvirt_stats

import (
	"strings"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// derivations.go: the derived fields themselves, each computed from two
// samples that derived.go's deriver keeps: rates, utilization, steal,
// latency and balloon use, and the names they get.

// delta is cur - prev of one counter; false if either sample lacks it or
// it went backwards (a reset, a replaced device).
func delta(prev, cur *counterSample, k counterKey) (uint64, bool) {
	c, okc := cur.vals[k]
	p, okp := prev.vals[k]
	if !okc || !okp || c < p {
		return 0, false
	}
	return c - p, true
}

// rates walks r in libvirt's order and appends each derived field after
// the raw counters it comes from have been found in both samples. dt is in
// nanoseconds.
func (d *deriver) rates(r domstats.Record, cur, prev *counterSample, dt float64) []telegraf.Field {
	var out []telegraf.Field
	for _, p := range r.Params {
		k, ok := d.counter(p.Key)
		if !ok {
			continue
		}
		switch {
		case k.fam == 0 && k.rest == "cpu.time":
			out = appendCPU(out, cur, prev, dt)
		case k.fam == 'v':
			if dv, ok := delta(prev, cur, k); ok {
				out = append(out, telegraf.Field{Key: d.name(p.Key), Value: float64(dv) / dt * 100})
			}
		case k.fam != 0 && isTimes(k.rest):
			out = appendLatency(out, d.name(p.Key), cur, prev, k)
		case k.fam != 0:
			if dv, ok := delta(prev, cur, k); ok {
				out = append(out, telegraf.Field{Key: d.name(p.Key), Value: float64(dv) / dt * 1e9})
			}
		}
	}
	return out
}

// appendCPU: cpu.utilization, percent of the vCPUs the domain has now. A
// vCPU count that changed between the samples leaves it out: the interval
// had no single count to divide by.
func appendCPU(out []telegraf.Field, cur, prev *counterSample, dt float64) []telegraf.Field {
	dv, ok := delta(prev, cur, counterKey{rest: "cpu.time"})
	vk := counterKey{rest: "vcpu.current"}
	n, okc := cur.vals[vk]
	if !ok || !okc || n == 0 || prev.vals[vk] != n {
		return out
	}
	return append(out, telegraf.Field{Key: "cpu.utilization", Value: float64(dv) / (dt * float64(n)) * 100})
}

// appendLatency: block.<i>.<op>.latency, ns per request, when requests
// were made.
func appendLatency(out []telegraf.Field, name string, cur, prev *counterSample, times counterKey) []telegraf.Field {
	reqs := times
	reqs.rest = times.rest[:len(times.rest)-len("times")] + "reqs"
	dreq, okr := delta(prev, cur, reqs)
	dtime, okt := delta(prev, cur, times)
	if !okr || !okt || dreq == 0 {
		return out
	}
	return append(out, telegraf.Field{Key: name, Value: float64(dtime) / float64(dreq)})
}

// appendBalloon: balloon.used and balloon.used_percent, what the guest
// uses of the memory it has (available - usable, as OpenStack's
// memory.usage), when the guest's balloon driver reports both. They come
// from one complete sample: they are not rates.
func appendBalloon(out []telegraf.Field, cur *counterSample) []telegraf.Field {
	avail, oka := cur.vals[counterKey{rest: "balloon.available"}]
	usable, oku := cur.vals[counterKey{rest: "balloon.usable"}]
	if !oka || !oku || avail == 0 || usable > avail {
		return out
	}
	used := avail - usable
	return append(out,
		telegraf.Field{Key: "balloon.used", Value: used},
		telegraf.Field{Key: "balloon.used_percent", Value: float64(used) / float64(avail) * 100})
}

// maxDerivedNames bounds the derived-name cache; past it, it starts over.
const maxDerivedNames = 1 << 15

// name is the derived key of a raw one: vcpu.0.time -> vcpu.0.utilization,
// vcpu.0.delay -> vcpu.0.steal, block.0.rd.times -> block.0.rd.latency,
// any other -> <key>.rate.
func (d *deriver) name(key string) string {
	if n, ok := d.names[key]; ok {
		return n
	}
	var n string
	switch {
	case strings.HasPrefix(key, "vcpu.") && strings.HasSuffix(key, ".time"):
		n = strings.TrimSuffix(key, "time") + "utilization"
	case strings.HasPrefix(key, "vcpu.") && strings.HasSuffix(key, ".delay"):
		n = strings.TrimSuffix(key, "delay") + "steal"
	case strings.HasSuffix(key, ".times"):
		n = strings.TrimSuffix(key, "times") + "latency"
	default:
		n = key + ".rate"
	}
	if len(d.names) >= maxDerivedNames {
		clear(d.names)
	}
	d.names[key] = n
	return n
}
