package report

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// A target is the ratio of the medians, the limit adding the floor's
// client CPU round by round.
func TestAgentTargets(t *testing.T) {
	a := &results.AgentResult{Recorded: results.AgentCalib{Metrics: 26}}
	for r := range 3 {
		add := func(c string, ms, childMs float64) {
			a.Agent = append(a.Agent, results.AgentSample{Contender: c, Round: r, Gathers: 5,
				CPUNs: int64(ms * 5e6), ChildCPUNs: int64(childMs * 5e6)})
		}
		add("agent-inputs.libvirt", 8, 0)
		add("agent-execd", 4, 2)
		add("agent-compiled", 3, 0)
		add("limit-execd", 2, 0.1)
		add("limit-compiled", 1, 0)
		a.Gather = append(a.Gather,
			results.GatherResult{Contender: "floor", Round: r, N: 5, UserNs: 5e6},   // 1 ms per gather
			results.GatherResult{Contender: "plugin", Round: r, N: 5, UserNs: 10e6}) // 2 ms per gather
	}
	r := &report{}
	r.agentTargets(a)
	want := []float64{2.0 / 2, 4.0 / 8, 4.0 / 3, 3.0 / 8, 3.0 / 2}
	met := []bool{true, true, false, true, false}
	require.Len(t, r.targets, len(want))
	for i, tr := range r.targets {
		got, err := strconv.ParseFloat(strings.Fields(tr.measured)[0], 64)
		require.NoError(t, err, tr.measured)
		require.InDelta(t, want[i], got, 1e-3, tr.what)
		require.Equal(t, met[i], tr.met, tr.what)
	}
	r.agentSection(a)
	require.Contains(t, r.b.String(), "| 4.000 (4.000–4.000) | 2.000 (2.000–2.000) | 2.000 (2.000–2.000) |")
}
