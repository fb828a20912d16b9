/* gnutls_security: the platform's own DTLS for lwbs-demo --platform-tls, over GnuTLS.
 *
 * One DTLS 1.2 client session per connection the library opens with open_secure, run
 * non-blocking on the connected UDP socket posix_platform created for it:
 *   - PSK (identity /0/x/3, key /0/x/5): TLS_PSK_WITH_AES_128_CCM_8;
 *   - RPK, RFC 7250 (own SubjectPublicKeyInfo /0/x/3, own private key /0/x/5, the server's
 *     SubjectPublicKeyInfo /0/x/4, compared byte for byte) and
 *   - X.509 (own certificate /0/x/3, own private key /0/x/5, /0/x/4 by Certificate Usage:
 *     3 and 1 pin the server's leaf certificate byte for byte, 2 and 0 make it the trust
 *     anchor of the server's chain; the host name is checked only when an SNI is given):
 *     TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on secp256r1.
 * A pinned key or certificate may be given as its SHA-256/384/512 (Matching Type 1, 2, 3); a
 * trust anchor only in full (otherwise the account is refused).
 * The library's datagrams are plain CoAP: gtls_send encrypts them (queued until the handshake
 * is done), gtls_recv returns the decrypted ones. A failed handshake or a broken session is
 * kept on the session (gtls_failure) for the main loop to report with
 * lwbs_client_conn_security_failed; nothing here calls into the library.
 *
 * Key material is never logged. The copies a session keeps are wiped when it is closed
 * (GnuTLS wipes its own). */
#ifndef GNUTLS_SECURITY_H
#define GNUTLS_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include "lwm2m_bootstrap.h"

typedef struct gtls_session gtls_session;

/* gtls_recv: nothing (more) to read right now. */
#define GTLS_NONE (-1)
/* gtls_recv: the socket reported ECONNREFUSED & co. (an ICMP error). */
#define GTLS_TRANSPORT_ERROR (-2)

/* The GnuTLS priority strings of the three modes. */
extern const char gtls_priority_psk[];
extern const char gtls_priority_rpk[];
extern const char gtls_priority_x509[];

/* Sets up a session for `security` on the connected UDP socket fd (which stays the caller's);
 * the ClientHello is sent by the first gtls_tick (gtls_timeout_ms is 0 until then).
 * retrans_ms: first retransmission; total_ms: the handshake fails with a timeout after that
 * long. Returns 0 (*out set), LWBS_OPEN_REFUSED for a mode or
 * material that cannot be used (a key that does not parse), -1 on another error. Messages
 * (never key bytes) go to log_fn at level 1..4 when it is not NULL. */
typedef void (*gtls_log_fn)(void *context, unsigned level, const char *message);
int gtls_open(gtls_session **out, int fd, const lwbs_security *security, unsigned retrans_ms,
              unsigned total_ms, gtls_log_fn log_fn, void *log_context);

/* One plaintext datagram from the library: encrypted and sent when the session is up, copied
 * into the queue while the handshake runs (sent once it completes). Returns 0 or -1. */
int gtls_send(gtls_session *s, const uint8_t *data, size_t len);

/* Drives the session after the socket became readable or its timer expired: the handshake
 * goes on; once established, one decrypted datagram is copied into buf. Returns its length,
 * GTLS_NONE, or GTLS_TRANSPORT_ERROR (an ICMP error: the session goes on). A failure sets
 * gtls_failed. */
long gtls_recv(gtls_session *s, uint8_t *buf, size_t capacity);

/* Sends the ClientHello of a new session, or runs the handshake when its retransmission
 * timer ran out (no datagram arrived). */
void gtls_tick(gtls_session *s);

/* Milliseconds until the handshake's retransmission timer runs out (0: now), -1 when no
 * handshake is running. */
long gtls_timeout_ms(const gtls_session *s);

/* Whether the session failed, and why: an lwbs_security_failure and the TLS alert (received
 * or sent) or -1. */
int gtls_failed(const gtls_session *s, uint32_t *reason, int32_t *alert);

/* Whether the socket reported an ICMP error (a transport error for the library,
 * lwbs_client_conn_error) since the last call; clears it. */
int gtls_take_transport_error(gtls_session *s);

/* Whether the handshake is complete. */
int gtls_established(const gtls_session *s);

/* Ends the session: close_notify (gnutls_bye GNUTLS_SHUT_WR) when close_notify is set and the
 * session is established, then everything freed and wiped. The socket is not closed. */
void gtls_close(gtls_session *s, int close_notify);

#endif /* GNUTLS_SECURITY_H */
