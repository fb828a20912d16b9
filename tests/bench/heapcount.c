/* Heap accounting for `bash tests/bench.sh --budgets`: linked into lwbs-demo with
 *   -Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign,
 *   --wrap=aligned_alloc,--wrap=fflush
 * (dynamically linked, so only calls made from the program's own objects are counted: the
 * demo, which allocates nothing itself, and liblwm2m_bootstrap.a, i.e. the engine, Rust's std
 * and Mbed TLS; not libc's internals such as getaddrinfo). Bytes are malloc_usable_size(), so
 * allocator rounding is included. After every fflush(stdout) (the demo flushes after each
 * EVENT line) it writes "HEAP peak=<bytes> current=<bytes>" to stdout: the line after
 * "EVENT registered" is the high-water mark from start-up to the registration. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void __real_free(void *p);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **out, size_t align, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
int __real_fflush(FILE *f);

static size_t current, peak;

static void *counted(void *p) {
    if (p != NULL) {
        current += malloc_usable_size(p);
        if (current > peak) peak = current;
    }
    return p;
}

void *__wrap_malloc(size_t n) { return counted(__real_malloc(n)); }
void *__wrap_calloc(size_t count, size_t n) { return counted(__real_calloc(count, n)); }
void *__wrap_aligned_alloc(size_t align, size_t n) {
    return counted(__real_aligned_alloc(align, n));
}
void __wrap_free(void *p) {
    if (p != NULL) current -= malloc_usable_size(p);
    __real_free(p);
}
void *__wrap_realloc(void *p, size_t n) {
    size_t old = p != NULL ? malloc_usable_size(p) : 0;
    void *q = __real_realloc(p, n);
    if (q != NULL || n == 0) current -= old;
    return counted(q);
}
int __wrap_posix_memalign(void **out, size_t align, size_t n) {
    int r = __real_posix_memalign(out, align, n);
    if (r == 0) counted(*out);
    return r;
}
int __wrap_fflush(FILE *f) {
    int r = __real_fflush(f);
    if (f == stdout) {
        char line[96];
        int len = snprintf(line, sizeof line, "HEAP peak=%zu current=%zu\n", peak, current);
        if (len > 0 && write(1, line, (size_t)len) < 0) r = EOF;
    }
    return r;
}
