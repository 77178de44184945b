// Command linuxguest brings the lab's two Linux guests (tlv-linux1 and
// tlv-linux2, see package linuxguest) up on a libvirt URI: it builds the
// kernel and initramfs into -cache (kept when their inputs have not
// changed), creates the guests' disks in -images, defines and starts each
// guest, and waits until /init says on the console that it is ready. It is
// idempotent: a running guest defined from the same XML and artifacts is
// left alone; one defined from another is stopped, redefined and started.
//
//	linuxguest -cache /var/tmp/telegraf-libvirt-lab/cache/linuxguest \
//	    -images /var/tmp/telegraf-libvirt-lab/images -uri 'qemu+unix:///system?socket=...'
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/linuxguest"
)

func main() {
	cache := flag.String("cache", "", "directory for the kernel and initramfs (required)")
	images := flag.String("images", "", "directory for the guests' disks and console logs (required)")
	uri := flag.String("uri", "", "read-write libvirt URI to define the guests on (required)")
	kernel := flag.String("kernel-version", "", "kernel version in /boot and /lib/modules (default: the newest)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long a guest may take to be ready")
	flag.Parse()
	if err := run(*cache, *images, *uri, *kernel, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "linuxguest: %v\n", err)
		os.Exit(1)
	}
}

func run(cache, images, uri, kernel string, timeout time.Duration) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if cache == "" || images == "" || uri == "" {
		return errors.New("-cache, -images and -uri are required")
	}
	for _, d := range []*string{&cache, &images} {
		abs, err := filepath.Abs(*d)
		if err != nil {
			return err
		}
		*d = abs
	}
	a, err := linuxguest.Build(cache, kernel)
	if err != nil {
		return err
	}
	fmt.Printf("linuxguest: kernel %s, initramfs %s\n", a.KernelVersion, a.Initrd)
	if err := os.MkdirAll(images, 0o755); err != nil {
		return err
	}
	started := map[string]time.Time{}
	for _, g := range linuxguest.Guests {
		t, err := up(g, a, images, uri)
		if err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
		if !t.IsZero() {
			started[g.Name] = t
		}
	}
	for _, g := range linuxguest.Guests {
		if err := waitReady(g, images, started[g.Name], timeout); err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
	}
	return nil
}

// up defines and starts the guest unless it runs from the same XML
// already; it returns when it started it, or the zero time.
func up(g linuxguest.Guest, a linuxguest.Artifacts, images, uri string) (time.Time, error) {
	disk := g.Disk(images)
	if _, err := os.Stat(disk); os.IsNotExist(err) {
		if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk,
			strconv.Itoa(linuxguest.DiskMiB)+"M").CombinedOutput(); err != nil {
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
		fmt.Printf("%s: running, unchanged\n", g.Name)
		return time.Time{}, nil
	}
	if running {
		fmt.Printf("%s: its XML or artifacts changed: restarting it\n", g.Name)
		if _, err := virsh(uri, "destroy", g.Name); err != nil {
			return time.Time{}, err
		}
	}
	if !defined || have != want {
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
func waitReady(g linuxguest.Guest, images string, started time.Time, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := g.ReadConsole(images)
		if err == nil && c.Ready {
			for _, e := range c.Errors {
				fmt.Printf("%s: /init: %s\n", g.Name, e)
			}
			if started.IsZero() {
				fmt.Printf("%s: ready (MemTotal %d KiB)\n", g.Name, c.MemTotalKiB)
			} else {
				fmt.Printf("%s: ready %.1f s after virsh start, guest uptime %.2f s (MemTotal %d KiB)\n",
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

func virsh(uri string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "virsh", append([]string{"-c", uri}, args...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("virsh %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}
