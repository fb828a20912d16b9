/* cross-consumer: the no_std archive in a bare-metal image (tests/cross_consumer). It supplies
 * the port layer a firmware provides (lwm2m_bootstrap.h, "Port hook": lwbs_port_malloc, _free,
 * _realloc over newlib-nano's heap, lwbs_port_panic stopping the core), creates a client with a
 * NoSec Bootstrap-Server account, starts it, ticks once and frees it, and references every other
 * exported function through lwbs_keep_all (keep_all.c, generated), so that --gc-sections keeps
 * the whole library. It is linked and inspected, not run (no startup code for a board). */
#include <stdlib.h>

#include "lwm2m_bootstrap.h"

typedef void (*lwbs_keep_fn)(void);
extern const lwbs_keep_fn lwbs_keep_all[];
extern const unsigned lwbs_keep_count;

void *lwbs_port_malloc(size_t size) {
    return malloc(size);
}

void lwbs_port_free(void *ptr) {
    free(ptr);
}

void *lwbs_port_realloc(void *ptr, size_t size) {
    return realloc(ptr, size);
}

void lwbs_port_panic(const char *msg, size_t len) {
    (void)msg, (void)len;
    for (;;) {
    }
}

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

/* Every exported function stays in the image: the table is read through a volatile. */
static volatile uintptr_t keep_sink;

int main(void) {
    lwbs_config config;
    lwbs_platform platform = {0};
    lwbs_account account;
    lwbs_client *client = NULL;
    uint64_t deadline = 0;
    unsigned i;

    for (i = 0; i < lwbs_keep_count; i++) {
        keep_sink += (uintptr_t)lwbs_keep_all[i];
    }

    lwbs_config_init(&config);
    config.endpoint = "urn:dev:cross";
    platform.struct_size = sizeof platform;
    platform.open = open_conn;
    platform.close = close_conn;
    platform.send = send_datagram;
    if (lwbs_client_new(&config, &platform, &client) != LWBS_OK) {
        return 1;
    }
    lwbs_account_init(&account);
    account.uri = "coap://192.0.2.1:5683";
    account.security_mode = LWBS_SECURITY_NOSEC;
    if (lwbs_client_provision_bootstrap_server(client, &account) != LWBS_OK ||
        lwbs_client_start(client, 0) != LWBS_OK || lwbs_client_tick(client, 0, &deadline) != LWBS_OK) {
        lwbs_client_free(client);
        return 1;
    }
    lwbs_client_free(client);
    return 0;
}
