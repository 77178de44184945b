// All the C of internal/domstats (calls.c): the bulk calls, made on worker
// threads of their own, and the thread of libvirt's event loop. The Go
// files' cgo preambles only include this header.
//
// Names carry the prefix tlv (telegraf-libvirt): the same translation
// units include libvirt's headers, whose names all start with vir, and the
// prefix keeps ours apart from theirs and says whose they are.
#ifndef TLV_CALLS_H
#define TLV_CALLS_H

#include <stdlib.h> // the Go side's C.calloc and C.free

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// The name and UUID of a record's domain, read without an RPC. The UUID is
// the raw bytes: virDomainGetUUIDString formats with printf, which costs
// more than converting a record's parameters.
typedef struct {
    const char *name; // owned by the domain object, valid until the job is freed
    unsigned char uuid[VIR_UUID_BUFLEN];
} tlvDomainID;

enum {
    TLV_GET_ALL = 1,    // virConnectGetAllDomainStats
    TLV_LIST,           // virConnectListAllDomains, with the names
    TLV_LIST_GET_STATS, // virDomainListGetStats on selected
    TLV_RELEASE,        // free the job: its records, domains, names
};

typedef struct tlvJob {
    int kind;
    virConnectPtr conn;   // a reference the job holds; released when the call is done
    unsigned int stats;
    unsigned int flags;
    virDomainPtr *selected; // TLV_LIST_GET_STATS: NULL-terminated, owned by a TLV_LIST job
    unsigned long long id; // written to the notification pipe when the call is done

    int n;                // result: records or domains, -1 on error
    virError err;
    virDomainStatsRecordPtr *recs;
    tlvDomainID *ids;
    virDomainPtr *doms;   // TLV_LIST
    const char **names;   // TLV_LIST

    struct tlvJob *next;  // the queue
} tlvJob;

// Sets the pipe the workers write a finished job's id to (8 bytes, atomic).
void tlvSetNotify(int fd);

// Queues the job for a worker thread, starting one if none is idle; -1
// (errno set) if no thread could be started.
int tlvSubmit(tlvJob *job);

// Frees a finished job with its results and domain list.
void tlvJobFree(tlvJob *job);

// Frees a finished job on a worker thread, off the caller's path: freeing a
// thousand records costs a millisecond (libvirt formats each domain's UUID
// twice while disposing of it).
int tlvRelease(tlvJob *job);

// Initializes libvirt, registers its default event loop and runs it in a
// thread of its own; -1 with err set if any of it failed.
int tlvStartEventLoop(virErrorPtr err);

#endif
