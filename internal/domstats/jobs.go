//go:build cgo && linux

package domstats

/*
#include "calls.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// job is one call made on a worker thread (calls.c). When the call is done
// the worker writes the job's id to a pipe; one goroutine reads the pipe in
// Go's network poller and wakes the job's waiter. No goroutine waits in C.
type job struct {
	cjob *C.tlvJob // the call's arguments and results, in C memory
	done chan struct{}
}

// notifier routes the workers' "done" messages to the waiting goroutines.
var notifier struct {
	once    sync.Once
	err     error
	mu      sync.Mutex
	lastID  uint64 // of the last job submitted
	waiting map[uint64]chan struct{}
}

func startNotifier() error {
	notifier.once.Do(func() {
		var fds [2]int
		if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
			notifier.err = fmt.Errorf("pipe for the stats calls: %w", err)
			return
		}
		// Non-blocking: os.NewFile makes it pollable. The write end stays
		// blocking for the workers; neither end is ever closed.
		if err := syscall.SetNonblock(fds[0], true); err != nil {
			notifier.err = fmt.Errorf("pipe for the stats calls: %w", err)
			return
		}
		notifier.waiting = map[uint64]chan struct{}{}
		C.tlvSetNotify(C.int(fds[1]))
		go dispatch(os.NewFile(uintptr(fds[0]), "domstats-done"))
	})
	return notifier.err
}

// dispatch reads the ids of finished jobs, 8 bytes each, for good.
func dispatch(r *os.File) {
	buf := make([]byte, 8*128)
	have := 0
	for {
		n, err := r.Read(buf[have:])
		if err != nil {
			panic(fmt.Sprintf("domstats: reading the stats calls' pipe: %v", err))
		}
		have += n
		done := have - have%8
		notifier.mu.Lock()
		for i := 0; i < done; i += 8 {
			id := binary.NativeEndian.Uint64(buf[i:])
			if ch, ok := notifier.waiting[id]; ok {
				delete(notifier.waiting, id)
				close(ch)
			}
		}
		notifier.mu.Unlock()
		have = copy(buf, buf[done:have])
	}
}

// submit hands the job to a worker thread; cconn, if not nil, is a
// reference the job releases when its call is done.
func submit(j *C.tlvJob, cconn C.virConnectPtr) (*job, error) {
	j.conn = cconn
	if err := startNotifier(); err != nil {
		releaseConn(cconn)
		C.tlvJobFree(j)
		return nil, err
	}
	done := make(chan struct{})
	notifier.mu.Lock()
	notifier.lastID++
	j.id = C.ulonglong(notifier.lastID)
	notifier.waiting[notifier.lastID] = done
	notifier.mu.Unlock()
	if rc, errno := C.tlvSubmit(j); rc < 0 {
		notifier.mu.Lock()
		delete(notifier.waiting, uint64(j.id))
		notifier.mu.Unlock()
		releaseConn(cconn)
		C.tlvJobFree(j)
		return nil, fmt.Errorf("starting a thread for a stats call: %w", errno)
	}
	return &job{cjob: j, done: done}, nil
}

func newJob(kind C.int, stats, flags uint32) *C.tlvJob {
	j := (*C.tlvJob)(C.calloc(1, C.size_t(unsafe.Sizeof(C.tlvJob{}))))
	if j == nil {
		panic("domstats: out of memory")
	}
	j.kind, j.stats, j.flags = kind, C.uint(stats), C.uint(flags)
	return j
}

// wait blocks until the worker is done with the call, however long that
// takes; the caller's deadline is the caller's business (it abandons the
// goroutine, which frees the job when the call returns).
func (j *job) wait() error {
	<-j.done
	if j.cjob.n < 0 {
		return goError(&j.cjob.err)
	}
	return nil
}

// asyncFreeMinRecords is the record count from which a finished job is
// freed on a worker thread rather than here: freeing costs ~1 us per record
// (libvirt formats each domain's UUID twice while disposing of it), waking
// a worker about as much as a few dozen records.
const asyncFreeMinRecords = 32

// free frees the finished job: a large one on a worker thread, off the
// gather's path (the records are converted by then).
func (j *job) free() {
	if j.cjob.n >= asyncFreeMinRecords {
		C.tlvRelease(j.cjob)
		return
	}
	C.tlvJobFree(j.cjob)
}
