//go:build cgo && linux

package libvirt_stats

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// libssh gets a probe every second (keepaliveFor says why; the binary's
// TestLibsshWithinDefaultTimeout proves it on a real sshd); every other
// transport keeps the 5 s one.
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
	}
}
