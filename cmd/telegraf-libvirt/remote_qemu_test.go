//go:build qemu

package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/remotetest"
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
// well within the timeout, nothing on stdout, and on stderr exactly one
// line, the plugin's error naming the URI: none of libvirt's own log lines
// (they go to Telegraf's logger at debug level) and no prompt.
func requireCleanFailure(t *testing.T, uri, out, errOut string, code int, took, timeout time.Duration, want string) {
	t.Helper()
	t.Logf("%s: %s", took.Round(time.Millisecond), errOut)
	require.NotEqual(t, 0, code)
	require.Less(t, took, timeout, "the error must come within the timeout")
	require.Empty(t, out)
	lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
	require.Len(t, lines, 1, "stderr must hold the plugin's error alone")
	require.True(t, strings.HasPrefix(lines[0], fmt.Sprintf("E! [inputs.libvirt_stats] connecting to %q: ", uri)), lines[0])
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
