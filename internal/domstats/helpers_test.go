//go:build cgo && linux

package domstats_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// The helpers of the package's tests.

// open opens uri for the test and closes it after.
func open(t *testing.T, uri string) *libvirt.Connect {
	t.Helper()
	conn, err := libvirt.NewConnect(uri)
	require.NoError(t, err, "opening %s", uri)
	t.Cleanup(func() { _, _ = conn.Close() })
	return conn
}

// nodeURI is the test driver on testdata/node-120.xml: 120 domains.
func nodeURI(t *testing.T) string {
	t.Helper()
	uri, err := domstatstest.TestDriverURI("node-120.xml")
	require.NoError(t, err)
	return uri
}

// cString is s as C sees it: up to its first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
