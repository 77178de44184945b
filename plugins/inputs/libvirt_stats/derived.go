//go:build cgo && linux

package libvirt_stats

import (
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// derived.go: with derived = true, the fields operators ask for first (CPU
// %, IOPS, throughput, latency, steal, guest memory used) computed from the
// domain's previous complete sample. They sit beside the raw counters and
// never replace them; a field is left out whenever its inputs are not two
// complete, comparable samples, rather than guessed. This file keeps the
// samples (which counters, of which device, from which gather);
// derivations.go computes the fields from two of them.

// counterKey names a counter across gathers: devices by their name, not
// their index, so that a disk or NIC hot-plugged before another one does
// not make the other's counters look like its own.
type counterKey struct {
	fam     byte   // 0: the domain's own key; 'b' block, 'n' net, 'v' vcpu
	dev     string // block and net: the device name; vcpu: its index
	backing uint64 // block: backingIndex (a backing image has vda's name too)
	rest    string // the key after the device: "rd.bytes", "time"
}

// counterSample is the counters of one complete record of a domain.
type counterSample struct {
	ts   time.Time
	vals map[counterKey]uint64
}

// deviceName is the identity of block.<index> or net.<index> in one record.
type deviceName struct {
	fam     byte
	index   string
	name    string
	backing uint64
}

// deriver keeps each domain's last complete sample, keyed by UUID; domains
// not seen in a gather are forgotten, as the completeness cache does.
type deriver struct {
	last  map[string]*counterSample
	seen  seenDomains
	devs  []deviceName           // scratch: the record's device names
	spare map[counterKey]uint64  // the map of the sample replaced last, reused
	names map[derivedName]string // raw key and row -> derived key, so a steady state allocates no names
	calc  calc                   // scratch: one derivation's view of the two samples
}

func newDeriver() *deriver {
	return &deriver{last: map[string]*counterSample{}, seen: seenDomains{}, names: map[derivedName]string{}}
}

// forgetUnseen drops the domains that were not in this gather.
func (d *deriver) forgetUnseen() {
	forgetUnseen(d.last, d.seen)
	clear(d.seen)
}

// fields returns the derived fields of r, gathered at ts, against the
// domain's previous complete sample, and keeps r as the next reference if
// it is complete. A partial record (missing groups) derives nothing and
// leaves the reference as it was: the next complete record is compared
// with the last complete one, over the longer interval.
func (d *deriver) fields(r domstats.Record, ts time.Time, partial bool) []telegraf.Field {
	if shutOff(r) {
		// No process, no counters that move: nothing to derive, and the
		// domain's next start begins a new series of samples.
		delete(d.last, r.UUID)
		return nil
	}
	d.seen.see(r.UUID)
	prev := d.last[r.UUID]
	if partial {
		return nil
	}
	cur := d.sample(r, ts)
	against, dt := prev, 0.0
	if prev != nil && comparableSamples(prev, cur) {
		dt = float64(cur.ts.Sub(prev.ts).Nanoseconds())
	} else {
		against = nil // only what one sample gives
	}
	out := d.fieldsOf(r, cur, against, dt)
	if prev != nil {
		// Keep the old map for the next domain rather than let it go.
		d.spare = prev.vals
		clear(d.spare)
	}
	d.last[r.UUID] = cur
	return out
}

// comparableSamples reports whether two samples of a domain can be subtracted:
// time moved forward and the domain did not restart (a domain's cpu.time
// only goes backwards when its QEMU process is a new one, and then every
// counter started again from zero).
func comparableSamples(prev, cur *counterSample) bool {
	if !cur.ts.After(prev.ts) {
		return false
	}
	k := counterKey{rest: "cpu.time"}
	p, okp := prev.vals[k]
	c, okc := cur.vals[k]
	return !okp || !okc || c >= p
}

// sample reads r's counters into a new sample.
func (d *deriver) sample(r domstats.Record, ts time.Time) *counterSample {
	d.devs = d.devs[:0]
	for _, p := range r.Params {
		if fam, index, rest, ok := deviceKey(p.Key); ok && fam != 'v' {
			d.nameDevice(fam, index, rest, p)
		}
	}
	s := &counterSample{ts: ts, vals: d.spare}
	d.spare = nil
	if s.vals == nil {
		s.vals = map[counterKey]uint64{}
	}
	for _, p := range r.Params {
		if k, _, ok := d.counter(p.Key); ok {
			if v, ok := counterValue(p); ok {
				s.vals[k] = v
			}
		}
	}
	return s
}

// nameDevice records block.<i>.name, block.<i>.backingIndex and
// net.<i>.name.
func (d *deriver) nameDevice(fam byte, index, rest string, p domstats.Param) {
	var dev *deviceName
	switch rest {
	case "name", "backingIndex":
		dev = d.device(fam, index)
		if dev == nil {
			d.devs = append(d.devs, deviceName{fam: fam, index: index, name: index})
			dev = &d.devs[len(d.devs)-1]
		}
	default:
		return
	}
	if rest == "name" {
		if s, ok := p.Value().(string); ok && s != "" {
			dev.name = s
		}
		return
	}
	if v, ok := counterValue(p); ok {
		dev.backing = v
	}
}

// device finds the name of block.<index> or net.<index>; libvirt sends a
// device's keys together, so the last device is tried first.
func (d *deriver) device(fam byte, index string) *deviceName {
	for i := len(d.devs) - 1; i >= 0; i-- {
		if dev := &d.devs[i]; dev.fam == fam && dev.index == index {
			return dev
		}
	}
	return nil
}

// counter maps a raw key to its counterKey and the matchers of its
// family if a derivation uses it.
func (d *deriver) counter(key string) (counterKey, []*matcher, bool) {
	if !carriable(key) {
		return counterKey{}, nil, false
	}
	if ms, ok := derivedMatchers.domain[key]; ok {
		return counterKey{rest: key}, ms, true
	}
	fam, index, rest, ok := deviceKey(key)
	if !ok {
		return counterKey{}, nil, false
	}
	k := counterKey{fam: fam, dev: index, rest: rest}
	ms := derivedMatchers.byFam[fam]
	if !anyMatch(ms, k) {
		return counterKey{}, nil, false
	}
	if fam != 'v' { // a vCPU is its index; devices go by name
		if dev := d.device(fam, index); dev != nil {
			k.dev, k.backing = dev.name, dev.backing
		}
	}
	return k, ms, true
}

// deviceKey splits block.<i>.rest, net.<i>.rest and vcpu.<i>.rest.
func deviceKey(key string) (fam byte, index, rest string, ok bool) {
	var after string
	switch {
	case strings.HasPrefix(key, "block."):
		fam, after = 'b', key[len("block."):]
	case strings.HasPrefix(key, "net."):
		fam, after = 'n', key[len("net."):]
	case strings.HasPrefix(key, "vcpu."):
		fam, after = 'v', key[len("vcpu."):]
	default:
		return 0, "", "", false
	}
	index, rest, ok = cutIndex(after)
	return fam, index, rest, ok
}

// counterValue reads a non-negative integer parameter.
func counterValue(p domstats.Param) (uint64, bool) {
	switch v := p.Value().(type) {
	case uint64:
		return v, true
	case int64:
		return uint64(v), v >= 0
	}
	return 0, false
}
