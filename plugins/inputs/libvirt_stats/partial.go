package libvirt_stats

import (
	"slices"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// libvirt's VIR_DOMAIN_SHUTOFF: a domain in that state has no monitor, so
// its shape says nothing about completeness.
const stateShutoff = 5

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
// record, keyed by UUID.
type completeness struct {
	last map[string]*shape
	seen map[string]bool
}

func newCompleteness() *completeness {
	return &completeness{last: map[string]*shape{}, seen: map[string]bool{}}
}

// missing returns the key prefixes that lost keys since the domain's last
// complete record, or nil if the record is complete or cannot be judged
// (first sight, shut off, devices added or removed).
func (c *completeness) missing(r domstats.Record) []string {
	c.seen[r.UUID] = true
	cur := shapeOf(r)
	if cur == nil {
		delete(c.last, r.UUID)
		return nil
	}
	prev := c.last[r.UUID]
	var lost []string
	if prev != nil && prev.devices == cur.devices {
		for _, g := range prev.groups {
			if i := slices.IndexFunc(cur.groups, func(x groupCount) bool { return x.group == g.group }); i < 0 || cur.groups[i].keys < g.keys {
				lost = append(lost, g.group)
			}
		}
	}
	if lost == nil {
		c.last[r.UUID] = cur
	}
	return lost
}

// forgetUnseen drops the domains that were not in this gather.
func (c *completeness) forgetUnseen() {
	for uuid := range c.last {
		if !c.seen[uuid] {
			delete(c.last, uuid)
		}
	}
	clear(c.seen)
}

// shapeOf counts keys per prefix; nil for a shut-off domain or one without
// a state (the state group not requested).
func shapeOf(r domstats.Record) *shape {
	s := &shape{}
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
			active = number(p) != stateShutoff
		case "block.count":
			s.devices[0] = number(p)
		case "net.count":
			s.devices[1] = number(p)
		case "vcpu.current":
			s.devices[2] = number(p)
		}
	}
	if !active {
		return nil
	}
	return s
}

// number reads an integer parameter whatever its signedness.
func number(p domstats.Param) uint64 {
	switch v := p.Value().(type) {
	case int64:
		return uint64(v)
	case uint64:
		return v
	}
	return 0
}
