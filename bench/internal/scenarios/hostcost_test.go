package scenarios

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/stretchr/testify/require"
)

// Only processes seen at both readings count: a guest that started or
// stopped during the window is left out, and counted as such. A process
// whose threads stayed the same counts its schedstat time, one whose
// threads changed its ticks, and the sample says so.
func TestHostDelta(t *testing.T) {
	c := harness.NewProcCPU
	a := hostCPU{"libvirtd": c(100, 1000, 1, 2), "qemu:a.pid": c(1000, 9000, 3), "qemu:gone.pid": c(5, 5, 4), "client": c(1, 10, 5)}
	b := hostCPU{"libvirtd": c(130, 1031, 1, 2), "qemu:a.pid": c(1100, 9101, 3), "qemu:new.pid": c(7, 7, 6), "client": c(9, 90, 5)}
	var s results.HostSample
	hostDelta(a, b, &s)
	require.Equal(t, results.HostSample{LibvirtdNs: 31, QEMUNs: 101, QEMUs: 1, ClientNs: 80}, s)

	b["qemu:a.pid"] = c(1100, 9050, 3, 7) // a thread came: its ticks
	s = results.HostSample{}
	hostDelta(a, b, &s)
	require.Equal(t, results.HostSample{LibvirtdNs: 31, QEMUNs: 100, QEMUs: 1, ClientNs: 80, Ticks: true}, s)
}

func TestHostCaseSets(t *testing.T) {
	main, err := hostCaseSets("main")
	require.NoError(t, err)
	require.Equal(t, "idle", main[0].Name)
	groups, err := hostCaseSets("groups")
	require.NoError(t, err)
	require.Len(t, groups, 1+2*len(results.SharedGroups)+1)
	_, err = hostCaseSets("all")
	require.EqualError(t, err, `cases "all": valid choices are main, groups`)
}

// The recommended contender gathers what examples/recommended.conf
// configures, at the same ratio of intervals.
func TestRecommendedMatchesExample(t *testing.T) {
	b, err := os.ReadFile("../../../examples/recommended.conf")
	require.NoError(t, err)
	groups := regexp.MustCompile(`(?m)^\s*statistics_groups = \[(.*)\]$`).FindAllStringSubmatch(string(b), -1)
	intervals := regexp.MustCompile(`(?m)^\s*interval = "(\d+)s"$`).FindAllStringSubmatch(string(b), -1)
	require.Len(t, groups, 2)
	require.Len(t, intervals, 2)
	list := func(s string) []string { return strings.Split(strings.NewReplacer(`"`, "", " ", "").Replace(s), ",") }
	require.Equal(t, recommendedFast, list(groups[0][1]))
	require.Equal(t, recommendedSlow, list(groups[1][1]))
	require.Equal(t, []string{"10", "60"}, []string{intervals[0][1], intervals[1][1]})
	require.Equal(t, 6, recommendedEvery)
}

// counting is a contender that counts its gathers.
type counting struct{ gathers []int }

func (c *counting) open() error          { return nil }
func (c *counting) gather() error        { c.gathers = append(c.gathers, len(c.gathers)); return nil }
func (c *counting) tally() results.Tally { return results.Tally{Domains: 1, Metrics: len(c.gathers)} }
func (c *counting) close()               {}

// The recommended contender gathers the fast table every gather and the
// slow one on the first measured gather and every sixth after it, whatever
// the warm-up did.
func TestRecommendedCadence(t *testing.T) {
	fast, slow := &counting{}, &counting{}
	r := &recommended{fast: fast, slow: slow, every: recommendedEvery}
	var slowAt []int
	gather := func(i int) {
		before := len(slow.gathers)
		require.NoError(t, r.gather())
		if len(slow.gathers) > before {
			slowAt = append(slowAt, i)
		}
	}
	for i := range 2 { // warm-up
		gather(-1 - i)
	}
	r.measuring()
	slowAt = nil
	for i := range 13 {
		gather(i)
	}
	require.Equal(t, []int{0, 6, 12}, slowAt)
	require.Len(t, fast.gathers, 15)
	require.Equal(t, results.Tally{Domains: 1, Metrics: 15 + len(slow.gathers)}, r.tally())
}

// The RPC-counting proxy's socket replaces the one a URI names (the lab's
// URIs name theirs) and is added to one that names none.
func TestWithSocket(t *testing.T) {
	require.Equal(t, "qemu+unix:///system?socket=/tmp/p.sock", withSocket("qemu:///system", "/tmp/p.sock"))
	require.Equal(t, "qemu+unix:///system?socket=/tmp/p.sock",
		withSocket("qemu+unix:///system?socket=/var/tmp/lab/run/libvirt/libvirt-sock", "/tmp/p.sock"))
	target, name, err := goURI("qemu+unix:///system?socket=/var/tmp/lab/run/libvirt/libvirt-sock")
	require.NoError(t, err)
	require.Equal(t, "/var/tmp/lab/run/libvirt/libvirt-sock", target)
	require.Equal(t, "qemu:///system", name)
}

// Bracketed, every case has an idle window on each side, and the order of
// the cases rotates from round to round.
func TestRoundOrder(t *testing.T) {
	cases := []results.HostCase{{Name: "idle"}, {Name: "a"}, {Name: "b"}, {Name: "c"}}
	names := func(cs []results.HostCase) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	require.Equal(t, "idle,a,idle,b,idle,c,idle", names(roundOrder(cases, 0, true)))
	require.Equal(t, "idle,b,idle,c,idle,a,idle", names(roundOrder(cases, 1, true)))
	require.Equal(t, "b,c,idle,a", names(roundOrder(cases, 2, false)))
}

// Bracketed, a case's idle is the mean rate of the windows around it, not
// of the round's others.
func TestHostRoundsBracketed(t *testing.T) {
	ms := int64(time.Millisecond)
	res := &results.HostResult{Samples: []results.HostSample{
		{Case: "idle", Seq: 0, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 0, QEMUNs: 600 * ms},
		{Case: "a", Seq: 1, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 60 * ms, QEMUNs: 1200 * ms, QEMUs: 2},
		{Case: "idle", Seq: 2, WindowNs: 3000 * ms, Gathers: 6, LibvirtdNs: 0, QEMUNs: 600 * ms}, // twice the rate
		{Case: "b", Seq: 3, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 60 * ms, QEMUNs: 3000 * ms, QEMUs: 2},
		{Case: "idle", Seq: 4, WindowNs: 6000 * ms, Gathers: 6, LibvirtdNs: 0, QEMUNs: 6000 * ms}, // a guest booting
	}}
	// a: idle rates 0.1 and 0.2, mean 0.15: 900 ms of 1200 are idle.
	require.InDelta(t, 50, results.HostRounds(res, "a")[0].QEMU, 1e-9)
	// b: idle rates 0.2 and 1.0, mean 0.6: 3600 ms, more than b burned.
	require.InDelta(t, -100, results.HostRounds(res, "b")[0].QEMU, 1e-9)
	require.InDelta(t, 10, results.HostRounds(res, "b")[0].Libvirtd, 1e-9)
}
