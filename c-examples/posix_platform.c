/* posix_platform: see posix_platform.h. */
#define _POSIX_C_SOURCE 200809L

#include "posix_platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifdef LWBS_WITH_GNUTLS
#include "gnutls_security.h"
#endif

#define SLOT_FILE_MAX sizeof "/sessions.bin"

/* ---- logging ------------------------------------------------------------------------------ */

static void plog(const posix_platform *p, unsigned level, const char *fmt, ...) {
    static const char *const names[] = {"?", "error", "warning", "info", "debug"};
    va_list ap;
    if (level > p->log_level) {
        return;
    }
    fprintf(stderr, "lwbs-demo[%s] ", names[level <= 4 ? level : 0]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void cb_log(void *userdata, uint32_t level, const char *message) {
    const posix_platform *p = userdata;
    if (level > p->log_level) {
        return;
    }
    fprintf(stderr, "lwbs[%u] %s\n", (unsigned)level, message);
}

static void cb_event(void *userdata, const lwbs_event *event) {
    posix_platform *p = userdata;
    if (p->on_event != NULL) {
        p->on_event(p->event_context, event);
    }
}

/* ---- transport ---------------------------------------------------------------------------- */

/* Splits "coap://host:port/path" (or coaps://, or [IPv6 literal]) into host and port.
 * Returns 0, or -1 when the URI has another shape. */
static int split_uri(const char *uri, char *host, size_t host_cap, char *port, size_t port_cap) {
    const char *rest;
    const char *host_end;
    size_t len;
    const char *default_port = "5683";

    if (strncmp(uri, "coap://", 7) == 0) {
        rest = uri + 7;
    } else if (strncmp(uri, "coaps://", 8) == 0) {
        rest = uri + 8;
        default_port = "5684";
    } else {
        return -1;
    }
    if (*rest == '[') { /* [2001:db8::1]:5683 */
        rest++;
        host_end = strchr(rest, ']');
        if (host_end == NULL) {
            return -1;
        }
    } else {
        host_end = rest + strcspn(rest, ":/");
    }
    len = (size_t)(host_end - rest);
    if (len == 0 || len >= host_cap) {
        return -1;
    }
    memcpy(host, rest, len);
    host[len] = '\0';
    rest = host_end + (*host_end == ']');
    if (*rest != ':') {
        snprintf(port, port_cap, "%s", default_port);
        return 0;
    }
    rest++;
    len = strspn(rest, "0123456789");
    if (len == 0 || len >= port_cap || (rest[len] != '\0' && rest[len] != '/')) {
        return -1;
    }
    memcpy(port, rest, len);
    port[len] = '\0';
    return 0;
}

/* A UDP socket connect()ed to the first address of host:port that works. connect() on UDP
 * only fixes the peer: send() needs no address and recv() drops datagrams from others. */
static int connect_udp(const posix_platform *p, const char *host, const char *port) {
    struct addrinfo hints;
    struct addrinfo *list = NULL;
    struct addrinfo *ai;
    int fd = -1;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        plog(p, 1, "cannot resolve %s:%s: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd < 0) {
        plog(p, 1, "cannot open a UDP socket to %s:%s: %s", host, port, strerror(errno));
        return -1;
    }
    /* Never block the loop: recv() returns EAGAIN when the socket is drained. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static posix_conn *find_conn(posix_platform *p, lwbs_conn id) {
    size_t i;
    for (i = 0; i < POSIX_MAX_CONNS; i++) {
        if (p->conns[i].id == id) {
            return &p->conns[i];
        }
    }
    return NULL;
}

/* A free slot with a UDP socket connected to uri's host and port, or NULL. */
static posix_conn *open_slot(posix_platform *p, const char *uri) {
    posix_conn *slot = find_conn(p, 0);
    char host[256];
    char port[8];

    if (slot == NULL) {
        plog(p, 1, "no free connection slot for %s", uri);
        return NULL;
    }
    if (split_uri(uri, host, sizeof host, port, sizeof port) != 0) {
        plog(p, 1, "cannot parse server URI %s", uri);
        return NULL;
    }
    slot->fd = connect_udp(p, host, port);
    return slot->fd < 0 ? NULL : slot;
}

static int32_t cb_open(void *userdata, lwbs_conn conn, const char *uri) {
    posix_platform *p = userdata;
    posix_conn *slot = open_slot(p, uri);
    if (slot == NULL) {
        return -1;
    }
    slot->id = conn;
    plog(p, 4, "conn %u open: %s", (unsigned)conn, uri);
    return 0;
}

/* close_notify: end a secure session with close_notify (the library's close); not when the
 * whole platform is torn down. */
static void close_slot(posix_platform *p, posix_conn *slot, int close_notify) {
#ifdef LWBS_WITH_GNUTLS
    if (slot->tls != NULL) {
        gtls_close(slot->tls, close_notify); /* wipes the session's copies of the keys */
        slot->tls = NULL;
    }
#else
    (void)close_notify;
#endif
    plog(p, 4, "conn %u closed", (unsigned)slot->id);
    close(slot->fd);
    slot->id = 0;
    slot->fd = -1;
    slot->failure_reported = 0;
}

static void cb_close(void *userdata, lwbs_conn conn) {
    posix_platform *p = userdata;
    posix_conn *slot = find_conn(p, conn);
    if (slot == NULL || conn == 0) {
        return;
    }
    close_slot(p, slot, 1);
}

#ifdef LWBS_WITH_GNUTLS
static void tls_log(void *context, unsigned level, const char *message) {
    plog(context, level, "%s", message);
}

/* The library's account of a mode in secure_modes: a connected socket and a GnuTLS session
 * on it. The credentials are copied by gtls_open (and GnuTLS) during this call. */
static int32_t cb_open_secure(void *userdata, lwbs_conn conn, const char *uri,
                              const lwbs_security *security) {
    posix_platform *p = userdata;
    posix_conn *slot;
    int rc;
    if (strncmp(uri, "coaps://", 8) != 0) {
        plog(p, 1, "secure connection %u to %s: not a coaps:// URI", (unsigned)conn, uri);
        return LWBS_OPEN_REFUSED;
    }
    slot = open_slot(p, uri);
    if (slot == NULL) {
        return -1;
    }
    rc = gtls_open(&slot->tls, slot->fd, security, p->tls_retrans_ms, p->tls_handshake_ms,
                   tls_log, p);
    if (rc != 0) {
        plog(p, rc == LWBS_OPEN_REFUSED ? 2 : 1, "conn %u: GnuTLS %s %s", (unsigned)conn,
             rc == LWBS_OPEN_REFUSED ? "refuses the account's credentials for" : "cannot open",
             uri);
        close(slot->fd);
        slot->fd = -1;
        return rc == LWBS_OPEN_REFUSED ? LWBS_OPEN_REFUSED : -1;
    }
    slot->id = conn;
    plog(p, 4, "conn %u open over GnuTLS DTLS: %s%s", (unsigned)conn, uri,
         security->bootstrap ? " (Bootstrap-Server)" : "");
    return 0;
}
#endif

static int32_t cb_send(void *userdata, lwbs_conn conn, const uint8_t *data, size_t len) {
    posix_platform *p = userdata;
    posix_conn *slot = find_conn(p, conn);
    if (slot == NULL || conn == 0) {
        plog(p, 2, "send on unknown conn %u", (unsigned)conn);
        return -1;
    }
#ifdef LWBS_WITH_GNUTLS
    if (slot->tls != NULL) { /* plain CoAP into the DTLS session (queued while handshaking) */
        return gtls_send(slot->tls, data, len) == 0 ? 0 : -1;
    }
#endif
    /* A lost datagram is the library's business: CoAP retransmits CON messages. */
    if (send(slot->fd, data, len, 0) < 0) {
        plog(p, 2, "send on conn %u: %s", (unsigned)conn, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- storage ------------------------------------------------------------------------------ */

/* Reads the file at `path` with the library's load contract (0 bytes when absent; a positive
 * return with *out_len set when `capacity` is too small). */
static int32_t read_file(posix_platform *p, const char *path, uint8_t *buf, size_t capacity,
                         size_t *out_len) {
    struct stat st;
    size_t got = 0;
    int fd;

    *out_len = 0;
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return errno == ENOENT ? 0 : -1; /* nothing stored yet is not an error */
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > capacity) {
        close(fd);
        *out_len = (size_t)st.st_size; /* the library retries with a bigger buffer */
        return 1;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    *out_len = got;
    plog(p, 4, "loaded %lu bytes from %s", (unsigned long)got, path);
    return 0;
}

static int32_t cb_load(void *userdata, uint32_t slot, uint8_t *buf, size_t capacity,
                       size_t *out_len) {
    posix_platform *p = userdata;
    *out_len = 0;
    if (slot > 1) {
        return -1;
    }
    return read_file(p, p->slot_paths[slot], buf, capacity, out_len);
}

static int write_all(int fd, const uint8_t *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync of the directory makes a newly created slot file's entry durable. */
static void sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes the slot in place, like a flash driver programming its sector: the library never
 * writes the slot that holds the last complete image, so a cut-off write only tears this one.
 * The file is then cut to the image's length (no stale bytes of an older, longer image stay
 * behind) and fsync'ed before returning. */
static int32_t write_file(posix_platform *p, const char *path, const uint8_t *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    if (fd < 0) {
        plog(p, 1, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    if (write_all(fd, data, len) != 0 || ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0) {
        plog(p, 1, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    sync_dir(p->state_dir);
    plog(p, 4, "saved %lu bytes to %s", (unsigned long)len, path);
    return 0;
}

static int32_t cb_save(void *userdata, uint32_t slot, const uint8_t *data, size_t len) {
    posix_platform *p = userdata;
    if (slot > 1) {
        return -1;
    }
    return write_file(p, p->slot_paths[slot], data, len);
}

/* The session record (saved DTLS sessions of the library's own DTLS) in one file,
 * <state_dir>/sessions.bin, 0600 like the slots (it holds master secrets; this example keeps
 * it unencrypted, as it keeps the PSKs in the slots). Written in place: a torn record is
 * detected by the library and costs one full handshake. An empty record removes the file. */
static int32_t cb_load_sessions(void *userdata, uint8_t *buf, size_t capacity, size_t *out_len) {
    posix_platform *p = userdata;
    return read_file(p, p->sessions_path, buf, capacity, out_len);
}

static int32_t cb_save_sessions(void *userdata, const uint8_t *data, size_t len) {
    posix_platform *p = userdata;
    if (len == 0) {
        if (unlink(p->sessions_path) != 0 && errno != ENOENT) {
            plog(p, 1, "cannot remove %s: %s", p->sessions_path, strerror(errno));
            return -1;
        }
        sync_dir(p->state_dir);
        plog(p, 4, "removed %s", p->sessions_path);
        return 0;
    }
    return write_file(p, p->sessions_path, data, len);
}

/* ---- entropy ------------------------------------------------------------------------------ */

static int32_t cb_entropy(void *userdata, uint8_t *buf, size_t len) {
    posix_platform *p = userdata;
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0;
    if (fd < 0) {
        plog(p, 1, "cannot open /dev/urandom: %s", strerror(errno));
        return -1;
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    return 0;
}

/* ---- set-up ------------------------------------------------------------------------------- */

/* mkdir -p */
static int make_dirs(const char *path) {
    char buf[POSIX_PATH_MAX];
    char *s;
    snprintf(buf, sizeof buf, "%s", path);
    for (s = buf + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                return -1;
            }
            *s = '/';
        }
    }
    return (mkdir(buf, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

static unsigned log_level_from_env(void) {
    const char *text = getenv("LWBS_LOG_LEVEL");
    long level = text != NULL ? strtol(text, NULL, 10) : 2;
    return level < 0 ? 0u : (unsigned)level;
}

int posix_platform_set_tls(posix_platform *p, uint32_t modes, unsigned handshake_timeout_ms) {
#ifdef LWBS_WITH_GNUTLS
    p->secure_modes = modes;
    p->tls_retrans_ms = 1000; /* as the library's Mbed TLS: 1 s, doubling */
    p->tls_handshake_ms = handshake_timeout_ms;
    return 0;
#else
    (void)p, (void)modes, (void)handshake_timeout_ms;
    return -1;
#endif
}

int posix_platform_init(posix_platform *p, const char *state_dir, posix_event_fn on_event,
                        void *event_context) {
    struct stat st;
    size_t i;
    memset(p, 0, sizeof *p);
    for (i = 0; i < POSIX_MAX_CONNS; i++) {
        p->conns[i].fd = -1;
    }
    p->log_level = log_level_from_env();
    p->on_event = on_event;
    p->event_context = event_context;
    if (strlen(state_dir) + SLOT_FILE_MAX > POSIX_PATH_MAX) {
        fprintf(stderr, "lwbs-demo: state directory path too long\n");
        return -1;
    }
    snprintf(p->state_dir, sizeof p->state_dir, "%s", state_dir);
    for (i = 0; i < 2; i++) {
        snprintf(p->slot_paths[i], sizeof p->slot_paths[i], "%s/slot%u.img", state_dir,
                 (unsigned)i);
    }
    snprintf(p->sessions_path, sizeof p->sessions_path, "%s/sessions.bin", state_dir);
    if (stat(state_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lwbs-demo: --state-dir %s is not a directory\n", state_dir);
        return -1;
    }
    if (make_dirs(state_dir) != 0) {
        fprintf(stderr, "lwbs-demo: cannot create state directory %s: %s\n", state_dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int32_t cb_card_present(void *userdata) {
    posix_platform *p = userdata;
    return sim_card_present(p->card);
}

static int32_t cb_card_transmit(void *userdata, const uint8_t *apdu, size_t len, uint8_t *resp,
                                size_t cap, size_t *resp_len) {
    posix_platform *p = userdata;
    return sim_card_transmit(p->card, apdu, len, resp, cap, resp_len);
}

void posix_platform_table(posix_platform *p, lwbs_platform *table) {
    memset(table, 0, sizeof *table);
    table->struct_size = sizeof *table;
    table->userdata = p;
    table->open = cb_open;
    table->close = cb_close;
    table->send = cb_send;
    table->load = cb_load;
    table->save = cb_save;
    table->load_sessions = cb_load_sessions;
    table->save_sessions = cb_save_sessions;
    table->log = cb_log;
    table->event = cb_event;
    table->entropy = cb_entropy;
    table->dm_request = NULL; /* no objects of our own: the library answers 4.04 */
    if (p->card != NULL) {
        table->card_present = cb_card_present;
        table->card_transmit = cb_card_transmit;
    }
#ifdef LWBS_WITH_GNUTLS
    if (p->secure_modes != 0) {
        table->secure_modes = p->secure_modes;
        table->open_secure = cb_open_secure;
    }
#endif
}

void posix_platform_close_all(posix_platform *p) {
    size_t i;
    for (i = 0; i < POSIX_MAX_CONNS; i++) {
        if (p->conns[i].id != 0) {
            close_slot(p, &p->conns[i], 0);
        }
    }
}

size_t posix_platform_pollfds(const posix_platform *p, struct pollfd *fds, lwbs_conn *ids,
                              size_t capacity) {
    size_t i;
    size_t n = 0;
    for (i = 0; i < POSIX_MAX_CONNS && n < capacity; i++) {
        if (p->conns[i].id != 0) {
            fds[n].fd = p->conns[i].fd;
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            ids[n] = p->conns[i].id;
            n++;
        }
    }
    return n;
}

long posix_platform_recv(posix_platform *p, lwbs_conn conn, uint8_t *buf, size_t capacity) {
    posix_conn *slot = find_conn(p, conn);
    ssize_t n;
    if (slot == NULL || conn == 0) {
        return -1;
    }
#ifdef LWBS_WITH_GNUTLS
    if (slot->tls != NULL) {
        uint32_t reason;
        int32_t alert;
        long len;
        if (gtls_failed(slot->tls, &reason, &alert)) {
            while (recv(slot->fd, buf, capacity, 0) >= 0) {
                /* a failed session: its datagrams are dropped until the library closes it */
            }
            return -1;
        }
        len = gtls_recv(slot->tls, buf, capacity);
        return len == GTLS_TRANSPORT_ERROR ? POSIX_RECV_TRANSPORT_ERROR : len < 0 ? -1 : len;
    }
#endif
    n = recv(slot->fd, buf, capacity, 0);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        /* e.g. ECONNREFUSED: an ICMP "port unreachable" for an earlier datagram. Reading it
         * clears it; the caller reports it with lwbs_client_conn_error. */
        int error = errno;
        plog(p, 4, "recv on conn %u: %s", (unsigned)conn, strerror(error));
        if (error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH) {
            return POSIX_RECV_TRANSPORT_ERROR;
        }
    }
    return n < 0 ? -1 : (long)n;
}

size_t posix_platform_service(posix_platform *p, posix_tls_failure *out, size_t capacity) {
    size_t n = 0;
#ifdef LWBS_WITH_GNUTLS
    size_t i;
    for (i = 0; i < POSIX_MAX_CONNS && n < capacity; i++) {
        posix_conn *slot = &p->conns[i];
        if (slot->id == 0 || slot->tls == NULL || slot->failure_reported) {
            continue;
        }
        gtls_tick(slot->tls);
        out[n].conn = slot->id;
        out[n].transport_error = 0;
        if (gtls_failed(slot->tls, &out[n].reason, &out[n].alert)) {
            slot->failure_reported = 1;
            n++;
        } else if (gtls_take_transport_error(slot->tls)) {
            out[n].transport_error = 1;
            n++;
        }
    }
#else
    (void)p, (void)out, (void)capacity;
#endif
    return n;
}

long posix_platform_tls_timeout_ms(const posix_platform *p) {
    long soonest = -1;
#ifdef LWBS_WITH_GNUTLS
    size_t i;
    for (i = 0; i < POSIX_MAX_CONNS; i++) {
        long t;
        if (p->conns[i].id == 0 || p->conns[i].tls == NULL) {
            continue;
        }
        t = gtls_timeout_ms(p->conns[i].tls);
        if (t >= 0 && (soonest < 0 || t < soonest)) {
            soonest = t;
        }
    }
#else
    (void)p;
#endif
    return soonest;
}

uint64_t posix_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
