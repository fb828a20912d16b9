/* Mbed TLS's allocations through the firmware's port allocator (no_std DTLS build only).
 *
 * Included by ../common.h (the trimmed profiles) and full/mbedtls/target_config.h. CMake adds
 * -DLWBS_MBEDTLS_PORT_ALLOC to CFLAGS_<rust triple> when LWBS_NO_STD=ON and
 * LWBS_NO_STD_DTLS=ON: every mbedtls_calloc/mbedtls_free of the C library (and of the mbedtls
 * crate's C forwarders) then calls lwbsint_mbedtls_calloc/lwbsint_mbedtls_free, defined in
 * src/ffi/port.rs over lwbs_port_malloc/lwbs_port_free. The archive then needs no calloc/free
 * from the firmware's C library, and the firmware's allocator (its arena, its high-water
 * mark) sees every byte Mbed TLS takes. cmake/lwbs_localize.sh makes both names local to the
 * shipped archive. tests/c/run_c_tests.sh checks that the no_std archive leaves no calloc/free
 * undefined. The std build keeps the C library's calloc/free. */
#if defined(LWBS_MBEDTLS_PORT_ALLOC)
#include <stddef.h>

/* mbedtls-platform-support (custom_printf) already defines MBEDTLS_PLATFORM_C. */
#ifndef MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_C
#endif
#ifndef MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_MEMORY
#endif
#undef MBEDTLS_PLATFORM_STD_CALLOC
#undef MBEDTLS_PLATFORM_STD_FREE

/* calloc semantics: n * size zeroed bytes, NULL when the product overflows or the port
 * allocator fails; free(NULL) does nothing. */
void *lwbsint_mbedtls_calloc(size_t n, size_t size);
void lwbsint_mbedtls_free(void *ptr);
#define MBEDTLS_PLATFORM_CALLOC_MACRO lwbsint_mbedtls_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO lwbsint_mbedtls_free
#endif
