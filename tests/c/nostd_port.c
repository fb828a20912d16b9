/* nostd_port: the no_std archive (CMake -DLWBS_NO_STD=ON) in a C program, with the port layer
 * a firmware provides (include/lwm2m_bootstrap.h, "Port hook"): lwbs_port_malloc/free/realloc
 * over the C library's malloc/free/realloc, lwbs_port_panic printing the message and calling
 * abort(). Entropy comes through the platform table, as in the std build.
 *
 * Runs lwbs-demo (c-examples/lwbs_demo.c compiled with -Dmain=lwbs_demo_main, over
 * c-examples/posix_platform.c) with the given arguments, then prints
 * "NOSTD port malloc=<n> realloc=<n> free=<n> live=<n>": the hooks were used, and every block
 * was given back (live=0). tests/c/run_c_tests.sh builds and runs it. With -DLWBS_PORT_ONLY
 * only the port layer is compiled (tests/bench/budgets.sh links it into minimal.c). */
#include <stdio.h>
#include <stdlib.h>

#include "lwm2m_bootstrap.h"

int lwbs_demo_main(int argc, char **argv);

static unsigned long mallocs, reallocs, frees;

void *lwbs_port_malloc(size_t size) {
    void *p = malloc(size);
    if (p) mallocs++;
    return p;
}

void lwbs_port_free(void *ptr) {
    if (ptr) frees++;
    free(ptr);
}

void *lwbs_port_realloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size);
    if (p) reallocs++;
    return p;
}

void lwbs_port_panic(const char *msg, size_t len) {
    fprintf(stderr, "lwbs panic: %.*s\n", (int)len, msg);
    abort();
}

#ifndef LWBS_PORT_ONLY
int main(int argc, char **argv) {
    int status = lwbs_demo_main(argc, argv);
    printf("NOSTD port malloc=%lu realloc=%lu free=%lu live=%ld\n", mallocs, reallocs, frees,
           (long)(mallocs - frees));
    return status;
}
#endif
