// Allocation counting for kube-bench (Linux/glibc only). An executable's own definitions of
// malloc/calloc/realloc take precedence over libc's for the whole process (shared libraries
// included), and glibc exports its implementations as __libc_malloc & co., so counting costs
// one relaxed atomic add per call. Elsewhere the counter stays at zero.
#include "KubeBenchMalloc.h"
#include <stddef.h>
#if defined(__linux__)
#include <features.h>  // defines __GLIBC__ on glibc
#endif

#if defined(__linux__) && defined(__GLIBC__)
#include <stdatomic.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static _Atomic unsigned long calls;

void *malloc(size_t size) {
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    return __libc_realloc(pointer, size);
}

unsigned long kube_bench_malloc_calls(void) {
    return atomic_load_explicit(&calls, memory_order_relaxed);
}
#else
unsigned long kube_bench_malloc_calls(void) { return 0; }
#endif
