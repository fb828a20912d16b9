/* no_smartcard: a build without Bootstrap from Smartcard (CMake -DLWBS_SMARTCARD=OFF) keeps the
 * whole C ABI: lwbs_client_set_smartcard exists and returns LWBS_ERR_UNSUPPORTED, whose text
 * says so, and a platform with card_transmit gets a warning that the card is ignored. Linked
 * with the no_std NoSec archive and tests/c/nostd_port.c (-DLWBS_PORT_ONLY) by
 * tests/c/run_c_tests.sh; prints "no_smartcard: ok" and exits 0, or names what differs. */
#include <stdio.h>
#include <string.h>

#include "lwm2m_bootstrap.h"

static int warned;

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

static void log_line(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    if (level == 2 && strstr(message, "no Bootstrap from Smartcard in this build") != NULL) {
        warned++;
    }
}

static int32_t card_transmit(void *userdata, const uint8_t *apdu, size_t apdu_len,
                             uint8_t *response, size_t response_cap, size_t *response_len) {
    (void)userdata, (void)apdu, (void)apdu_len, (void)response, (void)response_cap;
    *response_len = 0;
    return -1;
}

int main(void) {
    lwbs_config config;
    lwbs_platform platform = {0};
    lwbs_smartcard_config card;
    lwbs_client *client = NULL;
    lwbs_result r;

    lwbs_config_init(&config);
    config.endpoint = "urn:dev:no-smartcard";
    platform.struct_size = sizeof platform;
    platform.open = open_conn;
    platform.close = close_conn;
    platform.send = send_datagram;
    platform.log = log_line;
    platform.card_transmit = card_transmit;
    if ((r = lwbs_client_new(&config, &platform, &client)) != LWBS_OK) {
        printf("no_smartcard: lwbs_client_new: %s\n", lwbs_result_str(r));
        return 1;
    }
    lwbs_smartcard_config_init(&card);
    r = lwbs_client_set_smartcard(client, &card);
    lwbs_client_free(client);
    if (r != LWBS_ERR_UNSUPPORTED) {
        printf("no_smartcard: lwbs_client_set_smartcard returned %u\n", (unsigned)r);
        return 1;
    }
    if (strcmp(lwbs_result_str(LWBS_ERR_UNSUPPORTED), "not supported by this build") != 0) {
        printf("no_smartcard: lwbs_result_str(14) is \"%s\"\n", lwbs_result_str(r));
        return 1;
    }
    if (warned != 1) {
        printf("no_smartcard: %d warnings that card_transmit is ignored\n", warned);
        return 1;
    }
    puts("no_smartcard: ok");
    return 0;
}
