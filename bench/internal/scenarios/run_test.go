package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// The RPC count is the calls made between the two snapshots, per measured
// gather; procedures that made no call in between are left out.
func TestRPCDelta(t *testing.T) {
	before := map[string]int{"CONNECT_GET_ALL_DOMAIN_STATS": 2, "NODE_GET_INFO": 1}
	after := map[string]int{"CONNECT_GET_ALL_DOMAIN_STATS": 2 + results.RPCGathers, "NODE_GET_INFO": 1, "DOMAIN_GET_XML_DESC": 2 * results.RPCGathers}
	rc := rpcDelta(before, after)
	require.Equal(t, map[string]float64{"CONNECT_GET_ALL_DOMAIN_STATS": 1, "DOMAIN_GET_XML_DESC": 2}, rc.ByProc)
	require.InDelta(t, 3, rc.PerGather, 1e-9)
}
