//go:build cgo && linux

// Package domstats is the only cgo of this module's production code: it
// makes libvirt's bulk domain statistics calls (virConnectGetAllDomainStats,
// virDomainListGetStats) on a connection opened by libvirt.org/go/libvirt
// and turns every typed parameter into a Go value of the matching type.
// Its test support, with C of its own, is domstatstest.
//
// The binding's own GetAllDomainStats is not used on purpose: it parses into
// fixed structs and silently drops keys it does not know, while this package
// passes every key through as libvirt names it.
//
// The calls run on worker threads of this package (calls.c): the goroutine
// that waits for one is parked in Go's network poller, not blocked in C, and
// the records are freed on a worker thread once converted.
package domstats

/*
#cgo pkg-config: libvirt
#include "calls.h"
*/
import "C"

import (
	"unsafe"

	"libvirt.org/go/libvirt"
)

// Record is the statistics of one domain from one bulk call.
type Record struct {
	Name   string
	UUID   string
	Params []Param
}

// rawConn takes a reference on the binding's connection.
func rawConn(conn *libvirt.Connect) (C.virConnectPtr, error) {
	p, err := conn.RawPtr()
	if err != nil {
		return nil, err
	}
	return C.virConnectPtr(unsafe.Pointer(p)), nil
}

// releaseConn releases a reference rawConn took.
func releaseConn(cconn C.virConnectPtr) {
	if cconn != nil {
		C.virConnectClose(cconn)
	}
}

// GetAll makes one virConnectGetAllDomainStats call (one RPC on a remote
// connection). stats is the VIR_DOMAIN_STATS_* mask (0 = all the hypervisor
// supports), flags the VIR_CONNECT_GET_ALL_DOMAINS_STATS_* flags. The call
// runs on a worker thread; GetAll returns when it has returned.
func (c *Converter) GetAll(conn *libvirt.Connect, stats, flags uint32) ([]Record, error) {
	cconn, err := rawConn(conn)
	if err != nil {
		return nil, err
	}
	return c.collect(newJob(C.TLV_GET_ALL, stats, flags), cconn)
}

// collect makes a stats job's call on a worker thread, converts its records
// and frees it; cconn, if not nil, is a reference the job releases.
func (c *Converter) collect(job *C.tlvJob, cconn C.virConnectPtr) ([]Record, error) {
	j, err := submit(job, cconn)
	if err != nil {
		return nil, err
	}
	defer j.free()
	if err := j.wait(); err != nil {
		return nil, err
	}
	return c.records(j.cjob.recs, j.cjob.ids, int(j.cjob.n)), nil
}

// GetMatching lists the domains selected by listFlags
// (VIR_CONNECT_LIST_DOMAINS_* state filters), keeps those whose name passes
// keep, and makes one virDomainListGetStats call for them alone, so the
// daemon never queries the others. Two RPCs in all on a remote connection,
// each on a worker thread. A domain that vanishes between the two calls is
// simply absent.
func (c *Converter) GetMatching(conn *libvirt.Connect, listFlags, stats, flags uint32, keep func(name string) bool) ([]Record, error) {
	cconn, err := rawConn(conn)
	if err != nil {
		return nil, err
	}
	listJob, err := submit(newJob(C.TLV_LIST, 0, listFlags), cconn)
	if err != nil {
		return nil, err
	}
	defer listJob.free()
	if err := listJob.wait(); err != nil {
		return nil, err
	}
	n := int(listJob.cjob.n)
	listed := unsafe.Slice(listJob.cjob.doms, n)

	// The kept domains, NULL-terminated; the list job keeps the references.
	statsJob := newJob(C.TLV_LIST_GET_STATS, stats, flags)
	statsJob.selected = (*C.virDomainPtr)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(*listJob.cjob.doms))))
	if statsJob.selected == nil {
		C.tlvJobFree(statsJob)
		return nil, errNoMemoryForSelection
	}
	picked := unsafe.Slice(statsJob.selected, n+1)
	kept := 0
	for i, name := range unsafe.Slice(listJob.cjob.names, n) {
		if keep(string(cBytes(name))) {
			picked[kept] = listed[i]
			kept++
		}
	}
	if kept == 0 {
		C.tlvJobFree(statsJob)
		return nil, nil
	}
	return c.collect(statsJob, nil)
}

// records converts a record list without calling C; the caller frees it.
// One allocation holds every record's parameters.
func (c *Converter) records(recs *C.virDomainStatsRecordPtr, ids *C.tlvDomainID, n int) []Record {
	if n == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := unsafe.Slice(recs, n)
	total := 0
	for _, r := range list {
		total += int(r.nparams)
	}
	slab := make([]Param, 0, total)
	out := make([]Record, n)
	domainIDs := unsafe.Slice(ids, n)
	for i, r := range list {
		name, uuid := c.domain(i, &domainIDs[i])
		np := int(r.nparams)
		out[i] = Record{Name: name, UUID: uuid, Params: c.params(slab[len(slab):len(slab):len(slab)+np], r.params, np)}
		slab = slab[:len(slab)+len(out[i].Params)]
	}
	c.trim(n)
	return out
}

// cacheSlack is how far the string caches may outgrow what one call uses
// before they start over.
const cacheSlack = 64

// trim starts the caches over once they hold far more than a call of n
// records uses: on a host where domains come and go (each with a new UUID,
// often a new name) they would otherwise keep every domain ever seen, up to
// maxInterned. The strings in use stay valid; the next call interns them
// again.
func (c *Converter) trim(n int) {
	if len(c.uuids) > 2*n+cacheSlack {
		clear(c.uuids)
	}
	if len(c.interned) > 2*(n+len(c.lastKeys))+cacheSlack {
		clear(c.interned)
	}
	if len(c.lastDomains) > n {
		clear(c.lastDomains[n:])
		c.lastDomains = c.lastDomains[:n]
	}
}

// CacheSizes is the number of interned strings (keys and names), formatted
// UUIDs and remembered domain positions, for tests that hold them bounded.
func (c *Converter) CacheSizes() (strs, uuids, domains int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.interned), len(c.uuids), len(c.lastDomains)
}

// domain returns the name and UUID of the i-th record's domain. A host's
// domains come back in the same order call after call, so the i-th domain
// of the last call is tried first.
func (c *Converter) domain(i int, d *C.tlvDomainID) (name, uuid string) {
	raw := *(*[16]byte)(unsafe.Pointer(&d.uuid[0]))
	nb := cBytes(d.name)
	if i < len(c.lastDomains) && c.lastDomains[i].raw == raw && c.lastDomains[i].name == string(nb) {
		return c.lastDomains[i].name, c.lastDomains[i].uuid
	}
	cur := listedDomain{raw: raw, name: c.intern(nb), uuid: c.uuidString(raw)}
	if i < len(c.lastDomains) {
		c.lastDomains[i] = cur
	} else {
		c.lastDomains = append(c.lastDomains, cur)
	}
	return cur.name, cur.uuid
}
