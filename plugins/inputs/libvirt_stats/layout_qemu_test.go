//go:build cgo && linux && qemu

package libvirt_stats

import (
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

// The device layout of every real domain, with and without backing chains,
// is what virsh's keys predict: the domain's own keys on the domain metric
// in libvirt's order, one metric per disk (two for tlv-run2's overlay with
// backing), NIC, vCPU and iothread with the right tags, the fields the
// entity's keys without the prefix, stable values equal to virsh's.
func TestQEMUDeviceLayout(t *testing.T) {
	for _, backing := range []bool{false, true} {
		name := "default"
		var args []string
		if backing {
			name, args = "backing", []string{"--backing"}
		}
		t.Run(name, func(t *testing.T) {
			p := qemuPlugin(t)
			p.Layout = layoutDevice
			p.Backing = backing
			got := gather(t, p)
			want := virshStats(t, args...)

			byDom := map[string][]telegraf.Metric{}
			for _, m := range got {
				d, _ := m.GetTag("domain")
				byDom[d] = append(byDom[d], m)
			}
			require.Equal(t, virshNames(want), sortedKeys(byDom))
			counts := map[string]int{}
			for _, d := range want {
				domKeys, entities := predict(d)
				gotEntities := map[string]telegraf.Metric{}
				var dom telegraf.Metric
				for _, m := range byDom[d.Name] {
					uuid, _ := m.GetTag("uuid")
					require.NotEmpty(t, uuid, "%s: %s without uuid", d.Name, m.Name())
					if m.Name() == measurement {
						require.Nil(t, dom, "%s: two domain metrics", d.Name)
						dom = m
						continue
					}
					id := entityID(m.Name(), m.Tags())
					require.NotContains(t, gotEntities, id, "%s: two metrics %s", d.Name, id)
					gotEntities[id] = m
				}
				require.NotNil(t, dom, d.Name)
				require.Equal(t, domKeys, fieldKeys(dom), "%s: domain metric", d.Name)

				wantIDs := map[string]*wantEntity{}
				for _, e := range entities {
					if len(e.fields) > 0 {
						wantIDs[entityID(e.measurement, e.tags)] = e
					}
				}
				require.ElementsMatch(t, sortedKeys(wantIDs), sortedKeys(gotEntities), "%s: entities", d.Name)
				for id, e := range wantIDs {
					m := gotEntities[id]
					for k, v := range e.tags {
						require.Equal(t, v, m.Tags()[k], "%s %s: tag %s", d.Name, id, k)
					}
					require.ElementsMatch(t, sortedKeys(e.fields), fieldKeys(m), "%s %s", d.Name, id)
					for field, key := range e.fields {
						v, _ := m.GetField(field)
						require.NoError(t, checkType(key, v), "%s %s", d.Name, id)
						if spec, _ := specFor(key); spec.motion == stable {
							require.Equal(t, d.Values[key], virshtest.Format(v), "%s %s: %s", d.Name, id, field)
						}
					}
					counts[m.Name()]++
				}
			}
			t.Logf("entity metrics: %v", counts)
			require.Positive(t, counts["libvirt_stats_block"])
			require.Positive(t, counts["libvirt_stats_net"])
			require.Positive(t, counts["libvirt_stats_vcpu"])
			require.Positive(t, counts["libvirt_stats_iothread"])
		})
	}
}

// Specific devices of the test domains, by name: tlv-run3's two disks,
// tlv-run1's two NICs, tlv-run2's overlay and its base with backing. The
// backing index is libvirt's index of the image (<source index='N'> in
// the live XML), not its depth: only told apart, not compared.
func TestQEMUDeviceTags(t *testing.T) {
	p := qemuPlugin(t)
	p.Layout = layoutDevice
	p.Backing = true
	seen := map[string][]string{} // domain, measurement, device or interface, path -> backing indexes
	for _, m := range gather(t, p) {
		if m.Name() != "libvirt_stats_block" && m.Name() != "libvirt_stats_net" {
			continue
		}
		tags := m.Tags()
		id := tags["domain"] + " " + m.Name() + " " + tags["device"] + tags["interface"] + " " + tags["path"]
		seen[id] = append(seen[id], tags["backing_index"])
	}
	img := "/var/lib/libvirt/images/tlv/"
	for _, want := range []string{
		"tlv-run3 libvirt_stats_block vda " + img + "tlv-run3.qcow2",
		"tlv-run3 libvirt_stats_block vdb " + img + "tlv-run3-data.qcow2",
		"tlv-run2 libvirt_stats_block vda " + img + "tlv-run2.qcow2",
		"tlv-run2 libvirt_stats_block vda " + img + "base.qcow2",
		"tlv-run1 libvirt_stats_net tap-tlv-r1a ",
		"tlv-run1 libvirt_stats_net tap-tlv-r1b ",
	} {
		require.Contains(t, seen, want, "seen: %v", sortedKeys(seen))
		require.Len(t, seen[want], 1, want)
	}
	top, base := seen["tlv-run2 libvirt_stats_block vda "+img+"tlv-run2.qcow2"][0], seen["tlv-run2 libvirt_stats_block vda "+img+"base.qcow2"][0]
	require.NotEmpty(t, top)
	require.NotEmpty(t, base)
	require.NotEqual(t, top, base, "tlv-run2's two layers share a backing_index")
	require.Equal(t, []string{""}, seen["tlv-off libvirt_stats_block vda "+img+"tlv-off.qcow2"], "a shut-off domain's disk has no backing index")
}

// novaQEMUPlugin is the device layout with the Nova recipe.
func novaQEMUPlugin(t *testing.T) *LibvirtStats {
	t.Helper()
	p := qemuPlugin(t)
	p.Layout = layoutDevice
	p.MetadataTags, p.MetadataNamespaces = novaTags()
	return p
}

// novaTagsOf returns the Nova recipe's tags of every metric, by domain,
// requiring every metric of a domain to carry the same.
func novaTagsOf(t *testing.T, ms []telegraf.Metric) map[string]map[string]string {
	t.Helper()
	recipe, _ := novaTags()
	out := map[string]map[string]string{}
	for _, m := range ms {
		d, _ := m.GetTag("domain")
		tags := map[string]string{}
		for k := range recipe {
			if v, ok := m.GetTag(k); ok {
				tags[k] = v
			}
		}
		if prev, ok := out[d]; ok {
			require.Equal(t, prev, tags, "%s: %s has other metadata tags than the domain's other metrics", d, m.Name())
		}
		out[d] = tags
	}
	return out
}

func gatherMetrics(t *testing.T, p *LibvirtStats) []telegraf.Metric {
	t.Helper()
	acc, _ := gatherAcc(t, p)
	require.Empty(t, acc.Errors)
	return acc.GetTelegrafMetrics()
}

// Nova's metadata in the real domains' XML (the live XML of running ones,
// the configuration of tlv-off) arrives as tags on every metric; a missing
// node gives no tag. Each domain's XML is read once: later gathers take
// the tags from the cache.
func TestQEMUMetadataTags(t *testing.T) {
	p := novaQEMUPlugin(t)
	require.NoError(t, p.Init())
	defer p.Stop()
	first := gatherMetrics(t, p)
	got := novaTagsOf(t, first)
	for name, want := range virshtest.Nova {
		require.Equal(t, want, got[name], "%s (run scripts/hypervisor-up.sh if the domains lack Nova metadata)", name)
	}
	domains := uint64(len(got))
	require.Equal(t, domains, p.meta.fetchCount())
	for range 3 {
		require.Equal(t, got, novaTagsOf(t, gatherMetrics(t, p)))
	}
	require.Equal(t, domains, p.meta.fetchCount(), "no XML read after the first gather")
}

// `virsh metadata` on a running domain sends a metadata-change event: the
// next gathers read that domain's XML again, and no other.
func TestQEMUMetadataRefresh(t *testing.T) {
	p := novaQEMUPlugin(t)
	require.NoError(t, p.Init())
	defer p.Stop()
	before := novaTagsOf(t, gatherMetrics(t, p))
	require.Equal(t, "db-1", before["tlv-run3"]["instance_name"])
	fetched := p.meta.fetchCount()

	restore, err := virshtest.SetLiveNovaName("tlv-run3", "db-1-renamed")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, restore()) })

	var after map[string]map[string]string
	require.Eventually(t, func() bool {
		after = novaTagsOf(t, gatherMetrics(t, p))
		return after["tlv-run3"]["instance_name"] == "db-1-renamed"
	}, 10*time.Second, 20*time.Millisecond, "the metadata change did not reach the tags")
	want := maps.Clone(before)
	want["tlv-run3"] = maps.Clone(before["tlv-run3"])
	want["tlv-run3"]["instance_name"] = "db-1-renamed"
	require.Equal(t, want, after)
	require.Equal(t, fetched+1, p.meta.fetchCount(), "only tlv-run3's XML read again")
}

// virsh domstate --reason, in the words of state_names.
func virshStateReason(t *testing.T, name string) (state, reason string) {
	t.Helper()
	out, err := virshtest.Virsh("-r", "domstate", "--reason", "--", name)
	require.NoError(t, err)
	m := regexp.MustCompile(`^(.+) \((.+)\)$`).FindStringSubmatch(strings.TrimSpace(string(out)))
	require.NotNil(t, m, "virsh domstate --reason %s: %q", name, out)
	states := map[string]string{"shut off": "shutoff", "in shutdown": "shutdown", "idle": "blocked", "no state": "nostate"}
	state = m[1]
	if s, ok := states[state]; ok {
		state = s
	}
	return state, strings.ReplaceAll(m[2], " ", "_")
}

// state_names on the real domains say what virsh domstate --reason says.
func TestQEMUStateNames(t *testing.T) {
	p := qemuPlugin(t)
	p.StateNames = true
	p.StatisticsGroups = []string{"state"}
	got := byDomain(t, gather(t, p))
	for name := range virshtest.Want {
		m := got[name]
		require.NotNil(t, m, name)
		state, reason := virshStateReason(t, name)
		require.Equal(t, state, m.Fields()[fieldStateName], name)
		require.Equal(t, reason, m.Fields()[fieldReasonName], name)
		t.Logf("%s: %s (%s)", name, state, reason)
	}
}
