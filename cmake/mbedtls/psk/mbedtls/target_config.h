/* LWBS_TLS_PROFILE=psk: DTLS 1.2 with pre-shared keys only (TLS_PSK_WITH_AES_128_CCM_8):
 * no certificate or raw-public-key handshake (a /0 instance in certificate mode then fails its
 * handshake). See ../../common.h for the hook and the record buffer sizes. */
#define LWBS_TLS_PROFILE_PSK 1
#include "../../common.h"

#undef MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
/* The crate's safe API needs ECP/ECDSA/ECDH, PK and X.509 parsing to compile; with the
 * key exchange gone, the link (fat LTO, --gc-sections) drops what nothing reaches. */
