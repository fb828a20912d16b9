/* coexist: lwm2m-bootstrap linked beside the firmware's own Mbed TLS (Debian's libmbedtls,
 * 2.28.3) and a second, unrelated Rust static library (tests/c/other_rust_lib), each doing its
 * own work in one program (tests/c/link_hygiene.sh builds it in several link orders):
 *   1. the system Mbed TLS: its version string must be the system's (not our vendored copy's)
 *      and its SHA-256 of "abc" must be right;
 *   2. the other Rust library: catches a panic of its own and returns 42;
 *   3. lwm2m-bootstrap: runs lwbs-demo (c-examples/lwbs_demo.c, compiled with
 *      -Dmain=lwbs_demo_main) with the given arguments: a NoSec bootstrap or a DTLS-PSK
 *      registration, where our own Mbed TLS does the handshake;
 *   4. the system Mbed TLS again, after ours ran.
 * Prints "COEXIST system-mbedtls=<version> other-rust=42" and exits with the demo's status. */
#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

int lwbs_demo_main(int argc, char **argv);
int other_rust_answer(void);

static int system_mbedtls_ok(void) {
    static const unsigned char expected[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
        0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
        0xf2, 0x00, 0x15, 0xad};
    unsigned char digest[32];
    char version[18] = {0};
    mbedtls_version_get_string(version);
    if (strcmp(version, MBEDTLS_VERSION_STRING) != 0) {
        fprintf(stderr, "coexist: mbedtls_version_get_string() = %s, system header says %s\n",
                version, MBEDTLS_VERSION_STRING);
        return 0;
    }
    if (mbedtls_sha256_ret((const unsigned char *)"abc", 3, digest, 0) != 0 ||
        memcmp(digest, expected, sizeof digest) != 0) {
        fprintf(stderr, "coexist: system mbedtls_sha256_ret(\"abc\") is wrong\n");
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    int answer, status;
    if (!system_mbedtls_ok()) return 90;
    answer = other_rust_answer();
    if (answer != 42) {
        fprintf(stderr, "coexist: other_rust_answer() = %d\n", answer);
        return 91;
    }
    printf("COEXIST system-mbedtls=%s other-rust=%d\n", MBEDTLS_VERSION_STRING, answer);
    fflush(stdout);
    status = lwbs_demo_main(argc, argv);
    if (!system_mbedtls_ok()) return 92;
    return status;
}
