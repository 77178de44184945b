// Package remotetest runs the remote transports the fleet tests need, all
// private to the test that starts them: a certificate authority made with
// certtool, a libvirtd of its own serving libvirt's test driver over TLS, a
// private sshd, and dead endpoints (a blackholed port, a refused one).
// Only tests import it; scripts/remote-deps.sh installs what it runs.
package remotetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// Ports of this package's daemons (the tests' own range, 18500-18599).
const (
	TLSPort = 18500
	SSHPort = 18501
)

// repoFile is a path under the module root, found from this file's path.
func repoFile(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", rel)
}

// NodeXML is the test driver node the private daemon serves.
func NodeXML() string {
	p, _ := filepath.Abs(repoFile("testdata/node-nova.xml"))
	return p
}

// PKI is a directory per client identity, each laid out as libvirt's
// pkipath wants it: cacert.pem, clientcert.pem, clientkey.pem.
type PKI struct {
	Dir        string
	ServerCA   string // the CA the daemon trusts and the server's certificate comes from
	ServerCert string
	ServerKey  string
	Good       string // pkipath: client certificate of the daemon's CA
	OtherCA    string // pkipath: client certificate and CA of another CA: the server's certificate fails
	ForeignCA  string // pkipath: client certificate of another CA, both CAs trusted by the client: the daemon refuses it
	Expired    string // pkipath: client certificate of the daemon's CA, expired in 2020
}

func certtool(t testing.TB, dir string, template string, args ...string) {
	t.Helper()
	tmpl := filepath.Join(dir, "template.info")
	require.NoError(t, os.WriteFile(tmpl, []byte(template), 0o600))
	cmd := exec.Command("certtool", append(args, "--template", tmpl)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "certtool %v: %s (scripts/remote-deps.sh installs gnutls-bin)", args, out)
}

func privkey(t testing.TB, path string) {
	t.Helper()
	out, err := exec.Command("certtool", "--generate-privkey", "--outfile", path).CombinedOutput()
	require.NoError(t, err, "certtool --generate-privkey: %s (scripts/remote-deps.sh installs gnutls-bin)", out)
	require.NoError(t, os.Chmod(path, 0o600))
}

// makeCA makes a self-signed CA in dir (cacert.pem, cakey.pem).
func makeCA(t testing.TB, dir, cn string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	privkey(t, filepath.Join(dir, "cakey.pem"))
	certtool(t, dir, fmt.Sprintf("cn = %s\nca\ncert_signing_key\nexpiration_days = 30\n", cn),
		"--generate-self-signed", "--load-privkey", "cakey.pem", "--outfile", "cacert.pem")
}

// issue makes key and certificate (out-key.pem, out-cert.pem in caDir) signed by caDir's CA.
func issue(t testing.TB, caDir, name, template string) (cert, key string) {
	t.Helper()
	key = filepath.Join(caDir, name+"key.pem")
	cert = filepath.Join(caDir, name+"cert.pem")
	privkey(t, key)
	certtool(t, caDir, template, "--generate-certificate", "--load-privkey", key,
		"--load-ca-certificate", "cacert.pem", "--load-ca-privkey", "cakey.pem", "--outfile", cert)
	return cert, key
}

const clientTemplate = "organization = tlv\ncn = telegraf\ntls_www_client\nencryption_key\nsigning_key\n"

// NewPKI makes the CAs and certificates under dir.
func NewPKI(t testing.TB, dir string) *PKI {
	t.Helper()
	p := &PKI{Dir: dir}
	ca := filepath.Join(dir, "ca")
	other := filepath.Join(dir, "other-ca")
	makeCA(t, ca, "tlv test CA")
	makeCA(t, other, "another CA")
	p.ServerCA = filepath.Join(ca, "cacert.pem")
	// The name is localhost only (no IP address): 127.0.0.1 is the host
	// name that does not match.
	p.ServerCert, p.ServerKey = issue(t, ca, "server",
		"organization = tlv\ncn = localhost\ndns_name = localhost\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n")
	goodCert, goodKey := issue(t, ca, "client", clientTemplate+"expiration_days = 30\n")
	expCert, expKey := issue(t, ca, "expired", clientTemplate+
		"activation_date = \"2019-01-01 00:00:00 UTC\"\nexpiration_date = \"2020-01-01 00:00:00 UTC\"\n")
	otherCert, otherKey := issue(t, other, "client", clientTemplate+"expiration_days = 30\n")
	caPEM := readFile(t, p.ServerCA)
	otherPEM := readFile(t, filepath.Join(other, "cacert.pem"))

	p.Good = pkipath(t, dir, "good", caPEM, goodCert, goodKey)
	p.Expired = pkipath(t, dir, "expired", caPEM, expCert, expKey)
	p.OtherCA = pkipath(t, dir, "other-ca", otherPEM, otherCert, otherKey)
	p.ForeignCA = pkipath(t, dir, "foreign", caPEM+otherPEM, otherCert, otherKey)
	return p
}

func readFile(t testing.TB, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// pkipath lays out one client identity: the CA file world-readable, the
// key 0600, as libvirt's docs ask.
func pkipath(t testing.TB, dir, name, caPEM, cert, key string) string {
	t.Helper()
	d := filepath.Join(dir, "pki-"+name)
	require.NoError(t, os.MkdirAll(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, "cacert.pem"), []byte(caPEM), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(d, "clientcert.pem"), []byte(readFile(t, cert)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(d, "clientkey.pem"), []byte(readFile(t, key)), 0o600))
	return d
}

// Daemon is a private libvirtd: TLS on 127.0.0.1:Port (and plain TCP,
// no authentication, on TCPPort if StartDaemon was given one), UNIX sockets
// in its own directory, no hypervisor driver. It loads no driver module
// (LIBVIRT_DRIVER_DIR is an empty directory), so it never touches the QEMU
// guests of the system libvirtd; it serves libvirt's test driver, which
// lives in libvirt.so itself.
type Daemon struct {
	Dir     string
	Port    int
	TCPPort int // 0: no TCP listener
	PKI     *PKI
	cmd     *exec.Cmd
}

// TLSURI is the test driver node over TLS with the given client identity.
func (d *Daemon) TLSURI(host, pkipath string) string {
	return fmt.Sprintf("test+tls://%s:%d%s?pkipath=%s", host, d.Port, NodeXML(), pkipath)
}

// UnixURI is the same node through the daemon's UNIX socket.
func (d *Daemon) UnixURI() string {
	return fmt.Sprintf("test+unix://%s?socket=%s", NodeXML(), filepath.Join(d.Dir, "sock", "libvirt-sock"))
}

// Socket is the daemon's read-write UNIX socket.
func (d *Daemon) Socket() string { return filepath.Join(d.Dir, "sock", "libvirt-sock") }

// AdminURI is the daemon's admin socket, for virt-admin.
func (d *Daemon) AdminURI() string {
	return "libvirtd:///system?socket=" + filepath.Join(d.Dir, "sock", "libvirt-admin-sock")
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// StartTLSDaemon starts the private libvirtd and stops it when the test
// ends; it fails, never skips, when it cannot.
func StartTLSDaemon(t testing.TB, port int) *Daemon {
	t.Helper()
	return StartDaemon(t, port, 0)
}

// StartDaemon is StartTLSDaemon that also listens on plain TCP (auth
// "none": the tests' loopback only) on tcpPort unless it is 0, so that one
// daemon serves the same node over unix, tcp and tls.
func StartDaemon(t testing.TB, port, tcpPort int) *Daemon {
	t.Helper()
	dir, err := lab.TempDir("tls-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &Daemon{Dir: dir, Port: port, TCPPort: tcpPort, PKI: NewPKI(t, filepath.Join(dir, "pki"))}
	for _, sub := range []string{"sock", "nodrv"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
	}
	tcp := "listen_tcp = 0\n"
	if tcpPort != 0 {
		requireFree(t, tcpPort)
		tcp = fmt.Sprintf("listen_tcp = 1\ntcp_port = \"%d\"\nauth_tcp = \"none\"\n", tcpPort)
	}
	conf := filepath.Join(dir, "libvirtd.conf")
	require.NoError(t, os.WriteFile(conf, []byte(tcp+fmt.Sprintf(`listen_tls = 1
listen_addr = "127.0.0.1"
tls_port = "%d"
auth_tls = "none"
key_file = %q
cert_file = %q
ca_file = %q
unix_sock_dir = %q
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:%s"
`, port, d.PKI.ServerKey, d.PKI.ServerCert, d.PKI.ServerCA, filepath.Join(dir, "sock"), filepath.Join(dir, "libvirtd.log"))), 0o600))

	requireFree(t, port)
	d.cmd = exec.Command("libvirtd", "--listen", "--config", conf, "--pid-file", filepath.Join(dir, "libvirtd.pid"))
	d.cmd.Env = append(os.Environ(), "LIBVIRT_DRIVER_DIR="+filepath.Join(dir, "nodrv"))
	log := filepath.Join(dir, "stderr.log")
	exited := startInHostNode(t, d.cmd, log, "libvirtd (make lab installs it)")
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-exited
		}
	})
	sock := filepath.Join(dir, "sock", "libvirt-sock")
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, serr := os.Stat(sock)
		c, derr := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if derr == nil {
			c.Close()
		}
		if serr == nil && derr == nil {
			return d
		}
		select {
		case <-exited:
			t.Fatalf("private libvirtd exited: %s", readFile(t, log))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("private libvirtd not listening on %d after 20 s: %s", port, readFile(t, log))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startInHostNode starts a daemon's cmd inside the lab's host node
// (lab.InNode), its output to logPath, in a process group of its own (a ^C
// at the terminal reaches the test, which stops it). The channel closes
// once the daemon has exited and its log is closed.
func startInHostNode(t testing.TB, cmd *exec.Cmd, logPath, what string) <-chan struct{} {
	t.Helper()
	lab.InNode(t, cmd, lab.Host)
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start(), what)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	return exited
}

func requireFree(t testing.TB, port int) {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err, "port %d is taken (an earlier run's daemon still up?)", port)
	l.Close()
}

// Clients is the number of clients the daemon serves now (virt-admin
// srv-clients-list on its admin socket).
func (d *Daemon) Clients(t testing.TB) int {
	t.Helper()
	out, err := exec.Command("virt-admin", "-c", d.AdminURI(), "srv-clients-list", "libvirtd").CombinedOutput()
	require.NoError(t, err, "virt-admin: %s", out)
	return countRows(string(out))
}

// countRows counts the table rows below virt-admin's dashed separator.
func countRows(out string) int {
	n, body := 0, false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "---"):
			body = true
		case body && strings.TrimSpace(line) != "":
			n++
		}
	}
	return n
}
