/* LD_PRELOAD counter of C heap allocations (malloc, calloc, realloc and the
 * aligned variants), so that the benchmarks can report what libvirt's C
 * client allocates per gather next to the Go allocations. glibc routes its
 * own internal allocations through these symbols too. The count is read
 * with dlsym(RTLD_DEFAULT, "tlvb_malloc_count").
 *
 *   gcc -shared -fPIC -O2 -o cmalloc.so cmalloc.c
 */
#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;

static inline void bump(void) { __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED); }

unsigned long tlvb_malloc_count(void) { return __atomic_load_n(&count, __ATOMIC_RELAXED); }

void *malloc(size_t n) { bump(); return __libc_malloc(n); }
void *calloc(size_t m, size_t n) { bump(); return __libc_calloc(m, n); }
void *realloc(void *p, size_t n) { bump(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { bump(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { bump(); return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
    void *q;
    bump();
    q = __libc_memalign(a, n);
    if (q == NULL)
        return ENOMEM;
    *p = q;
    return 0;
}
