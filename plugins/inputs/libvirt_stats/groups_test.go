//go:build cgo && linux

package libvirt_stats

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The bit values are the ones libvirt documents for VIR_DOMAIN_STATS_* and
// VIR_CONNECT_LIST_DOMAINS_*.
func TestGroupMask(t *testing.T) {
	tests := []struct {
		names []string
		want  uint32
	}{
		{nil, 0},
		{[]string{}, 0},
		{[]string{"state"}, 1 << 0},
		{[]string{"cpu_total"}, 1 << 1},
		{[]string{"balloon"}, 1 << 2},
		{[]string{"vcpu"}, 1 << 3},
		{[]string{"interface"}, 1 << 4},
		{[]string{"block"}, 1 << 5},
		{[]string{"perf"}, 1 << 6},
		{[]string{"iothread"}, 1 << 7},
		{[]string{"memory"}, 1 << 8},
		{[]string{"dirtyrate"}, 1 << 9},
		{[]string{"vm"}, 1 << 10},
		{[]string{"state", "block", "vm"}, 1 | 1<<5 | 1<<10},
		{groupWords, 1<<11 - 1},
	}
	for _, tt := range tests {
		got, err := groupMask(tt.names)
		require.NoError(t, err, "%v", tt.names)
		require.Equal(t, tt.want, got, "%v", tt.names)
	}
}

func TestStateFlags(t *testing.T) {
	tests := []struct {
		names []string
		want  uint32
	}{
		{nil, 0},
		{[]string{"active"}, 1 << 0},
		{[]string{"inactive"}, 1 << 1},
		{[]string{"persistent"}, 1 << 2},
		{[]string{"transient"}, 1 << 3},
		{[]string{"running"}, 1 << 4},
		{[]string{"paused"}, 1 << 5},
		{[]string{"shutoff"}, 1 << 6},
		{[]string{"other"}, 1 << 7},
		{[]string{"running", "paused", "persistent"}, 1<<4 | 1<<5 | 1<<2},
	}
	for _, tt := range tests {
		got, err := stateFlags(tt.names)
		require.NoError(t, err, "%v", tt.names)
		require.Equal(t, tt.want, got, "%v", tt.names)
	}
}

// groupWords is every statistics group's configuration word, in libvirt's
// order, as the error messages list them.
var groupWords = []string{"state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf", "iothread", "memory", "dirtyrate", "vm"}

func TestGroupAndStateErrors(t *testing.T) {
	_, err := groupMask([]string{"state", "cpu"})
	require.EqualError(t, err, `unknown statistics group "cpu"; valid: `+strings.Join(groupWords, ", "))
	_, err = groupMask([]string{"block", "block"})
	require.EqualError(t, err, `statistics group "block" given twice`)
	_, err = stateFlags([]string{"stopped"})
	require.EqualError(t, err, `unknown domain state "stopped"; valid: active, inactive, persistent, transient, running, paused, shutoff, other`)
	_, err = stateFlags([]string{"paused", "paused"})
	require.EqualError(t, err, `domain state "paused" given twice`)
}
