//go:build cgo && linux

package libvirt_stats

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// libssh gets a probe every second and one call in flight (keepaliveFor
// and maxCallsFor say why; the binary's TestLibsshWithinDefaultTimeout
// runs it on a real sshd); every other transport keeps the 5 s probe and
// four calls.
func TestKeepaliveFor(t *testing.T) {
	for uri, want := range map[string][2]int{
		"qemu+libssh://u@hv1/system?known_hosts=/k": {1, 15},
		"QEMU+LIBSSH://hv1/system":                  {1, 15},
		"test+libssh://hv1/tmp/node.xml":            {1, 15},
		"qemu+ssh://hv1/system":                     {5, 3},
		"qemu+libssh2://hv1/system":                 {5, 3},
		"qemu+tls://hv1/system":                     {5, 3},
		"qemu:///system":                            {5, 3},
	} {
		interval, count := keepaliveFor(uri)
		require.Equal(t, want, [2]int{interval, int(count)}, uri)
		// and one call in flight at a time over libssh (caller.go)
		require.Equal(t, map[bool]int{true: 1, false: maxCallsInFlight}[want[0] == 1], maxCallsFor(uri), uri)
	}
}
