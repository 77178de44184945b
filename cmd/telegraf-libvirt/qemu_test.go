//go:build cgo && qemu

// Binary-level tests against real QEMU domains under libvirtd: what goes over
// the wire, seen in libvirt's own client debug log. They fail, never skip,
// when the hypervisor is not usable.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/virshtest"
)

// libvirt's remote protocol (src/remote/remote_protocol.x). There is no
// separate procedure for virDomainListGetStats: the client sends it as
// REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS with the domain list filled in.
const (
	remoteProgram            = 0x20008086
	keepaliveProgram         = 0x6b656570
	procConnectOpen          = 1
	procConnectListAll       = 273 // REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS
	procConnectGetAllDomStat = 344 // REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS
)

var procNames = map[int]string{
	1:   "CONNECT_OPEN",
	2:   "CONNECT_CLOSE",
	60:  "CONNECT_SUPPORTS_FEATURE",
	66:  "AUTH_LIST",
	273: "CONNECT_LIST_ALL_DOMAINS",
	344: "CONNECT_GET_ALL_DOMAIN_STATS",
	360: "CONNECT_REGISTER_CLOSE_CALLBACK",
	361: "CONNECT_UNREGISTER_CLOSE_CALLBACK",
}

// rpc is one call the client queued, from its RPC_CLIENT_MSG_TX_QUEUE line.
type rpc struct {
	proc, len int
}

func (r rpc) String() string {
	if n, ok := procNames[r.proc]; ok {
		return fmt.Sprintf("%s(%d)", n, r.proc)
	}
	return strconv.Itoa(r.proc)
}

var txQueue = regexp.MustCompile(`RPC_CLIENT_MSG_TX_QUEUE: client=\S+ len=(\d+) prog=(\d+) vers=\d+ proc=(\d+) `)

// remoteCalls lists the remote-program calls in a libvirt debug log, in
// order, and counts the keepalive messages (another program) it leaves out.
func remoteCalls(t *testing.T, log []byte) (calls []rpc, keepalives int) {
	t.Helper()
	for _, m := range txQueue.FindAllSubmatch(log, -1) {
		prog, _ := strconv.Atoi(string(m[2]))
		switch prog {
		case remoteProgram:
		case keepaliveProgram:
			keepalives++
			continue
		default:
			t.Fatalf("message of unknown program %d: %s", prog, m[0])
		}
		l, _ := strconv.Atoi(string(m[1]))
		p, _ := strconv.Atoi(string(m[3]))
		calls = append(calls, rpc{proc: p, len: l})
	}
	return calls, keepalives
}

func debugEnv(logPath string) []string {
	return append(os.Environ(), "LIBVIRT_DEBUG=1", "LIBVIRT_LOG_OUTPUTS=1:file:"+logPath)
}

func qemuConf(t *testing.T, extra string) string {
	t.Helper()
	virshtest.Require(t)
	return writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \""+virshtest.URI+"\"\n"+extra)
}

// lineReader hands out stdout lines with a deadline, so a missing gather
// fails the test instead of hanging it.
func lineReader(r io.Reader) func(time.Duration) (string, bool) {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return func(wait time.Duration) (string, bool) {
		select {
		case l, ok := <-lines:
			return l, ok
		case <-time.After(wait):
			return "", false
		}
	}
}

// polled is the binary as startPolled runs it.
type polled struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser // a line asks for a gather
	stderr  *strings.Builder
	next    func(time.Duration) (string, bool) // reads stdout lines (lineReader)
	logPath string                             // libvirt's client debug log
}

// startPolled starts the binary in -poll_interval_disabled mode with the
// config conf and libvirt's client debug log, and kills it when the test
// ends.
func startPolled(t *testing.T, bin, conf string) *polled {
	t.Helper()
	p := &polled{stderr: &strings.Builder{}, logPath: filepath.Join(t.TempDir(), "libvirt-client.log")}
	p.cmd = exec.Command(bin, "-poll_interval_disabled", "-config", conf)
	p.cmd.Env = debugEnv(p.logPath)
	p.cmd.Stderr = p.stderr
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	p.next = lineReader(stdout)
	return p
}

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

func procsOf(calls []rpc) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = c.proc
	}
	return out
}

var unixConnect = regexp.MustCompile(`virNetSocketNewConnectUNIX:\d+ : path=(\S+)`)

// By default the binary connects to libvirt-sock-ro, and reads through it
// every field the read-write socket gives. NOWAIT is off so that another
// client's stats call on the machine cannot thin out one of the two runs.
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
			cmd := exec.Command(bin, "-once", "-config", qemuConf(t, tt.conf))
			cmd.Env = debugEnv(logPath)
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

func parseLP(t *testing.T, lp string) []telegraf.Metric {
	t.Helper()
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	ms, err := p.Parse([]byte(lp))
	require.NoError(t, err)
	return ms
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
