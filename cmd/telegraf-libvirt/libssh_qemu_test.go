//go:build qemu && cgo && linux

package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// Over qemu+libssh:// a reply of more than a few KiB waits in libssh's
// buffer for the next keepalive (keepaliveFor): with the default 5 s
// interval every gather of 100 domains took 5.0 s and failed the default
// 5 s timeout; a second call on a second connection (the NOWAIT one) then
// crashed the binary inside libvirt. With a probe every second and one call
// at a time, the binary with the default timeout lives and gathers them,
// gather after gather.
func TestLibsshWithinDefaultTimeout(t *testing.T) {
	lab.RequireNetns(t)
	bin := binary(t)
	r := startPrivateRemote(t, "libssh-")
	uri := r.libsshURI("test", r.node(t, 100)) + r.viaRelay()
	// The plugin's default timeout (5 s): not set here.
	p := newPolled(t, bin, writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = "+strconv.Quote(uri)+"\n  collector_metrics = true\n"), "")
	gather := func() (time.Duration, string) {
		took, line, ok := p.gather(t, 60*time.Second)
		require.True(t, ok, "no gather within 60 s; stderr: %s", p.stderr.String())
		return took, line
	}
	// The first gathers log in over SSH, seconds on a loaded host, and may
	// outlive the timeout (the gather after such a one fails at once while
	// its call is still inside libvirt): wait for one with every domain.
	var line string
	for i := 0; ; i++ {
		require.Less(t, i, 10, "no complete gather in 10; stderr: %s", p.stderr.String())
		if _, line = gather(); collectorField(line, "domains") == "100" {
			break
		}
	}
	errs := collectorField(line, "errors")
	for i := range 3 {
		took, line := gather()
		t.Logf("gather: %s", took)
		require.Equal(t, errs, collectorField(line, "errors"), "%s\nstderr: %s", line, p.stderr.String())
		require.Equal(t, "100", collectorField(line, "domains"), line)
		// One keepalive wait (1 s) and the gather (3-5 ms here): 3.5 s
		// leaves a loaded 2-core machine room and stays under the 5 s
		// default, which a 5 s keepalive never does.
		require.Less(t, took, 3500*time.Millisecond, "gather %d: %s\nstderr: %s", i, line, p.stderr.String())
	}
}
