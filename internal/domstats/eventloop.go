//go:build cgo && linux

package domstats

/*
#cgo pkg-config: libvirt
#include "calls.h"
*/
import "C"

// StartEventLoop registers libvirt's default event loop and runs it for
// good in a thread of its own, started in C: keepalive and close callbacks
// need the loop. Call it once per process, before the first connection:
// it also initializes libvirt, whose own log lines (warnings and errors)
// then go to logSink, not to stderr (see routeLog).
//
// Run from a goroutine instead (libvirt.EventRunDefaultImpl in a for loop),
// the loop goes back into the Go scheduler every time libvirt touches it,
// and the bulk call's client touches it on every RPC: each return wakes
// Go's sysmon into a burst of 20 µs sleeps. Measured with make bench at 10
// QEMU domains on 2 cores, with the bulk calls also made from Go (calls.c):
// 73 context switches per gather against 6 for the bare call, and 2.4 ms of
// client CPU per gather, 1.06 ms once both ran on C threads.
func StartEventLoop(logSink func(line string)) error {
	unset, err := routeLog(logSink)
	if err != nil {
		return err
	}
	defer unset()
	var cerr C.virError
	if C.tlvStartEventLoop(&cerr) < 0 {
		return goError(&cerr)
	}
	return nil
}
