package hostguard

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// StandIn is the host libvirtd Before started where there was none, and
// what it added to the host, so that After can take all of it away.
type StandIn struct {
	PID         int      `json:"pid"`
	Domain      string   `json:"domain"`
	CreatedUser bool     `json:"created_user"`
	Existing    []string `json:"existing"` // paths under standInRoots before it started
}

// standInRoots are where a libvirtd started with the host's configuration
// writes; what it creates there is removed again.
var standInRoots = []string{"/etc/libvirt", "/etc/sasl2", "/var/lib/libvirt", "/var/log/libvirt",
	"/var/cache/libvirt", "/run/libvirt", "/run/libvirtd.pid"}

const standInDomain = "tlv-host-standin"

// A domain of the host's, defined, never started: the lab must not see it,
// list it or change it.
const standInXML = `<domain type='qemu'>
  <name>` + standInDomain + `</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
`

func existingPaths() []string {
	var paths []string
	for _, root := range standInRoots {
		_ = filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
			if err == nil {
				paths = append(paths, path)
			}
			return nil
		})
	}
	return paths
}

// StartStandIn starts libvirtd in this (the host's) namespace with the
// host's configuration and defines one domain in it.
func StartStandIn() (*StandIn, error) {
	s := &StandIn{Domain: standInDomain, Existing: existingPaths()}
	// libvirt's QEMU driver does not load without its user, which the
	// distribution's libvirt-daemon-system would have created.
	if exec.Command("getent", "passwd", "libvirt-qemu").Run() != nil {
		for _, args := range [][]string{
			{"groupadd", "--system", "libvirt-qemu"},
			{"useradd", "--system", "-g", "libvirt-qemu", "-M", "-d", "/var/lib/libvirt", "-s", "/usr/sbin/nologin", "libvirt-qemu"},
		} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				return s, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
			}
		}
		s.CreatedUser = true
	}
	cmd := exec.Command("libvirtd", "-d")
	cmd.Env = append(os.Environ(), "LIBVIRT_LOG_OUTPUTS=3:stderr")
	if out, err := cmd.CombinedOutput(); err != nil {
		return s, fmt.Errorf("libvirtd -d: %w\n%s", err, out)
	}
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s.PID = HostLibvirtd(); s.PID == 0 {
			continue
		}
		if _, err = virsh("version"); err == nil {
			break
		}
	}
	if s.PID == 0 || err != nil {
		return s, fmt.Errorf("the stand-in libvirtd does not answer on qemu:///system: %w", err)
	}
	f, err := os.CreateTemp("", "tlv-standin-*.xml")
	if err != nil {
		return s, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(standInXML); err != nil {
		return s, err
	}
	f.Close()
	if _, err := virsh("define", f.Name()); err != nil {
		return s, err
	}
	return s, nil
}

// Stop undefines the stand-in's domain, stops it and removes what it
// created on the host.
func (s *StandIn) Stop() error {
	var errs []string
	if _, err := virsh("undefine", "--", s.Domain); err != nil {
		errs = append(errs, err.Error())
	}
	if s.PID != 0 {
		_ = syscall.Kill(s.PID, syscall.SIGTERM)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && HostLibvirtd() == s.PID; {
			time.Sleep(100 * time.Millisecond)
		}
		if HostLibvirtd() == s.PID {
			_ = syscall.Kill(s.PID, syscall.SIGKILL)
		}
	}
	before := map[string]bool{}
	for _, p := range s.Existing {
		before[p] = true
	}
	added := []string{}
	for _, p := range existingPaths() {
		if !before[p] {
			added = append(added, p)
		}
	}
	// deepest first, so that a directory is empty when its turn comes
	sort.Sort(sort.Reverse(sort.StringSlice(added)))
	for _, p := range added {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if s.CreatedUser {
		for _, args := range [][]string{{"userdel", "libvirt-qemu"}, {"groupdel", "libvirt-qemu"}} {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil &&
				!strings.Contains(string(out), "does not exist") {
				errs = append(errs, fmt.Sprintf("%s: %v: %s", strings.Join(args, " "), err, out))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing the stand-in libvirtd: %s", strings.Join(errs, "; "))
	}
	return nil
}
