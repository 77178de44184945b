// Command guestxml prints the XML of a transient QEMU guest from
// internal/testsupport/bootguest's domain.xml.tmpl, the template the boot-sector guest
// of the tests is written from too: scripts/bench-guests.sh starts its
// tlvb-NN guests with it.
//
//	guestxml -name tlvb-01 -memory 64 -vcpus 2 -disk /var/lib/libvirt/images/tlvb/tlvb-01.qcow2 -format qcow2 ...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
)

func main() {
	var d bootguest.Domain
	flag.StringVar(&d.Name, "name", "", "domain name (required)")
	flag.StringVar(&d.UUID, "uuid", "", "domain UUID (default: libvirt makes one)")
	flag.IntVar(&d.MemoryMiB, "memory", 0, "memory in MiB (required)")
	flag.IntVar(&d.CurrentMemoryMiB, "current-memory", 0, "<currentMemory> in MiB (default: none)")
	flag.IntVar(&d.VCPUs, "vcpus", 0, "vCPUs (required)")
	flag.IntVar(&d.IOThreads, "iothreads", 0, "iothreads (default: none)")
	flag.StringVar(&d.Disk, "disk", "", "the disk image (required)")
	flag.StringVar(&d.DiskFormat, "format", "", "the disk image's format: raw or qcow2 (required)")
	flag.StringVar(&d.OnReboot, "on-reboot", "destroy", "on_reboot: destroy or restart")
	flag.StringVar(&d.MAC, "mac", "", "MAC address of an ethernet NIC on tap-NAME (default: no NIC)")
	flag.IntVar(&d.BalloonStatsPeriod, "balloon-period", 0, "balloon stats period in seconds (default: no stats)")
	flag.Parse()
	if err := run(d); err != nil {
		fmt.Fprintf(os.Stderr, "guestxml: %v\n", err)
		os.Exit(2)
	}
}

func run(d bootguest.Domain) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if d.Name == "" || d.Disk == "" || d.MemoryMiB <= 0 || d.VCPUs <= 0 {
		return fmt.Errorf("-name, -disk, -memory and -vcpus are required")
	}
	switch d.DiskFormat {
	case "raw", "qcow2":
	default:
		return fmt.Errorf("-format %q: valid are raw, qcow2", d.DiskFormat)
	}
	switch d.OnReboot {
	case "destroy", "restart":
	default:
		return fmt.Errorf("-on-reboot %q: valid are destroy, restart", d.OnReboot)
	}
	xml, err := d.XML()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(xml)
	return err
}
