/* posix_platform: an lwbs_platform for POSIX hosts, used by lwbs-demo.
 *
 * - transport: one connected UDP socket per lwbs_conn (coap://host:port, IPv4 or IPv6);
 * - storage:   the library's two slots as two files, <state_dir>/slot0.img and slot1.img,
 *              each written in place and fsync'ed. The library alternates the slots and
 *              checks each image's CRC, so a power cut during a write leaves a torn image it
 *              ignores next to the intact previous one: no temp file or rename is needed;
 *              the saved DTLS sessions (the library's own DTLS) in <state_dir>/sessions.bin,
 *              so a restart resumes a DM server's session with an abbreviated handshake;
 * - entropy:   /dev/urandom;
 * - smartcard: optional, a simulated UICC (sim_card.h) behind card_present / card_transmit;
 * - logs:      stderr, up to the level in the environment variable LWBS_LOG_LEVEL
 *              (1 error, 2 warning (default), 3 info, 4 debug);
 * - DTLS:      optional (posix_platform_set_tls, built with GnuTLS: LWBS_WITH_GNUTLS): the
 *              platform secures the Security Modes it is given itself (secure_modes,
 *              open_secure; gnutls_security.h). The library's datagrams on such connections are
 *              plain CoAP that send/recv carry through the connection's DTLS session; a failed
 *              handshake is collected by posix_platform_service for the main loop to report
 *              (lwbs_client_conn_security_failed: never from a callback).
 *
 * The library's events are forwarded to the function given to posix_platform_init().
 * On an RTOS the same table is filled with the network stack's and flash driver's calls. */
#ifndef POSIX_PLATFORM_H
#define POSIX_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include "lwm2m_bootstrap.h"
#include "sim_card.h"

/* The library opens one connection per server account in use at a time (Bootstrap-Server
 * plus LwM2M Servers); 8 is plenty for a demo. */
#define POSIX_MAX_CONNS 8
#define POSIX_PATH_MAX 1024

typedef void (*posix_event_fn)(void *context, const lwbs_event *event);

struct gtls_session; /* gnutls_security.h */

typedef struct posix_conn {
    lwbs_conn id; /* 0 = free slot */
    int fd;
    struct gtls_session *tls; /* NULL: plain UDP (or the library's own DTLS) */
    int failure_reported;     /* the session's failure was handed to the main loop */
} posix_conn;

typedef struct posix_platform {
    posix_conn conns[POSIX_MAX_CONNS];
    char slot_paths[2][POSIX_PATH_MAX];
    char sessions_path[POSIX_PATH_MAX]; /* <state_dir>/sessions.bin: the DTLS session record */
    char state_dir[POSIX_PATH_MAX];
    unsigned log_level;
    posix_event_fn on_event;
    void *event_context;
    sim_card *card; /* NULL = no smartcard reader */
    uint32_t secure_modes;       /* posix_platform_set_tls: the modes GnuTLS secures */
    unsigned tls_retrans_ms;     /* first handshake retransmission */
    unsigned tls_handshake_ms;   /* a handshake fails after that long */
} posix_platform;

/* Prepares the platform and creates state_dir if needed. Returns 0, or -1 with a message on
 * stderr. */
int posix_platform_init(posix_platform *p, const char *state_dir, posix_event_fn on_event,
                        void *event_context);

/* The Security Modes (bits 1u << LWBS_SECURITY_PSK, _RPK, _CERTIFICATE) this platform secures
 * itself with GnuTLS, and the handshake's total timeout. Call before posix_platform_table.
 * Returns 0, or -1 when the build has no GnuTLS. */
int posix_platform_set_tls(posix_platform *p, uint32_t modes, unsigned handshake_timeout_ms);

/* Fills the library's callback table with this platform's functions (userdata = p). */
void posix_platform_table(posix_platform *p, lwbs_platform *table);

/* Closes every socket still open (the library closes its connections itself when stopped). */
void posix_platform_close_all(posix_platform *p);

/* Writes one pollfd (POLLIN) per open connection into fds and its id into ids; returns how
 * many. */
size_t posix_platform_pollfds(const posix_platform *p, struct pollfd *fds, lwbs_conn *ids,
                              size_t capacity);

/* posix_platform_recv: the socket reported a transport error (ICMP port/host/network
 * unreachable, seen as ECONNREFUSED/EHOSTUNREACH/ENETUNREACH): report it with
 * lwbs_client_conn_error. */
#define POSIX_RECV_TRANSPORT_ERROR (-2)

/* Reads one datagram of connection conn without blocking. Returns its length, -1 when there
 * is none (or the connection is gone: a recv into the library may close it), or
 * POSIX_RECV_TRANSPORT_ERROR. */
long posix_platform_recv(posix_platform *p, lwbs_conn conn, uint8_t *buf, size_t capacity);

/* One failed secure session, for lwbs_client_conn_security_failed, or (transport_error) an
 * ICMP error its socket reported while GnuTLS sent, for lwbs_client_conn_error. */
typedef struct posix_tls_failure {
    lwbs_conn conn;
    int transport_error; /* 1: report with lwbs_client_conn_error; reason, alert unused */
    uint32_t reason;     /* lwbs_security_failure */
    int32_t alert;       /* TLS alert description, or -1 */
} posix_tls_failure;

/* Drives the DTLS handshakes whose retransmission timer ran out and collects the sessions
 * that failed since the last call (each once) and the transport errors seen while sending
 * into out. Returns how many. Call it from the main loop after receiving, never from a
 * callback. */
size_t posix_platform_service(posix_platform *p, posix_tls_failure *out, size_t capacity);

/* Milliseconds until posix_platform_service must run for a handshake's retransmission timer,
 * or -1 when no handshake is running. Part of the poll() timeout. */
long posix_platform_tls_timeout_ms(const posix_platform *p);

/* The monotonic clock in milliseconds: never jumps with the wall clock. */
uint64_t posix_now_ms(void);

#endif /* POSIX_PLATFORM_H */
