//go:build cgo && linux

package libvirt_stats

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"
)

func novaPlugin(t *testing.T) *LibvirtStats {
	t.Helper()
	p := newPlugin(t, nodeURI(t, "node-nova.xml"))
	p.MetadataTags, p.MetadataNamespaces = novaTags()
	return p
}

// startNova is novaPlugin, changed by configure, initialized and stopped
// when the test ends.
func startNova(t *testing.T, configure ...func(*LibvirtStats)) *LibvirtStats {
	t.Helper()
	p := novaPlugin(t)
	for _, c := range configure {
		c(p)
	}
	require.NoError(t, p.Init())
	t.Cleanup(p.Stop)
	return p
}

// tagsByDomain gathers once and returns each domain metric's tags.
func tagsByDomain(t *testing.T, p *LibvirtStats) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, m := range gatherClean(t, p) {
		if m.Name() == measurement {
			name, _ := m.GetTag("domain")
			out[name] = m.Tags()
		}
	}
	return out
}

func novaWant() map[string]map[string]string {
	return map[string]map[string]string{
		"instance-00000001": {
			"domain": "instance-00000001", "uuid": "4b1d0c5e-0000-4000-8000-000000000001",
			"instance_name": "web-1", "flavor": "m1.small",
			"project": "shop", "project_id": "f00dcafe-0000-4000-8000-0000000000bb",
			"user": "alice", "user_id": "8d3f9a52-0000-4000-8000-0000000000aa",
		},
		// No owner: no project and user tags, no error.
		"instance-00000002": {
			"domain": "instance-00000002", "uuid": "4b1d0c5e-0000-4000-8000-000000000002",
			"instance_name": "db-1", "flavor": "m1.large",
		},
		"plain": {"domain": "plain", "uuid": "4b1d0c5e-0000-4000-8000-000000000003"},
		// Nova's 1.0 namespace is another namespace.
		"instance-00000004": {"domain": "instance-00000004", "uuid": "4b1d0c5e-0000-4000-8000-000000000004"},
	}
}

// Tags from each domain's XML; the XML read once per domain, then from the
// cache.
func TestMetadataTags(t *testing.T) {
	p := startNova(t)
	require.Equal(t, novaWant(), tagsByDomain(t, p))
	require.Equal(t, uint64(4), p.meta.fetchCount())
	for range 3 {
		require.Equal(t, novaWant(), tagsByDomain(t, p))
	}
	require.Equal(t, uint64(4), p.meta.fetchCount(), "cached: no XML read after the first gather")
}

// In the device layout the metadata tags ride on every metric.
func TestMetadataTagsDeviceLayout(t *testing.T) {
	p := newPlugin(t, "test:///default")
	p.Layout = layoutDevice
	p.MetadataTags = map[string]string{"os_type": "/domain/os/type", "vcpus": "string(/domain/vcpu)", "mem": "number(/domain/memory) div 1024"}
	require.ErrorContains(t, p.Init(), `metadata_tags: tag name "vcpus" is taken; the plugin sets domain, uuid, backing_index, bank, bin, device,`)
	p.MetadataTags = map[string]string{"os_type": "/domain/os/type", "cpus": "string(/domain/vcpu)", "mem_mib": "number(/domain/memory) div 1024"}
	got := gather(t, p)
	require.NotEmpty(t, got)
	for _, m := range got {
		require.Equal(t, map[string]string{
			"domain": "test", "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f",
			"os_type": "hvm", "cpus": "2", "mem_mib": "8192",
		}, m.Tags())
	}
}

// A union covers instances of both Nova namespaces.
func TestMetadataTagsUnion(t *testing.T) {
	p := newPlugin(t, nodeURI(t, "node-nova.xml"))
	p.MetadataNamespaces = map[string]string{"nova": novaNS, "nova10": "http://openstack.org/xmlns/libvirt/nova/1.0"}
	p.MetadataTags = map[string]string{
		"instance_name": "/domain/metadata/nova:instance/nova:name | /domain/metadata/nova10:instance/nova10:name",
	}
	require.NoError(t, p.Init())
	defer p.Stop()
	got := tagsByDomain(t, p)
	require.Equal(t, "web-1", got["instance-00000001"]["instance_name"])
	require.Equal(t, "old-1", got["instance-00000004"]["instance_name"])
	require.NotContains(t, got["plain"], "instance_name")
}

// A metadata change event makes the next gathers read that domain's XML
// again, and only that one.
func TestMetadataRefreshOnEvent(t *testing.T) {
	// ReadOnly false: to change the metadata on the same (private) test driver
	p := startNova(t, func(p *LibvirtStats) { p.ReadOnly = false })
	require.Equal(t, novaWant(), tagsByDomain(t, p))
	require.Equal(t, uint64(4), p.meta.fetchCount())

	// The plugin's idle connection, handed back before the next gather.
	pc, err := p.pool.acquire()
	require.NoError(t, err)
	dom, err := pc.conn.LookupDomainByName("instance-00000002")
	require.NoError(t, err)
	require.NoError(t, dom.SetMetadata(libvirt.DOMAIN_METADATA_ELEMENT,
		`<instance><name>db-2</name><flavor name="m1.xlarge"/></instance>`, "nova", novaNS, libvirt.DOMAIN_AFFECT_LIVE))
	require.NoError(t, dom.Free())
	p.pool.release(pc, nil)

	want := novaWant()
	want["instance-00000002"]["instance_name"] = "db-2"
	want["instance-00000002"]["flavor"] = "m1.xlarge"
	// The event comes through libvirt's event loop thread, after
	// SetMetadata returned: gather until it has arrived. 10 s is a bound on
	// a lost event, not a speed: the event takes microseconds in-process,
	// and a loaded 2-core machine delays it by scheduler slices (ms).
	require.Eventually(t, func() bool {
		return tagsByDomain(t, p)["instance-00000002"]["instance_name"] == "db-2"
	}, 10*time.Second, 10*time.Millisecond, "the event did not refresh the tags")
	require.Equal(t, want, tagsByDomain(t, p))
	require.Equal(t, uint64(5), p.meta.fetchCount(), "one XML read again")
}

// After a reconnection every domain's XML is read again: events were not
// watched in between.
func TestMetadataRefreshOnReconnect(t *testing.T) {
	p := startNova(t)
	tagsByDomain(t, p)
	tagsByDomain(t, p)
	require.Equal(t, uint64(4), p.meta.fetchCount())
	p.pool.close()
	require.Equal(t, novaWant(), tagsByDomain(t, p))
	opens, _ := p.pool.counts()
	require.Equal(t, 2, opens)
	require.Equal(t, uint64(8), p.meta.fetchCount())
}

// With metadata_refresh_interval, an entry is read again once it is that
// old, on the cache's clock (a test clock here, so no gather depends on
// how fast the machine runs it).
func TestMetadataRefreshInterval(t *testing.T) {
	p := startNova(t, func(p *LibvirtStats) { p.MetadataRefreshInterval = config.Duration(time.Minute) })
	clock := time.Unix(1000, 0)
	p.meta.now = func() time.Time { return clock }
	tagsByDomain(t, p)
	clock = clock.Add(time.Minute - time.Nanosecond)
	tagsByDomain(t, p)
	require.Equal(t, uint64(4), p.meta.fetchCount(), "read again before the interval")
	clock = clock.Add(time.Nanosecond)
	require.Equal(t, novaWant(), tagsByDomain(t, p))
	require.Equal(t, uint64(8), p.meta.fetchCount(), "not read again at the interval")
}

// A domain absent from a gather (filtered, or gone) leaves the cache.
func TestMetadataForgetsUnseen(t *testing.T) {
	p := startNova(t)
	tagsByDomain(t, p)
	require.Len(t, p.meta.entries, 4)
	var err error
	p.listFlags, err = stateFlags([]string{"shutoff"})
	require.NoError(t, err)
	require.Len(t, tagsByDomain(t, p), 1)
	require.Len(t, p.meta.entries, 1)
}

// An event between the start of a fetch and its end leaves the entry
// stale: the XML read may predate the change.
func TestMetadataEventDuringFetch(t *testing.T) {
	c := newMetadataCache(nil, 0, testutil.Logger{})
	start := c.clock
	c.invalidate("u")
	c.entries["u"] = &metadataEntry{clock: start, fetched: time.Now()}
	require.False(t, c.freshLocked("u", time.Now()))
	c.entries["u"] = &metadataEntry{clock: c.clock, fetched: time.Now()}
	require.True(t, c.freshLocked("u", time.Now()))
	c.invalidateAll()
	require.False(t, c.freshLocked("u", time.Now()))
}

func TestXPathValues(t *testing.T) {
	queries, err := compileMetadataTags(map[string]string{
		"attr":    "/domain/@type",
		"text":    "/domain/name",
		"spaces":  "/domain/description",
		"empty":   "/domain/title",
		"missing": "/domain/metadata/x",
		"count":   "count(/domain/devices/disk)",
		"half":    "1 div 2",
		"bool":    "boolean(/domain/devices)",
		"concat":  "concat(/domain/name, '@', /domain/@type)",
	}, nil)
	require.NoError(t, err)
	c := newMetadataCache(queries, 0, testutil.Logger{})
	tags, err := c.evaluate(`<domain type='kvm'><name>vm</name><title></title><description>
	  two words
	</description><devices><disk/><disk/></devices></domain>`)
	require.NoError(t, err)
	require.Equal(t, []telegraf.Tag{
		{Key: "attr", Value: "kvm"},
		{Key: "bool", Value: "true"},
		{Key: "concat", Value: "vm@kvm"},
		{Key: "count", Value: "2"},
		{Key: "half", Value: "0.5"},
		{Key: "spaces", Value: "two words"},
		{Key: "text", Value: "vm"},
	}, tags)
}

func TestMetadataInitErrors(t *testing.T) {
	tests := []struct {
		name      string
		tags, nss map[string]string
		refresh   time.Duration
		want      string
	}{
		{"invalid xpath", map[string]string{"flavor": "/domain/metadata/["}, nil, 0,
			`metadata_tags: tag "flavor": invalid XPath "/domain/metadata/["`},
		{"undeclared prefix", map[string]string{"project": "/domain/metadata/nova:instance"}, nil, 0,
			`metadata_tags: tag "project": invalid XPath "/domain/metadata/nova:instance": prefix nova not defined`},
		{"reserved name", map[string]string{"uuid": "/domain/uuid"}, nil, 0,
			`metadata_tags: tag name "uuid" is taken; the plugin sets domain, uuid, backing_index, bank, bin, device, interface, interval, iothread, monitor, node, op, path, pkg, timed_group, vcpu, vcpus`},
		{"empty name", map[string]string{"": "/domain/uuid"}, nil, 0,
			`metadata_tags: a tag name is empty`},
		{"bad namespace", map[string]string{"x": "/domain"}, map[string]string{"nova": ""}, 0,
			`metadata_namespaces: "nova" = "": give a prefix without ':' and a namespace URI`},
		{"negative refresh", nil, nil, -time.Second,
			`metadata_refresh_interval -1s must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlugin(t, "test:///default")
			p.MetadataTags, p.MetadataNamespaces = tt.tags, tt.nss
			p.MetadataRefreshInterval = config.Duration(tt.refresh)
			require.ErrorContains(t, p.Init(), tt.want)
		})
	}
}
