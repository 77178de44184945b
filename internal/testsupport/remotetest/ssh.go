package remotetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// SSHD is a private sshd on 127.0.0.1:Port: its own host key and config,
// public key authentication for root only, with the client's key in
// KeyFile and a known_hosts file (KnownHosts) that holds the host key.
type SSHD struct {
	Dir        string
	Port       int
	KeyFile    string
	KnownHosts string
	// SSHCommand is an ssh wrapper that reads KnownHosts instead of the
	// user's ~/.ssh/known_hosts (libvirt's command= parameter).
	SSHCommand string
	cmd        *exec.Cmd
	exited     <-chan struct{}
}

func sshKeygen(t testing.TB, path string) {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput()
	require.NoError(t, err, "ssh-keygen: %s", out)
}

// StartSSHD starts the sshd; it is stopped when the test ends (Stop stops
// it earlier).
func StartSSHD(t testing.TB, port int) *SSHD {
	t.Helper()
	dir := lab.TestTempDir(t, "sshd-")
	s := &SSHD{Dir: dir, Port: port, KeyFile: filepath.Join(dir, "client"),
		KnownHosts: filepath.Join(dir, "known_hosts"), SSHCommand: filepath.Join(dir, "ssh-known-hosts")}
	hostKey := filepath.Join(dir, "hostkey")
	sshKeygen(t, hostKey)
	sshKeygen(t, s.KeyFile)
	pub, err := os.ReadFile(s.KeyFile + ".pub")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600))
	hostPub, err := os.ReadFile(hostKey + ".pub")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(s.KnownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostPub)), 0o644))
	require.NoError(t, os.WriteFile(s.SSHCommand, []byte(fmt.Sprintf("#!/bin/sh\nexec ssh -o UserKnownHostsFile=%s \"$@\"\n", s.KnownHosts)), 0o755))
	conf := filepath.Join(dir, "sshd_config")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
`, port, hostKey, filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"))), 0o600))
	// sshd's privilege separation directory, in the /run of the lab's host
	// node: the sshd runs in that node's mount namespace, so that a
	// qemu+ssh:// client reaches the lab's libvirtd, never the host's.
	require.NoError(t, os.MkdirAll(filepath.Join(lab.RunDir(lab.Host), "sshd"), 0o755))
	requireFree(t, port)
	s.cmd = exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	log := filepath.Join(dir, "sshd.log")
	s.exited = startInHostNode(t, s.cmd, log, "sshd (scripts/remote-deps.sh installs openssh-server)")
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for !listening(port) {
		select {
		case <-s.exited:
			t.Fatalf("sshd exited: %s", readFile(t, log))
		default:
		}
		require.True(t, time.Now().Before(deadline), "sshd not listening on %d after 10 s", port)
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// Pid is the sshd's process id (the listener; each session is a child).
func (s *SSHD) Pid() int { return s.cmd.Process.Pid }

// Stop ends the sshd (its sessions, children of its process group, too).
func (s *SSHD) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	<-s.exited
}

func listening(port int) bool {
	c, err := netDial(port)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
