//go:build cgo && linux && qemu

package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// requireAuthFailed checks a run that could not log in: it failed, well
// within the timeout, printed nothing on stdout, and logged the connect
// error (wantErr) and libvirt's authentication failure.
func requireAuthFailed(t *testing.T, out, errOut string, code int, took time.Duration, wantErr string) {
	t.Helper()
	t.Logf("stderr: %s", errOut)
	require.NotEqual(t, 0, code)
	require.Less(t, took, 10*time.Second)
	require.Empty(t, out)
	require.Contains(t, errOut, wantErr)
	require.Contains(t, errOut, "authentication failed")
}

func TestBinarySASL(t *testing.T) {
	uri, user, pass := virshtest.SASL(t)
	bin := binary(t)
	// The password comes from the environment, never from the file.
	conf := writeConf(t, fmt.Sprintf(`
[[inputs.libvirt_stats]]
  libvirt_uri = %q
  username = %q
  password = "${TLV_SASL_PASSWORD}"
  read_only = true
`, uri, user))
	raw, err := os.ReadFile(conf)
	require.NoError(t, err)
	require.NotContains(t, string(raw), pass)
	// An empty auth.conf, so none of the machine's answers libvirt (not a
	// missing one: libvirt then fails with "An error occurred, but the cause
	// is unknown").
	empty := t.TempDir() + "/auth.conf"
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	noAuthFile := "LIBVIRT_AUTH_FILE=" + empty

	t.Run("right password", func(t *testing.T) {
		out, errOut, code, took := runEnv(t, bin, []string{"TLV_SASL_PASSWORD=" + pass, noAuthFile}, "-once", "-config", conf)
		require.Equal(t, 0, code, errOut)
		require.Less(t, took, 10*time.Second)
		require.Contains(t, out, "libvirt_stats,domain=tlv-run1,")
		require.Contains(t, out, "libvirt_stats,domain=tlv-off,")
		require.NotContains(t, out+errOut, pass)
	})
	t.Run("wrong password", func(t *testing.T) {
		const wrong = "wrong-T3st-pw.x9"
		out, errOut, code, took := runEnv(t, bin, []string{"TLV_SASL_PASSWORD=" + wrong, noAuthFile}, "-once", "-config", conf)
		requireAuthFailed(t, out, errOut, code, took, fmt.Sprintf("E! [inputs.libvirt_stats] Error in plugin: connecting to %q: ", uri))
		require.NotContains(t, out+errOut, wrong)
		require.NotContains(t, out+errOut, pass)
	})
	t.Run("password variable unset", func(t *testing.T) {
		out, errOut, code, took := runEnv(t, bin, []string{"TLV_SASL_PASSWORD=", noAuthFile}, "-once", "-config", conf)
		requireAuthFailed(t, out, errOut, code, took, fmt.Sprintf("E! [inputs.libvirt_stats] Error in plugin: connecting to %q: ", uri))
	})
	t.Run("no credentials", func(t *testing.T) {
		// Nothing may be prompted for on stdout (the line protocol stream)
		// or read from stdin (execd's signal channel).
		out, errOut, code, took := runEnv(t, bin, []string{noAuthFile}, "-once", "-config",
			writeConf(t, fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n", uri)))
		requireAuthFailed(t, out, errOut, code, took, fmt.Sprintf("E! [inputs.libvirt_stats] Error in plugin: connecting to %q: "+
			"the daemon asks for a user name and password (SASL), and username and password are not set: ", uri))
	})
}
