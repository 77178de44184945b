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

// reasonNames holds, per state, the names of virDomain<State>Reason.
var reasonNames = map[int64]map[int64]string{
	int64(libvirt.DOMAIN_NOSTATE): {
		int64(libvirt.DOMAIN_NOSTATE_UNKNOWN): "unknown",
	},
	int64(libvirt.DOMAIN_RUNNING): {
		int64(libvirt.DOMAIN_RUNNING_UNKNOWN):            "unknown",
		int64(libvirt.DOMAIN_RUNNING_BOOTED):             "booted",
		int64(libvirt.DOMAIN_RUNNING_MIGRATED):           "migrated",
		int64(libvirt.DOMAIN_RUNNING_RESTORED):           "restored",
		int64(libvirt.DOMAIN_RUNNING_FROM_SNAPSHOT):      "from_snapshot",
		int64(libvirt.DOMAIN_RUNNING_UNPAUSED):           "unpaused",
		int64(libvirt.DOMAIN_RUNNING_MIGRATION_CANCELED): "migration_canceled",
		int64(libvirt.DOMAIN_RUNNING_SAVE_CANCELED):      "save_canceled",
		int64(libvirt.DOMAIN_RUNNING_WAKEUP):             "wakeup",
		int64(libvirt.DOMAIN_RUNNING_CRASHED):            "crashed",
		int64(libvirt.DOMAIN_RUNNING_POSTCOPY):           "postcopy",
		int64(libvirt.DOMAIN_RUNNING_POSTCOPY_FAILED):    "postcopy_failed",
	},
	int64(libvirt.DOMAIN_BLOCKED): {
		int64(libvirt.DOMAIN_BLOCKED_UNKNOWN): "unknown",
	},
	int64(libvirt.DOMAIN_PAUSED): {
		int64(libvirt.DOMAIN_PAUSED_UNKNOWN):         "unknown",
		int64(libvirt.DOMAIN_PAUSED_USER):            "user",
		int64(libvirt.DOMAIN_PAUSED_MIGRATION):       "migration",
		int64(libvirt.DOMAIN_PAUSED_SAVE):            "save",
		int64(libvirt.DOMAIN_PAUSED_DUMP):            "dump",
		int64(libvirt.DOMAIN_PAUSED_IOERROR):         "ioerror",
		int64(libvirt.DOMAIN_PAUSED_WATCHDOG):        "watchdog",
		int64(libvirt.DOMAIN_PAUSED_FROM_SNAPSHOT):   "from_snapshot",
		int64(libvirt.DOMAIN_PAUSED_SHUTTING_DOWN):   "shutting_down",
		int64(libvirt.DOMAIN_PAUSED_SNAPSHOT):        "snapshot",
		int64(libvirt.DOMAIN_PAUSED_CRASHED):         "crashed",
		int64(libvirt.DOMAIN_PAUSED_STARTING_UP):     "starting_up",
		int64(libvirt.DOMAIN_PAUSED_POSTCOPY):        "postcopy",
		int64(libvirt.DOMAIN_PAUSED_POSTCOPY_FAILED): "postcopy_failed",
		int64(libvirt.DOMAIN_PAUSED_API_ERROR):       "api_error",
	},
	int64(libvirt.DOMAIN_SHUTDOWN): {
		int64(libvirt.DOMAIN_SHUTDOWN_UNKNOWN): "unknown",
		int64(libvirt.DOMAIN_SHUTDOWN_USER):    "user",
	},
	int64(libvirt.DOMAIN_SHUTOFF): {
		int64(libvirt.DOMAIN_SHUTOFF_UNKNOWN):       "unknown",
		int64(libvirt.DOMAIN_SHUTOFF_SHUTDOWN):      "shutdown",
		int64(libvirt.DOMAIN_SHUTOFF_DESTROYED):     "destroyed",
		int64(libvirt.DOMAIN_SHUTOFF_CRASHED):       "crashed",
		int64(libvirt.DOMAIN_SHUTOFF_MIGRATED):      "migrated",
		int64(libvirt.DOMAIN_SHUTOFF_SAVED):         "saved",
		int64(libvirt.DOMAIN_SHUTOFF_FAILED):        "failed",
		int64(libvirt.DOMAIN_SHUTOFF_FROM_SNAPSHOT): "from_snapshot",
		int64(libvirt.DOMAIN_SHUTOFF_DAEMON):        "daemon",
	},
	int64(libvirt.DOMAIN_CRASHED): {
		int64(libvirt.DOMAIN_CRASHED_UNKNOWN):  "unknown",
		int64(libvirt.DOMAIN_CRASHED_PANICKED): "panicked",
	},
	int64(libvirt.DOMAIN_PMSUSPENDED): {
		int64(libvirt.DOMAIN_PMSUSPENDED_UNKNOWN): "unknown",
	},
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
	if hasReason {
		reason = reasonNames[st][rs]
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
