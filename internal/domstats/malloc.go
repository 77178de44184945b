package domstats

/*
#include <stdlib.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

// glibc fixes its arena limit when a thread first needs an arena of its
// own, which happens before Go's main runs: the cap has to be set by a
// constructor, when the process loads.
__attribute__((constructor)) static void tlvCapArenas(void)
{
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") == NULL)
        mallopt(M_ARENA_MAX, 2);
#endif
}

// The number of arenas glibc has made so far (malloc_info's <heap>
// elements); -1 if it cannot tell.
static int tlvArenas(void)
{
    char *buf = NULL;
    size_t len = 0;
    int n = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return -1;
    if (malloc_info(0, f) != 0)
        n = -1;
    fclose(f);
    for (char *p = buf; n >= 0 && p != NULL && (p = strstr(p, "<heap nr=")) != NULL; p++)
        n++;
    free(buf);
    return n;
}
*/
import "C"

// A process linking this package caps glibc's malloc arenas at two (one
// for the call in flight, one for a stuck call's), unless MALLOC_ARENA_MAX
// says otherwise. libvirt allocates a call's records on the thread that
// makes the call, and cgo calls land on whichever of Go's threads runs the
// goroutine: uncapped, each of those threads got an arena of its own that
// kept freed memory, ~5 MB of the execd binary's resident memory with 1000
// domains (make bench). The only C allocations in the process are
// libvirt's, so the cap changes nothing else.

// arenas is how many malloc arenas the process has, -1 if unknown (for the
// tests).
func arenas() int { return int(C.tlvArenas()) }
