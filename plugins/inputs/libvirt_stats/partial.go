//go:build cgo && linux

package libvirt_stats

import (
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// groupCount is one key prefix (cpu, balloon, block, ...) and how many keys
// a record had under it.
type groupCount struct {
	group string
	keys  int
}

// shape is what an active domain's record looked like when it was complete.
type shape struct {
	groups  []groupCount
	devices [3]uint64 // block.count, net.count, vcpu.current: changed means hot-plug
}

// completeness tells a domain whose stats came back incomplete (its job
// lock busy under NOWAIT, its monitor frozen) from one that simply has
// fewer devices: it compares each active domain with its last complete
// record, keyed by UUID. In a steady state it allocates nothing: each
// record's shape is counted into scratch and copied into the domain's
// stored shape.
type completeness struct {
	last    map[string]*shape
	seen    seenDomains
	scratch shape
}

func newCompleteness() *completeness {
	return &completeness{last: map[string]*shape{}, seen: seenDomains{}}
}

// missing returns the key prefixes that lost keys since the domain's last
// complete record, or nil if the record is complete or cannot be judged
// (first sight, shut off, devices added or removed).
func (c *completeness) missing(r domstats.Record) []string {
	cur := &c.scratch
	if !cur.count(r) {
		delete(c.last, r.UUID)
		return nil
	}
	prev := c.last[r.UUID]
	var lost []string
	if prev != nil && prev.devices == cur.devices {
		for _, g := range prev.groups {
			if n, ok := cur.keys(g.group); !ok || n < g.keys {
				lost = append(lost, g.group)
			}
		}
	}
	if prev == nil {
		prev = &shape{}
		c.last[r.UUID] = prev
	}
	c.seen.see(r.UUID)
	if lost == nil {
		prev.groups = append(prev.groups[:0], cur.groups...)
		prev.devices = cur.devices
	}
	return lost
}

// keys is the number of keys the shape has under group.
func (s *shape) keys(group string) (int, bool) {
	for _, g := range s.groups {
		if g.group == group {
			return g.keys, true
		}
	}
	return 0, false
}

// forgetUnseen drops the domains that were not in this gather.
func (c *completeness) forgetUnseen() {
	forgetUnseen(c.last, c.seen)
	clear(c.seen)
}

// count counts r's keys per prefix into s; false for a shut-off domain or
// one without a state (the state group not requested).
func (s *shape) count(r domstats.Record) bool {
	s.groups = s.groups[:0]
	s.devices = [3]uint64{}
	active := false
	for _, p := range r.Params {
		group, _, _ := strings.Cut(p.Key, ".")
		if n := len(s.groups); n > 0 && s.groups[n-1].group == group {
			s.groups[n-1].keys++
		} else {
			s.groups = append(s.groups, groupCount{group, 1})
		}
		switch p.Key {
		case "state.state":
			// A shut-off domain has no monitor: its shape says nothing
			// about completeness.
			active = asUint64(p) != uint64(libvirt.DOMAIN_SHUTOFF)
		case "block.count":
			s.devices[0] = asUint64(p)
		case "net.count":
			s.devices[1] = asUint64(p)
		case "vcpu.current":
			s.devices[2] = asUint64(p)
		}
	}
	return active
}
