package virshtest

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// SASLAddr is where the lab's libvirtd (scripts/hypervisor-up.sh) listens for SASL
// logins (auth_tcp = "sasl").
const SASLAddr = "127.0.0.1:16509"

// saslEnvFile is testdata/sasl.env at the module root, found from this
// file's path so that it does not depend on the test's directory.
func saslEnvFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "sasl.env")
}

// SASL reads testdata/sasl.env (the test-only SASL user that
// scripts/hypervisor-up.sh creates) and fails, never skips, when libvirtd's
// SASL listener is not reachable.
func SASL(t testing.TB) (uri, user, pass string) {
	t.Helper()
	f, err := os.Open(saslEnvFile())
	require.NoError(t, err)
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			kv[k] = v
		}
	}
	require.NoError(t, sc.Err())
	uri, user, pass = kv["TLV_SASL_URI"], kv["TLV_SASL_USERNAME"], kv["TLV_SASL_PASSWORD"]
	require.NotEmpty(t, uri)
	require.NotEmpty(t, user)
	require.NotEmpty(t, pass)
	lab.RequireNetns(t)
	conn, err := net.DialTimeout("tcp", SASLAddr, 3*time.Second)
	require.NoError(t, err, "the lab's libvirtd does not listen on "+SASLAddr+": run make lab")
	conn.Close()
	return uri, user, pass
}
