// Worker threads for the bulk calls (the event loop's thread is at the
// end; calls.h says what the tlv prefix is). A call can take as long as
// the daemon takes (a frozen guest: forever), so it must not be made from
// Go: a goroutine blocked in a long cgo call costs the Go scheduler its P,
// and the Go code that runs right after the call then wakes the runtime's
// sysmon into bursts of 20 µs sleeps. Measured with make bench at 10 QEMU
// domains on 2 cores, with the event loop also run from Go (eventloop.go):
// 73 context switches per gather against 6 for the bare call, and 2.4 ms
// of client CPU per gather, 1.06 ms once both ran on C threads. Here
// the call runs on a thread of ours, which then writes the job's id to a
// pipe that one goroutine reads in the network poller; the goroutine
// waiting for the call holds no thread.
//
// Threads are kept for the next call (a new thread per call page-faults its
// stack and malloc arena in again); one is started whenever no idle one is
// left for a queued job, so a call stuck in libvirt never delays another.

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static tlvJob *head, *tail;
static int queued, idle;
static int notifyFd = -1;

void tlvSetNotify(int fd) { notifyFd = fd; }

static void setNoMemory(virErrorPtr err)
{
    err->code = VIR_ERR_NO_MEMORY;
    err->domain = VIR_FROM_NONE;
    err->level = VIR_ERR_ERROR;
    err->message = strdup("out of memory reading the domain names");
}

static tlvDomainID *recordIDs(virDomainStatsRecordPtr *recs, int n)
{
    int i;
    tlvDomainID *ids = calloc(n > 0 ? n : 1, sizeof(*ids));
    if (ids == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        ids[i].name = virDomainGetName(recs[i]->dom);
        if (virDomainGetUUID(recs[i]->dom, ids[i].uuid) < 0)
            memset(ids[i].uuid, 0, sizeof(ids[i].uuid));
    }
    return ids;
}

// run makes the job's call; libvirt's error is per thread, so it is copied
// here too.
static void run(tlvJob *j)
{
    int i;

    switch (j->kind) {
    case TLV_GET_ALL:
        j->n = virConnectGetAllDomainStats(j->conn, j->stats, &j->recs, j->flags);
        break;
    case TLV_LIST_GET_STATS:
        j->n = virDomainListGetStats(j->selected, j->stats, &j->recs, j->flags);
        break;
    case TLV_LIST:
        j->n = virConnectListAllDomains(j->conn, &j->doms, j->flags);
        if (j->n >= 0 && (j->names = calloc(j->n > 0 ? j->n : 1, sizeof(*j->names))) == NULL) {
            setNoMemory(&j->err);
            j->n = -1;
            return;
        }
        for (i = 0; i < j->n; i++)
            j->names[i] = virDomainGetName(j->doms[i]);
        break;
    default:
        j->n = -1;
        return;
    }
    if (j->n < 0) {
        virCopyLastError(&j->err);
        return;
    }
    if (j->recs != NULL && (j->ids = recordIDs(j->recs, j->n)) == NULL) {
        setNoMemory(&j->err);
        j->n = -1;
    }
}

static void *worker(void *arg)
{
    sigset_t all;
    tlvJob *j;
    unsigned long long id;

    (void)arg;
    // Signals are for the Go threads.
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        pthread_mutex_lock(&mu);
        idle++;
        while (head == NULL)
            pthread_cond_wait(&wake, &mu);
        idle--;
        queued--;
        j = head;
        head = j->next;
        if (head == NULL)
            tail = NULL;
        pthread_mutex_unlock(&mu);

        if (j->kind == TLV_RELEASE) {
            tlvJobFree(j);
            continue;
        }
        run(j);
        if (j->conn != NULL)
            virConnectClose(j->conn);
        j->conn = NULL;
        // The job belongs to the Go side from the write on: not a read of
        // it after. Writes of up to PIPE_BUF bytes are atomic.
        id = j->id;
        while (write(notifyFd, &id, sizeof(id)) < 0 && errno == EINTR)
            ;
    }
    return NULL;
}

int tlvSubmit(tlvJob *j)
{
    pthread_t t;
    pthread_attr_t attr;
    int rc = 0;

    j->next = NULL;
    pthread_mutex_lock(&mu);
    if (idle <= queued) {
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&t, &attr, worker, NULL);
        pthread_attr_destroy(&attr);
    }
    if (rc == 0) {
        if (tail != NULL)
            tail->next = j;
        else
            head = j;
        tail = j;
        queued++;
        pthread_cond_signal(&wake);
    }
    pthread_mutex_unlock(&mu);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

int tlvRelease(tlvJob *j)
{
    j->kind = TLV_RELEASE;
    if (tlvSubmit(j) < 0) {
        tlvJobFree(j);
        return -1;
    }
    return 0;
}

void tlvJobFree(tlvJob *j)
{
    int i;

    if (j->recs != NULL)
        virDomainStatsRecordListFree(j->recs);
    free(j->ids);
    if (j->doms != NULL) {
        for (i = 0; i < j->n; i++)
            virDomainFree(j->doms[i]);
        free(j->doms);
    }
    free(j->names);
    free(j->selected);
    virResetError(&j->err);
    free(j);
}

// The event loop: libvirt's default implementation, run for good in a
// thread of its own (see StartEventLoop in eventloop.go for why not in a
// goroutine).

static void *tlvEventLoop(void *arg)
{
    sigset_t all;

    (void)arg;
    // Signals are for the Go threads.
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            usleep(100 * 1000); // a broken loop must not spin
    return NULL;
}

int tlvStartEventLoop(virErrorPtr err)
{
    pthread_t t;
    pthread_attr_t attr;
    int rc;

    if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
        virCopyLastError(err);
        return -1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&t, &attr, tlvEventLoop, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        err->code = VIR_ERR_SYSTEM_ERROR;
        err->level = VIR_ERR_ERROR;
        err->message = strdup(strerror(rc));
        return -1;
    }
    return 0;
}
