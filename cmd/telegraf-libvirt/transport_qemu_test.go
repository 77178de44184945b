//go:build cgo && linux && qemu

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// BenchmarkTransport: what one gather costs over each libvirt transport.
// The binary runs as Telegraf's execd runs it (-poll_interval_disabled, a
// line on stdin per gather); a gather is one line in and its output out,
// on the connection the first gather opened. Per gather:
//
//	wall-ms        the line written to the collector metric read
//	client-cpu-ms  the binary and its children (the ssh client)
//	daemon-cpu-ms  the libvirtd that answers
//	sshd-cpu-ms    the private sshd and its sessions (the far side's relay)
//	rx-bytes/dom   what the binary read() per domain (the reply on unix, tcp, ssh)
//	connect-ms     the first gather's wall (connect + gather) minus wall-ms
//	connect-cpu-ms the first gather's CPU, all three sides, minus a gather's
//
// The CPU times come from a cgroup v1 cpuacct group per side; the lab's
// libvirtd, which is not ours to move, from its threads' schedstat.
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
//
// The plugin's timeout is 120 s, so that a slow transport is measured, not
// cut short. TLV_BENCH_TIMEOUT=5s sets another and, instead of failing on
// a failed gather, reports how many of the 1 + N gathers failed
// (failed-gathers; first-failed is 1 if the connecting one did) and how
// many gathers outlived half the timeout, where the caller starts a
// second call with NOWAIT (nowait-calls: each may open a connection).
func BenchmarkTransport(b *testing.B) {
	lab.RequireNetns(b)
	bin := binary(b)
	r := startPrivateRemote(b, "transport-")
	sshd := newCPUGroup(b, "sshd")
	sshd.add(b, r.s.Pid())
	daemon := newCPUGroup(b, "libvirtd")
	daemon.add(b, r.d.Pid())

	for _, n := range []int{10, 100, 1000} {
		node := r.node(b, n)
		b.Run(fmt.Sprintf("test-%d", n), func(b *testing.B) {
			for _, tr := range []struct{ name, uri string }{
				{"unix", fmt.Sprintf("test+unix://%s?socket=%s", node, r.d.Socket())},
				{"tcp", fmt.Sprintf("test+tcp://127.0.0.1:%d%s", r.d.TCPPort, node)},
				{"tls", fmt.Sprintf("test+tls://localhost:%d%s?pkipath=%s", r.d.Port, node, r.d.PKI.Good)},
				{"ssh", r.sshURI("test", node) + r.viaRelay()},
				{"libssh", r.libsshURI("test", node) + r.viaRelay()},
			} {
				b.Run(tr.name, func(b *testing.B) {
					benchGathers(b, bin, "  libvirt_uri = "+strconv.Quote(tr.uri)+"\n", daemon.usage, sshd)
				})
			}
		})
	}
	b.Run("lab", func(b *testing.B) {
		labd := lab.RequirePID(b, lab.LibvirtdPIDFile(lab.Host))
		saslURI, user, pass := virshtest.SASL(b)
		for _, tr := range []struct{ name, table string }{
			{"unix", "  libvirt_uri = " + strconv.Quote(lab.HostROURI()) + "\n"},
			{"tcp", fmt.Sprintf("  libvirt_uri = %q\n  username = %q\n  password = %q\n", saslURI, user, pass)},
			{"ssh", "  libvirt_uri = " + strconv.Quote(r.sshURI("qemu", "/system")) + "\n"},
			{"libssh", "  libvirt_uri = " + strconv.Quote(r.libsshURI("qemu", "/system")) + "\n"},
		} {
			b.Run(tr.name, func(b *testing.B) {
				benchGathers(b, bin, tr.table, func() time.Duration { return taskCPU(labd) }, sshd)
			})
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

// benchGathers runs the binary with the table's URI, makes one gather that
// connects, then b.N gathers on the connection it keeps.
func benchGathers(b *testing.B, bin, table string, daemonCPU func() time.Duration, sshd cpuGroup) {
	timeout, tolerate := os.LookupEnv("TLV_BENCH_TIMEOUT")
	if !tolerate {
		timeout = "120s"
	}
	// The group first: cleanups run last-in first-out, so the binary is
	// killed before its group is removed.
	client := newCPUGroup(b, "client")
	p := newPolled(b, bin, writeConf(b, "[[inputs.libvirt_stats]]\n"+table+"  timeout = "+strconv.Quote(timeout)+"\n  collector_metrics = true\n"), "")
	pid := p.cmd.Process.Pid
	client.add(b, pid)
	sample := func() cpuSample {
		return cpuSample{client: client.usage(), daemon: daemonCPU(), sshd: sshd.usage(), rx: readBytes(pid)}
	}
	half, err := time.ParseDuration(timeout)
	require.NoError(b, err, "TLV_BENCH_TIMEOUT")
	half /= 2
	failed, slow := 0, 0 // the collector's errors so far; gathers longer than half the timeout
	gather := func() (time.Duration, int) {
		took, line, ok := p.gather(b, 150*time.Second)
		if !ok {
			_ = p.cmd.Process.Kill()
			werr := p.cmd.Wait()
			b.Fatalf("no gather (exit: %v); stderr: %s", werr, p.stderr.String())
		}
		errs, err := strconv.Atoi(collectorField(line, "errors"))
		require.NoError(b, err, line)
		require.True(b, tolerate || errs == 0, "%s\nstderr: %s", line, p.stderr.String())
		failed = errs
		if took > half {
			slow++
		}
		domains, _ := strconv.Atoi(collectorField(line, "domains"))
		return took, domains
	}

	s0 := sample()
	first, domains := gather()
	connect := sample().sub(s0)
	firstFailed := failed
	require.True(b, tolerate || domains > 0, "no domains")

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
	if tolerate {
		b.ReportMetric(float64(failed), "failed-gathers")
		b.ReportMetric(float64(firstFailed), "first-failed")
		b.ReportMetric(float64(slow), "nowait-calls")
	}
	if domains > 0 {
		b.ReportMetric(float64(per.rx)/n/float64(domains), "rx-bytes/dom")
	}
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

// taskCPU is the CPU time of a process's live threads, to the nanosecond
// (/proc/PID/task/*/schedstat): for the lab's libvirtd, which is not ours
// to move into a group.
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

// cpuGroup is a cgroup (v1 cpuacct) of its own: the CPU of its processes
// and of all they start, exited threads and processes included, to the
// nanosecond.
type cpuGroup string

const cpuacctRoot = "/sys/fs/cgroup/cpuacct"

// newCPUGroup makes a group; when the benchmark ends, what is still in it
// goes back to the root group and the group is removed.
func newCPUGroup(b testing.TB, name string) cpuGroup {
	dir, err := os.MkdirTemp(cpuacctRoot, "tlv-transport-"+name+"-")
	require.NoError(b, err, "a cgroup v1 cpuacct group")
	b.Cleanup(func() {
		// A process that is exiting still holds the group for a moment.
		for range 40 {
			procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			for pid := range strings.FieldsSeq(string(procs)) {
				_ = os.WriteFile(filepath.Join(cpuacctRoot, "cgroup.procs"), []byte(pid), 0)
			}
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.Logf("cgroup %s left behind: rmdir it", dir)
	})
	return cpuGroup(dir)
}

// add moves a process (its future children too) into the group.
func (g cpuGroup) add(b testing.TB, pid int) {
	require.NoError(b, os.WriteFile(filepath.Join(string(g), "cgroup.procs"), []byte(strconv.Itoa(pid)), 0))
}

// usage is the group's CPU time so far.
func (g cpuGroup) usage() time.Duration {
	raw, _ := os.ReadFile(filepath.Join(string(g), "cpuacct.usage"))
	ns, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	return time.Duration(ns)
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
