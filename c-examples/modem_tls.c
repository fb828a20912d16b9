/* modem_tls: the callbacks of a device whose modem (or firmware TLS stack) does DTLS, so the
 * library needs no DTLS of its own (a NoSec build links no Mbed TLS). The platform names the
 * Security Modes it secures in secure_modes; the library then opens those connections with
 * open_secure, handing over the account's credentials once, and its datagrams on them are
 * plain CoAP that the modem carries inside its DTLS session. Here the "modem" only prints what
 * it was given (never the key bytes) and records the connection; on a real modem open_secure
 * stores the credentials (an AT command, a credential-store API) and opens a DTLS socket.
 * When the modem reports that the handshake failed, the main loop (never a callback) tells
 * the library with lwbs_client_conn_security_failed.
 *
 * Prints one "open_secure ..." line, one "send ..." line, then "handshake failed reported"
 * and exits 0 (1 on an unexpected result). */
#include <stdio.h>

#include "lwm2m_bootstrap.h"

typedef struct modem {
    lwbs_conn conn; /* the connection the modem secures, 0 = none */
} modem;

static int32_t open_secure(void *userdata, lwbs_conn conn, const char *uri,
                           const lwbs_security *security) {
    modem *m = userdata;
    if (security->mode != LWBS_SECURITY_PSK) {
        return LWBS_OPEN_REFUSED; /* this modem does PSK only: the account fails, no NoSec */
    }
    /* Copy identity and key into the modem's credential store here, then open the socket. */
    printf("open_secure conn %u %s psk identity %.*s, key %u bytes, bootstrap %d\n",
           (unsigned)conn, uri, (int)security->identity_len, (const char *)security->identity,
           (unsigned)security->secret_key_len, (int)security->bootstrap);
    m->conn = conn;
    return 0;
}

static int32_t open_plain(void *userdata, lwbs_conn conn, const char *uri) {
    (void)userdata, (void)conn, (void)uri;
    return -1; /* this device has no NoSec account */
}

static void close_conn(void *userdata, lwbs_conn conn) {
    (void)userdata;
    printf("close conn %u (the modem sends close_notify)\n", (unsigned)conn);
}

static int32_t send_datagram(void *userdata, lwbs_conn conn, const uint8_t *data, size_t len) {
    (void)userdata;
    /* Plain CoAP: the modem encrypts it. The first byte is the CoAP version and type. */
    printf("send conn %u, %u bytes of CoAP (version %u)\n", (unsigned)conn, (unsigned)len,
           (unsigned)(data[0] >> 6));
    return 0;
}

int main(void) {
    modem m = {0};
    lwbs_config config;
    lwbs_platform platform = {0};
    lwbs_account account;
    lwbs_client *client = NULL;
    uint64_t deadline = 0;
    const uint8_t psk[16] = "0123456789abcdef";
    lwbs_result r;

    lwbs_config_init(&config);
    config.endpoint = "urn:dev:modem";
    platform.struct_size = sizeof platform;
    platform.userdata = &m;
    platform.open = open_plain;
    platform.close = close_conn;
    platform.send = send_datagram;
    platform.secure_modes = 1u << LWBS_SECURITY_PSK;
    platform.open_secure = open_secure;
    lwbs_account_init(&account);
    account.uri = "coaps://127.0.0.1:5684";
    account.security_mode = LWBS_SECURITY_PSK;
    account.ssid = 1;
    account.identity = (const uint8_t *)"modem-id";
    account.identity_len = 8;
    account.secret_key = psk;
    account.secret_key_len = sizeof psk;

    r = lwbs_client_new(&config, &platform, &client);
    r = r ? r : lwbs_client_provision_server(client, &account);
    r = r ? r : lwbs_client_start(client, 0); /* open_secure, then the Register on it */
    if (r == LWBS_OK && m.conn != 0) {
        /* The modem said the handshake timed out: a failed Register attempt, retried later. */
        r = lwbs_client_conn_security_failed(client, m.conn, 10, LWBS_SECURITY_FAILURE_TIMEOUT,
                                             -1);
        r = r ? r : lwbs_client_tick(client, 11, &deadline);
        printf("handshake failed reported: %s\n", lwbs_result_str(r));
    }
    lwbs_client_free(client);
    return r != LWBS_OK || m.conn == 0;
}
