package bootguest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// URI is the hypervisor the guest runs on: the one of the tlv-* guests.
var URI = lab.HostURI()

// NamePrefix starts every boot-sector guest's name. Not "tlv-": the tests
// that count the tlv-* guests must not see it.
const NamePrefix = "tlvd-boot-"

// imageDir holds the guests' disks: the lab's image directory.
var imageDir = lab.ImageDir()

// domain is the boot-sector guest: a transient domain like the tlv-* ones
// (TCG, machine pc, 16 MiB, one vCPU, virtio disk and balloon) that boots
// its raw disk.
func domain(name, image string) Domain {
	return Domain{Name: name, MemoryMiB: 16, VCPUs: 1, Disk: image, DiskFormat: "raw", OnReboot: "destroy"}
}

// Guest is a running boot-sector guest.
type Guest struct {
	Name  string
	UUID  string
	image string
}

// Start creates a transient boot-sector guest named NamePrefix + the
// test process's pid, waits until its disk has been read a few times,
// and destroys it and its disk at the test's cleanup.
func Start(t testing.TB) *Guest {
	t.Helper()
	g, err := start(NamePrefix + strconv.Itoa(os.Getpid()))
	if g != nil {
		t.Cleanup(func() {
			if err := g.Stop(); err != nil {
				t.Errorf("removing boot-sector guest %s: %v", g.Name, err)
			}
		})
	}
	if err != nil {
		t.Fatalf("boot-sector guest: %v", err)
	}
	return g
}

func start(name string) (*Guest, error) {
	if err := os.MkdirAll(imageDir, 0o755); err != nil {
		return nil, err
	}
	g := &Guest{Name: name, image: filepath.Join(imageDir, name+".raw")}
	// A guest of this name left by a killed test run goes first.
	_, _ = virsh("destroy", name)
	if err := WriteImage(g.image); err != nil {
		return nil, err
	}
	b, err := domain(name, g.image).XML()
	if err != nil {
		return g, err
	}
	xml := filepath.Join(os.TempDir(), name+".xml")
	if err := os.WriteFile(xml, b, 0o644); err != nil {
		return g, err
	}
	defer os.Remove(xml)
	if out, err := virsh("create", xml); err != nil {
		return g, fmt.Errorf("virsh create: %w: %s", err, out)
	}
	out, err := virsh("domuuid", name)
	if err != nil {
		return g, err
	}
	g.UUID = strings.TrimSpace(string(out))
	// The BIOS takes a moment under TCG to find and run the sector.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := g.Reads()
		if err == nil && n >= 5 {
			return g, nil
		}
		if time.Now().After(deadline) {
			//nolint:errorlint // err is the last read's error, often nil: context for the message, not its cause
			return g, fmt.Errorf("%s: block.0.rd.reqs is %d after 30 s (%v): the boot sector does not run", name, n, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Reads is the guest's block.0.rd.reqs now, from virsh.
func (g *Guest) Reads() (uint64, error) {
	out, err := virsh("domstats", "--block", g.Name)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "block.0.rd.reqs="); ok {
			return strconv.ParseUint(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no block.0.rd.reqs in %q", out)
}

// Stop destroys the guest (a transient domain is then gone) and removes
// its disk.
func (g *Guest) Stop() error {
	out, err := virsh("destroy", g.Name)
	if err != nil && !bytes.Contains(out, []byte("failed to get domain")) && !bytes.Contains(out, []byte("not running")) {
		return fmt.Errorf("virsh destroy: %w: %s", err, out)
	}
	if err := os.Remove(g.image); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func virsh(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "virsh", append([]string{"-c", URI}, args...)...)
	cmd.Env = childEnv()
	return cmd.CombinedOutput()
}

// childEnv is this process's environment without a LIBVIRT_LOG_OUTPUTS
// that names one of its own file descriptors (/proc/self/fd/N: the plugin
// routes libvirt's log to a pipe that way): in virsh that path is another
// file or none, and libvirt fails to initialize.
func childEnv() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LIBVIRT_LOG_OUTPUTS="); ok && strings.Contains(v, "/proc/self/fd/") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// RequirePace fails the test unless readsPerSecond, the rate of
// block.0.rd.reqs a test measured, is one the guest can read at.
func RequirePace(t testing.TB, readsPerSecond float64) {
	t.Helper()
	if readsPerSecond < MinReadsPerSecond || readsPerSecond > MaxReadsPerSecond {
		t.Fatalf("boot-sector guest: %.2f reads/s, want %.1f to %.1f (the timer's %.1f, fewer on a busy host)",
			readsPerSecond, MinReadsPerSecond, MaxReadsPerSecond, ReadsPerSecond)
	}
}
