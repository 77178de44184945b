//go:build cgo && linux && qemu

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/remotetest"
)

// domainKeys is, per domain tag, the sorted field keys of a -once output.
func domainKeys(t *testing.T, lp string) map[string]string {
	t.Helper()
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	ms, err := p.Parse([]byte(lp))
	require.NoError(t, err)
	out := map[string]string{}
	for _, m := range ms {
		var keys []string
		for k := range m.Fields() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out[m.Name()+"/"+m.Tags()["domain"]] = strings.Join(keys, ",")
	}
	return out
}

// requireCleanFailure checks a run that could not connect: non-zero exit
// well within the timeout, nothing on stdout, and on stderr, beside the
// binary's own I! lines, exactly one line: the plugin's error naming the
// URI. None of libvirt's own log lines (they go to Telegraf's logger at
// debug level; libvirt's format is "TIME: TID: warning : func:line : msg")
// and no prompt.
func requireCleanFailure(t *testing.T, uri, out, errOut string, code int, took, timeout time.Duration, want string) {
	t.Helper()
	t.Logf("%s: %s", took.Round(time.Millisecond), errOut)
	require.NotEqual(t, 0, code)
	require.Less(t, took, timeout, "the error must come within the timeout")
	require.Empty(t, out)
	require.NotContains(t, errOut, " : warning : ")
	require.NotContains(t, errOut, "libvirt version: ")
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(errOut, "\n"), "\n") {
		if !strings.HasPrefix(line, "I! ") {
			lines = append(lines, line)
		}
	}
	require.Len(t, lines, 1, "stderr must hold the plugin's error alone")
	require.True(t, strings.HasPrefix(lines[0], "E! [inputs.libvirt_stats] "), lines[0])
	require.Contains(t, lines[0], fmt.Sprintf("connecting to %q: ", uri))
	require.Contains(t, lines[0], want)
}

func TestBinaryTLS(t *testing.T) {
	d := remotetest.StartTLSDaemon(t, remotetest.TLSPort)
	bin := binary(t)
	const timeout = 5 * time.Second
	conf := func(uri string) string {
		return writeConf(t, fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n  timeout = %q\n", uri, timeout))
	}

	t.Run("same domains and keys as the UNIX socket", func(t *testing.T) {
		uri := d.TLSURI("localhost", d.PKI.Good)
		out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
		require.Equal(t, 0, code, errOut)
		t.Logf("TLS gather: %s", took.Round(time.Millisecond))
		local, errOut, code, _ := runEnv(t, bin, nil, "-once", "-config", conf(d.UnixURI()))
		require.Equal(t, 0, code, errOut)
		overTLS, overUnix := domainKeys(t, out), domainKeys(t, local)
		require.NotEmpty(t, overTLS)
		require.Equal(t, overUnix, overTLS)
	})
	cases := []struct {
		name, host, pki, want string
	}{
		// The client trusts both CAs, so only the daemon can refuse it.
		{"client certificate of another CA", "localhost", d.PKI.ForeignCA, "Unable to read TLS confirmation"},
		// The client trusts only the other CA: the daemon's certificate fails.
		{"server certificate of an unknown CA", "localhost", d.PKI.OtherCA, "Failed to verify peer's certificate"},
		{"expired client certificate", "localhost", d.PKI.Expired, "expired"},
		// libvirt says why ("Certificate's owner does not match the
		// hostname") in a log line only: at debug level now.
		{"host name not in the server certificate", "127.0.0.1", d.PKI.Good, "Failed to verify peer's certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri := d.TLSURI(tc.host, tc.pki)
			out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
			requireCleanFailure(t, uri, out, errOut, code, took, timeout, tc.want)
		})
	}
}

func TestBinarySSH(t *testing.T) {
	s := remotetest.StartSSHD(t, remotetest.SSHPort)
	bin := binary(t)
	// ssh on a loaded 2-core machine takes seconds to log in.
	const timeout = 20 * time.Second
	base := fmt.Sprintf("root@127.0.0.1:%d/system?keyfile=%s", s.Port, s.KeyFile)
	conf := func(uri string) string {
		return writeConf(t, fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n  timeout = %q\n", uri, timeout))
	}
	records := func(t *testing.T, uri string) {
		out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
		require.Equal(t, 0, code, errOut)
		t.Logf("gather over ssh: %s", took.Round(time.Millisecond))
		require.Contains(t, out, "libvirt_stats,domain=tlv-run1,")
		require.NotContains(t, errOut, "E! ")
	}
	t.Run("openssh, known_hosts of the test", func(t *testing.T) {
		records(t, "qemu+ssh://"+base+"&no_tty=1&command="+s.SSHCommand)
	})
	t.Run("libssh, known_hosts parameter", func(t *testing.T) {
		records(t, "qemu+libssh://"+base+"&known_hosts="+s.KnownHosts+"&sshauth=privkey")
	})
	// stdin is a silent pipe, as under execd: a prompt would wait on it
	// until runEnv kills the binary (fails the test) or print on stdout.
	t.Run("openssh, unknown host key", func(t *testing.T) {
		uri := "qemu+ssh://" + base + "&no_tty=1"
		out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
		requireCleanFailure(t, uri, out, errOut, code, took, timeout, "Host key verification failed")
	})
	t.Run("libssh, unknown host key", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		require.NoError(t, os.WriteFile(empty, nil, 0o644))
		uri := "qemu+libssh://" + base + "&known_hosts=" + empty + "&sshauth=privkey"
		out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
		requireCleanFailure(t, uri, out, errOut, code, took, timeout, "host key verification")
	})
	t.Run("sshd stopped", func(t *testing.T) {
		s.Stop()
		uri := "qemu+ssh://" + base + "&no_tty=1&command=" + s.SSHCommand
		out, errOut, code, took := runEnv(t, bin, nil, "-once", "-config", conf(uri))
		requireCleanFailure(t, uri, out, errOut, code, took, timeout, "Connection refused")
	})
}
