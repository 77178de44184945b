package domstats

/*
#cgo pkg-config: libvirt
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

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

static int tlvStartEventLoop(virErrorPtr err)
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
*/
import "C"

// StartEventLoop registers libvirt's default event loop and runs it for
// good in a thread of its own, started in C: keepalive and close callbacks
// need the loop. Call it once per process, before the first connection:
// it also initializes libvirt, whose own log lines (warnings and errors)
// then go to logSink, not to stderr (see routeLog).
//
// Run from a goroutine instead (libvirt.EventRunDefaultImpl in a for loop),
// the loop goes back into the Go scheduler every time libvirt touches it,
// and the bulk call's client touches it on every RPC: each return wakes
// Go's sysmon into a burst of 20 µs sleeps. Measured on 2 cores, that was
// ~25 extra context switches and 0.1-0.5 ms of CPU per gather.
func StartEventLoop(logSink func(line string)) error {
	unset, err := routeLog(logSink)
	if err != nil {
		return err
	}
	defer unset()
	var cerr C.virError
	if C.tlvStartEventLoop(&cerr) < 0 {
		return goError(&cerr)
	}
	return nil
}
