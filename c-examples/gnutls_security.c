/* gnutls_security: see gnutls_security.h. */
#define _POSIX_C_SOURCE 200809L

#include "gnutls_security.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <gnutls/crypto.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>

/* Only what the mode needs (LwM2M's mandatory CCM-8 suites, secp256r1). GnuTLS's
 * defaults include suites the device should never negotiate. GnuTLS refuses a priority
 * string without a signature algorithm ("insufficient priorities") even for PSK, which signs
 * nothing: PSK lists ECDSA-SHA256 too (one entry of the signature_algorithms extension). */
const char gtls_priority_psk[] =
    "NONE:+VERS-DTLS1.2:+PSK:+AES-128-CCM-8:+AEAD:+COMP-NULL:+SIGN-ECDSA-SHA256";
const char gtls_priority_x509[] =
    "NONE:+VERS-DTLS1.2:+ECDHE-ECDSA:+AES-128-CCM-8:+AEAD:+COMP-NULL:+GROUP-SECP256R1:"
    "+SIGN-ECDSA-SHA256:+CTYPE-CLI-X509:+CTYPE-SRV-X509";
const char gtls_priority_rpk[] =
    "NONE:+VERS-DTLS1.2:+ECDHE-ECDSA:+AES-128-CCM-8:+AEAD:+COMP-NULL:+GROUP-SECP256R1:"
    "+SIGN-ECDSA-SHA256:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK";

#define MTU 1280        /* as the library's own DTLS */
#define QUEUE_MAX 8     /* plaintext datagrams held during the handshake */
#define TLS_ALERT_NONE (-1)

typedef struct queued {
    uint8_t *data;
    size_t len;
} queued;

struct gtls_session {
    gnutls_session_t session;
    int fd;                /* the connected UDP socket (posix_platform's) */
    gnutls_psk_client_credentials_t psk;
    gnutls_certificate_credentials_t cert;
    uint32_t mode;
    uint32_t usage;        /* Certificate Usage 0..3 */
    uint32_t matching;     /* Matching Type 0..3: /0/x/4 is the key or its SHA-256/384/512 */
    uint8_t *server_key;   /* copy of /0/x/4: the pinned key or certificate (wiped at close) */
    size_t server_key_len;
    char *sni;             /* copy of /0/x/14, NULL when absent */
    int started;           /* the ClientHello went out (the first handshake step ran) */
    int established;
    int failed;
    int transport_error;   /* an ICMP error seen by the socket, not yet reported */
    uint32_t reason;       /* lwbs_security_failure, once failed */
    int32_t alert;
    queued queue[QUEUE_MAX];
    size_t queued_count;
    gtls_log_fn log_fn;
    void *log_context;
};

static void slog(const gtls_session *s, unsigned level, const char *fmt, ...) {
    char line[256];
    va_list ap;
    if (s->log_fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log_fn(s->log_context, level, line);
}

static const char *mode_name(uint32_t mode) {
    switch (mode) {
    case LWBS_SECURITY_PSK: return "PSK";
    case LWBS_SECURITY_RPK: return "RPK";
    case LWBS_SECURITY_CERTIFICATE: return "certificate";
    default: return "unsupported";
    }
}

static const char *reason_name(uint32_t reason) {
    switch (reason) {
    case LWBS_SECURITY_FAILURE_TIMEOUT: return "timeout";
    case LWBS_SECURITY_FAILURE_PEER_ALERT: return "alert from the server";
    case LWBS_SECURITY_FAILURE_VERIFICATION: return "server not verified";
    case LWBS_SECURITY_FAILURE_CREDENTIALS: return "credentials unusable";
    case LWBS_SECURITY_FAILURE_REFUSED: return "refused";
    default: return "other";
    }
}

/* ---- verification of the server (certificate callback) ------------------------------------ */

/* The peer's first certificate (X.509 leaf DER, or SubjectPublicKeyInfo DER for RPK) equals
 * the pinned /0/x/4 byte for byte (Matching Type 0), or its SHA-256/384/512 does (1, 2, 3). */
static int peer_matches_pin(gtls_session *s) {
    static const gnutls_digest_algorithm_t digests[] = {GNUTLS_DIG_SHA256, GNUTLS_DIG_SHA384,
                                                        GNUTLS_DIG_SHA512};
    uint8_t digest[64];
    unsigned int count = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(s->session, &count);
    gnutls_digest_algorithm_t alg;
    if (peers == NULL || count == 0) {
        return 0;
    }
    if (s->matching == 0) {
        return peers[0].size == s->server_key_len &&
               memcmp(peers[0].data, s->server_key, s->server_key_len) == 0;
    }
    alg = digests[s->matching - 1];
    return gnutls_hash_get_len(alg) == s->server_key_len &&
           gnutls_hash_fast(alg, peers[0].data, peers[0].size, digest) == 0 &&
           memcmp(digest, s->server_key, s->server_key_len) == 0;
}

static int verify_server(gnutls_session_t session) {
    gtls_session *s = gnutls_session_get_ptr(session);
    unsigned int status = 0;
    gnutls_certificate_type_t type = gnutls_certificate_type_get2(session, GNUTLS_CTYPE_SERVER);

    if (s->mode == LWBS_SECURITY_RPK) {
        if (type == GNUTLS_CRT_RAWPK && peer_matches_pin(s)) {
            return 0;
        }
        slog(s, 2, "the server's raw public key is not the one in /0/x/4");
        return GNUTLS_E_CERTIFICATE_ERROR;
    }
    if (type != GNUTLS_CRT_X509) {
        return GNUTLS_E_CERTIFICATE_ERROR;
    }
    if (s->usage == 1 || s->usage == 3) { /* service / domain-issued certificate: pinned */
        if (peer_matches_pin(s)) {
            return 0;
        }
        slog(s, 2, "the server's certificate is not the one in /0/x/4 (Certificate Usage %u)",
             (unsigned)s->usage);
        return GNUTLS_E_CERTIFICATE_ERROR;
    }
    /* 0 and 2: /0/x/4 is the only trust anchor; the host name only when an SNI is given. */
    if (gnutls_certificate_verify_peers3(session, s->sni, &status) < 0 || status != 0) {
        slog(s, 2, "the server's certificate chain does not verify against /0/x/4 "
                   "(status 0x%x)", status);
        return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }
    return 0;
}

/* ---- set-up --------------------------------------------------------------------------------- */

static int set_credentials(gtls_session *s, const lwbs_security *sec) {
    gnutls_datum_t id = {(unsigned char *)sec->identity, (unsigned)sec->identity_len};
    gnutls_datum_t key = {(unsigned char *)sec->secret_key, (unsigned)sec->secret_key_len};
    gnutls_datum_t server = {(unsigned char *)sec->server_key, (unsigned)sec->server_key_len};
    int rc;

    if (sec->mode == LWBS_SECURITY_PSK) {
        if (sec->identity_len == 0 || sec->secret_key_len == 0 ||
            gnutls_psk_allocate_client_credentials(&s->psk) < 0) {
            return LWBS_OPEN_REFUSED;
        }
        rc = gnutls_psk_set_client_credentials2(s->psk, &id, &key, GNUTLS_PSK_KEY_RAW);
        if (rc < 0) {
            slog(s, 1, "PSK credentials refused by GnuTLS: %s", gnutls_strerror(rc));
            return LWBS_OPEN_REFUSED;
        }
        return gnutls_credentials_set(s->session, GNUTLS_CRD_PSK, s->psk) < 0 ? -1 : 0;
    }
    if (sec->identity_len == 0 || sec->secret_key_len == 0 || sec->server_key_len == 0 ||
        gnutls_certificate_allocate_credentials(&s->cert) < 0) {
        return LWBS_OPEN_REFUSED;
    }
    /* The private key: PKCS#8 or SEC1 DER, both parsed by GnuTLS's DER import. */
    if (sec->mode == LWBS_SECURITY_RPK) {
        rc = gnutls_certificate_set_rawpk_key_mem(s->cert, &id, &key, GNUTLS_X509_FMT_DER, NULL,
                                                  0, NULL, 0, 0);
    } else {
        rc = gnutls_certificate_set_x509_key_mem(s->cert, &id, &key, GNUTLS_X509_FMT_DER);
    }
    if (rc < 0) {
        slog(s, 1, "%s credentials (/0/x/3, /0/x/5) do not parse: %s", mode_name(sec->mode),
             gnutls_strerror(rc));
        return LWBS_OPEN_REFUSED;
    }
    if (sec->mode == LWBS_SECURITY_CERTIFICATE && (s->usage == 0 || s->usage == 2) &&
        s->matching != 0) {
        slog(s, 1, "a trust anchor (Certificate Usage %u) cannot be given as a hash "
                   "(Matching Type %u)", (unsigned)s->usage, (unsigned)s->matching);
        return LWBS_OPEN_REFUSED;
    }
    if (sec->mode == LWBS_SECURITY_CERTIFICATE && (s->usage == 0 || s->usage == 2)) {
        rc = gnutls_certificate_set_x509_trust_mem(s->cert, &server, GNUTLS_X509_FMT_DER);
        if (rc <= 0) {
            slog(s, 1, "trust anchor (/0/x/4) does not parse: %s",
                 rc < 0 ? gnutls_strerror(rc) : "no certificate");
            return LWBS_OPEN_REFUSED;
        }
    }
    gnutls_certificate_set_verify_function(s->cert, verify_server);
    return gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, s->cert) < 0 ? -1 : 0;
}

static void record_failure(gtls_session *s, int err) {
    int level = 0;
    int sent;
    s->failed = 1;
    s->alert = TLS_ALERT_NONE;
    switch (err) {
    case GNUTLS_E_TIMEDOUT:
        s->reason = LWBS_SECURITY_FAILURE_TIMEOUT;
        break;
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
        s->reason = LWBS_SECURITY_FAILURE_PEER_ALERT;
        s->alert = (int32_t)gnutls_alert_get(s->session);
        break;
    case GNUTLS_E_CERTIFICATE_ERROR:
    case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
        s->reason = LWBS_SECURITY_FAILURE_VERIFICATION;
        break;
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
        s->reason = LWBS_SECURITY_FAILURE_CREDENTIALS;
        break;
    default:
        s->reason = LWBS_SECURITY_FAILURE_OTHER;
        break;
    }
    /* Our side of it: the alert that describes the error, sent to the server. */
    if (err != GNUTLS_E_FATAL_ALERT_RECEIVED && err != GNUTLS_E_TIMEDOUT) {
        sent = gnutls_error_to_alert(err, &level);
        if (sent >= 0 && level == GNUTLS_AL_FATAL) {
            gnutls_alert_send(s->session, GNUTLS_AL_FATAL, (gnutls_alert_description_t)sent);
            s->alert = sent;
        }
    }
    slog(s, 2, "DTLS %s handshake failed: %s (%s, alert %d)", mode_name(s->mode),
         reason_name(s->reason), gnutls_strerror(err), (int)s->alert);
}

/* ---- the socket under GnuTLS ------------------------------------------------------------ */

/* ECONNREFUSED & co. on a connected UDP socket: an ICMP error for an earlier datagram. GnuTLS
 * would invalidate the session on a push or pull error; here it is a lost datagram instead
 * (the handshake's retransmission may get through, as with the library's own DTLS), kept for
 * the library as a transport error (lwbs_client_conn_error). */
static int icmp_errno(int error) {
    return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH;
}

static ssize_t push_datagram(gnutls_transport_ptr_t ptr, const void *data, size_t len) {
    gtls_session *s = ptr;
    ssize_t n = send(s->fd, data, len, 0);
    if (n < 0 && icmp_errno(errno)) {
        s->transport_error = 1;
        return (ssize_t)len; /* lost, as UDP may lose it */
    }
    if (n < 0) {
        gnutls_transport_set_errno(s->session, errno == EWOULDBLOCK ? EAGAIN : errno);
    }
    return n;
}

static ssize_t pull_datagram(gnutls_transport_ptr_t ptr, void *buf, size_t len) {
    gtls_session *s = ptr;
    ssize_t n = recv(s->fd, buf, len, 0);
    if (n < 0) {
        int error = errno == EWOULDBLOCK ? EAGAIN : errno;
        if (icmp_errno(error)) {
            s->transport_error = 1;
            error = EAGAIN; /* nothing to read; the error is reported to the library */
        }
        gnutls_transport_set_errno(s->session, error);
    }
    return n < 0 ? -1 : n;
}

/* > 0 when a datagram (or an error) waits, 0 when none came within ms. */
static int wait_datagram(gnutls_transport_ptr_t ptr, unsigned int ms) {
    gtls_session *s = ptr;
    struct pollfd pfd;
    pfd.fd = s->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static void send_plain(gtls_session *s, const uint8_t *data, size_t len) {
    ssize_t rc = gnutls_record_send(s->session, data, len);
    if (rc < 0) { /* a lost datagram: CoAP retransmits */
        slog(s, 2, "DTLS send: %s", gnutls_strerror((int)rc));
    }
}

static void drop_queue(gtls_session *s) {
    size_t i;
    for (i = 0; i < s->queued_count; i++) {
        gnutls_memset(s->queue[i].data, 0, s->queue[i].len);
        free(s->queue[i].data);
    }
    s->queued_count = 0;
}

/* One handshake step; the queued datagrams go out once it is complete. */
static void step_handshake(gtls_session *s) {
    int rc;
    size_t i;
    if (s->established || s->failed) {
        return;
    }
    s->started = 1;
    do {
        rc = gnutls_handshake(s->session);
    } while (rc == GNUTLS_E_INTERRUPTED ||
             (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(rc)));
    if (rc == GNUTLS_E_AGAIN) {
        return;
    }
    if (rc < 0) {
        record_failure(s, rc);
        drop_queue(s);
        return;
    }
    s->established = 1;
    slog(s, 3, "DTLS %s session established (%s)", mode_name(s->mode),
         gnutls_cipher_suite_get_name(gnutls_kx_get(s->session), gnutls_cipher_get(s->session),
                                      gnutls_mac_get(s->session)));
    for (i = 0; i < s->queued_count; i++) {
        send_plain(s, s->queue[i].data, s->queue[i].len);
    }
    drop_queue(s);
}

int gtls_open(gtls_session **out, int fd, const lwbs_security *sec, unsigned retrans_ms,
              unsigned total_ms, gtls_log_fn log_fn, void *log_context) {
    gtls_session *s;
    unsigned flags = GNUTLS_CLIENT | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK;
    const char *priority;
    const char *error_at = NULL;
    int rc;

    *out = NULL;
    switch (sec->mode) {
    case LWBS_SECURITY_PSK: priority = gtls_priority_psk; break;
    case LWBS_SECURITY_RPK: priority = gtls_priority_rpk; flags |= GNUTLS_ENABLE_RAWPK; break;
    case LWBS_SECURITY_CERTIFICATE: priority = gtls_priority_x509; break;
    default:
        if (log_fn != NULL) {
            log_fn(log_context, 1, "GnuTLS: Security Mode not supported (EST?)");
        }
        return LWBS_OPEN_REFUSED;
    }
    if (sec->matching_type > 3) {
        return LWBS_OPEN_REFUSED;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        return -1;
    }
    s->mode = sec->mode;
    s->usage = sec->certificate_usage <= 3 ? sec->certificate_usage : 3;
    s->matching = sec->matching_type;
    s->alert = TLS_ALERT_NONE;
    s->log_fn = log_fn;
    s->log_context = log_context;
    if (gnutls_init(&s->session, flags) < 0) {
        free(s);
        return -1;
    }
    gnutls_session_set_ptr(s->session, s);
    if (sec->server_key_len > 0) {
        s->server_key = malloc(sec->server_key_len);
        if (s->server_key == NULL) {
            gtls_close(s, 0);
            return -1;
        }
        memcpy(s->server_key, sec->server_key, sec->server_key_len);
        s->server_key_len = sec->server_key_len;
    }
    if (sec->sni != NULL) {
        s->sni = malloc(strlen(sec->sni) + 1);
        if (s->sni == NULL) {
            gtls_close(s, 0);
            return -1;
        }
        strcpy(s->sni, sec->sni);
    }
    rc = set_credentials(s, sec);
    if (rc != 0) {
        gtls_close(s, 0);
        return rc;
    }
    if (gnutls_priority_set_direct(s->session, priority, &error_at) < 0) {
        slog(s, 1, "GnuTLS priority string rejected at \"%s\"", error_at ? error_at : "?");
        gtls_close(s, 0);
        return -1;
    }
    if (s->sni != NULL &&
        gnutls_server_name_set(s->session, GNUTLS_NAME_DNS, s->sni, strlen(s->sni)) < 0) {
        gtls_close(s, 0);
        return LWBS_OPEN_REFUSED;
    }
    s->fd = fd;
    gnutls_transport_set_ptr(s->session, s);
    gnutls_transport_set_push_function(s->session, push_datagram);
    gnutls_transport_set_pull_function(s->session, pull_datagram);
    gnutls_transport_set_pull_timeout_function(s->session, wait_datagram);
    gnutls_dtls_set_mtu(s->session, MTU);
    gnutls_dtls_set_timeouts(s->session, retrans_ms, total_ms);
    /* The ClientHello goes out from the main loop (gtls_tick, at once: gtls_timeout_ms is 0),
     * after the library's call returned: in that call the library may still close the
     * connection this one replaces, whose close_notify then goes first, as with its own DTLS. */
    *out = s;
    return 0;
}

int gtls_send(gtls_session *s, const uint8_t *data, size_t len) {
    queued *q;
    if (s->failed) {
        return -1;
    }
    if (s->established) {
        send_plain(s, data, len);
        return 0;
    }
    if (s->queued_count == QUEUE_MAX) { /* a retransmission waits behind its original */
        return -1;
    }
    q = &s->queue[s->queued_count];
    q->data = malloc(len > 0 ? len : 1);
    if (q->data == NULL) {
        return -1;
    }
    memcpy(q->data, data, len);
    q->len = len;
    s->queued_count++;
    return 0;
}

long gtls_recv(gtls_session *s, uint8_t *buf, size_t capacity) {
    ssize_t n;
    if (s->failed) {
        return GTLS_NONE;
    }
    if (!s->established) {
        step_handshake(s);
        if (gtls_take_transport_error(s)) {
            return GTLS_TRANSPORT_ERROR;
        }
        if (!s->established) {
            return GTLS_NONE;
        }
    }
    for (;;) {
        n = gnutls_record_recv(s->session, buf, capacity);
        if (n > 0) {
            return (long)n;
        }
        if (n == GNUTLS_E_AGAIN) {
            return gtls_take_transport_error(s) ? GTLS_TRANSPORT_ERROR : GTLS_NONE;
        }
        if (n == 0) { /* close_notify from the server: the session is over */
            s->failed = 1;
            s->reason = LWBS_SECURITY_FAILURE_PEER_ALERT;
            s->alert = GNUTLS_A_CLOSE_NOTIFY;
            slog(s, 2, "the server closed the DTLS session (close_notify)");
            return GTLS_NONE;
        }
        if (n == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal((int)n)) {
            continue; /* a warning alert, a record that did not decrypt: skipped */
        }
        record_failure(s, (int)n);
        return GTLS_NONE;
    }
}

void gtls_tick(gtls_session *s) {
    if (!s->established && !s->failed &&
        (!s->started || gnutls_dtls_get_timeout(s->session) == 0)) {
        step_handshake(s);
    }
}

long gtls_timeout_ms(const gtls_session *s) {
    if (s->established || s->failed) {
        return -1;
    }
    return s->started ? (long)gnutls_dtls_get_timeout(s->session) : 0;
}

int gtls_failed(const gtls_session *s, uint32_t *reason, int32_t *alert) {
    if (s->failed) {
        *reason = s->reason;
        *alert = s->alert;
    }
    return s->failed;
}

int gtls_take_transport_error(gtls_session *s) {
    int seen = s->transport_error;
    s->transport_error = 0;
    return seen;
}

int gtls_established(const gtls_session *s) {
    return s->established;
}

void gtls_close(gtls_session *s, int close_notify) {
    if (s == NULL) {
        return;
    }
    if (close_notify && s->established && !s->failed) {
        gnutls_bye(s->session, GNUTLS_SHUT_WR); /* one alert record, no answer awaited */
    }
    drop_queue(s);
    gnutls_deinit(s->session);
    if (s->psk != NULL) {
        gnutls_psk_free_client_credentials(s->psk);
    }
    if (s->cert != NULL) {
        gnutls_certificate_free_credentials(s->cert);
    }
    if (s->server_key != NULL) {
        gnutls_memset(s->server_key, 0, s->server_key_len);
        free(s->server_key);
    }
    if (s->sni != NULL) {
        free(s->sni);
    }
    gnutls_memset(s, 0, sizeof *s);
    free(s);
}
