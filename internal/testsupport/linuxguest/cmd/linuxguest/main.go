// Command linuxguest brings a lab node's Linux guests (the host node's
// tlvl-linux1 and tlvl-linux2, or a root node's one, see -node and package
// linuxguest) up on a libvirt URI: it builds the
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
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/linuxguest"
)

func main() {
	cache := flag.String("cache", "", "directory for the kernel and initramfs (required)")
	images := flag.String("images", "", "directory for the guests' disks and console logs (required)")
	uri := flag.String("uri", "", "read-write libvirt URI to define the guests on (required)")
	kernel := flag.String("kernel-version", "", "kernel version in /boot and /lib/modules (default: the newest)")
	node := flag.String("node", "host", "the lab node whose Linux guests to bring up: host (tlvl-linux1 and tlvl-linux2) or a root node (its one guest)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long a guest may take to be ready")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "linuxguest: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	guests, err := linuxguest.NodeGuests(*node)
	if err == nil {
		err = linuxguest.Up(linuxguest.Config{CacheDir: *cache, ImagesDir: *images, URI: *uri, Guests: guests,
			KernelVersion: *kernel, Timeout: *timeout, Log: os.Stdout})
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "linuxguest: %v\n", err)
		os.Exit(1)
	}
}
