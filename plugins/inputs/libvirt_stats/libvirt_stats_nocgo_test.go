//go:build !cgo || !linux

package libvirt_stats

import (
	"testing"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

// Without cgo a configuration with every option loads, and Init says why
// the plugin cannot run and how to build it.
func TestNoCgoInitExplains(t *testing.T) {
	c := config.NewConfig()
	require.NoError(t, c.LoadConfigData([]byte(everyOption(t)), "sample.conf"))
	require.Len(t, c.Inputs, 1)
	err := c.Inputs[0].Init()
	require.ErrorContains(t, err, "built without cgo (CGO_ENABLED=0)")
	require.ErrorContains(t, err, "CGO_ENABLED=1")
	require.ErrorContains(t, err, "libvirt-dev")

	var acc testutil.Accumulator
	require.ErrorIs(t, (&LibvirtStats{}).Gather(&acc), errNoCgo)
}
