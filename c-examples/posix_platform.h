/* posix_platform: an lwbs_platform for POSIX hosts, used by lwbs-demo.
 *
 * - transport: one connected UDP socket per lwbs_conn (coap://host:port, IPv4 or IPv6);
 * - storage:   the library's two slots as two files, <state_dir>/slot0.img and slot1.img,
 *              each written in place and fsync'ed. The library alternates the slots and
 *              checks each image's CRC, so a power cut during a write leaves a torn image it
 *              ignores next to the intact previous one: no temp file or rename is needed;
 * - entropy:   /dev/urandom;
 * - smartcard: optional, a simulated UICC (sim_card.h) behind card_present / card_transmit;
 * - logs:      stderr, up to the level in the environment variable LWBS_LOG_LEVEL
 *              (1 error, 2 warning (default), 3 info, 4 debug).
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

typedef struct posix_conn {
    lwbs_conn id; /* 0 = free slot */
    int fd;
} posix_conn;

typedef struct posix_platform {
    posix_conn conns[POSIX_MAX_CONNS];
    char slot_paths[2][POSIX_PATH_MAX];
    char state_dir[POSIX_PATH_MAX];
    unsigned log_level;
    posix_event_fn on_event;
    void *event_context;
    sim_card *card; /* NULL = no smartcard reader */
} posix_platform;

/* Prepares the platform and creates state_dir if needed. Returns 0, or -1 with a message on
 * stderr. */
int posix_platform_init(posix_platform *p, const char *state_dir, posix_event_fn on_event,
                        void *event_context);

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

/* The monotonic clock in milliseconds: never jumps with the wall clock. */
uint64_t posix_now_ms(void);

#endif /* POSIX_PLATFORM_H */
