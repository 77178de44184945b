// Package virshtest holds the QEMU integration tests to what `virsh
// domstats` prints: it runs virsh against the test hypervisor, parses its
// output and formats plugin values the way virsh does. Only tests import it.
package virshtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// URI is the hypervisor the QEMU tests run against: the lab's host node.
var URI = lab.HostURI()

// Domain is one "Domain: 'NAME'" block of `virsh domstats`.
type Domain struct {
	Name   string
	Keys   []string          // in the order virsh printed them
	Values map[string]string // as virsh printed them
}

// Parse reads `virsh domstats` output: a "Domain: 'NAME'" line per
// domain, then "  key=value" lines. The name is everything between the
// first and the last quote, so it may hold spaces, commas, '=', '\' and
// quotes; a value is everything after the first '=' of its line.
func Parse(r io.Reader) ([]Domain, error) {
	var doms []Domain
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, "Domain: '") && strings.HasSuffix(line, "'") && len(line) >= len("Domain: ''"):
			name := strings.TrimSuffix(strings.TrimPrefix(line, "Domain: '"), "'")
			doms = append(doms, Domain{Name: name, Values: map[string]string{}})
		case strings.HasPrefix(line, "  "):
			if len(doms) == 0 {
				return nil, fmt.Errorf("line %d: %q before any Domain line", n, line)
			}
			key, val, ok := strings.Cut(line[2:], "=")
			if !ok || key == "" {
				return nil, fmt.Errorf("line %d: %q is not key=value", n, line)
			}
			d := &doms[len(doms)-1]
			if _, dup := d.Values[key]; dup {
				return nil, fmt.Errorf("line %d: key %q twice for domain %q", n, key, d.Name)
			}
			d.Keys = append(d.Keys, key)
			d.Values[key] = val
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n, line)
		}
	}
	return doms, sc.Err()
}

// ByName indexes domains by name.
func ByName(doms []Domain) map[string]Domain {
	m := make(map[string]Domain, len(doms))
	for _, d := range doms {
		m[d.Name] = d
	}
	return m
}

// Virsh runs `virsh -c URI args...` in the C locale (booleans print as
// yes/no) with a deadline, and returns its stdout.
func Virsh(args ...string) ([]byte, error) {
	return virsh(URI, args...)
}

func virsh(uri string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "virsh", append([]string{"-c", uri}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("virsh %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Domstats runs `virsh -r domstats args...` (the read-only socket, as the
// plugin uses by default) and parses it.
func Domstats(args ...string) ([]Domain, error) {
	return DomstatsRW(true, args...)
}

// DomstatsRW is Domstats with the socket chosen: readOnly false opens the
// read-write one.
func DomstatsRW(readOnly bool, args ...string) ([]Domain, error) {
	a := append([]string{"domstats"}, args...)
	if readOnly {
		a = append([]string{"-r"}, a...)
	}
	out, err := Virsh(a...)
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(out))
}

// Format renders a plugin field value the way virsh prints the typed
// parameter: integers in decimal, doubles with %f, booleans yes/no,
// strings verbatim.
func Format(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return fmt.Sprintf("%f", x)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case string:
		return x
	}
	return fmt.Sprintf("<%T %v>", v, v)
}

// State values of virDomainState the test domains are kept in.
const (
	Running = 1
	Paused  = 3
	Shutoff = 5
)

// OddName is the domain whose name needs escaping in line protocol.
const OddName = `tlv-odd name,a=b\c`

// Want is every test domain (testdata/qemu/*.xml) and the state
// scripts/hypervisor-up.sh keeps it in.
var Want = map[string]int{
	"tlv-run1":   Running, // 2 NICs
	"tlv-run2":   Running, // disk is a qcow2 overlay with a backing file
	"tlv-run3":   Running, // 2 disks
	OddName:      Running,
	"tlv-paused": Paused,
	"tlv-off":    Shutoff,
}

// NovaNS is the namespace of Nova's metadata in the test domains.
const NovaNS = "http://openstack.org/xmlns/libvirt/nova/1.1"

// Nova is the Nova metadata of the test domains (testdata/qemu/*.xml) as
// the tags of docs/layout.md's Nova recipe; tlv-paused has no owner and
// the odd-named domain no metadata at all.
var Nova = map[string]map[string]string{
	"tlv-run1": {"instance_name": "web-1", "flavor": "m1.small",
		"project": "shop", "project_id": "5b0b0000-7100-4000-8000-000000000001",
		"user": "alice", "user_id": "a11ce000-7100-4000-8000-0000000000a1"},
	"tlv-run2": {"instance_name": "web-2", "flavor": "m1.small",
		"project": "shop", "project_id": "5b0b0000-7100-4000-8000-000000000001",
		"user": "bob", "user_id": "b0b00000-7100-4000-8000-0000000000b0"},
	"tlv-run3": {"instance_name": "db-1", "flavor": "m1.large",
		"project": "ledger", "project_id": "1ed6e200-7100-4000-8000-000000000002",
		"user": "alice", "user_id": "a11ce000-7100-4000-8000-0000000000a1"},
	"tlv-paused": {"instance_name": "batch-1", "flavor": "m1.tiny"},
	"tlv-off": {"instance_name": "spare-1", "flavor": "m1.tiny",
		"project": "ledger", "project_id": "1ed6e200-7100-4000-8000-000000000002",
		"user": "carol", "user_id": "ca201000-7100-4000-8000-0000000000c0"},
	OddName: {},
}

// SetLiveNovaName renames a running test domain's Nova instance in its live
// XML only (virsh metadata --live: the configuration, and so
// hypervisor-up.sh's template checksum, stay as they are) and returns the
// function that puts the old metadata back.
func SetLiveNovaName(domain, name string) (restore func() error, err error) {
	old, err := Virsh("metadata", "--live", "--uri", NovaNS, "--", domain)
	if err != nil {
		return nil, err
	}
	oldXML := strings.TrimSpace(string(old))
	set := func(xml string) error {
		_, err := Virsh("metadata", "--live", "--uri", NovaNS, "--key", "nova", "--set", xml, "--", domain)
		return err
	}
	start, end := strings.Index(oldXML, "<name>"), strings.Index(oldXML, "</name>")
	if start < 0 || end < start {
		return nil, fmt.Errorf("%s: no <name> in its Nova metadata: %s", domain, oldXML)
	}
	if err := set(oldXML[:start] + "<name>" + name + oldXML[end:]); err != nil {
		return nil, err
	}
	return func() error { return set(oldXML) }, nil
}

// WantNames returns the test domains whose state passes keep, sorted.
func WantNames(keep func(state int) bool) []string {
	var names []string
	for n, s := range Want {
		if keep(s) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Check says why the QEMU tests cannot run, or nil: libvirtd must answer
// on URI and every test domain must exist in its state.
func Check() error {
	return check(URI)
}

func check(uri string) error {
	out, err := virsh(uri, "-r", "domstats", "--state")
	if err != nil {
		return err
	}
	doms, err := Parse(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("parsing virsh domstats: %w", err)
	}
	got := ByName(doms)
	var bad []string
	for name, state := range Want {
		d, ok := got[name]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%q is not defined", name))
		case d.Values["state.state"] != strconv.Itoa(state):
			bad = append(bad, fmt.Sprintf("%q has state.state=%s, want %d", name, d.Values["state.state"], state))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("test domains not as scripts/hypervisor-up.sh leaves them: %s", strings.Join(bad, "; "))
	}
	return nil
}

var (
	checkOnce sync.Once
	checkErr  error
)

// Require fails the test, never skips it, when the hypervisor is not
// usable, with the reason and the way to fix it.
func Require(t testing.TB) {
	t.Helper()
	checkOnce.Do(func() { checkErr = Check() })
	if checkErr != nil {
		t.Fatalf("QEMU hypervisor at %s not usable: %v\n"+
			"These tests need libvirtd with the tlv-* QEMU domains: run scripts/hypervisor-up.sh as root "+
			"(make test does), or run the tests without -tags qemu.", URI, checkErr)
	}
}
