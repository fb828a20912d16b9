/* lwbs-minimal: the smallest complete use of lwm2m-bootstrap. It creates a client with a
 * NoSec Bootstrap-Server account, starts it (which opens the connection and sends the
 * Bootstrap-Request through the callbacks below, here discarded), ticks once and frees it.
 *
 * Used to measure what the library adds to a program and, built by tests/cmake_consumer, to
 * check that the installed package links and runs. It prints:
 *   lwbs-minimal: library 0.1.0 header 0.1.0
 *   lwbs-minimal: result 0 "<lwbs_result_str(0)>"
 *   lwbs-minimal: started, state 2
 * and exits 0, or 1 after printing the failing call. */
#include <stdio.h>

#include "lwm2m_bootstrap.h"

static int32_t open_conn(void *userdata, lwbs_conn conn, const char *uri) {
    (void)userdata, (void)conn, (void)uri;
    return 0;
}

static void close_conn(void *userdata, lwbs_conn conn) {
    (void)userdata, (void)conn;
}

static int32_t send_datagram(void *userdata, lwbs_conn conn, const uint8_t *data, size_t len) {
    (void)userdata, (void)conn, (void)data, (void)len;
    return 0;
}

static int check(const char *call, lwbs_result r) {
    if (r != LWBS_OK) {
        printf("lwbs-minimal: %s: %s\n", call, lwbs_result_str(r));
    }
    return r != LWBS_OK;
}

int main(void) {
    lwbs_config config;
    lwbs_platform platform = {0};
    lwbs_account account;
    lwbs_client *client = NULL;
    uint64_t deadline = 0;
    uint32_t state = 0;
    int failed;

    printf("lwbs-minimal: library %s header %s\n", lwbs_version(), LWBS_VERSION_STRING);
    printf("lwbs-minimal: result 0 \"%s\"\n", lwbs_result_str(0));

    lwbs_config_init(&config);
    config.endpoint = "urn:dev:minimal";
    platform.struct_size = sizeof platform;
    platform.open = open_conn;
    platform.close = close_conn;
    platform.send = send_datagram;
    lwbs_account_init(&account);
    account.uri = "coap://127.0.0.1:5683";
    account.security_mode = LWBS_SECURITY_NOSEC;

    failed = check("lwbs_client_new", lwbs_client_new(&config, &platform, &client));
    failed = failed || check("provision", lwbs_client_provision_bootstrap_server(client, &account));
    failed = failed || check("start", lwbs_client_start(client, 0));
    failed = failed || check("tick", lwbs_client_tick(client, 1, &deadline));
    failed = failed || check("state", lwbs_client_state(client, &state));
    if (!failed) {
        printf("lwbs-minimal: started, state %u\n", (unsigned)state);
    }
    lwbs_client_free(client);
    return failed;
}
