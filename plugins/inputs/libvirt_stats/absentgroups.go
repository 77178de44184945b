//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"strings"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// absentGroups warns once about named statistics groups that no domain
// returned. Without enforce, a libvirtd older than a group drops it from
// the call without a word (and a hypervisor may have nothing for one, as
// perf has nothing under TCG), so a configuration that names memory gets no
// memory fields and nothing said why. The check costs no call: it reads the
// first gather that returned domains, then never runs again.
type absentGroups struct {
	done bool
}

// observe takes a successful gather's records; named is the configured
// group mask (0: none named, nothing to check).
func (a *absentGroups) observe(log telegraf.Logger, named uint32, enforce bool, recs []domstats.Record) {
	if a.done || named == 0 || enforce || len(recs) == 0 {
		return
	}
	a.done = true
	if absent := missingGroups(named, recs); len(absent) > 0 {
		log.Warn(absentMessage(absent, len(recs)))
	}
}

// missingGroups lists the groups of the mask that none of recs has a key of.
func missingGroups(named uint32, recs []domstats.Record) []string {
	var absent []string
	for _, g := range statsGroups {
		if named&g.bit == 0 {
			continue
		}
		if !anyKeyWithPrefix(recs, g.keyPrefix) {
			absent = append(absent, g.name)
		}
	}
	return absent
}

func anyKeyWithPrefix(recs []domstats.Record, prefix string) bool {
	for _, r := range recs {
		for _, p := range r.Params {
			if strings.HasPrefix(p.Key, prefix) {
				return true
			}
		}
	}
	return false
}

// absentMessage names each absent group with the libvirt version it
// needs, and what to do about it.
func absentMessage(absent []string, domains int) string {
	needs := make([]string, len(absent))
	for i, g := range absent {
		needs[i] = fmt.Sprintf("%s (needs libvirt >= %s)", g, groupSince[g])
	}
	return fmt.Sprintf("statistics_groups: none of the %d domains returned %s: a libvirtd older than a group "+
		"leaves it out without an error, and a hypervisor may have no such statistics for its guests "+
		"(shut-off domains return state only); set enforce = true to make a group the daemon lacks an error. "+
		"Logged once.", domains, strings.Join(needs, ", "))
}
