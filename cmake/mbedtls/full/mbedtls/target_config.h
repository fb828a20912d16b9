/* LWBS_TLS_PROFILE=full in the no_std DTLS build: the crate's own configuration, unchanged,
 * except that Mbed TLS allocates through the port allocator (../../port_alloc.h). The std build
 * with the full profile does not use the target-config hook at all. */
#ifndef LWBS_TLS_PROFILE_REV
#error "lwm2m-bootstrap: target_config.h included without LWBS_TLS_PROFILE_REV (build through CMake's LWBS_TLS_PROFILE)"
#endif
#define LWBS_TLS_PROFILE_FULL 1
/* TARGET_LIKE_MBED is only our switch for the hook: the network module must go with it. */
#undef MBEDTLS_NET_C
#include "../../port_alloc.h"
