//go:build cgo && linux && qemu

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/remotetest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// Ports of BenchmarkTransport's own daemons (apart from the tests' 18500s
// and e2e's 18510s, so that it can run beside them).
const (
	benchTLSPort = 18520
	benchTCPPort = 18521
	benchSSHPort = 18522
)

// BenchmarkTransport: what one gather costs over each libvirt transport.
// The binary runs as Telegraf's execd runs it (-poll_interval_disabled, a
// line on stdin per gather); a gather is one line in and its output out,
// on the connection the first gather opened. Per gather:
//
//	wall-ms        the line written to the collector metric read
//	client-cpu-ms  the binary and its children (the ssh client)
//	daemon-cpu-ms  the libvirtd that answers (its own threads)
//	sshd-cpu-ms    the private sshd and its sessions (the far side's relay)
//	rx-bytes/dom   what the binary read() per domain (the reply on unix, tcp, ssh)
//	connect-ms     the first gather's wall (connect + gather) minus wall-ms
//	connect-cpu-ms the first gather's CPU, all three sides, minus a gather's
//
// "test-N": a private libvirtd with libvirt's test driver and N domains
// (nodexml) serves unix, tcp (no auth), tls, and through a private sshd ssh
// and libssh (proxy=netcat, the far side's netcat being unixrelay): the
// same payload on every transport. "lab": the lab's QEMU guests over unix,
// tcp (SASL), ssh and libssh (virt-ssh-helper on the far side). The lab's
// daemon serves others too: its daemon-cpu-ms includes their calls.
//
//	scripts/lab.sh exec -- nice -n 10 go test -tags 'qemu libvirt_dlopen' -run '^$' \
//	    -bench 'Transport/(test-100|lab)/' -benchtime 5x ./cmd/telegraf-libvirt
func BenchmarkTransport(b *testing.B) {
	lab.RequireNetns(b)
	bin := binary(b)
	d := remotetest.StartDaemon(b, benchTLSPort, benchTCPPort)
	s := remotetest.StartSSHD(b, benchSSHPort)
	dir := lab.TestTempDir(b, "transport-")
	relay := filepath.Join(dir, "unixrelay")
	out, err := exec.Command("go", "build", "-o", relay, "../../internal/testsupport/remotetest/cmd/unixrelay").CombinedOutput()
	require.NoError(b, err, "%s", out)
	ssh := func(scheme, path string) string {
		return fmt.Sprintf("%s+ssh://root@127.0.0.1:%d%s?keyfile=%s&no_tty=1&command=%s",
			scheme, s.Port, path, s.KeyFile, s.SSHCommand)
	}
	libssh := func(scheme, path string) string {
		return fmt.Sprintf("%s+libssh://root@127.0.0.1:%d%s?keyfile=%s&known_hosts=%s&sshauth=privkey",
			scheme, s.Port, path, s.KeyFile, s.KnownHosts)
	}
	viaRelay := fmt.Sprintf("&proxy=netcat&netcat=%s&socket=%s", relay, d.Socket())

	for _, n := range []int{10, 100, 1000} {
		node := filepath.Join(dir, fmt.Sprintf("node-%d.xml", n))
		f, err := os.Create(node)
		require.NoError(b, err)
		require.NoError(b, nodexml.Write(f, n))
		require.NoError(b, f.Close())
		b.Run(fmt.Sprintf("test-%d", n), func(b *testing.B) {
			for _, tr := range []struct{ name, uri string }{
				{"unix", fmt.Sprintf("test+unix://%s?socket=%s", node, d.Socket())},
				{"tcp", fmt.Sprintf("test+tcp://127.0.0.1:%d%s", d.TCPPort, node)},
				{"tls", fmt.Sprintf("test+tls://localhost:%d%s?pkipath=%s", d.Port, node, d.PKI.Good)},
				{"ssh", ssh("test", node) + viaRelay},
				{"libssh", libssh("test", node) + viaRelay},
			} {
				b.Run(tr.name, func(b *testing.B) {
					benchGathers(b, bin, "  libvirt_uri = "+strconv.Quote(tr.uri)+"\n", d.Pid(), s.Pid())
				})
			}
		})
	}
	b.Run("lab", func(b *testing.B) {
		daemon := lab.RequirePID(b, lab.LibvirtdPIDFile(lab.Host))
		saslURI, user, pass := virshtest.SASL(b)
		for _, tr := range []struct{ name, table string }{
			{"unix", "  libvirt_uri = " + strconv.Quote(lab.HostROURI()) + "\n"},
			{"tcp", fmt.Sprintf("  libvirt_uri = %q\n  username = %q\n  password = %q\n", saslURI, user, pass)},
			{"ssh", "  libvirt_uri = " + strconv.Quote(ssh("qemu", "/system")) + "\n"},
			{"libssh", "  libvirt_uri = " + strconv.Quote(libssh("qemu", "/system")) + "\n"},
		} {
			b.Run(tr.name, func(b *testing.B) { benchGathers(b, bin, tr.table, daemon, s.Pid()) })
		}
	})
}

// cpuSample is the CPU each side has used so far, and what the binary has read.
type cpuSample struct {
	client, daemon, sshd time.Duration
	rx                   int64
}

func (a cpuSample) sub(b cpuSample) cpuSample {
	return cpuSample{a.client - b.client, a.daemon - b.daemon, a.sshd - b.sshd, a.rx - b.rx}
}

func (a cpuSample) total() time.Duration { return a.client + a.daemon + a.sshd }

// benchGathers runs the binary with the table's URI (timeout 120 s: the
// benchmark measures, it does not cut a slow transport short), makes one
// gather that connects, then b.N gathers on that connection.
func benchGathers(b *testing.B, bin, table string, daemon, sshd int) {
	conf := writeConf(b, "[[inputs.libvirt_stats]]\n"+table+"  timeout = \"120s\"\n  collector_metrics = true\n")
	cmd := exec.Command(bin, "-poll_interval_disabled", "-config", conf)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	next := lineReader(stdout)
	pid := cmd.Process.Pid
	sample := func() cpuSample {
		return cpuSample{client: treeCPU(pid), daemon: taskCPU(daemon), sshd: treeCPU(sshd), rx: readBytes(pid)}
	}
	gather := func() (time.Duration, int) {
		start := time.Now()
		_, err := stdin.Write([]byte("\n"))
		require.NoError(b, err)
		for {
			line, ok := next(150 * time.Second)
			require.True(b, ok, "no gather; stderr: %s", stderr.String())
			if strings.HasPrefix(line, "libvirt_stats_collector,") {
				took := time.Since(start)
				require.Equal(b, "0", collectorField(line, "errors"), "%s\nstderr: %s", line, stderr.String())
				domains, err := strconv.Atoi(collectorField(line, "domains"))
				require.NoError(b, err, line)
				return took, domains
			}
		}
	}

	s0 := sample()
	first, domains := gather()
	connect := sample().sub(s0)
	require.Positive(b, domains)

	var wall time.Duration
	var per cpuSample
	for b.Loop() {
		s := sample()
		w, _ := gather()
		wall += w
		d := sample().sub(s)
		per = cpuSample{per.client + d.client, per.daemon + d.daemon, per.sshd + d.sshd, per.rx + d.rx}
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(wall), "wall-ms")
	b.ReportMetric(ms(per.client), "client-cpu-ms")
	b.ReportMetric(ms(per.daemon), "daemon-cpu-ms")
	b.ReportMetric(ms(per.sshd), "sshd-cpu-ms")
	b.ReportMetric(float64(per.rx)/n/float64(domains), "rx-bytes/dom")
	b.ReportMetric(float64(domains), "domains")
	b.ReportMetric(float64(first-wall/time.Duration(b.N))/float64(time.Millisecond), "connect-ms")
	b.ReportMetric(float64(connect.total()-per.total()/time.Duration(b.N))/float64(time.Millisecond), "connect-cpu-ms")
}

// collectorField is a field's value in a libvirt_stats_collector line, the
// integer suffix dropped.
func collectorField(line, key string) string {
	m := regexp.MustCompile(`[ ,]` + key + `=(\d+)i`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times.
const clockTick = 10 * time.Millisecond

// taskCPU is the CPU time of a process's live threads, to the nanosecond
// (/proc/PID/task/*/schedstat); 0 if it is gone.
func taskCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(raw)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// procStat is the parent and the reaped children's CPU (cutime + cstime)
// of a process, from /proc/PID/stat.
func procStat(pid int) (ppid int, reaped time.Duration, ok bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name, in parentheses, may hold spaces: the fields
	// counted from 3 (state) start after its last ')'.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	cu, _ := strconv.ParseInt(f[13], 10, 64)
	cs, _ := strconv.ParseInt(f[14], 10, 64)
	return ppid, time.Duration(cu+cs) * clockTick, true
}

// treeCPU is the CPU of a process and its live descendants (their
// threads', to the nanosecond), plus what they reaped of children that
// have exited (ssh's probes during connect; in clock ticks).
func treeCPU(root int) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	children := map[int][]int{}
	reaped := map[int]time.Duration{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if ppid, r, ok := procStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
			reaped[pid] = r
		}
	}
	var sum time.Duration
	for todo := []int{root}; len(todo) > 0; {
		pid := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[pid]...)
		sum += taskCPU(pid) + reaped[pid]
	}
	return sum
}

// readBytes is what a process has read with read(2) so far (rchar of /proc/PID/io).
func readBytes(pid int) int64 {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
