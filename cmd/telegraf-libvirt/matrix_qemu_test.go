//go:build cgo && linux && qemu

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// The version matrix's RPC check (the others are TestMatrix's, in
// plugins/inputs/libvirt_stats): on each root node's libvirtd, read-only,
// every gather is one GET_ALL_DOMAIN_STATS call and nothing else. The
// host node's is TestQEMURPCsPerGather. Results go beside TestMatrix's
// (LAB/matrix/rpc.json) for docs/compatibility.md.
func TestMatrixRPCsPerGather(t *testing.T) {
	bin := binary(t)
	roots, err := lab.RootNodes()
	require.NoError(t, err)
	// NODE-run, NODE-paused, NODE-off and the node's Linux guest tlvl-NODE
	const gathers, domains = 3, 4
	type result struct {
		Node   string `json:"node"`
		Name   string `json:"name"`
		Result string `json:"result"`
	}
	var results []result
	for _, r := range roots {
		ok := t.Run(r.Name, func(t *testing.T) {
			lab.Require(t, r.Name)
			run := startPolled(t, bin, writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \""+lab.URI(r.Name, true)+"\"\n"))
			for g := range gathers {
				_, err := run.stdin.Write([]byte("\n"))
				require.NoError(t, err)
				for i := range domains {
					line, ok := run.next(30 * time.Second)
					require.True(t, ok, "gather %d: line %d of %d missing; stderr: %s", g, i+1, domains, run.stderr.String())
					require.True(t, strings.HasPrefix(line, "libvirt_stats,domain="+r.Name+"-") ||
						strings.HasPrefix(line, "libvirt_stats,domain=tlvl-"), line)
				}
			}
			log, err := os.ReadFile(run.logPath)
			require.NoError(t, err)
			require.NoError(t, run.stdin.Close())
			require.NoError(t, run.cmd.Wait(), run.stderr.String())
			calls, _ := remoteCalls(t, log)
			first := slices.IndexFunc(calls, func(c rpc) bool { return c.proc == procConnectGetAllDomStat })
			require.GreaterOrEqual(t, first, 0, "no GET_ALL_DOMAIN_STATS in the log: %v", calls)
			want := slices.Repeat([]int{procConnectGetAllDomStat}, gathers)
			require.Equal(t, want, procsOf(calls[first:]), "setup %v, then %v", calls[:first], calls[first:])
		})
		res := "pass"
		if !ok {
			res = "fail"
		}
		results = append(results, result{Node: r.Name, Name: "one-stats-rpc-per-gather", Result: res})
	}
	path := filepath.Join(lab.Dir(), "matrix", "rpc.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	b, err := json.MarshalIndent(results, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
}
