//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// metadata_cache.go: each domain's metadata tags, read from its XML once
// and kept until libvirt's events (or metadata_refresh_interval) say they
// may have changed; metadata.go compiles and evaluates the XPaths.

// metadataEntry is the tags of one domain from its XML.
type metadataEntry struct {
	tags    []telegraf.Tag
	clock   uint64 // the cache's clock when the fetch started
	fetched time.Time
}

// metadataCache keeps each domain's metadata tags by UUID, so the domain
// XML is read once, not at every gather. An entry goes stale on libvirt's
// lifecycle and metadata-change events for its domain, on every
// (re)connection (events may have been missed), and after refresh if set.
// Stale and missing entries are fetched at the next gather with one
// ListAllDomains call and one GetXMLDesc per domain.
type metadataCache struct {
	queries []metadataQuery
	refresh time.Duration // 0: events only
	log     telegraf.Logger
	now     func() time.Time // time.Now; a test's clock in tests

	evalMu sync.Mutex // a compiled XPath keeps state while it evaluates

	mu      sync.Mutex
	clock   uint64            // ticks at every invalidation
	all     uint64            // clock of the last invalidation of everything
	invalid map[string]uint64 // clock of the last event per UUID
	entries map[string]*metadataEntry
	seen    seenDomains
	fetches uint64 // XML documents read
}

func newMetadataCache(queries []metadataQuery, refresh time.Duration, log telegraf.Logger) *metadataCache {
	return &metadataCache{
		queries: queries,
		refresh: refresh,
		log:     log,
		now:     time.Now,
		invalid: map[string]uint64{},
		entries: map[string]*metadataEntry{},
		seen:    seenDomains{},
	}
}

// freshLocked tells whether uuid's entry can be used as it is.
func (c *metadataCache) freshLocked(uuid string, now time.Time) bool {
	e := c.entries[uuid]
	if e == nil || e.clock < c.all || e.clock < c.invalid[uuid] {
		return false
	}
	return c.refresh <= 0 || now.Sub(e.fetched) < c.refresh
}

// resolve reads the XML of the domains among recs whose entry is missing or
// stale. It runs inside the stats call's deadline, on its goroutine.
func (c *metadataCache) resolve(conn *libvirt.Connect, recs []domstats.Record) {
	now := c.now()
	c.mu.Lock()
	start := c.clock
	var want map[string]bool
	for _, r := range recs {
		if !c.freshLocked(r.UUID, now) {
			if want == nil {
				want = make(map[string]bool)
			}
			want[r.UUID] = true
		}
	}
	c.mu.Unlock()
	if len(want) == 0 {
		return
	}
	// One call for any number of domains, where lookups by UUID cost one
	// each: after a (re)connection every domain wants its XML.
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		c.log.Warnf("Listing domains for their metadata: %v", err)
		return
	}
	for i := range doms {
		d := &doms[i]
		if uuid, err := d.GetUUIDString(); err == nil && want[uuid] {
			c.fetch(d, uuid, start, now)
		}
		_ = d.Free()
	}
}

// fetch reads one domain's XML and stores its tags. A domain that vanished
// meanwhile is skipped; another failure is logged and retried next gather.
func (c *metadataCache) fetch(d *libvirt.Domain, uuid string, start uint64, now time.Time) {
	// Flags 0: VIR_DOMAIN_XML_SECURE is refused on a read-only connection,
	// and the metadata is in the plain XML.
	xml, err := d.GetXMLDesc(0)
	if err != nil {
		var lerr libvirt.Error
		if errors.As(err, &lerr) && lerr.Code == libvirt.ERR_NO_DOMAIN {
			return
		}
		c.log.Warnf("Reading the XML of domain %s for metadata_tags: %v", uuid, err)
		return
	}
	tags, err := c.evaluate(xml)
	if err != nil {
		// Cached all the same: the same XML would fail again.
		c.log.Warnf("metadata_tags of domain %s: %v", uuid, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[uuid] = &metadataEntry{tags: tags, clock: start, fetched: now}
	c.fetches++
}

// tags returns the domain's last known metadata tags, stale or not, and
// marks it seen.
func (c *metadataCache) tags(uuid string) []telegraf.Tag {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen.see(uuid)
	if e := c.entries[uuid]; e != nil {
		return e.tags
	}
	return nil
}

// forgetUnseen drops the domains that were not in this gather.
func (c *metadataCache) forgetUnseen() {
	c.mu.Lock()
	defer c.mu.Unlock()
	forgetUnseen(c.entries, c.seen)
	forgetUnseen(c.invalid, c.seen)
	clear(c.seen)
}

func (c *metadataCache) invalidate(uuid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	c.invalid[uuid] = c.clock
}

func (c *metadataCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	c.all = c.clock
	clear(c.invalid)
}

// fetchCount is the number of XML documents read so far.
func (c *metadataCache) fetchCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// connected is the connection's open hook: every entry goes stale, since
// events were not watched while there was no connection, and the domain
// events that change the XML are watched on the new one. It returns the
// close hook that stops watching them.
func (c *metadataCache) connected(conn *libvirt.Connect) func() {
	c.invalidateAll()
	var ids []int
	onDomain := func(d *libvirt.Domain) {
		if uuid, err := d.GetUUIDString(); err == nil {
			c.invalidate(uuid)
		}
	}
	id, err := conn.DomainEventLifecycleRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, ev *libvirt.DomainEventLifecycle) {
		// Defining changes the configuration; starting and stopping switch
		// between the live XML and the configuration. Pausing and the
		// rest change neither.
		switch ev.Event {
		case libvirt.DOMAIN_EVENT_DEFINED, libvirt.DOMAIN_EVENT_UNDEFINED,
			libvirt.DOMAIN_EVENT_STARTED, libvirt.DOMAIN_EVENT_STOPPED:
			onDomain(d)
		}
	})
	if err == nil {
		ids = append(ids, id)
		id, err = conn.DomainEventMetadataChangeRegister(nil, func(_ *libvirt.Connect, d *libvirt.Domain, _ *libvirt.DomainEventMetadataChange) {
			onDomain(d)
		})
		if err == nil {
			ids = append(ids, id)
		}
	}
	if err != nil {
		if c.refresh > 0 {
			c.log.Warnf("No domain events (%v): metadata tags are read again every %s", err, c.refresh)
		} else {
			c.log.Warnf("No domain events (%v): metadata tags are read again only at reconnection; set metadata_refresh_interval", err)
		}
	}
	return func() {
		for _, id := range ids {
			// The callback holds a reference on the connection: without
			// this, closing would not close it.
			_ = conn.DomainEventDeregister(id)
		}
	}
}

// sizes is the number of cached entries, pending invalidations and domains
// seen in the current gather, for tests that hold them bounded.
func (c *metadataCache) sizes() (entries, invalid, seen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), len(c.invalid), len(c.seen)
}
