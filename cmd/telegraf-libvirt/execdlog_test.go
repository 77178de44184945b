//go:build cgo && linux

package main

import (
	"os"
	"strings"
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/logger"
	"github.com/stretchr/testify/require"
)

// Under execd, log lines start with the level marker execd maps to its own
// levels, not with a timestamp (which execd would log as an error), one
// line per message; debug only with log_level = "debug".
func TestLogForExecd(t *testing.T) {
	var buf strings.Builder
	logOut = &buf
	t.Cleanup(func() { logOut = os.Stderr })
	setupLogging()
	log := logger.New("inputs", pluginName, "")
	log.Infof("telegraf-libvirt %s", "0.1.0")
	log.Warnf("%d of %d domains came back partial", 1, 6)
	log.Errorf("gather failed:\nsecond line")
	log.Debugf("not shown at info")
	setLogLevel("debug")
	log.Debugf("details")
	logThreshold.Store(int32(telegraf.Info))
	require.Equal(t, "I! [inputs.libvirt_stats] telegraf-libvirt 0.1.0\n"+
		"W! [inputs.libvirt_stats] 1 of 6 domains came back partial\n"+
		"E! [inputs.libvirt_stats] gather failed: second line\n"+
		"D! [inputs.libvirt_stats] details\n", buf.String())
}
