//go:build cgo && linux && qemu

package libvirt_stats

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// The SASL listener that scripts/hypervisor-up.sh sets up: libvirtd on
// TCP 127.0.0.1:16509, auth_tcp = "sasl", a test-only user from
// testdata/sasl.env.

const saslWrongPassword = "wrong-T3st-pw.x9"

type saslCreds struct{ uri, user, pass string }

// saslTestCreds reads testdata/sasl.env and fails (never skips) when the
// SASL listener is not reachable.
func saslTestCreds(t *testing.T) saslCreds {
	t.Helper()
	var c saslCreds
	c.uri, c.user, c.pass = virshtest.SASL(t)
	// libvirt fills in SASL answers from an auth.conf before it asks the
	// callback: an empty one, so none of the machine's counts. (Not a
	// missing one: libvirt then fails with "An error occurred, but the
	// cause is unknown".)
	empty := t.TempDir() + "/auth.conf"
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("LIBVIRT_AUTH_FILE", empty)
	return c
}

// secret makes a config.Secret from a copy of s (NewSecret wipes its input).
func secret(s string) config.Secret {
	return config.NewSecret([]byte(s))
}

// requireNotLogged fails if any logged message holds one of the secrets.
func requireNotLogged(t *testing.T, log *testutil.CaptureLogger, secrets ...string) {
	t.Helper()
	for _, m := range log.Messages() {
		for _, s := range secrets {
			require.NotContains(t, m.String(), s, "secret logged")
		}
	}
}

// gatherOnce runs Init and one Gather within 10 s and returns the
// accumulator. The caller stops p: not on timeout, when Stop would wait for
// the gather that hangs.
func gatherOnce(t *testing.T, p *LibvirtStats) *testutil.Accumulator {
	t.Helper()
	require.NoError(t, p.Init())
	acc := &testutil.Accumulator{}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- p.Gather(acc) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("gather still running after 10 s")
	}
	t.Logf("gather took %s", time.Since(start).Round(time.Millisecond))
	return acc
}

func TestSASLAuthRightPassword(t *testing.T) {
	c := saslTestCreds(t)
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprintf("read_only=%v", ro), func(t *testing.T) {
			log := &testutil.CaptureLogger{Name: "inputs.libvirt_stats"}
			p := newPlugin(t, c.uri)
			p.Log = log
			p.ReadOnly = ro
			p.Username = secret(c.user)
			p.Password = secret(c.pass)
			acc := gatherOnce(t, p)
			defer p.Stop()
			require.Empty(t, acc.Errors)
			require.Subset(t, names(acc.GetTelegrafMetrics()),
				[]string{"tlv-run1", "tlv-run2", "tlv-run3", "tlv-paused", "tlv-off", `tlv-odd name,a=b\c`})

			// The connection is kept: a second gather needs no new login.
			acc = &testutil.Accumulator{}
			require.NoError(t, p.Gather(acc))
			require.Empty(t, acc.Errors)
			require.Equal(t, 1, p.pool.opens)
			requireNotLogged(t, log, c.pass)
		})
	}
}

func TestSASLAuthWrongPassword(t *testing.T) {
	c := saslTestCreds(t)
	log := &testutil.CaptureLogger{Name: "inputs.libvirt_stats"}
	p := newPlugin(t, c.uri)
	p.Log = log
	p.Username = secret(c.user)
	p.Password = secret(saslWrongPassword)
	// Every gather tries again and fails the same way, quickly.
	require.NoError(t, p.Init())
	t.Cleanup(p.Stop)
	for range 2 {
		acc := &testutil.Accumulator{}
		start := time.Now()
		require.NoError(t, p.Gather(acc))
		require.Less(t, time.Since(start), 10*time.Second)
		require.Empty(t, acc.GetTelegrafMetrics())
		require.Len(t, acc.Errors, 1)
		err := acc.Errors[0]
		t.Logf("error: %v", err)
		require.Contains(t, err.Error(), fmt.Sprintf("connecting to %q", c.uri))
		require.Contains(t, err.Error(), "authentication failed")
		var lerr libvirt.Error
		require.True(t, errors.As(err, &lerr))
		require.Equal(t, libvirt.ERR_AUTH_FAILED, lerr.Code)
		require.NotContains(t, err.Error(), saslWrongPassword)
		require.NotContains(t, err.Error(), c.pass)
	}
	requireNotLogged(t, log, saslWrongPassword, c.pass)
}

func TestSASLAuthWrongUser(t *testing.T) {
	c := saslTestCreds(t)
	p := newPlugin(t, c.uri)
	p.Username = secret("tlv-nobody")
	p.Password = secret(c.pass)
	acc := gatherOnce(t, p)
	defer p.Stop()
	require.Len(t, acc.Errors, 1)
	require.Contains(t, acc.Errors[0].Error(), "authentication failed")
	require.NotContains(t, acc.Errors[0].Error(), c.pass)
}

// withStdinPipe gives the process, for the test, a stdin that is open but
// never delivers a byte: what Telegraf's execd hands its plugin. A prompt
// reading stdin would block on it for good.
func withStdinPipe(t *testing.T) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved, err := syscall.Dup(0)
	require.NoError(t, err)
	require.NoError(t, syscall.Dup3(int(r.Fd()), 0, 0))
	t.Cleanup(func() {
		_ = syscall.Dup3(saved, 0, 0)
		syscall.Close(saved)
		r.Close()
		w.Close()
	})
}

func TestSASLAuthNoCredentials(t *testing.T) {
	c := saslTestCreds(t)
	withStdinPipe(t)
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprintf("read_only=%v", ro), func(t *testing.T) {
			p := newPlugin(t, c.uri)
			p.ReadOnly = ro
			acc := gatherOnce(t, p)
			defer p.Stop()
			require.Empty(t, acc.GetTelegrafMetrics())
			require.Len(t, acc.Errors, 1)
			msg := acc.Errors[0].Error()
			t.Logf("error: %s", msg)
			require.Contains(t, msg, fmt.Sprintf("connecting to %q: the daemon asks for a user name and password (SASL), "+
				"and username and password are not set: ", c.uri))
			require.Contains(t, msg, "authentication failed")
		})
	}
}

// With no credentials in the config, libvirt still reads its auth.conf
// (LIBVIRT_AUTH_FILE, ~/.config/libvirt/auth.conf, /etc/libvirt/auth.conf).
func TestSASLAuthFromLibvirtAuthConf(t *testing.T) {
	c := saslTestCreds(t)
	authConf := t.TempDir() + "/auth.conf"
	require.NoError(t, os.WriteFile(authConf, []byte(fmt.Sprintf(
		"[credentials-tlv]\nauthname=%s\npassword=%s\n\n[auth-libvirt-127.0.0.1]\ncredentials=tlv\n", c.user, c.pass)), 0o600))
	t.Setenv("LIBVIRT_AUTH_FILE", authConf)
	withStdinPipe(t)
	p := newPlugin(t, c.uri)
	acc := gatherOnce(t, p)
	defer p.Stop()
	require.Empty(t, acc.Errors)
	require.Contains(t, names(acc.GetTelegrafMetrics()), "tlv-run1")
}
