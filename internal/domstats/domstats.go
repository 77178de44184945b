// Package domstats is the only cgo in this module: it makes libvirt's bulk
// domain statistics calls (virConnectGetAllDomainStats, virDomainListGetStats)
// on a connection opened by libvirt.org/go/libvirt and turns every typed
// parameter into a Go value of the matching type.
//
// The binding's own GetAllDomainStats is not used on purpose: it parses into
// fixed structs and silently drops keys it does not know, while this package
// passes every key through as libvirt names it.
package domstats

/*
#cgo pkg-config: libvirt
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// libvirt keeps the last error per thread: each helper makes its call and
// copies the error on the same thread, inside one cgo call.

static int tlvGetAllDomainStats(virConnectPtr conn, unsigned int stats,
                                unsigned int flags,
                                virDomainStatsRecordPtr **recs, virErrorPtr err)
{
    int n = virConnectGetAllDomainStats(conn, stats, recs, flags);
    if (n < 0)
        virCopyLastError(err);
    return n;
}

// The floor: the call and its free, nothing read; params gets the number of
// typed parameters the records held.
static int tlvFloor(virConnectPtr conn, unsigned int stats, unsigned int flags,
                    long long *params, virErrorPtr err)
{
    virDomainStatsRecordPtr *recs = NULL;
    int i, n = virConnectGetAllDomainStats(conn, stats, &recs, flags);
    if (n < 0) {
        virCopyLastError(err);
        return n;
    }
    *params = 0;
    for (i = 0; i < n; i++)
        *params += recs[i]->nparams;
    virDomainStatsRecordListFree(recs);
    return n;
}

static int tlvListAllDomains(virConnectPtr conn, unsigned int flags,
                             virDomainPtr **doms, virErrorPtr err)
{
    int n = virConnectListAllDomains(conn, doms, flags);
    if (n < 0)
        virCopyLastError(err);
    return n;
}

static int tlvDomainListGetStats(virDomainPtr *doms, unsigned int stats,
                                 unsigned int flags,
                                 virDomainStatsRecordPtr **recs, virErrorPtr err)
{
    int n = virDomainListGetStats(doms, stats, recs, flags);
    if (n < 0)
        virCopyLastError(err);
    return n;
}

// One record's domain name and raw UUID.
typedef struct {
    const char *name;
    unsigned char uuid[VIR_UUID_BUFLEN];
} tlvDomainID;

// The names and UUIDs live in the virDomain objects the records hold:
// reading them sends no RPC. One cgo call reads them all into ids (Go
// memory, n entries); the names stay owned by the records. The raw UUID
// is read rather than virDomainGetUUIDString, which formats it twice.
static void tlvDomainIDs(virDomainStatsRecordPtr *recs, int n, tlvDomainID *ids)
{
    int i;
    for (i = 0; i < n; i++) {
        ids[i].name = virDomainGetName(recs[i]->dom);
        if (virDomainGetUUID(recs[i]->dom, ids[i].uuid) < 0)
            memset(ids[i].uuid, 0, sizeof(ids[i].uuid));
    }
}

static void tlvFreeDomains(virDomainPtr *doms, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (doms[i])
            virDomainFree(doms[i]);
    free(doms);
}
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

// rawConn takes a reference on the binding's connection for the duration
// of one call; release drops it again.
func rawConn(conn *libvirt.Connect) (C.virConnectPtr, func(), error) {
	p, err := conn.RawPtr()
	if err != nil {
		return nil, nil, err
	}
	release := func() { _, _ = libvirt.CloseRawPtr(p) }
	return C.virConnectPtr(unsafe.Pointer(p)), release, nil
}

// GetAll makes one virConnectGetAllDomainStats call (one RPC on a remote
// connection). stats is the VIR_DOMAIN_STATS_* mask (0 = all the hypervisor
// supports), flags the VIR_CONNECT_GET_ALL_DOMAINS_STATS_* flags.
func (c *Converter) GetAll(conn *libvirt.Connect, stats, flags uint32) ([]Record, error) {
	cconn, release, err := rawConn(conn)
	if err != nil {
		return nil, err
	}
	defer release()

	var recs *C.virDomainStatsRecordPtr
	var cerr C.virError
	n := C.tlvGetAllDomainStats(cconn, C.uint(stats), C.uint(flags), &recs, &cerr)
	if n < 0 {
		return nil, goError(&cerr)
	}
	defer freeRecords(recs, int(n))
	return c.records(recs, int(n)), nil
}

// Floor makes the same virConnectGetAllDomainStats call as GetAll and frees
// the records without reading them, in one cgo call: the cost of the call
// alone, for the benchmarks to hold the plugin against. It returns the
// number of records and of typed parameters in them.
func Floor(conn *libvirt.Connect, stats, flags uint32) (records, params int, err error) {
	cconn, release, err := rawConn(conn)
	if err != nil {
		return 0, 0, err
	}
	defer release()

	var np C.longlong
	var cerr C.virError
	n := C.tlvFloor(cconn, C.uint(stats), C.uint(flags), &np, &cerr)
	if n < 0 {
		return 0, 0, goError(&cerr)
	}
	return int(n), int(np), nil
}

// GetMatching lists the domains selected by listFlags
// (VIR_CONNECT_LIST_DOMAINS_* state filters), keeps those whose name passes
// keep, and makes one virDomainListGetStats call for them alone, so the
// daemon never queries the others. Two RPCs in all on a remote connection.
// A domain that vanishes between the two calls is simply absent.
func (c *Converter) GetMatching(conn *libvirt.Connect, listFlags, stats, flags uint32, keep func(name string) bool) ([]Record, error) {
	cconn, release, err := rawConn(conn)
	if err != nil {
		return nil, err
	}
	defer release()

	var doms *C.virDomainPtr
	var cerr C.virError
	n := int(C.tlvListAllDomains(cconn, C.uint(listFlags), &doms, &cerr))
	if n < 0 {
		return nil, goError(&cerr)
	}
	all := unsafe.Slice(doms, n)
	defer C.tlvFreeDomains(doms, C.int(n))

	// Move the kept domains to the front of a NULL-terminated array of our
	// own; the list array keeps every pointer so the deferred free sees all.
	sel := (*C.virDomainPtr)(C.calloc(C.size_t(n+1), C.size_t(unsafe.Sizeof(*doms))))
	if sel == nil {
		return nil, errOutOfMemory
	}
	defer C.free(unsafe.Pointer(sel))
	picked := unsafe.Slice(sel, n+1)
	kept := 0
	for _, d := range all {
		if keep(C.GoString(C.virDomainGetName(d))) {
			picked[kept] = d
			kept++
		}
	}
	if kept == 0 {
		return nil, nil
	}

	var recs *C.virDomainStatsRecordPtr
	m := C.tlvDomainListGetStats(sel, C.uint(stats), C.uint(flags), &recs, &cerr)
	if m < 0 {
		return nil, goError(&cerr)
	}
	defer freeRecords(recs, int(m))
	return c.records(recs, int(m)), nil
}

// idBuffer receives the names and raw UUIDs of a call's records.
type idBuffer []C.tlvDomainID

// offPathRecords is the size from which a converted record list is freed on
// a goroutine of its own: virDomainStatsRecordListFree costs ~1 us per
// record (libvirt formats each domain's UUID while disposing of it), which
// the gather need not wait for. A short list is freed at once, cheaper than
// starting the goroutine.
const offPathRecords = 32

// freeRecords frees a record list whose contents have been copied.
func freeRecords(recs *C.virDomainStatsRecordPtr, n int) {
	if n < offPathRecords {
		C.virDomainStatsRecordListFree(recs)
		return
	}
	go func() { C.virDomainStatsRecordListFree(recs) }()
}

// records converts a record list; the caller frees it. It makes one cgo
// call for the names and UUIDs and none per record or parameter; one
// allocation holds every record's parameters.
func (c *Converter) records(recs *C.virDomainStatsRecordPtr, n int) []Record {
	if n == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cap(c.idBuf) < n {
		c.idBuf = make(idBuffer, n)
	}
	ids := c.idBuf[:n]
	C.tlvDomainIDs(recs, C.int(n), &ids[0])
	list := unsafe.Slice(recs, n)
	total := 0
	for _, r := range list {
		total += int(r.nparams)
	}
	slab := make([]Param, 0, total)
	out := make([]Record, n)
	for i, r := range list {
		raw := *(*[C.VIR_UUID_BUFLEN]byte)(unsafe.Pointer(&ids[i].uuid[0]))
		name, uuid := c.id(i, raw, cBytes(ids[i].name))
		np := int(r.nparams)
		params := c.params(slab[len(slab):len(slab):len(slab)+np], r.params, np)
		slab = slab[:len(slab)+len(params)]
		out[i] = Record{Name: name, UUID: uuid, Params: params}
	}
	clear(ids) // no C pointers kept past the free
	return out
}

func goError(e *C.virError) error {
	defer C.virResetError(e)
	return libvirt.Error{
		Code:    libvirt.ErrorNumber(e.code),
		Domain:  libvirt.ErrorDomain(e.domain),
		Message: C.GoString(e.message),
		Level:   libvirt.ErrorLevel(e.level),
	}
}

var errOutOfMemory = libvirt.Error{
	Code:    libvirt.ERR_NO_MEMORY,
	Message: "out of memory allocating the domain list",
	Level:   libvirt.ERR_ERROR,
}
