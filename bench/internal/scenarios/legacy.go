package scenarios

/*
#cgo pkg-config: libvirt
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <libvirt/libvirt.h>

// The per-domain calls collectd's virt plugin makes on every read, in C as
// collectd makes them: virDomainGetInfo, then for an active domain
// virDomainGetVcpus, virDomainMemoryStats, virDomainBlockStats per disk and
// virDomainInterfaceStats per NIC. (The Go binding's GetVcpus would add a
// virNodeGetInfo and a second virDomainGetInfo per domain: 2 RPCs collectd
// does not make.)

#define TLVB_MAX_VCPUS 64
#define TLVB_MAX_DEVS 16

typedef struct {
    int state, failed;
    unsigned long long info[4]; // maxMem, memory, nrVirtCpu, cpuTime
    int nvcpus;
    unsigned long long vcpu[TLVB_MAX_VCPUS];
    int nmem;
    unsigned long long mem[VIR_DOMAIN_MEMORY_STAT_NR];
    long long block[TLVB_MAX_DEVS][5];
    long long net[TLVB_MAX_DEVS][8];
} tlvbDomainValues;

static int tlvbListDomains(virConnectPtr c, virDomainPtr **doms)
{
    return virConnectListAllDomains(c, doms, 0);
}

static void tlvbFreeDomains(virDomainPtr *doms, int n)
{
    int i;
    for (i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
}

static virDomainPtr tlvbAt(virDomainPtr *doms, int i) { return doms[i]; }

static void tlvbDomainStats(virDomainPtr d, int maplen, char **disks, int ndisks,
                            char **nics, int nnics, tlvbDomainValues *v)
{
    virDomainInfo info;
    virVcpuInfo vinfo[TLVB_MAX_VCPUS];
    unsigned char maps[TLVB_MAX_VCPUS * 32];
    virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
    int i, n;

    v->failed = 0;
    if (virDomainGetInfo(d, &info) < 0) {
        v->failed++;
        return;
    }
    v->state = info.state;
    v->info[0] = info.maxMem;
    v->info[1] = info.memory;
    v->info[2] = info.nrVirtCpu;
    v->info[3] = info.cpuTime;
    v->nvcpus = v->nmem = 0;
    if (info.state != VIR_DOMAIN_RUNNING && info.state != VIR_DOMAIN_PAUSED)
        return;

    n = info.nrVirtCpu < TLVB_MAX_VCPUS ? info.nrVirtCpu : TLVB_MAX_VCPUS;
    if (maplen > 32)
        maplen = 32;
    n = virDomainGetVcpus(d, vinfo, n, maps, maplen);
    if (n < 0)
        v->failed++;
    for (i = 0; i < n; i++)
        v->vcpu[i] = vinfo[i].cpuTime;
    v->nvcpus = n > 0 ? n : 0;

    n = virDomainMemoryStats(d, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    if (n < 0)
        v->failed++;
    for (i = 0; i < n; i++)
        v->mem[i] = ms[i].val;
    v->nmem = n > 0 ? n : 0;

    for (i = 0; i < ndisks && i < TLVB_MAX_DEVS; i++) {
        virDomainBlockStatsStruct bs;
        if (virDomainBlockStats(d, disks[i], &bs, sizeof(bs)) < 0) {
            v->failed++;
            continue;
        }
        v->block[i][0] = bs.rd_req;
        v->block[i][1] = bs.rd_bytes;
        v->block[i][2] = bs.wr_req;
        v->block[i][3] = bs.wr_bytes;
        v->block[i][4] = bs.errs;
    }
    for (i = 0; i < nnics && i < TLVB_MAX_DEVS; i++) {
        virDomainInterfaceStatsStruct is;
        if (virDomainInterfaceStats(d, nics[i], &is, sizeof(is)) < 0) {
            v->failed++;
            continue;
        }
        v->net[i][0] = is.rx_bytes;
        v->net[i][1] = is.rx_packets;
        v->net[i][2] = is.rx_errs;
        v->net[i][3] = is.rx_drop;
        v->net[i][4] = is.tx_bytes;
        v->net[i][5] = is.tx_packets;
        v->net[i][6] = is.tx_errs;
        v->net[i][7] = is.tx_drop;
    }
}

static char *tlvbDomainXML(virDomainPtr d) { return virDomainGetXMLDesc(d, 0); }

static void tlvbDomainID(virDomainPtr d, char *uuid, const char **name)
{
    if (virDomainGetUUIDString(d, uuid) < 0)
        uuid[0] = '\0';
    *name = virDomainGetName(d);
}

// C allocations so far, from bench/cmalloc when it is preloaded; -1 if not.
static long tlvbCMallocs(void)
{
    static unsigned long (*count)(void);
    static int looked;
    if (!looked) {
        count = (unsigned long (*)(void))dlsym(RTLD_DEFAULT, "tlvb_malloc_count");
        looked = 1;
    }
    return count ? (long)count() : -1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"libvirt.org/go/libvirt"
)

func cMallocs() int64 { return int64(C.tlvbCMallocs()) }

// legacy collects what collectd's virt plugin collects, the way it does:
// list the domains, then per domain GetInfo, GetVcpus, MemoryStats,
// BlockStats per disk and InterfaceStats per NIC. The disk and NIC names
// come from the domain XML, read once per domain and cached (collectd
// re-reads it every refresh_interval, 60 s by default, not every read).
type legacy struct {
	uri    string
	conn   *libvirt.Connect
	maplen int
	devs   map[string]*devices // by UUID
	recs   []legacyRecord
	last   results.Tally
}

type devices struct {
	disks, nics []*C.char
}

func (l *legacy) open() error {
	var err error
	if l.conn, err = libvirt.NewConnect(l.uri); err != nil {
		return err
	}
	ni, err := l.conn.GetNodeInfo() // once, as collectd does at init
	if err != nil {
		return err
	}
	l.maplen = (int(ni.Nodes*ni.Sockets*ni.Cores*ni.Threads) + 7) / 8
	l.devs = map[string]*devices{}
	return nil
}

func (l *legacy) gather() error {
	p, err := l.conn.RawPtr()
	if err != nil {
		return err
	}
	defer func() { _, _ = libvirt.CloseRawPtr(p) }()
	cconn := C.virConnectPtr(unsafe.Pointer(p))

	var doms *C.virDomainPtr
	n := int(C.tlvbListDomains(cconn, &doms))
	if n < 0 {
		return errors.New("virConnectListAllDomains failed")
	}
	defer C.tlvbFreeDomains(doms, C.int(n))

	l.recs = make([]legacyRecord, 0, n)
	l.last = results.Tally{Domains: n}
	var uuid [C.VIR_UUID_STRING_BUFLEN]C.char
	var v C.tlvbDomainValues
	for i := range n {
		d := C.tlvbAt(doms, C.int(i))
		var cname *C.char
		C.tlvbDomainID(d, &uuid[0], &cname)
		name, id := C.GoString(cname), C.GoString(&uuid[0])
		dv, err := l.devices(d, id)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		C.tlvbDomainStats(d, C.int(l.maplen), cArray(dv.disks), C.int(len(dv.disks)),
			cArray(dv.nics), C.int(len(dv.nics)), &v)
		l.last.Errors += int(v.failed)
		r := newLegacyRecord(name, id, &v, len(dv.disks), len(dv.nics))
		l.last.Params += 1 + len(r.Info) + len(r.VCPU) + len(r.Mem) + 5*len(r.Block) + 8*len(r.Net)
		l.recs = append(l.recs, r)
	}
	return nil
}

// newLegacyRecord copies one domain's values out of C: the block and
// interface counters only for an active domain, whose disks and NICs were
// asked for (up to TLVB_MAX_DEVS of each).
func newLegacyRecord(name, uuid string, v *C.tlvbDomainValues, disks, nics int) legacyRecord {
	r := legacyRecord{Name: name, UUID: uuid, State: int(v.state)}
	for j := range r.Info {
		r.Info[j] = uint64(v.info[j])
	}
	r.VCPU = make([]uint64, int(v.nvcpus))
	for j := range r.VCPU {
		r.VCPU[j] = uint64(v.vcpu[j])
	}
	r.Mem = make([]uint64, int(v.nmem))
	for j := range r.Mem {
		r.Mem[j] = uint64(v.mem[j])
	}
	if v.state != C.VIR_DOMAIN_RUNNING && v.state != C.VIR_DOMAIN_PAUSED {
		return r
	}
	r.Block = make([][5]int64, min(disks, C.TLVB_MAX_DEVS))
	for j := range r.Block {
		for k := range r.Block[j] {
			r.Block[j][k] = int64(v.block[j][k])
		}
	}
	r.Net = make([][8]int64, min(nics, C.TLVB_MAX_DEVS))
	for j := range r.Net {
		for k := range r.Net[j] {
			r.Net[j][k] = int64(v.net[j][k])
		}
	}
	return r
}

// devices returns the domain's disk targets and NIC names, reading its XML
// the first time the domain is seen.
func (l *legacy) devices(d C.virDomainPtr, uuid string) (*devices, error) {
	if dv, ok := l.devs[uuid]; ok {
		return dv, nil
	}
	cxml := C.tlvbDomainXML(d)
	if cxml == nil {
		return nil, errors.New("virDomainGetXMLDesc failed")
	}
	doc := C.GoString(cxml)
	C.free(unsafe.Pointer(cxml))
	disks, nics, err := domainDevices(doc)
	if err != nil {
		return nil, err
	}
	dv := &devices{}
	for _, d := range disks {
		dv.disks = append(dv.disks, C.CString(d))
	}
	for _, n := range nics {
		dv.nics = append(dv.nics, C.CString(n))
	}
	l.devs[uuid] = dv
	return dv, nil
}

// cArray gives C a char** over a slice of C strings. The slice's backing
// array holds only C pointers, so passing it is allowed by cgo's rules.
func cArray(s []*C.char) **C.char {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func (l *legacy) tally() results.Tally { return l.last }
func (l *legacy) close()               { _, _ = l.conn.Close() }
