package linuxguest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
)

// Guest is one of the Linux guests: its address on the bridge and the
// peer it exchanges traffic with.
type Guest struct {
	Name string
	UUID string
	IP   string // link-local, /16
	Peer string // the address it pings: the other guest's, or the bridge's
	MAC  string
	// VCPUs is the guest's vCPU count; 0: the package's VCPUs.
	VCPUs int
}

// Guests are the two Linux guests, each the other's peer. Their names do
// not start with "tlv-": the tests that compare the tlv-* guests with the
// ones scripts/hypervisor-up.sh defines must not see them.
var Guests = []Guest{
	{Name: "tlvl-linux1", UUID: "c0ffee00-4c00-4000-8000-000000000001", IP: "169.254.77.1", Peer: "169.254.77.2", MAC: "52:54:00:4c:00:01"},
	{Name: "tlvl-linux2", UUID: "c0ffee00-4c00-4000-8000-000000000002", IP: "169.254.77.2", Peer: "169.254.77.1", MAC: "52:54:00:4c:00:02"},
}

// BridgeIP is the lab bridge's own address: the lab's network namespace
// answers its pings, so a guest alone on a node pings it.
const BridgeIP = "169.254.0.1"

// rootNodeNumbers gives each root node of scripts/lab.sh its number, from
// which its guest's name-independent identity is made (UUID, MAC, IP); a
// number is never reused for another node.
var rootNodeNumbers = map[string]int{"v7.0": 1, "v11.3": 2, "v12.8": 3}

// NodeGuests are the Linux guests of a lab node: Guests on the host node
// ("host"), and one guest on a root node, named after it (tlvl-v7-0 on
// v7.0), with one vCPU (the machine's cores are few) that pings the bridge.
func NodeGuests(node string) ([]Guest, error) {
	if node == "host" {
		return Guests, nil
	}
	n, ok := rootNodeNumbers[node]
	if !ok {
		nodes := make([]string, 0, len(rootNodeNumbers))
		for k := range rootNodeNumbers {
			nodes = append(nodes, k)
		}
		sort.Strings(nodes)
		return nil, fmt.Errorf("linuxguest: unknown node %q (valid: host, %s)", node, strings.Join(nodes, ", "))
	}
	return []Guest{{
		Name:  "tlvl-" + strings.ReplaceAll(node, ".", "-"),
		UUID:  fmt.Sprintf("c0ffee00-4c00-4000-8000-0000000001%02x", n),
		IP:    fmt.Sprintf("169.254.78.%d", n),
		Peer:  BridgeIP,
		MAC:   fmt.Sprintf("52:54:00:4c:01:%02x", n),
		VCPUs: 1,
	}}, nil
}

// The guests' shape. MemoryMiB leaves the kernel and busybox ample room
// (they need about 40 MiB) and makes the balloon's numbers large enough to
// compare.
const (
	MemoryMiB          = 160
	VCPUs              = 2
	Bridge             = "tlvbr0"
	DiskMiB            = 64
	BalloonStatsPeriod = 1
)

func (g Guest) vcpus() int {
	if g.VCPUs > 0 {
		return g.VCPUs
	}
	return VCPUs
}

// Disk is the guest's qcow2 disk in imagesDir.
func (g Guest) Disk(imagesDir string) string { return filepath.Join(imagesDir, g.Name+".qcow2") }

// ConsoleLog is the file the guest's serial console writes to, in
// imagesDir: /init's "tlv-" lines are there (see ReadConsole).
func (g Guest) ConsoleLog(imagesDir string) string {
	return filepath.Join(imagesDir, g.Name+".console.log")
}

// Cmdline is the kernel command line: the console on the serial port
// and who the guest is, for /init. panic=-1 turns a panic into a reboot
// that the domain's on_reboot=destroy makes a stop, seen by virsh.
func (g Guest) Cmdline() string {
	return fmt.Sprintf("console=ttyS0 panic=-1 loglevel=4 tlv.name=%s tlv.ip=%s tlv.peer=%s", g.Name, g.IP, g.Peer)
}

// Domain is the guest's libvirt domain, booting a's kernel and initramfs.
func (g Guest) Domain(a Artifacts, imagesDir string) bootguest.Domain {
	return bootguest.Domain{
		Name:               g.Name,
		UUID:               g.UUID,
		MemoryMiB:          MemoryMiB,
		VCPUs:              g.vcpus(),
		Disk:               g.Disk(imagesDir),
		DiskFormat:         "qcow2",
		OnReboot:           "destroy",
		MAC:                g.MAC,
		Bridge:             Bridge,
		BalloonStatsPeriod: BalloonStatsPeriod,
		Kernel:             a.Kernel,
		Initrd:             a.Initrd,
		Cmdline:            g.Cmdline(),
		ConsoleLog:         g.ConsoleLog(imagesDir),
	}
}

// DomainXML is Domain's XML with a <description> that names what it was
// made from (the XML without it and a's key, hashed): a defined guest
// whose description differs was made from another XML or from older
// artifacts, and must be redefined and restarted.
func (g Guest) DomainXML(a Artifacts, imagesDir string) (xml []byte, description string, err error) {
	d := g.Domain(a, imagesDir)
	plain, err := d.XML()
	if err != nil {
		return nil, "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", a.Key)
	h.Write(plain)
	d.Description = DescriptionPrefix + hex.EncodeToString(h.Sum(nil))
	xml, err = d.XML()
	return xml, d.Description, err
}

// DescriptionPrefix starts the domains' <description>; a hash follows.
const DescriptionPrefix = "linuxguest test guest "

// Console is what /init printed on the console so far.
type Console struct {
	Ready bool
	// ReadyUptime is the guest's uptime in seconds when it was ready (its
	// drivers loaded and eth0 up).
	ReadyUptime float64
	// MemTotalKiB is /proc/meminfo's MemTotal in the guest.
	MemTotalKiB uint64
	// PeerSeen: a ping of the peer was answered.
	PeerSeen bool
	// Errors are the "tlv-error" lines.
	Errors []string
}

// ParseConsole reads /init's "tlv-" lines from the console's output; the
// kernel's own lines are ignored, and so is a last line without its
// newline: the guest is still writing it.
func ParseConsole(b []byte) Console {
	var c Console
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "tlv-ready":
			c.Ready = true
			kv := fields(rest)
			c.MemTotalKiB, _ = strconv.ParseUint(kv["memtotal_kib"], 10, 64)
			c.ReadyUptime, _ = strconv.ParseFloat(kv["uptime"], 64)
		case "tlv-peer":
			c.PeerSeen = true
		case "tlv-error":
			c.Errors = append(c.Errors, rest)
		}
	}
	return c
}

// ReadConsole parses the guest's console log in imagesDir.
func (g Guest) ReadConsole(imagesDir string) (Console, error) {
	b, err := os.ReadFile(g.ConsoleLog(imagesDir))
	if err != nil {
		return Console{}, err
	}
	return ParseConsole(b), nil
}

func fields(s string) map[string]string {
	kv := map[string]string{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	return kv
}
