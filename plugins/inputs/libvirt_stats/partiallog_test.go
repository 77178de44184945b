//go:build cgo && linux

package libvirt_stats

import (
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

// A run of gathers with partial domains logs its start and end at info and
// the gathers in between at debug; nothing at warn.
func TestPartialLogEpisodes(t *testing.T) {
	log := &testutil.CaptureLogger{Name: "inputs.libvirt_stats"}
	var p partialLog
	for _, partial := range []int{0, 0, 2, 3, 1, 0, 0, 1, 0} {
		p.observe(log, partial, 10)
	}
	var got []string
	for _, e := range log.Messages() {
		got = append(got, e.String())
	}
	require.Equal(t, []string{
		"I! [inputs.libvirt_stats] 2 of 10 domains came back partial (fields partial, partial_groups); logged at debug until every domain is complete again",
		"D! [inputs.libvirt_stats] 3 of 10 domains came back partial",
		"D! [inputs.libvirt_stats] 1 of 10 domains came back partial",
		"I! [inputs.libvirt_stats] All 10 domains complete again; partial domains were in 3 gather(s), at most 3 at once",
		"I! [inputs.libvirt_stats] 1 of 10 domains came back partial (fields partial, partial_groups); logged at debug until every domain is complete again",
		"I! [inputs.libvirt_stats] All 10 domains complete again; partial domains were in 1 gather(s), at most 1 at once",
	}, got)
	require.Empty(t, log.Warnings())
}
