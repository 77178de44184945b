//go:build cgo && linux

package libvirt_stats

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// running builds a running domain with the given disks; full adds the
// monitor-based keys a NOWAIT call skips when the domain's job is busy.
func running(t *testing.T, disks int, full bool) domstats.Record {
	ps := []domstatstest.Synthetic{syn("state.state", int64(1)), syn("cpu.time", uint64(10))}
	if full {
		ps = append(ps, syn("balloon.rss", uint64(1)), syn("iothread.count", uint64(1)))
	}
	ps = append(ps, syn("block.count", uint64(disks)))
	for range disks {
		ps = append(ps, syn("block.0.name", "vda"))
		if full {
			ps = append(ps, syn("block.0.rd.bytes", uint64(5)))
		}
	}
	return record(t, "d", "uuid-1", ps...)
}

func TestCompleteness(t *testing.T) {
	c := newCompleteness()
	require.Nil(t, c.missing(running(t, 2, false)), "first sight cannot be judged")
	c.forgetUnseen()
	require.Nil(t, c.missing(running(t, 2, false)), "same shape")
	require.Nil(t, c.missing(running(t, 2, true)), "more keys is complete")
	require.Equal(t, []string{"balloon", "iothread", "block"}, c.missing(running(t, 2, false)))
	require.Equal(t, []string{"balloon", "iothread", "block"}, c.missing(running(t, 2, false)), "still partial against the last complete record")
	require.Nil(t, c.missing(running(t, 2, true)), "complete again")
	require.Nil(t, c.missing(running(t, 1, false)), "a disk unplugged: new baseline, not partial")
}

func TestCompletenessShutoffAndVanished(t *testing.T) {
	c := newCompleteness()
	require.Nil(t, c.missing(running(t, 1, true)))
	off := record(t, "d", "uuid-1", syn("state.state", int64(5)), syn("block.count", uint64(1)))
	require.Nil(t, c.missing(off), "a domain that shut down is not partial")
	require.Nil(t, c.missing(running(t, 1, false)), "its baseline was dropped")
	c.forgetUnseen()
	c.forgetUnseen()
	require.Empty(t, c.last, "a domain absent from a gather is forgotten")
}

func TestCompletenessNeedsState(t *testing.T) {
	c := newCompleteness()
	full := record(t, "d", "uuid-1", syn("cpu.time", uint64(1)), syn("balloon.rss", uint64(1)))
	less := record(t, "d", "uuid-1", syn("cpu.time", uint64(1)))
	require.Nil(t, c.missing(full))
	require.Nil(t, c.missing(less), "without the state group a domain is never judged")
}
