//go:build cgo && linux && qemu

// Binary-level tests against real QEMU domains under libvirtd: what goes over
// the wire, seen in libvirt's own client debug log. They fail, never skip,
// when the hypervisor is not usable.
package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// In poll mode each gather sends exactly one GET_ALL_DOMAIN_STATS and no
// other call; with a domains filter, exactly one LIST_ALL_DOMAINS and one
// GET_ALL_DOMAIN_STATS carrying the matches. Counted after the connection
// setup, which the first gather does. One run idles past the keepalive
// interval before its last gather: keepalive pings are another program and
// add no call.
func TestQEMURPCsPerGather(t *testing.T) {
	bin := binary(t)
	const gathers = 4
	all, err := virshtest.Domstats("--state")
	require.NoError(t, err)

	tests := []struct {
		name      string
		conf      string
		metrics   int           // lines per gather
		perGather []int         // procedures per gather, in order
		idle      time.Duration // before the last gather
	}{
		{"no filter", "", len(all), []int{procConnectGetAllDomStat}, 0},
		{"domains filter", "  domains = [\"tlv-run*\"]\n", 3, []int{procConnectListAll, procConnectGetAllDomStat}, 0},
		// keepalive: a ping after 5 s without traffic (connection.go)
		{"no filter, idle 6s", "", len(all), []int{procConnectGetAllDomStat}, 6 * time.Second},
	}
	statsLen := map[string][]int{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := startPolled(t, bin, qemuConf(t, tt.conf))

			for g := range gathers {
				if g == gathers-1 {
					time.Sleep(tt.idle)
				}
				_, err := run.stdin.Write([]byte("\n"))
				require.NoError(t, err)
				for i := range tt.metrics {
					line, ok := run.next(30 * time.Second)
					require.True(t, ok, "gather %d: line %d of %d missing; stderr: %s", g, i+1, tt.metrics, run.stderr.String())
					require.True(t, strings.HasPrefix(line, "libvirt_stats,domain="), line)
				}
			}
			// Every call of the N gathers was queued before its answer printed.
			log, err := os.ReadFile(run.logPath)
			require.NoError(t, err)
			require.NoError(t, run.stdin.Close())
			require.NoError(t, run.cmd.Wait(), run.stderr.String())

			calls, keepalives := remoteCalls(t, log)
			first := slices.IndexFunc(calls, func(c rpc) bool { return c.proc == tt.perGather[0] })
			require.GreaterOrEqual(t, first, 0, "no %v in the log: %v", procNames[tt.perGather[0]], calls)
			setup, perGather := calls[:first], calls[first:]
			require.Contains(t, procsOf(setup), procConnectOpen, "the calls before the first gather's are the connection setup")
			var want []int
			for range gathers {
				want = append(want, tt.perGather...)
			}
			require.Equal(t, want, procsOf(perGather), "setup %v, then %v", setup, perGather)
			t.Logf("setup: %v; %d gathers: %v; keepalive messages: %d", setup, gathers, perGather, keepalives)
			if tt.idle > 0 {
				require.Positive(t, keepalives, "no keepalive while idle for %s", tt.idle)
			}
			for _, c := range perGather {
				if c.proc == procConnectGetAllDomStat {
					statsLen[tt.name] = append(statsLen[tt.name], c.len)
				}
			}
		})
	}
	// The filtered call names its domains; the unfiltered one names none.
	t.Logf("GET_ALL_DOMAIN_STATS message lengths: %v", statsLen)
	require.Len(t, statsLen, 3)
	require.Greater(t, slices.Min(statsLen["domains filter"]), slices.Max(statsLen["no filter"]),
		"GET_ALL_DOMAIN_STATS message lengths: %v", statsLen)
}

var unixConnect = regexp.MustCompile(`virNetSocketNewConnectUNIX:\d+ : path=(\S+)`)

// By default the binary connects to libvirt-sock-ro, and reads through it
// every field the read-write socket gives. NOWAIT is off so that another
// client's stats call on the machine cannot thin out one of the two runs.
// The binary runs in the lab host node's mount namespace, with the default
// URI qemu:///system: there libvirt's fixed socket paths are the lab's.
func TestQEMUReadOnlySocket(t *testing.T) {
	bin := binary(t)
	tests := []struct {
		name   string
		conf   string
		socket string
	}{
		{"default", "  nowait = false\n", "/var/run/libvirt/libvirt-sock-ro"},
		{"read_only = false", "  nowait = false\n  read_only = false\n", "/var/run/libvirt/libvirt-sock"},
	}
	fields := map[string]map[string][]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logPath := filepath.Join(t.TempDir(), "libvirt-client.log")
			virshtest.Require(t)
			conf := writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"qemu:///system\"\n"+tt.conf)
			cmd := exec.Command(bin, "-once", "-config", conf)
			lab.InNode(t, cmd, lab.Host)
			debugLog(cmd, logPath)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), stderr.String())

			log, err := os.ReadFile(logPath)
			require.NoError(t, err)
			var sockets []string
			for _, m := range unixConnect.FindAllSubmatch(log, -1) {
				sockets = append(sockets, string(m[1]))
			}
			require.Equal(t, []string{tt.socket}, sockets)

			byDomain := map[string][]string{}
			for _, m := range parseLP(t, stdout.String()) {
				name, _ := m.GetTag("domain")
				for _, f := range m.FieldList() {
					byDomain[name] = append(byDomain[name], f.Key)
				}
			}
			fields[tt.name] = byDomain
		})
	}
	require.Len(t, fields, 2)
	require.NotEmpty(t, fields["default"])
	require.Equal(t, fields["read_only = false"], fields["default"])
}

// The line protocol escapes the odd name so that a parser reads back the
// exact libvirt name; uint64 keeps its u suffix.
func TestQEMUOnceOddName(t *testing.T) {
	bin := binary(t)
	out, errOut, code := run(t, bin, "-once", "-config", qemuConf(t, "  domains = [\"tlv-odd*\"]\n"))
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, `libvirt_stats,domain=tlv-odd\ name\,a\=b\c,uuid=`), out)
	ms := parseLP(t, out)
	require.Len(t, ms, 1)
	name, _ := ms[0].GetTag("domain")
	require.Equal(t, virshtest.OddName, name)
	v, ok := ms[0].GetField("cpu.time")
	require.True(t, ok)
	require.IsType(t, uint64(0), v)
}
