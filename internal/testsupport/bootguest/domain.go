package bootguest

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

// Domain is a transient QEMU domain shaped like the tlv-* guests (TCG,
// machine pc, a virtio disk and balloon; no OS needed). domain.xml.tmpl is
// the one XML of such guests: the boot-sector guest of this package and
// the tlvb-NN guests of scripts/bench-guests.sh (through guestxml).
type Domain struct {
	Name             string
	UUID             string // "": libvirt makes one
	MemoryMiB        int
	CurrentMemoryMiB int // 0: no <currentMemory> (libvirt takes MemoryMiB)
	VCPUs            int
	IOThreads        int // 0: none
	Disk             string
	DiskFormat       string // raw, qcow2
	OnReboot         string // destroy, restart
	MAC              string // "": no NIC; else an ethernet NIC on the tap tap-NAME, or on Bridge
	Bridge           string // "": the NIC is an ethernet one; else a NIC on this bridge
	// BalloonStatsPeriod is the balloon's stats period in seconds; 0: no
	// balloon stats.
	BalloonStatsPeriod int
	// Description is the domain's <description>; "": none.
	Description string
	// Kernel, Initrd and Cmdline boot a kernel directly instead of the
	// disk; Kernel "": the BIOS boots the disk.
	Kernel, Initrd, Cmdline string
	// ConsoleLog is the file the first serial port (the console) writes
	// to, truncated at each start; "": no serial port.
	ConsoleLog string
}

//go:embed domain.xml.tmpl
var domainTemplate string

var domainXML = template.Must(template.New("domain.xml.tmpl").Option("missingkey=error").Parse(domainTemplate))

// XML is the domain's XML for virsh create. Names, paths and addresses go
// into the XML as they are: they must need no escaping.
func (d Domain) XML() ([]byte, error) {
	for _, s := range []string{d.Name, d.UUID, d.Disk, d.DiskFormat, d.OnReboot, d.MAC, d.Bridge,
		d.Description, d.Kernel, d.Initrd, d.Cmdline, d.ConsoleLog} {
		if strings.ContainsAny(s, `<>&'"`) {
			return nil, fmt.Errorf("domain %q: %q would need XML escaping", d.Name, s)
		}
	}
	var b strings.Builder
	if err := domainXML.Execute(&b, d); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
