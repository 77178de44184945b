// Package hostguard proves that the lab leaves the host's libvirt alone:
// a snapshot before the suites (checksums of /etc/libvirt and /etc/sasl2,
// the host libvirtd's pid, its listening sockets and its domains) must
// equal one taken after. Where the host runs no libvirtd, Before starts a
// stand-in with the host's own configuration and one domain defined in
// it, so that there is something to leave alone; After removes both.
package hostguard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/procs"
)

// Watched are the directories whose every file is checksummed.
var Watched = []string{"/etc/libvirt", "/etc/sasl2"}

// Snapshot is what the lab must not change on the host.
type Snapshot struct {
	Files    map[string]string `json:"files"` // path -> mode and sha256 (or "dir")
	PID      int               `json:"libvirtd_pid"`
	Sockets  []string          `json:"libvirtd_sockets"`
	Domains  []string          `json:"domains"` // "name state", sorted
	StandIn  *StandIn          `json:"stand_in,omitempty"`
	TakenAt  time.Time         `json:"taken_at"`
	HostMnt  string            `json:"host_mnt_ns"`
	HostNet  string            `json:"host_net_ns"`
	Problems []string          `json:"problems,omitempty"`
}

// Take reads the host's state as this process sees it: run it in the
// host's mount and network namespaces, never in the lab's.
func Take() (*Snapshot, error) {
	s := &Snapshot{Files: map[string]string{}, TakenAt: time.Now().UTC()}
	s.HostMnt, _ = os.Readlink("/proc/self/ns/mnt")
	s.HostNet, _ = os.Readlink("/proc/self/ns/net")
	for _, dir := range Watched {
		if err := sumTree(dir, s.Files); err != nil {
			return nil, err
		}
	}
	s.PID = HostLibvirtd()
	if s.PID != 0 {
		var err error
		if s.Sockets, err = listeningSockets(s.PID); err != nil {
			return nil, err
		}
		if s.Domains, err = domains(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func sumTree(root string, into map[string]string) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			into[path] = info.Mode().String() + " dir"
			return nil
		}
		if !info.Mode().IsRegular() {
			into[path] = info.Mode().String()
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		into[path] = info.Mode().String() + " " + hex.EncodeToString(sum[:])
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		into[root] = "absent"
		return nil
	}
	return err
}

// HostLibvirtd is the pid of the libvirtd of this mount namespace (from
// /run/libvirtd.pid, else a scan), or 0.
func HostLibvirtd() int {
	self, _ := os.Readlink("/proc/self/ns/mnt")
	ours := func(pid int) bool {
		mnt, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
		return procs.Named(pid, "libvirtd") && mnt == self
	}
	if pid, err := procs.ReadPIDFile("/run/libvirtd.pid"); err == nil && ours(pid) {
		return pid
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && ours(pid) {
			return pid
		}
	}
	return 0
}

// listeningSockets are the TCP listeners and UNIX sockets the process has
// open, as "tcp ADDR:PORT" and "unix PATH".
func listeningSockets(pid int) ([]string, error) {
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, proto := range []string{"tcp", "tcp6"} {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			f := strings.Fields(line)
			// sl local rem st ... inode: state 0A is LISTEN
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] {
				out = append(out, proto+" "+f[1])
			}
		}
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		// Num RefCount Protocol Flags Type St Inode Path; flags 00010000 is listening
		if len(f) > 7 && f[3] == "00010000" && inodes[f[6]] {
			out = append(out, "unix "+f[7])
		}
	}
	sort.Strings(out)
	return out, nil
}

func virsh(args ...string) (string, error) {
	cmd := exec.Command("virsh", append([]string{"-q", "-c", "qemu:///system"}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("virsh %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func domains() ([]string, error) {
	out, err := virsh("list", "--all", "--name")
	if err != nil {
		return nil, err
	}
	var doms []string
	for _, name := range strings.Fields(out) {
		state, err := virsh("domstate", "--", name)
		if err != nil {
			return nil, err
		}
		doms = append(doms, name+" "+strings.TrimSpace(state))
	}
	sort.Strings(doms)
	return doms, nil
}

// Diff lists what differs between two snapshots, empty when nothing does.
func Diff(before, after *Snapshot) []string {
	var d []string
	keys := map[string]bool{}
	for k := range before.Files {
		keys[k] = true
	}
	for k := range after.Files {
		keys[k] = true
	}
	var paths []string
	for k := range keys {
		paths = append(paths, k)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if b, a := before.Files[p], after.Files[p]; a != b {
			d = append(d, fmt.Sprintf("%s: %q before, %q after", p, orNone(b), orNone(a)))
		}
	}
	if before.PID != after.PID {
		d = append(d, fmt.Sprintf("host libvirtd: pid %d before, %d after", before.PID, after.PID))
	}
	if b, a := strings.Join(before.Sockets, ", "), strings.Join(after.Sockets, ", "); a != b {
		d = append(d, fmt.Sprintf("host libvirtd's listening sockets: [%s] before, [%s] after", b, a))
	}
	if b, a := strings.Join(before.Domains, ", "), strings.Join(after.Domains, ", "); a != b {
		d = append(d, fmt.Sprintf("host libvirtd's domains: [%s] before, [%s] after", b, a))
	}
	return d
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
