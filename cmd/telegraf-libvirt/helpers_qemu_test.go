//go:build cgo && linux && qemu

package main

// The helpers the tests tagged qemu share: the binary on the test
// hypervisor, and the remote calls it makes, read from libvirt's client
// debug log. helpers_test.go has the ones every build's tests share.

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
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

// debugLog has cmd write libvirt's client debug log to logPath.
func debugLog(cmd *exec.Cmd, logPath string) {
	cmd.Env = append(cmd.Environ(), "LIBVIRT_DEBUG=1", "LIBVIRT_LOG_OUTPUTS=1:file:"+logPath)
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
	return newPolled(t, bin, conf, filepath.Join(t.TempDir(), "libvirt-client.log"))
}

// newPolled starts the binary as Telegraf's execd runs it; logPath, if not
// empty, receives libvirt's client debug log (a benchmark leaves it off:
// it costs CPU).
func newPolled(t testing.TB, bin, conf, logPath string) *polled {
	t.Helper()
	p := &polled{stderr: &strings.Builder{}, logPath: logPath}
	p.cmd = exec.Command(bin, "-poll_interval_disabled", "-config", conf)
	if logPath != "" {
		debugLog(p.cmd, p.logPath)
	}
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

// gather asks for one gather and waits up to wait for its
// libvirt_stats_collector line (the config must set collector_metrics),
// which the binary writes last; false if none came (the binary died or
// hangs).
func (p *polled) gather(t testing.TB, wait time.Duration) (took time.Duration, collector string, ok bool) {
	t.Helper()
	start := time.Now()
	_, err := p.stdin.Write([]byte("\n"))
	require.NoError(t, err)
	for {
		line, ok := p.next(wait)
		if !ok {
			return 0, "", false
		}
		if strings.HasPrefix(line, "libvirt_stats_collector,") {
			return time.Since(start), line, true
		}
	}
}

func procsOf(calls []rpc) []int {
	out := make([]int, len(calls))
	for i, c := range calls {
		out[i] = c.proc
	}
	return out
}

func parseLP(t *testing.T, lp string) []telegraf.Metric {
	t.Helper()
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	ms, err := p.Parse([]byte(lp))
	require.NoError(t, err)
	return ms
}
