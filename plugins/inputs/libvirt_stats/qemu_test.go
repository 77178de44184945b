//go:build cgo && linux && qemu

// Integration tests against real QEMU domains under libvirtd
// (scripts/hypervisor-up.sh), held to what `virsh domstats` prints. They fail,
// never skip, when the hypervisor is not usable.
package libvirt_stats

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// forBacking runs test twice, with the default flags and with backing
// chains: on the QEMU plugin with Backing set to match, and with the virsh
// arguments that go with it.
func forBacking(t *testing.T, test func(t *testing.T, p *LibvirtStats, virsh []string)) {
	tests := []struct {
		name    string
		backing bool
		virsh   []string
	}{
		{"default", false, nil},
		{"backing", true, []string{"--backing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := qemuPlugin(t)
			p.Backing = tt.backing
			test(t, p, tt.virsh)
		})
	}
}

// Every domain's field set is the key set virsh prints for it, in libvirt's
// order, with the default flags and with backing chains.
func TestQEMUKeysMatchVirsh(t *testing.T) {
	forBacking(t, func(t *testing.T, p *LibvirtStats, virsh []string) {
		got := byDomain(t, gather(t, p))
		want := virshStats(t, virsh...)

		require.Equal(t, virshNames(want), sortedKeys(got), "domains")
		for _, d := range want {
			keys := fieldKeys(got[d.Name])
			require.ElementsMatch(t, d.Keys, keys, "domain %q", d.Name)
			require.Equal(t, d.Keys, keys, "domain %q: libvirt's order", d.Name)
		}

		// tlv-run2's vda is an overlay: with backing, its base is a layer of its own.
		run2 := got["tlv-run2"].Fields()
		if p.Backing {
			require.Equal(t, uint64(2), run2["block.count"])
			require.Equal(t, "vda", run2["block.1.name"])
			require.Equal(t, "/var/lib/libvirt/images/tlv/base.qcow2", run2["block.1.path"])
			require.Equal(t, uint64(2), run2["block.1.backingIndex"])
		} else {
			require.Equal(t, uint64(1), run2["block.count"])
			require.NotContains(t, run2, "block.1.name")
		}
	})
}

// With the plugin's default flags (NOWAIT on) a gather never has a key
// virsh lacks, and has all of virsh's once no other client holds a
// domain's job: a few tries absorb the other collectors on this machine.
func TestQEMUDefaultFlagsComplete(t *testing.T) {
	virshtest.Require(t)
	p := newPlugin(t, virshtest.URI)
	require.True(t, p.NoWait, "NOWAIT is the default")
	want := virshStats(t)
	const tries = 10
	for try := 1; ; try++ {
		got := byDomain(t, gather(t, p))
		require.Equal(t, virshNames(want), sortedKeys(got), "domains")
		var partial []string
		for _, d := range want {
			keys := fieldKeys(got[d.Name])
			require.Subset(t, d.Keys, keys, "domain %q has keys virsh does not print", d.Name)
			if len(keys) != len(d.Keys) {
				partial = append(partial, d.Name)
			}
		}
		if len(partial) == 0 {
			t.Logf("complete at try %d", try)
			return
		}
		require.Less(t, try, tries, "still partial after %d gathers: %q", tries, partial)
		t.Logf("try %d: partial stats for %q (job held by another client)", try, partial)
		time.Sleep(200 * time.Millisecond)
	}
}

// Stable keys equal virsh's; counters lie between a virsh run before the
// gather and one after it; gauges are only present. The motion of each key
// comes from documentedKeys.
func TestQEMUValuesBetweenVirshRuns(t *testing.T) {
	forBacking(t, func(t *testing.T, p *LibvirtStats, virsh []string) {
		before := virshtest.ByName(virshStats(t, virsh...))
		got := byDomain(t, gather(t, p))
		after := virshtest.ByName(virshStats(t, virsh...))
		require.Equal(t, sortedKeys(before), sortedKeys(after), "domains changed during the test")
		require.Equal(t, sortedKeys(before), sortedKeys(got))

		checked := map[motion]int{}
		for name, m := range got {
			b, a := before[name], after[name]
			for _, f := range m.FieldList() {
				spec, err := specFor(f.Key)
				require.NoError(t, err, "domain %q", name)
				bv, inB := b.Values[f.Key]
				av, inA := a.Values[f.Key]
				require.True(t, inB && inA, "domain %q: %s missing from a virsh run", name, f.Key)
				checked[spec.motion]++
				switch spec.motion {
				case stable:
					require.Equal(t, bv, av, "domain %q: stable key %s changed between the virsh runs", name, f.Key)
					require.Equal(t, bv, virshtest.Format(f.Value), "domain %q: %s", name, f.Key)
				case counter:
					requireBetween(t, name+" "+f.Key, bv, f.Value, av)
				case gauge:
				}
			}
		}
		t.Logf("checked %d stable, %d counter, %d gauge values", checked[stable], checked[counter], checked[gauge])
		require.Positive(t, checked[stable])
		require.Positive(t, checked[counter])
	})
}

// requireBetween checks lo <= v <= hi, lo and hi as virsh printed them.
func requireBetween(t *testing.T, what, lo string, v any, hi string) {
	t.Helper()
	switch x := v.(type) {
	case uint64:
		requireWithin(t, what, lo, x, hi, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) })
	case int64:
		requireWithin(t, what, lo, x, hi, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
	default:
		t.Fatalf("%s: counter of type %T", what, v)
	}
}

// requireWithin is requireBetween for one integer type and its parser.
func requireWithin[T int64 | uint64](t *testing.T, what, lo string, x T, hi string, parse func(string) (T, error)) {
	t.Helper()
	l, err := parse(lo)
	require.NoError(t, err, what)
	h, err := parse(hi)
	require.NoError(t, err, what)
	require.True(t, l <= x && x <= h, "%s: %d not within virsh's %d..%d", what, x, l, h)
}

// Every field has its documented type; a key missing from documentedKeys
// fails with its name.
func TestQEMUTypes(t *testing.T) {
	p := qemuPlugin(t)
	p.Backing = true
	got := byDomain(t, gather(t, p))
	halted := 0
	for name, m := range got {
		for _, f := range m.FieldList() {
			require.NoError(t, checkType(f.Key, f.Value), "domain %q", name)
			if strings.HasPrefix(f.Key, "vcpu.") && strings.HasSuffix(f.Key, ".halted") {
				halted++
			}
		}
	}
	t.Logf("vcpu.N.halted present %d times (QEMU reports it on few architectures)", halted)

	examples := []struct {
		domain, key string
		want        any
	}{
		{"tlv-run1", "state.state", int64(0)},
		{"tlv-run1", "cpu.time", uint64(0)},
		{"tlv-run1", "balloon.current", uint64(0)},
		{"tlv-run1", "vcpu.maximum", uint64(0)},
		{"tlv-run1", "vcpu.0.state", int64(0)},
		{"tlv-run1", "net.count", uint64(0)},
		{"tlv-run1", "net.1.name", ""},
		{"tlv-run1", "net.1.rx.bytes", uint64(0)},
		{"tlv-run1", "block.0.name", ""},
		{"tlv-run1", "block.0.capacity", uint64(0)},
		{"tlv-run1", "iothread.1.poll-max-ns", uint64(0)},
		{"tlv-run1", "dirtyrate.calc_status", int64(0)},
		{"tlv-run1", "dirtyrate.calc_start_time", int64(0)},
		{"tlv-run1", "dirtyrate.calc_mode", ""},
		{"tlv-run2", "block.1.backingIndex", uint64(0)},
		{"tlv-off", "state.reason", int64(0)},
	}
	for _, ex := range examples {
		m := got[ex.domain]
		require.NotNil(t, m, ex.domain)
		v, ok := m.GetField(ex.key)
		require.True(t, ok, "%s: no %s", ex.domain, ex.key)
		require.IsType(t, ex.want, v, "%s: %s", ex.domain, ex.key)
	}
}

// The read-only socket (the default) yields every key the read-write one
// does, and both what virsh prints on the read-write socket.
func TestQEMUReadOnlyIsComplete(t *testing.T) {
	keysOf := func(readOnly bool) map[string][]string {
		p := qemuPlugin(t)
		p.ReadOnly = readOnly
		out := map[string][]string{}
		for name, m := range byDomain(t, gather(t, p)) {
			out[name] = fieldKeys(m)
		}
		return out
	}
	require.True(t, qemuPlugin(t).ReadOnly, "read-only is the default")
	ro, rw := keysOf(true), keysOf(false)
	require.Equal(t, rw, ro)

	doms, err := virshtest.DomstatsRW(false)
	require.NoError(t, err)
	for _, d := range doms {
		require.Equal(t, d.Keys, ro[d.Name], "domain %q", d.Name)
	}
	require.Len(t, ro, len(doms))
}

// Each statistics group alone yields only its own keys, the ones virsh
// prints for it. perf, memory and vm are empty under TCG: they must not
// error, and what they return (nothing here) carries their prefix.
//
// With enforce, libvirt 9.0 rejects the whole call for iothread, dirtyrate
// and vm as soon as one listed domain is shut off (it has no QEMU to ask
// for the capability): the plugin must then fail as virsh --enforce does,
// and succeed once domain_states leaves the shut-off domains out.
func TestQEMUGroups(t *testing.T) {
	tests := []struct {
		group, prefix, virsh string
		present              bool
	}{
		{"state", "state.", "--state", true},
		{"cpu_total", "cpu.", "--cpu-total", true},
		{"balloon", "balloon.", "--balloon", true},
		{"vcpu", "vcpu.", "--vcpu", true},
		{"interface", "net.", "--interface", true},
		{"block", "block.", "--block", true},
		{"iothread", "iothread.", "--iothread", true},
		{"dirtyrate", "dirtyrate.", "--dirtyrate", true},
		{"perf", "perf.", "--perf", false},
		{"memory", "memory.", "--memory", false},
		{"vm", "vm.", "--vm", false},
	}
	variants := []struct {
		name     string
		enforce  bool
		states   []string
		virsh    []string
		mayError bool // as virsh does
	}{
		{"plain", false, nil, nil, false},
		{"enforce", true, nil, []string{"--enforce"}, true},
		{"enforce active", true, []string{"active"}, []string{"--enforce", "--list-active"}, false},
	}
	for _, tt := range tests {
		for _, v := range variants {
			t.Run(tt.group+"/"+v.name, func(t *testing.T) {
				p := qemuPlugin(t)
				p.StatisticsGroups = []string{tt.group}
				p.Enforce = v.enforce
				p.DomainStates = v.states
				require.NoError(t, p.Init())
				defer p.Stop()
				var acc testutil.Accumulator
				require.NoError(t, p.Gather(&acc))
				want, virshErr := virshtest.Domstats(append([]string{tt.virsh}, v.virsh...)...)

				if virshErr != nil {
					require.True(t, v.mayError, "virsh: %v", virshErr)
					_, msg, _ := strings.Cut(virshErr.Error(), "error: ")
					require.Len(t, acc.Errors, 1, "virsh failed: %v", virshErr)
					require.ErrorContains(t, acc.Errors[0], msg)
					require.Empty(t, acc.GetTelegrafMetrics())
					return
				}
				require.Empty(t, acc.Errors)
				got := byDomain(t, acc.GetTelegrafMetrics())
				for name, m := range got {
					for _, k := range fieldKeys(m) {
						require.True(t, strings.HasPrefix(k, tt.prefix), "group %s, domain %q: key %s", tt.group, name, k)
					}
				}
				wantNames := map[string]bool{}
				for _, d := range want {
					require.ElementsMatch(t, d.Keys, fieldKeys(got[d.Name]), "domain %q", d.Name)
					wantNames[d.Name] = true
				}
				for name := range got {
					require.True(t, wantNames[name], "domain %q not in virsh's output", name)
				}
				if tt.present {
					require.NotEmpty(t, got, "group %s returned nothing", tt.group)
				}
			})
		}
	}
}

// domain_states picks the real domains in each state, through the one-call
// path and through the list+filter path alike, as virsh's --list-* flags do.
func TestQEMUDomainStates(t *testing.T) {
	tests := []struct {
		name   string
		states []string
		virsh  []string
		keep   func(state int) bool
	}{
		{"running", []string{"running"}, []string{"--list-running"}, func(s int) bool { return s == virshtest.Running }},
		{"paused", []string{"paused"}, []string{"--list-paused"}, func(s int) bool { return s == virshtest.Paused }},
		{"shutoff", []string{"shutoff"}, []string{"--list-shutoff"}, func(s int) bool { return s == virshtest.Shutoff }},
		{"active", []string{"active"}, []string{"--list-active"}, func(s int) bool { return s != virshtest.Shutoff }},
		{"inactive", []string{"inactive"}, []string{"--list-inactive"}, func(s int) bool { return s == virshtest.Shutoff }},
		{"persistent", []string{"persistent"}, []string{"--list-persistent"}, func(int) bool { return true }},
		{"transient", []string{"transient"}, []string{"--list-transient"}, func(int) bool { return false }},
		{"other", []string{"other"}, []string{"--list-other"}, func(int) bool { return false }},
		{"paused or shutoff", []string{"paused", "shutoff"}, []string{"--list-paused", "--list-shutoff"},
			func(s int) bool { return s != virshtest.Running }},
		{"persistent and running", []string{"persistent", "running"}, []string{"--list-persistent", "--list-running"},
			func(s int) bool { return s == virshtest.Running }},
	}
	for _, tt := range tests {
		for _, filtered := range []bool{false, true} {
			path := "one call"
			if filtered {
				path = "list and filter"
			}
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				p := qemuPlugin(t)
				p.StatisticsGroups = []string{"state"}
				p.DomainStates = tt.states
				if filtered {
					p.Domains = []string{"tlv-*"}
				}
				got := byDomain(t, gather(t, p))

				var tlv []string
				for name, m := range got {
					if strings.HasPrefix(name, "tlv-") {
						tlv = append(tlv, name)
						require.Equal(t, int64(virshtest.Want[name]), m.Fields()["state.state"], name)
					}
				}
				slices.Sort(tlv)
				require.Equal(t, virshtest.WantNames(tt.keep), tlv)
				if !filtered {
					want := virshStats(t, append([]string{"--state"}, tt.virsh...)...)
					require.Equal(t, virshNames(want), sortedKeys(got))
				}
			})
		}
	}
}

// A name with a space, ',', '=' and '\' arrives unchanged as the domain tag,
// whichever way the domain is selected.
func TestQEMUOddNameArrivesAsTag(t *testing.T) {
	uuid, err := virshtest.Virsh("-r", "domuuid", "--", virshtest.OddName)
	require.NoError(t, err)
	others := virshtest.WantNames(func(int) bool { return true })
	others = slices.DeleteFunc(others, func(n string) bool { return n == virshtest.OddName })

	tests := []struct {
		name             string
		include, exclude []string
		want             []string
	}{
		{"no filter", nil, nil, virshtest.WantNames(func(int) bool { return true })},
		{"glob on the prefix", []string{"tlv-odd*"}, nil, []string{virshtest.OddName}},
		{"comma and equals in the glob", []string{"*,a=*"}, nil, []string{virshtest.OddName}},
		// A pattern without *, ? or [ is compared literally, '\' included.
		{"exact name", []string{virshtest.OddName}, nil, []string{virshtest.OddName}},
		// In a glob '\' escapes the next character: it must be doubled.
		{"glob, backslash doubled", []string{`tlv-odd*b\\c`}, nil, []string{virshtest.OddName}},
		{"glob, backslash single", []string{`tlv-odd*b\c`}, nil, nil},
		{"excluded", []string{"tlv-*"}, []string{"tlv-odd*"}, others},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := qemuPlugin(t)
			p.StatisticsGroups = []string{"state"}
			p.Domains, p.DomainsExclude = tt.include, tt.exclude
			got := byDomain(t, gather(t, p))
			var tlv []string
			for name := range got {
				if strings.HasPrefix(name, "tlv-") {
					tlv = append(tlv, name)
				}
			}
			slices.Sort(tlv)
			require.Equal(t, tt.want, tlv)
			if m, ok := got[virshtest.OddName]; ok {
				require.Equal(t, map[string]string{"domain": virshtest.OddName, "uuid": strings.TrimSpace(string(uuid))}, m.Tags())
			}
		})
	}
}
