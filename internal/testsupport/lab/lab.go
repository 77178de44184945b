// Package lab is how tests reach the test lab of scripts/lab.sh: libvirt
// daemons of their own, in mount namespaces of their own, inside one
// network namespace, with every file under one directory. Tests name a
// node's URI, pid files and logs through this package, never the host's
// /run/libvirt or qemu:///system, and never a script by relative path.
package lab

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/procs"
)

// DefaultDir is the lab's directory unless TLV_LAB_DIR names another.
const DefaultDir = "/var/tmp/telegraf-libvirt-lab"

// Host is the node that runs this machine's own libvirtd binary, with the
// tlv-* test domains of testdata/qemu.
const Host = "host"

// Dir is the lab's directory.
func Dir() string {
	if d := os.Getenv("TLV_LAB_DIR"); d != "" {
		return d
	}
	return DefaultDir
}

// NodeDir is where a node keeps its state; its run/ is the node's /run.
func NodeDir(node string) string { return filepath.Join(Dir(), "nodes", node) }

// RunDir is the node's /run as seen from outside the node.
func RunDir(node string) string { return filepath.Join(NodeDir(node), "run") }

// Socket is the path of a node's libvirtd socket, read-only or read-write.
func Socket(node string, readOnly bool) string {
	s := "libvirt-sock"
	if readOnly {
		s = "libvirt-sock-ro"
	}
	return filepath.Join(RunDir(node), "libvirt", s)
}

// URI is the qemu:///system URI of a node's libvirtd, by its socket (the
// path as it is where it needs no escaping, as scripts/lab.sh uri prints it).
func URI(node string, readOnly bool) string {
	sock := Socket(node, readOnly)
	if strings.Trim(sock, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") != "" {
		sock = url.QueryEscape(sock)
	}
	return "qemu+unix:///system?socket=" + sock
}

// HostURI is the host node's read-write URI.
func HostURI() string { return URI(Host, false) }

// HostROURI is the host node's read-only URI.
func HostROURI() string { return URI(Host, true) }

// DomainPIDFile is the pid file of a running domain's QEMU.
func DomainPIDFile(node, domain string) string {
	return filepath.Join(RunDir(node), "libvirt", "qemu", domain+".pid")
}

// LibvirtdPIDFile is the node's libvirtd pid file.
func LibvirtdPIDFile(node string) string { return filepath.Join(RunDir(node), "libvirtd.pid") }

// LogDir is the node's /var/log/libvirt (libvirtd.log, qemu/NAME.log).
func LogDir(node string) string {
	return filepath.Join(NodeDir(node), "state", "var", "log", "libvirt")
}

// RequirePID is the number in a pid file, or fails the test.
func RequirePID(t testing.TB, file string) int {
	t.Helper()
	pid, err := procs.ReadPIDFile(file)
	if err != nil {
		t.Fatalf("no pid (is the lab up? make lab): %v", err)
	}
	return pid
}

// Script is scripts/lab.sh of this checkout.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "lab.sh")
}

// Require fails the test, with what to run, when the node does not answer
// on its socket.
func Require(t testing.TB, node string) {
	t.Helper()
	if _, err := os.Stat(Socket(node, true)); err != nil {
		t.Fatalf("the lab's node %q is not up (run `make lab` as root): %v", node, err)
	}
}

// Up starts the lab if it is not running (scripts/lab.sh up) and returns
// the host node's read-only URI.
func Up() (string, error) {
	cmd := exec.Command(Script(), "up")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/lab.sh up: %w\n%s", err, stderr.String())
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "LAB_URI="), nil
}

// RestartLibvirtd stops the node's libvirtd and starts it again (its
// guests keep running), as scripts/lab.sh restart-libvirtd does.
func RestartLibvirtd(t testing.TB, node string) {
	t.Helper()
	out, err := exec.Command(Script(), "restart-libvirtd", node).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/lab.sh restart-libvirtd %s: %v\n%s", node, err, out)
	}
}

// NodeCommand runs a command inside the node's mount and network
// namespaces, where /run/libvirt, /etc/libvirt and qemu:///system are the
// node's: for what must use libvirt's default paths (an installed
// package's configuration).
func NodeCommand(node, name string, args ...string) *exec.Cmd {
	return exec.Command(Script(), append([]string{"node-exec", node, "--", name}, args...)...)
}

// holderPID is the pid of a namespace's holder (`sleep infinity`) from its
// pid file; a pid file that outlived its process, its number reused by
// another, is no holder.
func holderPID(file string) (int, error) {
	pid, err := procs.FromFile(file, "sleep")
	if err != nil {
		return 0, fmt.Errorf("%w: not the lab's namespace holder (is the lab up? make lab)", err)
	}
	return pid, nil
}

// InNetns tells whether this process runs in the lab's network namespace
// (where the TCP endpoints of the lab are), as `scripts/lab.sh exec` and
// `make test` run the tests.
func InNetns() bool {
	holder, err := holderPID(filepath.Join(Dir(), "netns.pid"))
	if err != nil {
		return false
	}
	theirs, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", holder))
	ours, err2 := os.Readlink("/proc/self/ns/net")
	return err1 == nil && err2 == nil && theirs == ours
}

// RequireNetns fails the test when it does not run in the lab's network
// namespace: the lab's TCP listeners (SASL on 127.0.0.1:16509) are there.
func RequireNetns(t testing.TB) {
	t.Helper()
	if !InNetns() {
		t.Fatal("this test needs the lab's network namespace: run it as `scripts/lab.sh exec -- go test ...` (make test does)")
	}
}

// InNode makes cmd start inside the node's mount namespace (its network
// namespace stays the caller's): a daemon a test starts there, an sshd or
// a private libvirtd, sees the node's /run/libvirt and /etc/libvirt, never
// the host's. nsenter execs the command, so cmd's process is the daemon.
func InNode(t testing.TB, cmd *exec.Cmd, node string) {
	t.Helper()
	holder, err := holderPID(filepath.Join(NodeDir(node), "ns.pid"))
	if err != nil {
		t.Fatal(err)
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Fatalf("nsenter (util-linux): %v", err)
	}
	cmd.Args = append([]string{"nsenter", "-t", strconv.Itoa(holder), "--mount", "--", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = nsenter
}

// ImageDir holds the disks of guests that tests create: under the lab's
// directory, the same path inside a node and outside it (a node's
// /var/lib/libvirt is not the host's).
func ImageDir() string { return filepath.Join(Dir(), "images") }

// TempDir is a new directory under the lab's tmp/ for a daemon's data,
// configuration and log (InfluxDB, Prometheus), so that everything the
// tests run lives under the lab's directory.
func TempDir(prefix string) (string, error) {
	root := filepath.Join(Dir(), "tmp")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(root, prefix)
}

// TestTempDir is TempDir, removed when the test ends.
func TestTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := TempDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// RootNode is a node of the version matrix: the libvirtd and QEMU of a
// Debian root of scripts/roots.sh (scripts/lab.sh up-roots).
type RootNode struct {
	Name  string // v7.0, v11.3, v12.8
	Suite string // bullseye, trixie, sid
	Root  string // the root's directory
}

// RootNodes are the root nodes scripts/lab.sh knows (up or not).
func RootNodes() ([]RootNode, error) {
	out, err := exec.Command(Script(), "root-nodes").Output()
	if err != nil {
		return nil, fmt.Errorf("scripts/lab.sh root-nodes: %w", err)
	}
	var nodes []RootNode
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("scripts/lab.sh root-nodes: line %q is not NODE SUITE ROOT", line)
		}
		nodes = append(nodes, RootNode{Name: f[0], Suite: f[1], Root: f[2]})
	}
	return nodes, nil
}
