//go:build cgo && linux

package libvirt_stats

import (
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

// The test driver returns the state group only: others named
// without enforce, the first gather says so once, with the versions they
// need; later gathers stay quiet.
func TestAbsentGroupsWarnedOnce(t *testing.T) {
	p := newPlugin(t, "test:///default")
	log := &testutil.CaptureLogger{}
	p.Log = log
	p.StatisticsGroups = []string{"state", "balloon", "memory"}
	require.NoError(t, p.Init())
	defer p.Stop()
	for range 3 {
		require.NotEmpty(t, gatherClean(t, p))
	}
	warnings := log.Warnings()
	require.Len(t, warnings, 1, "%q", warnings)
	require.Contains(t, warnings[0], "none of the 1 domains returned balloon (needs libvirt >= 1.2.9), "+
		"memory (needs libvirt >= 6.0.0)")
	require.Contains(t, warnings[0], "set enforce = true")
	require.NotContains(t, warnings[0], "state (needs")
}

// Every group present, none named, or enforce on: no warning.
func TestAbsentGroupsQuiet(t *testing.T) {
	tests := []struct {
		name    string
		groups  []string
		enforce bool
	}{
		{"present", []string{"state"}, false},
		{"none named", nil, false},
		{"enforce", []string{"state"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, "test:///default")
			log := &testutil.CaptureLogger{}
			p.Log = log
			p.StatisticsGroups = tt.groups
			p.Enforce = tt.enforce
			require.NotEmpty(t, gather(t, p))
			require.Empty(t, log.Warnings())
		})
	}
}

// Every group has the key prefix the warning looks for: a word and a dot,
// as libvirt's keys start.
func TestGroupKeyPrefixCoversGroups(t *testing.T) {
	for _, g := range statsGroups {
		require.Regexp(t, `^[a-z]+\.$`, g.keyPrefix, g.name)
	}
}
