//go:build cgo && linux && qemu

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/remotetest"
)

// Ports of the private daemons of BenchmarkTransport and
// TestLibsshWithinDefaultTimeout (apart from the tests' 18500s and e2e's
// 18510s, so that they can run beside them).
const (
	benchTLSPort = 18520
	benchTCPPort = 18521
	benchSSHPort = 18522
)

// privateRemote is a private libvirtd (test driver; unix, tcp and tls) and
// a private sshd in front of its socket: the far side's netcat is
// unixrelay, since virt-ssh-helper only reaches the system daemon.
type privateRemote struct {
	d     *remotetest.Daemon
	s     *remotetest.SSHD
	dir   string
	relay string
}

func startPrivateRemote(t testing.TB, prefix string) *privateRemote {
	t.Helper()
	r := &privateRemote{d: remotetest.StartDaemon(t, benchTLSPort, benchTCPPort), s: remotetest.StartSSHD(t, benchSSHPort),
		dir: lab.TestTempDir(t, prefix)}
	r.relay = filepath.Join(r.dir, "unixrelay")
	out, err := exec.Command("go", "build", "-o", r.relay, "../../internal/testsupport/remotetest/cmd/unixrelay").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return r
}

// node writes a test-driver node of n domains and returns its path.
func (r *privateRemote) node(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(r.dir, fmt.Sprintf("node-%d.xml", n))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, nodexml.Write(f, n))
	require.NoError(t, f.Close())
	return path
}

// sshURI and libsshURI are scheme+ssh:// and scheme+libssh:// of path
// through the private sshd; viaRelay appends what reaches the private
// daemon's socket from there.
func (r *privateRemote) sshURI(scheme, path string) string {
	return fmt.Sprintf("%s+ssh://root@127.0.0.1:%d%s?keyfile=%s&no_tty=1&command=%s",
		scheme, r.s.Port, path, r.s.KeyFile, r.s.SSHCommand)
}

func (r *privateRemote) libsshURI(scheme, path string) string {
	return fmt.Sprintf("%s+libssh://root@127.0.0.1:%d%s?keyfile=%s&known_hosts=%s&sshauth=privkey",
		scheme, r.s.Port, path, r.s.KeyFile, r.s.KnownHosts)
}

func (r *privateRemote) viaRelay() string {
	return fmt.Sprintf("&proxy=netcat&netcat=%s&socket=%s", r.relay, r.d.Socket())
}
