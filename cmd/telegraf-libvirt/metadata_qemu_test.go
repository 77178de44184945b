//go:build cgo && linux && qemu

package main

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// More of libvirt's remote procedures (src/remote/remote_protocol.x).
const (
	procDomainGetXMLDesc   = 14  // REMOTE_PROC_DOMAIN_GET_XML_DESC
	procEventRegisterAny   = 316 // REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY
	procEventDeregisterAny = 317 // REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY
	procConnectClose       = 2
)

func init() {
	procNames[procDomainGetXMLDesc] = "DOMAIN_GET_XML_DESC"
	procNames[procEventRegisterAny] = "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY"
	procNames[procEventDeregisterAny] = "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY"
}

const novaConf = `  nowait = false
  [inputs.libvirt_stats.metadata_namespaces]
    nova = "` + virshtest.NovaNS + `"
  [inputs.libvirt_stats.metadata_tags]
    instance_name = "/domain/metadata/nova:instance/nova:name"
    flavor = "/domain/metadata/nova:instance/nova:flavor/@name"
`

// With metadata_tags the connection setup also registers two event
// callbacks (lifecycle, metadata change); the first gather lists the
// domains and reads each one's XML after the stats call; later gathers send
// the stats call alone, until `virsh metadata` changes a domain: the next
// gather reads that domain's XML again (and lists the domains), and the
// ones after it are back to the stats call alone. Closing deregisters both
// callbacks, and the connection closes.
func TestQEMURPCsWithMetadataTags(t *testing.T) {
	bin := binary(t)
	all, err := virshtest.Domstats("--state")
	require.NoError(t, err)
	domains := len(all)

	run := startPolled(t, bin, qemuConf(t, novaConf))

	// gather returns tlv-run3's instance_name tag in one gather's output.
	gathers := 0
	gather := func() string {
		t.Helper()
		_, err := run.stdin.Write([]byte("\n"))
		require.NoError(t, err)
		gathers++
		name := ""
		for i := range domains {
			line, ok := run.next(30 * time.Second)
			require.True(t, ok, "gather %d: line %d of %d missing; stderr: %s", gathers, i+1, domains, run.stderr.String())
			ms := parseLP(t, line)
			require.Len(t, ms, 1)
			if d, _ := ms[0].GetTag("domain"); d == "tlv-run3" {
				name, _ = ms[0].GetTag("instance_name")
				flavor, _ := ms[0].GetTag("flavor")
				require.Equal(t, "m1.large", flavor)
			}
		}
		return name
	}

	for range 4 {
		require.Equal(t, "db-1", gather())
	}
	restore, err := virshtest.SetLiveNovaName("tlv-run3", "db-1-rpc")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, restore()) })
	refreshed := 0
	for try := 0; refreshed == 0; try++ {
		require.Less(t, try, 100, "the renamed instance never showed")
		if gather() == "db-1-rpc" {
			refreshed = gathers
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	for range 2 {
		require.Equal(t, "db-1-rpc", gather())
	}
	require.NoError(t, run.stdin.Close())
	require.NoError(t, run.cmd.Wait(), run.stderr.String())

	log, err := os.ReadFile(run.logPath)
	require.NoError(t, err)
	calls, _ := remoteCalls(t, log)
	procs := procsOf(calls)
	first := slices.Index(procs, procConnectGetAllDomStat)
	require.GreaterOrEqual(t, first, 0, "no stats call: %v", calls)
	setup := procs[:first]
	require.Contains(t, setup, procConnectOpen)
	require.Equal(t, 2, count(setup, procEventRegisterAny), "setup: %v", calls[:first])

	// One segment per gather, each from its stats call up to the next;
	// the last one ends with the close.
	var segments [][]int
	for i, p := range procs[first:] {
		if p == procConnectGetAllDomStat {
			segments = append(segments, nil)
		}
		segments[len(segments)-1] = append(segments[len(segments)-1], procs[first+i])
	}
	require.Len(t, segments, gathers, "%v", calls[first:])
	last := segments[len(segments)-1]
	teardown := slices.IndexFunc(last, func(p int) bool { return p != procConnectGetAllDomStat })
	require.Positive(t, teardown, "last gather: %v", last)
	require.Equal(t, 2, count(last[teardown:], procEventDeregisterAny), "close: %v", last[teardown:])
	// The callbacks hold a reference on the connection: left registered,
	// the connection would never close.
	require.Contains(t, last[teardown:], procConnectClose, "close: %v", last[teardown:])
	segments[len(segments)-1] = last[:teardown]

	fetchAll := append([]int{procConnectGetAllDomStat, procConnectListAll}, repeat(procDomainGetXMLDesc, domains)...)
	fetchOne := []int{procConnectGetAllDomStat, procConnectListAll, procDomainGetXMLDesc}
	for g, seg := range segments {
		switch g + 1 {
		case 1:
			require.Equal(t, fetchAll, seg, "gather 1")
		case refreshed:
			require.Equal(t, fetchOne, seg, "gather %d, the first after virsh metadata", g+1)
		default:
			require.Equal(t, []int{procConnectGetAllDomStat}, seg, "gather %d", g+1)
		}
	}
	t.Logf("setup %v; gather 1: %d calls; gathers 2-%d: 1 call each except gather %d: %v; close: %v",
		procNamesOf(setup), len(segments[0]), gathers, refreshed, procNamesOf(segments[refreshed-1]), procNamesOf(last[teardown:]))
}

func count(procs []int, p int) int {
	n := 0
	for _, x := range procs {
		if x == p {
			n++
		}
	}
	return n
}

func repeat(p, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func procNamesOf(procs []int) []string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = rpc{proc: p}.String()
	}
	return out
}
