#ifndef KUBE_BENCH_MALLOC_H
#define KUBE_BENCH_MALLOC_H

/// Calls to malloc, calloc and realloc made by this process so far (all threads). kube-bench
/// defines those three (forwarding to glibc's __libc_* entry points) to count them; free and
/// the aligned allocators stay glibc's, which share the same heap.
unsigned long kube_bench_malloc_calls(void);

#endif
