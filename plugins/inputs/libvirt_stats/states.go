//go:build cgo && linux

package libvirt_stats

import (
	"strings"

	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// Names of libvirt's domain states and of the reasons of each state, as
// libvirt's enums name them (VIR_DOMAIN_SHUTOFF_DESTROYED -> "destroyed"),
// for state_names = true. The numbers come from the binding's constants,
// so a table cannot drift from libvirt's values.
var stateNames = map[int64]string{
	int64(libvirt.DOMAIN_NOSTATE):     "nostate",
	int64(libvirt.DOMAIN_RUNNING):     "running",
	int64(libvirt.DOMAIN_BLOCKED):     "blocked",
	int64(libvirt.DOMAIN_PAUSED):      "paused",
	int64(libvirt.DOMAIN_SHUTDOWN):    "shutdown",
	int64(libvirt.DOMAIN_SHUTOFF):     "shutoff",
	int64(libvirt.DOMAIN_CRASHED):     "crashed",
	int64(libvirt.DOMAIN_PMSUSPENDED): "pmsuspended",
}

// reasonNames holds, per state, the names of virDomain<State>Reason in
// the order of their values (0, 1, ...): libvirt numbers each enum from 0
// without gaps, and TestStateNamesCoverLibvirt holds every name to the
// installed libvirt's header.
var reasonNames = map[int64][]string{
	int64(libvirt.DOMAIN_NOSTATE): {"unknown"},
	int64(libvirt.DOMAIN_RUNNING): {"unknown", "booted", "migrated", "restored", "from_snapshot", "unpaused",
		"migration_canceled", "save_canceled", "wakeup", "crashed", "postcopy", "postcopy_failed"},
	int64(libvirt.DOMAIN_BLOCKED): {"unknown"},
	int64(libvirt.DOMAIN_PAUSED): {"unknown", "user", "migration", "save", "dump", "ioerror", "watchdog",
		"from_snapshot", "shutting_down", "snapshot", "crashed", "starting_up", "postcopy", "postcopy_failed",
		"api_error"},
	int64(libvirt.DOMAIN_SHUTDOWN): {"unknown", "user"},
	int64(libvirt.DOMAIN_SHUTOFF): {"unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
		"from_snapshot", "daemon"},
	int64(libvirt.DOMAIN_CRASHED):     {"unknown", "panicked"},
	int64(libvirt.DOMAIN_PMSUSPENDED): {"unknown"},
}

// The field names state_names adds: dotted like libvirt's keys, under the
// state group they describe.
const (
	fieldStateName  = "state.state_name"
	fieldReasonName = "state.reason_name"
)

// stateNameFields returns the names of a record's state.state and
// state.reason. A value newer than these tables yields "" for its name: the
// number is in the record anyway, and a guessed name would be a lie.
func stateNameFields(r domstats.Record) (state, reason string) {
	var st, rs int64
	hasState, hasReason := false, false
	// libvirt sends the state group first: stop as soon as it is over.
	for _, p := range r.Params {
		switch p.Key {
		case "state.state":
			st, hasState = int64(asUint64(p)), true
		case "state.reason":
			rs, hasReason = int64(asUint64(p)), true
		}
		if hasState && hasReason || (hasState || hasReason) && !strings.HasPrefix(p.Key, "state.") {
			break
		}
	}
	if !hasState {
		return "", ""
	}
	state = stateNames[st]
	if names := reasonNames[st]; hasReason && rs >= 0 && rs < int64(len(names)) {
		reason = names[rs]
	}
	return state, reason
}

// shutOff reports whether r is of a shut-off domain.
func shutOff(r domstats.Record) bool {
	for _, p := range r.Params {
		if p.Key == "state.state" {
			return asUint64(p) == uint64(libvirt.DOMAIN_SHUTOFF)
		}
	}
	return false
}

// asUint64 reads an integer parameter whatever its signedness: libvirt
// sends state.state and state.reason as int, block.count, net.count and
// vcpu.current as uint.
func asUint64(p domstats.Param) uint64 {
	switch v := p.Value().(type) {
	case int64:
		return uint64(v)
	case uint64:
		return v
	}
	return 0
}
