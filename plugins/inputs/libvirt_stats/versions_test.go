//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// Every statistics group has the libvirt version it came with, as
// libvirt writes it.
func TestGroupSinceComplete(t *testing.T) {
	for _, g := range statsGroups {
		require.Regexp(t, `^[0-9]+\.[0-9]+\.[0-9]+$`, g.since, "group %q", g.name)
	}
}

// realError makes the call with bits no libvirt knows, so the daemon's own
// message (the format explainUnsupported parses) comes back.
func realError(t *testing.T, stats, flags uint32) libvirt.Error {
	t.Helper()
	conn, err := libvirt.NewConnect("test:///default")
	require.NoError(t, err)
	defer conn.Close()
	_, err = domstats.NewConverter().GetAll(conn, stats, flags)
	var lerr libvirt.Error
	require.ErrorAs(t, err, &lerr)
	return lerr
}

// An old daemon rejects NOWAIT (libvirt < 4.5) and BACKING (< 1.2.12) the
// way libvirt rejects any flag it does not know: the test driver's error
// for an unknown bit, with the bit swapped for NOWAIT's, is what such a
// daemon answers.
func TestExplainUnsupportedFlags(t *testing.T) {
	const unknown = 1 << 27
	lerr := realError(t, 0, unknown)
	require.Equal(t, libvirt.ERR_INVALID_ARG, lerr.Code)
	require.Regexp(t, unsupportedFlags, lerr.Message)
	require.Contains(t, lerr.Message, fmt.Sprintf("unsupported flags (0x%x)", unknown))
	require.Equal(t, lerr, explainUnsupported(lerr), "an unknown bit is not explained")

	for _, f := range flagSince {
		old := lerr
		old.Message = strings.Replace(lerr.Message, fmt.Sprintf("0x%x", unknown), fmt.Sprintf("0x%x", f.bit), 1)
		err := explainUnsupported(fmt.Errorf("wrapped: %w", old))
		require.ErrorContains(t, err, f.option+" = true needs libvirt >= "+f.since)
		require.ErrorContains(t, err, "set them to false")
		var back libvirt.Error
		require.ErrorAs(t, err, &back, "libvirt's error stays reachable")
		require.Equal(t, old, back)
	}
	require.NoError(t, explainUnsupported(nil))
	plain := errors.New("connection reset")
	require.Equal(t, plain, explainUnsupported(plain))
}

// With enforce, a daemon without a group says which bits it lacks; the
// error names the groups and their versions.
func TestExplainUnsupportedGroups(t *testing.T) {
	const unknown = 1 << 20
	lerr := realError(t, unknown, uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS))
	require.Regexp(t, unsupportedGroups, lerr.Message)
	require.Contains(t, lerr.Message, fmt.Sprintf("0x%x", unknown))
	require.Equal(t, lerr, explainUnsupported(lerr), "an unknown bit is not explained")

	mask, err := groupMask([]string{"memory", "vm"})
	require.NoError(t, err)
	old := lerr
	old.Message = strings.Replace(lerr.Message, fmt.Sprintf("0x%x", unknown), fmt.Sprintf("0x%x", mask), 1)
	err = explainUnsupported(old)
	require.ErrorContains(t, err, "memory needs libvirt >= 6.0.0, vm needs libvirt >= 8.9.0")
	require.ErrorContains(t, err, "enforce = false")
}
