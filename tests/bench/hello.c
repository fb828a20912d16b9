/* The baseline for tests/bench.sh: a static hello-world built with the same flags as the
 * minimal C client (and using printf like it), so the difference is what the library adds. */
#include <stdio.h>

int main(void) {
    printf("hello %s\n", "world");
    return 0;
}
