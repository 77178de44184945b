//go:build cgo && linux

package libvirt_stats

import (
	"sync"
	"sync/atomic"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// eventloop.go: what the plugin runs once per process for libvirt: its
// default event loop, and the routing of libvirt's own log lines to
// Telegraf's logger.

var (
	eventLoopOnce sync.Once
	eventLoopErr  error
	// libvirtLog receives libvirt's own log lines: the logger of the
	// instance that was initialized last (libvirt's log is one per process).
	libvirtLog atomic.Pointer[telegraf.Logger]
)

// logLibvirt hands one of libvirt's own log lines to Telegraf's logger, at
// debug level: the error that matters reaches the user as the gather's
// error already, and a line on stderr would be one more error line under
// execd.
func logLibvirt(line string) {
	if l := libvirtLog.Load(); l != nil && *l != nil {
		(*l).Debugf("libvirt: %s", line)
	}
}

// startEventLoop registers libvirt's default event loop once per process,
// before the first connection, and runs it for good (in a C thread, see
// domstats.StartEventLoop): keepalive, the close callback and the domain
// events of metadata_tags need it.
func startEventLoop() error {
	eventLoopOnce.Do(func() {
		eventLoopErr = domstats.StartEventLoop(logLibvirt)
	})
	return eventLoopErr
}
