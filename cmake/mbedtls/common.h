/* Shared by the trimmed Mbed TLS profiles of lwm2m-bootstrap (LWBS_TLS_PROFILE=psk|psk-ecdhe),
 * included by each profile's mbedtls/target_config.h. How the hook works (checked with these
 * crate versions): the config.h that mbedtls-sys-auto 2.28.15 generates ends with
 *   #if defined(TARGET_LIKE_MBED)
 *   #include "mbedtls/target_config.h"
 * and CMake builds the crate with CFLAGS_<rust triple>="-DTARGET_LIKE_MBED
 * -DLWBS_TLS_PROFILE_REV=<hash of the profile header> -I cmake/mbedtls/<profile>", which reach
 * both the C build and bindgen, so Rust and C see the same configuration. The revision define
 * changes with the header's content, so cargo rebuilds Mbed TLS after every edit.
 * tests/c/run_c_tests.sh fails if the hook stops working (symbols the profile removes are
 * then back in the archive). */
#ifndef LWBS_TLS_PROFILE_REV
#error "lwm2m-bootstrap: target_config.h included without LWBS_TLS_PROFILE_REV (build through CMake's LWBS_TLS_PROFILE)"
#endif

/* TARGET_LIKE_MBED is only our switch for the hook: the network module must go with it. */
#undef MBEDTLS_NET_C

/* no_std DTLS build: mbedtls_calloc/free through the port allocator (LWBS_MBEDTLS_PORT_ALLOC). */
#include "port_alloc.h"

/* Record buffers sized for CoAP over DTLS: a CoAP message with Block1/Block2 of 1024 bytes plus
 * headers fits a 1536-byte record; handshake messages are far smaller for PSK and for one
 * P-256 certificate. Reassembly of out-of-order handshake fragments: 4 KB. Peak heap of a
 * DTLS session drops from ~40 KB (16 KB in + 16 KB out + reassembly) to ~9 KB. A peer that
 * sends larger records (no max fragment length negotiated) is refused with a record overflow. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 1536
#define MBEDTLS_SSL_OUT_CONTENT_LEN 1536
#undef MBEDTLS_SSL_DTLS_MAX_BUFFERING
#define MBEDTLS_SSL_DTLS_MAX_BUFFERING 4096

/* AES tables in flash, not RAM: without these, Mbed TLS generates 8 KB of forward/reverse
 * tables (FT0-3, RT0-3) plus the S-boxes into .bss at first use. ROM_TABLES makes them const
 * (.rodata), FEWER_TABLES keeps one table per direction and rotates at run time. Measured on
 * the Cortex-M4 image (bash tests/bench.sh --firmware, the library's share): DTLS-PSK bss
 * 8,736 -> -16 bytes, rodata +2,600, text -640. */
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES

/* Key exchanges we never offer (src/security/dtls.rs offers TLS_PSK_WITH_AES_128_CCM_8 and
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 only). */
#undef MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECJPAKE_ENABLED

/* RSA and what only serves it. */
#undef MBEDTLS_RSA_C
#undef MBEDTLS_PKCS1_V15
#undef MBEDTLS_PKCS1_V21
#undef MBEDTLS_X509_RSASSA_PSS_SUPPORT
#undef MBEDTLS_PK_RSA_ALT_SUPPORT
#undef MBEDTLS_GENPRIME

/* Ciphers, hashes and modules no offered suite uses. */
#undef MBEDTLS_ECJPAKE_C
#undef MBEDTLS_ARC4_C
#undef MBEDTLS_BLOWFISH_C
#undef MBEDTLS_CAMELLIA_C
#undef MBEDTLS_ARIA_C
#undef MBEDTLS_DES_C
#undef MBEDTLS_XTEA_C
#undef MBEDTLS_CHACHA20_C
#undef MBEDTLS_POLY1305_C
#undef MBEDTLS_CHACHAPOLY_C
#undef MBEDTLS_MD2_C
#undef MBEDTLS_MD4_C
#undef MBEDTLS_RIPEMD160_C
#undef MBEDTLS_SSL_CACHE_C
#undef MBEDTLS_SSL_TRUNCATED_HMAC
#undef MBEDTLS_CIPHER_MODE_XTS
#undef MBEDTLS_CIPHER_MODE_CFB
#undef MBEDTLS_CIPHER_MODE_OFB
#undef MBEDTLS_NIST_KW_C
#undef MBEDTLS_CERTS_C
#undef MBEDTLS_PKCS12_C
#undef MBEDTLS_PKCS5_C
#undef MBEDTLS_DEBUG_C
#undef MBEDTLS_VERSION_FEATURES
#undef MBEDTLS_SSL_FALLBACK_SCSV
#undef MBEDTLS_SSL_CONTEXT_SERIALIZATION
/* Kept because the crate's safe API does not compile without them (its bindings would lack
 * functions it wraps); nothing reaches them, so the link drops them: SSL_RENEGOTIATION,
 * SSL_ALPN, X509_CSR_PARSE_C, X509_CRL_PARSE_C (the Config holds a CRL), X509_CRT_WRITE_C, X509_CSR_WRITE_C, and
 * X.509 parsing, PK, PEM, DHM, ECP, GCM, CMAC, the server side and the self tests. */

/* Curves: P-256 only (the one our certificate mode asks for; ECP itself must stay for the
 * crate to compile). */
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP384R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED
#undef MBEDTLS_ECP_DP_BP256R1_ENABLED
#undef MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE25519_ENABLED
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
