package linuxguest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config says where Up puts the guests.
type Config struct {
	CacheDir  string // the kernel and initramfs
	ImagesDir string // the disks, console logs and the XML defined
	URI       string // a read-write libvirt URI
	// Guests are the guests to bring up; nil: Guests (the host node's).
	Guests []Guest
	// KernelVersion is the kernel in /boot and /lib/modules; "": the newest.
	KernelVersion string
	// Timeout bounds the wait for each guest's ready line.
	Timeout time.Duration
	// Log gets a line per step; nil: none.
	Log io.Writer
}

// Up builds the artifacts, creates the disks, and defines and starts the
// guests on c.URI unless they run from the same XML and artifacts already
// (a guest that does not is stopped, redefined and started), then waits
// until each one's /init is ready. It is what tests call before they need
// the guests, and what the command linuxguest runs.
func Up(c Config) error {
	w := c.Log
	if w == nil {
		w = io.Discard
	}
	if c.CacheDir == "" || c.ImagesDir == "" || c.URI == "" {
		return errors.New("linuxguest: the cache and images directories and the URI are required")
	}
	images, err := filepath.Abs(c.ImagesDir)
	if err != nil {
		return err
	}
	cache, err := filepath.Abs(c.CacheDir)
	if err != nil {
		return err
	}
	a, err := Build(cache, c.KernelVersion)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "linuxguest: kernel %s, initramfs %s\n", a.KernelVersion, a.Initrd)
	if err := os.MkdirAll(images, 0o755); err != nil {
		return err
	}
	guests := c.Guests
	if guests == nil {
		guests = Guests
	}
	started := map[string]time.Time{}
	for _, g := range guests {
		t, err := up(w, g, a, images, c.URI)
		if err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
		if !t.IsZero() {
			started[g.Name] = t
		}
	}
	for _, g := range guests {
		if err := waitReady(w, g, images, started[g.Name], c.Timeout); err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
	}
	return nil
}

// up defines and starts the guest unless it runs from the same XML
// already; it returns when it started it, or the zero time.
func up(w io.Writer, g Guest, a Artifacts, images, uri string) (time.Time, error) {
	disk := g.Disk(images)
	if _, err := os.Stat(disk); os.IsNotExist(err) {
		if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk,
			strconv.Itoa(DiskMiB)+"M").CombinedOutput(); err != nil {
			return time.Time{}, fmt.Errorf("qemu-img create %s: %w: %s", disk, err, out)
		}
	}
	xml, want, err := g.DomainXML(a, images)
	if err != nil {
		return time.Time{}, err
	}
	have, defined, err := description(uri, g.Name)
	if err != nil {
		return time.Time{}, err
	}
	running := false
	if defined {
		state, err := virsh(uri, "domstate", g.Name)
		if err != nil {
			return time.Time{}, err
		}
		running = strings.TrimSpace(string(state)) != "shut off"
	}
	if defined && have == want && running {
		fmt.Fprintf(w, "%s: running, unchanged\n", g.Name)
		return time.Time{}, nil
	}
	if running {
		fmt.Fprintf(w, "%s: its XML or artifacts changed: restarting it\n", g.Name)
		if _, err := virsh(uri, "destroy", g.Name); err != nil {
			return time.Time{}, err
		}
	}
	if !defined || have != want {
		// Gone first: a definition with another UUID (made before the
		// guests had fixed ones) would make define fail.
		if defined {
			if _, err := virsh(uri, "undefine", g.Name); err != nil {
				return time.Time{}, err
			}
		}
		f := filepath.Join(images, g.Name+".xml")
		if err := os.WriteFile(f, xml, 0o644); err != nil {
			return time.Time{}, err
		}
		if _, err := virsh(uri, "define", f); err != nil {
			return time.Time{}, err
		}
	}
	t := time.Now()
	if _, err := virsh(uri, "start", g.Name); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

var descriptionRE = regexp.MustCompile(`<description>([^<]*)</description>`)

// description is the defined domain's <description>; defined is false
// when the URI has no domain of that name.
func description(uri, name string) (desc string, defined bool, err error) {
	out, err := virsh(uri, "dumpxml", "--inactive", name)
	if err != nil {
		if bytes.Contains(out, []byte("failed to get domain")) || bytes.Contains(out, []byte("Domain not found")) {
			return "", false, nil
		}
		return "", false, err
	}
	if m := descriptionRE.FindSubmatch(out); m != nil {
		return string(m[1]), true, nil
	}
	return "", true, nil
}

// waitReady waits for /init's ready line on the console and prints how
// long the guest took: from virsh start (if this run started it) and by
// the guest's own clock.
func waitReady(w io.Writer, g Guest, images string, started time.Time, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := g.ReadConsole(images)
		if err == nil && c.Ready {
			for _, e := range c.Errors {
				fmt.Fprintf(w, "%s: /init: %s\n", g.Name, e)
			}
			if started.IsZero() {
				fmt.Fprintf(w, "%s: ready (MemTotal %d KiB)\n", g.Name, c.MemTotalKiB)
			} else {
				fmt.Fprintf(w, "%s: ready %.1f s after virsh start, guest uptime %.2f s (MemTotal %d KiB)\n",
					g.Name, time.Since(started).Seconds(), c.ReadyUptime, c.MemTotalKiB)
			}
			return nil
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(g.ConsoleLog(images))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			return fmt.Errorf("not ready after %s; the end of %s:\n%s", timeout, g.ConsoleLog(images), b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// virsh runs virsh on uri. While the daemon does not answer (a test of
// the lab restarts it) it tries again, for up to 30 s.
func virsh(uri string, args ...string) ([]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := virshOnce(uri, args...)
		if err == nil || !bytes.Contains(out, []byte("failed to connect to the hypervisor")) || time.Now().After(deadline) {
			return out, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func virshOnce(uri string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "virsh", append([]string{"-c", uri}, args...)...)
	// Without a LIBVIRT_LOG_OUTPUTS that names a file descriptor of this
	// process (the plugin's tests route libvirt's log through
	// /proc/self/fd/N): in virsh it would be another file, or none.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIBVIRT_LOG_OUTPUTS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("virsh %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}
