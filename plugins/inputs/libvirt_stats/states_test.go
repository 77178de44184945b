//go:build cgo && linux

package libvirt_stats

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// libvirtEnum reads the members of one enum of the installed libvirt's
// header: NAME = VALUE, without the _LAST sentinel.
func libvirtEnum(t *testing.T, header, enum, prefix string) map[int64]string {
	t.Helper()
	body := regexp.MustCompile(`(?s)typedef enum \{([^}]*)\}\s*` + enum + `;`).FindStringSubmatch(header)
	require.NotNil(t, body, "enum %s not in libvirt-domain.h", enum)
	members := map[int64]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*`+prefix+`(\w+)\s*=\s*(\d+)`).FindAllStringSubmatch(body[1], -1) {
		v, err := strconv.ParseInt(m[2], 10, 64)
		require.NoError(t, err)
		members[v] = m[1]
	}
	require.NotEmpty(t, members, enum)
	return members
}

// Every state and every reason of every state that the installed libvirt
// defines has a name, and it is the enum member's name in lower case: the
// tables are held to libvirt's header, not to themselves.
func TestStateNamesCoverLibvirt(t *testing.T) {
	b, err := os.ReadFile("/usr/include/libvirt/libvirt-domain.h")
	require.NoError(t, err, "libvirt's headers (libvirt-dev) are needed to build this module")
	header := string(b)

	states := libvirtEnum(t, header, "virDomainState", "VIR_DOMAIN_")
	reasonEnums := map[string]string{
		"NOSTATE": "virDomainNostateReason", "RUNNING": "virDomainRunningReason",
		"BLOCKED": "virDomainBlockedReason", "PAUSED": "virDomainPausedReason",
		"SHUTDOWN": "virDomainShutdownReason", "SHUTOFF": "virDomainShutoffReason",
		"CRASHED": "virDomainCrashedReason", "PMSUSPENDED": "virDomainPMSuspendedReason",
	}
	require.Len(t, states, len(reasonEnums), "a state was added to libvirt: add its reasons")
	pairs := 0
	for st, stName := range states {
		require.Equal(t, strings.ToLower(stName), stateNames[st], "state %d", st)
		enum, ok := reasonEnums[stName]
		require.True(t, ok, "state %s has no reason enum here", stName)
		for rs, rsName := range libvirtEnum(t, header, enum, "VIR_DOMAIN_"+stName+"_") {
			r := record(t, "d", "u", syn("state.state", st), syn("state.reason", rs))
			gotState, gotReason := stateNameFields(r)
			require.Equal(t, strings.ToLower(stName), gotState, "state %d", st)
			require.Equal(t, strings.ToLower(rsName), gotReason, "state %s reason %d", stName, rs)
			pairs++
		}
	}
	t.Logf("%d states, %d state/reason pairs", len(states), pairs)
}

func TestStateNameFields(t *testing.T) {
	tests := []struct {
		name          string
		params        []domstatstest.Synthetic
		state, reason string
	}{
		{"shut off, destroyed", []domstatstest.Synthetic{syn("state.state", int64(5)), syn("state.reason", int64(2))}, "shutoff", "destroyed"},
		{"running, booted", []domstatstest.Synthetic{syn("state.state", int64(1)), syn("state.reason", int64(1)), syn("cpu.time", uint64(1))}, "running", "booted"},
		// libvirt newer than the tables: no guess.
		{"unknown reason", []domstatstest.Synthetic{syn("state.state", int64(3)), syn("state.reason", int64(99))}, "paused", ""},
		{"unknown state", []domstatstest.Synthetic{syn("state.state", int64(42)), syn("state.reason", int64(0))}, "", ""},
		{"no state group", []domstatstest.Synthetic{syn("cpu.time", uint64(1)), syn("block.count", uint64(0))}, "", ""},
		{"state without reason", []domstatstest.Synthetic{syn("state.state", int64(1)), syn("cpu.time", uint64(1))}, "running", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, reason := stateNameFields(record(t, "d", "u", tt.params...))
			require.Equal(t, tt.state, state)
			require.Equal(t, tt.reason, reason)
		})
	}
}

// Newer libvirt reasons the binding knows are named too.
func TestStateNamesNewerThanHeader(t *testing.T) {
	require.Equal(t, "api_error", reasonNames[3][14])
}

func TestGatherStateNames(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.StateNames = true
	got := gather(t, p)
	require.Len(t, got, 1)
	require.Equal(t, map[string]any{
		"state.state": int64(1), "state.reason": int64(0),
		"state.state_name": "running", "state.reason_name": "unknown",
	}, got[0].Fields())
}
