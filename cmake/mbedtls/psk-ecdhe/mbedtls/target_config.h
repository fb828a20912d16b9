/* LWBS_TLS_PROFILE=psk-ecdhe: DTLS 1.2 with pre-shared keys (TLS_PSK_WITH_AES_128_CCM_8) and
 * certificates / raw public keys over ECDHE-ECDSA on P-256 (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8),
 * X.509 parsing and verification kept. No RSA: an RSA server certificate or CA is refused.
 * Certificate chains must fit the 1536-byte record buffer (../../common.h): one P-256 leaf
 * certificate (~500-700 bytes) does. */
#define LWBS_TLS_PROFILE_PSK_ECDHE 1
#include "../../common.h"
