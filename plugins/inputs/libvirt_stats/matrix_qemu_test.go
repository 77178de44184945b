//go:build cgo && linux && qemu

// The version matrix: the conformance checks of the QEMU tests on each
// libvirt of the lab (the host node's, and the Debian roots' nodes of
// scripts/lab.sh up-roots), each held to its own virsh. The run writes its
// results as JSON (TLV_MATRIX_RESULTS, default LAB/matrix/results.json);
// `make compat-doc` renders docs/compatibility.md from them.
package libvirt_stats

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/linuxguest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// matrixNode is one libvirt of the matrix and what the run found on it.
type matrixNode struct {
	Node     string        `json:"node"`
	Suite    string        `json:"suite"` // Debian suite of the root; "host" for the host node
	Libvirt  string        `json:"libvirt"`
	QEMU     string        `json:"qemu"`
	Groups   []string      `json:"groups"`   // groups with keys on the node's guests
	Families []string      `json:"families"` // key families (indices as N) on its guests
	Checks   []matrixCheck `json:"checks"`

	uri    string              // read-write URI from outside the node
	roURI  string              // read-only URI
	virsh  virshtest.Runner    // the node's own virsh
	frozen string              // the guest the frozen-guest check stops
	pidOf  func(string) string // a guest's QEMU pid file
}

type matrixCheck struct {
	Name   string `json:"name"`
	Result string `json:"result"` // pass, fail, see (Note: the test that checks it)
	Note   string `json:"note,omitempty"`
}

// matrixNodes are the host node and the root nodes lab.sh knows.
func matrixNodes(t *testing.T) []*matrixNode {
	t.Helper()
	nodes := []*matrixNode{{
		Node: lab.Host, Suite: "host", uri: lab.HostURI(), roURI: lab.HostROURI(),
		virsh: virshtest.Host(), frozen: "",
	}}
	roots, err := lab.RootNodes()
	require.NoError(t, err)
	for _, r := range roots {
		nodes = append(nodes, &matrixNode{
			Node: r.Name, Suite: r.Suite, uri: lab.URI(r.Name, false), roURI: lab.URI(r.Name, true),
			virsh:  virshtest.Runner{Command: []string{lab.Script(), "node-exec", r.Name, "--", "chroot", r.Root, "virsh"}, URI: "qemu:///system"},
			frozen: r.Name + "-run",
		})
	}
	for _, n := range nodes {
		n.pidOf = func(dom string) string { return lab.DomainPIDFile(n.Node, dom) }
	}
	return nodes
}

func TestMatrix(t *testing.T) {
	nodes := matrixNodes(t)
	for _, n := range nodes {
		t.Run(n.Node, func(t *testing.T) {
			lab.Require(t, n.Node)
			n.versions(t)
			n.run(t, "keys-match-virsh", matrixKeys)
			n.run(t, "values-between-virsh-runs", matrixValues)
			n.run(t, "types-documented", matrixTypes)
			n.run(t, "read-only-complete", matrixReadOnly)
			n.run(t, "device-layout-places-every-key", matrixLayout)
			n.run(t, "frozen-guest-deadline", matrixFrozen)
			n.run(t, "groups-it-lacks", matrixLacking)
			n.run(t, "linux-guest", matrixLinuxGuest)
		})
	}
	writeMatrixResults(t, nodes)
}

// elsewhere starts the note of a check another test makes on that node.
const elsewhere = "elsewhere: "

// run runs one check as a subtest and records its result.
func (n *matrixNode) run(t *testing.T, name string, check func(t *testing.T, n *matrixNode) string) {
	var note string
	ok := t.Run(name, func(t *testing.T) { note = check(t, n) })
	res := "pass"
	switch {
	case !ok:
		res = "fail"
	case strings.HasPrefix(note, elsewhere):
		res, note = "see", strings.TrimPrefix(note, elsewhere)
	}
	n.Checks = append(n.Checks, matrixCheck{Name: name, Result: res, Note: note})
}

// versions reads the daemon's libvirt and QEMU versions.
func (n *matrixNode) versions(t *testing.T) {
	conn, err := libvirt.NewConnectReadOnly(n.roURI)
	require.NoError(t, err)
	defer conn.Close()
	lv, err := conn.GetLibVersion()
	require.NoError(t, err)
	qv, err := conn.GetVersion()
	require.NoError(t, err)
	dotted := func(v uint32) string { return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000) }
	n.Libvirt, n.QEMU = dotted(lv), dotted(qv)
	t.Logf("%s: libvirt %s, QEMU %s", n.Node, n.Libvirt, n.QEMU)
}

func (n *matrixNode) plugin(t *testing.T) *LibvirtStats {
	p := newPlugin(t, n.roURI)
	p.NoWait = false
	return p
}

func (n *matrixNode) domstats(t *testing.T, readOnly bool, args ...string) []virshtest.Domain {
	t.Helper()
	doms, err := n.virsh.Domstats(readOnly, args...)
	require.NoError(t, err)
	return doms
}

var backingCases = []struct {
	name    string
	backing bool
	virsh   []string
}{{"default", false, nil}, {"backing", true, []string{"--backing"}}}

// Key sets and libvirt's order equal the node's own virsh domstats, with
// and without backing chains; the groups and key families found are the
// node's row of the table.
func matrixKeys(t *testing.T, n *matrixNode) string {
	groups, families := map[string]bool{}, map[string]bool{}
	for _, bc := range backingCases {
		t.Run(bc.name, func(t *testing.T) {
			p := n.plugin(t)
			p.Backing = bc.backing
			// Another client holding a domain's job (the host node is
			// shared) leaves virsh's or our stats partial: a few tries.
			var got map[string]telegraf.Metric
			var want []virshtest.Domain
			for try := 1; try <= 5; try++ {
				got, want = byDomain(t, gather(t, p)), n.domstats(t, true, bc.virsh...)
				if sameKeys(got, want) {
					break
				}
				t.Logf("try %d: key sets differ, again in 1s", try)
				time.Sleep(time.Second)
			}
			require.Equal(t, virshNames(want), sortedKeys(got), "domains")
			for _, d := range want {
				require.Equal(t, d.Keys, fieldKeys(got[d.Name]), "domain %q: keys in libvirt's order", d.Name)
				for _, k := range d.Keys {
					families[keyFamily(k)] = true
					for g, prefix := range groupKeyPrefix {
						if strings.HasPrefix(k, prefix) {
							groups[g] = true
						}
					}
				}
			}
		})
	}
	n.Groups, n.Families = sortedKeys(groups), sortedKeys(families)
	return ""
}

func sameKeys(got map[string]telegraf.Metric, want []virshtest.Domain) bool {
	if len(got) != len(want) {
		return false
	}
	for _, d := range want {
		if !slices.Equal(d.Keys, fieldKeys(got[d.Name])) {
			return false
		}
	}
	return true
}

var indexSegment = regexp.MustCompile(`\.[0-9]+(\.|$)`)

// keyFamily is a key with its indices as N: block.N.rd.reqs.
func keyFamily(key string) string {
	for {
		k := indexSegment.ReplaceAllString(key, ".N$1")
		if k == key {
			return k
		}
		key = k
	}
}

// Stable values equal virsh's, counters lie between a virsh run before the
// gather and one after it.
func matrixValues(t *testing.T, n *matrixNode) string {
	for _, bc := range backingCases {
		t.Run(bc.name, func(t *testing.T) {
			p := n.plugin(t)
			p.Backing = bc.backing
			before := virshtest.ByName(n.domstats(t, true, bc.virsh...))
			got := byDomain(t, gather(t, p))
			after := virshtest.ByName(n.domstats(t, true, bc.virsh...))
			require.Equal(t, sortedKeys(before), sortedKeys(got))
			checked := map[motion]int{}
			for name, m := range got {
				for _, f := range m.FieldList() {
					spec, err := specFor(f.Key)
					require.NoError(t, err, "domain %q", name)
					bv, inB := before[name].Values[f.Key]
					av, inA := after[name].Values[f.Key]
					require.True(t, inB && inA, "domain %q: %s missing from a virsh run", name, f.Key)
					checked[spec.motion]++
					switch spec.motion {
					case stable:
						if bv == av { // a stable key virsh saw change (a balloon settling) is not compared
							require.Equal(t, bv, virshtest.Format(f.Value), "domain %q: %s", name, f.Key)
						}
					case counter:
						requireBetween(t, name+" "+f.Key, bv, f.Value, av)
					case gauge:
					}
				}
			}
			require.Positive(t, checked[stable])
			require.Positive(t, checked[counter])
		})
	}
	return ""
}

// Every field has its documented type: a key documentedKeys does not know
// (a newer libvirt's) fails here with its name.
func matrixTypes(t *testing.T, n *matrixNode) string {
	p := n.plugin(t)
	p.Backing = true
	for name, m := range byDomain(t, gather(t, p)) {
		for _, f := range m.FieldList() {
			require.NoError(t, checkType(f.Key, f.Value), "domain %q", name)
		}
	}
	return ""
}

// The read-only socket yields the keys of the read-write one.
func matrixReadOnly(t *testing.T, n *matrixNode) string {
	keysOf := func(uri string) map[string][]string {
		p := newPlugin(t, uri)
		p.NoWait = false
		out := map[string][]string{}
		for name, m := range byDomain(t, gather(t, p)) {
			out[name] = fieldKeys(m)
		}
		return out
	}
	require.Equal(t, keysOf(n.uri), keysOf(n.roURI))
	return ""
}

// The device layout places every indexed key in an entity metric: an
// indexed key left on the domain metric is a key family the layout does
// not know.
func matrixLayout(t *testing.T, n *matrixNode) string {
	for _, bc := range backingCases {
		t.Run(bc.name, func(t *testing.T) {
			p := n.plugin(t)
			p.Layout = layoutDevice
			p.Backing = bc.backing
			entities := 0
			for _, m := range gather(t, p) {
				if m.Name() != measurement {
					entities++
					continue
				}
				for _, f := range m.FieldList() {
					require.False(t, indexSegment.MatchString(f.Key),
						"%s: indexed key %s (family %s) left on the domain metric: the device layout does not know it",
						m.Tags()["domain"], f.Key, keyFamily(f.Key))
				}
			}
			require.Positive(t, entities)
		})
	}
	return ""
}

// A guest's QEMU stopped with SIGSTOP: gathers return by the deadline, the
// frozen domain marked partial, with NOWAIT and without.
func matrixFrozen(t *testing.T, n *matrixNode) string {
	if n.frozen == "" {
		// Other tests use the host node's guests at the same time:
		// TestFrozenGuest freezes one of them under its own control.
		return elsewhere + "TestFrozenGuest"
	}
	for _, nowait := range []bool{true, false} {
		t.Run(fmt.Sprintf("nowait=%v", nowait), func(t *testing.T) {
			p, _ := frozenGuestPlugin(t, n.roURI, nowait)
			resume := freezeGuest(t, n.pidOf(n.frozen))
			m := gatherByDeadline(t, p, "gather with "+n.frozen+" frozen")[n.frozen]
			require.NotNil(t, m, "the frozen domain is reported")
			require.Equal(t, true, m.Fields()["partial"], "the frozen domain is marked partial")
			resume()
			requireWholeAgain(t, p, n.frozen, nil)
		})
	}
	return ""
}

// Groups newer than the node's libvirt: with enforce the gather fails
// naming each and the version it needs; without, the gather succeeds
// without them and the first gather's warning names them.
func matrixLacking(t *testing.T, n *matrixNode) string {
	have := symbolVersionOf(t, n.Libvirt)
	var lacking []string
	for _, g := range statsGroups {
		if slices.Compare(symbolVersionOf(t, groupSince[g.name]), have) > 0 {
			lacking = append(lacking, g.name)
		}
	}
	if len(lacking) == 0 {
		return "none"
	}
	groups := append([]string{"state"}, lacking...)
	t.Run("enforce", func(t *testing.T) {
		p := n.plugin(t)
		p.StatisticsGroups, p.Enforce = groups, true
		require.NoError(t, p.Init())
		defer p.Stop()
		acc, _ := gatherAcc(t, p)
		require.Len(t, acc.Errors, 1)
		for _, g := range lacking {
			require.Contains(t, acc.Errors[0].Error(), g+" needs libvirt >= "+groupSince[g])
		}
	})
	t.Run("without-enforce", func(t *testing.T) {
		p := n.plugin(t)
		log := &testutil.CaptureLogger{}
		p.Log = log
		p.StatisticsGroups = groups
		ms := gather(t, p)
		require.NotEmpty(t, ms)
		for _, m := range ms {
			for _, f := range m.FieldList() {
				require.True(t, strings.HasPrefix(f.Key, "state."), "%s: %s", m.Tags()["domain"], f.Key)
			}
		}
		require.Len(t, log.Warnings(), 1)
		for _, g := range lacking {
			require.Contains(t, log.Warnings()[0], g+" (needs libvirt >= "+groupSince[g]+")")
		}
	})
	return strings.Join(lacking, ", ")
}

// A root node's Linux guest (linuxguest.NodeGuests): the guest-side
// statistics of TestQEMULinuxGuestStats and TestQEMULinuxGuestDerived, on
// that node's libvirt and QEMU.
func matrixLinuxGuest(t *testing.T, n *matrixNode) string {
	if n.Node == lab.Host {
		return elsewhere + "TestQEMULinuxGuestStats, TestQEMULinuxGuestDerived"
	}
	guests, err := linuxguest.NodeGuests(n.Node)
	require.NoError(t, err, "a root node without a Linux guest")
	consoles := linuxguest.RequireOnNode(t, n.Node)
	names := make([]string, len(guests))
	for i, g := range guests {
		names[i] = g.Name
	}
	t.Run("stats", func(t *testing.T) {
		first, second := linuxGathers(t, n.roURI, guests, false)
		for _, g := range guests {
			checkLinuxGuestStats(t, g.Name, consoles[g.Name], first[g.Name], second[g.Name])
		}
	})
	t.Run("derived", func(t *testing.T) {
		_, second := linuxGathers(t, n.roURI, guests, true)
		for _, g := range guests {
			checkLinuxGuestDerived(t, g.Name, second[g.Name])
		}
	})
	return strings.Join(names, ", ")
}

// freezeGuest stops the QEMU of a guest's pid file with SIGSTOP and
// returns the function that resumes it; the test's cleanup resumes it if
// the test did not.
func freezeGuest(t *testing.T, pidFile string) (resume func()) {
	t.Helper()
	pid := lab.RequirePID(t, pidFile)
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			require.NoError(t, syscall.Kill(pid, syscall.SIGCONT))
		}
	}
	t.Cleanup(resume)
	return resume
}

func symbolVersionOf(t *testing.T, v string) []int {
	var out []int
	for f := range strings.SplitSeq(v, ".") {
		var x int
		_, err := fmt.Sscanf(f, "%d", &x)
		require.NoError(t, err, "version %q", v)
		out = append(out, x)
	}
	return out
}

func writeMatrixResults(t *testing.T, nodes []*matrixNode) {
	path := os.Getenv("TLV_MATRIX_RESULTS")
	if path == "" {
		path = filepath.Join(lab.Dir(), "matrix", "results.json")
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	b, err := json.MarshalIndent(nodes, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("results: %s", path)
}
