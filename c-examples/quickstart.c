/* quickstart: bootstraps from the NoSec Bootstrap-Server given as argv[1] (coap://host:port),
 * registers with the server it provisions, de-registers, and exits 0 (1 after 60 s without). */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m_bootstrap.h"

#define MAX_CONNS 4
static struct { lwbs_conn conn; int fd; } conns[MAX_CONNS]; /* fd -1: free */
static int registered, stopped;

static uint64_t now_ms(void) { /* any monotonic millisecond clock */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int32_t my_open(void *ud, lwbs_conn conn, const char *uri) { /* a connected UDP socket */
    char host[256], *port, *name = host;
    struct addrinfo hints = {0}, *ai;
    int i, fd;
    (void)ud;
    if (strncmp(uri, "coap://", 7) != 0 || strlen(uri + 7) >= sizeof host) return -1;
    strcpy(host, uri + 7);
    if (!(port = strrchr(host, ':'))) return -1;
    *port++ = '\0';
    if (host[0] == '[' && port[-2] == ']') name = host + 1, port[-2] = '\0'; /* [IPv6] */
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(name, port, &hints, &ai) != 0) return -1;
    fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) close(fd), fd = -1;
    freeaddrinfo(ai);
    for (i = 0; fd >= 0 && i < MAX_CONNS; i++)
        if (conns[i].fd < 0) return conns[i].conn = conn, conns[i].fd = fd, 0;
    if (fd >= 0) close(fd);
    return -1;
}

static void my_close(void *ud, lwbs_conn conn) {
    int i;
    (void)ud;
    for (i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0 && conns[i].conn == conn) close(conns[i].fd), conns[i].fd = -1;
}

static int32_t my_send(void *ud, lwbs_conn conn, const uint8_t *data, size_t len) {
    int i;
    (void)ud;
    for (i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0 && conns[i].conn == conn)
            return send(conns[i].fd, data, len, 0) == (ssize_t)len ? 0 : -1;
    return -1;
}

static int32_t my_entropy(void *ud, uint8_t *buf, size_t len) { /* required for anything real */
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(buf, 1, len, f) : 0;
    (void)ud;
    if (f) fclose(f);
    return n == len ? 0 : -1;
}

static void my_event(void *ud, const lwbs_event *ev) { /* never call the client from here */
    (void)ud;
    printf("event %u ssid=%u%s%s%s%s\n", (unsigned)ev->kind, (unsigned)ev->ssid,
           ev->location ? " location=" : "", ev->location ? ev->location : "",
           ev->detail ? " detail=" : "", ev->detail ? ev->detail : "");
    if (ev->kind == LWBS_EVENT_REGISTERED) registered = 1;
    if (ev->kind == LWBS_EVENT_STOPPED) stopped = 1;
}

int main(int argc, char **argv) {
    lwbs_config config;
    lwbs_platform platform = {0};
    lwbs_account bs;
    lwbs_client *client = NULL;
    uint64_t deadline = 0, give_up = now_ms() + 60000;
    int i;

    for (i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
    lwbs_config_init(&config);
    config.endpoint = "urn:dev:c-quickstart";
    platform.struct_size = sizeof platform;
    platform.open = my_open, platform.close = my_close, platform.send = my_send;
    platform.entropy = my_entropy, platform.event = my_event; /* optional: load, save, log, ... */
    lwbs_account_init(&bs);
    bs.uri = argc > 1 ? argv[1] : "coap://127.0.0.1:5683";
    bs.security_mode = LWBS_SECURITY_NOSEC;
    if (lwbs_client_new(&config, &platform, &client) != LWBS_OK ||
        lwbs_client_provision_bootstrap_server(client, &bs) != LWBS_OK || /* factory bootstrap */
        lwbs_client_start(client, now_ms()) != LWBS_OK) {                 /* Bootstrap Sequence */
        fprintf(stderr, "quickstart: cannot start a client for %s\n", bs.uri);
        lwbs_client_free(client);
        return 1;
    }
    while (!stopped && now_ms() < give_up) {
        struct pollfd fds[MAX_CONNS];
        uint64_t now = now_ms();
        if (registered == 1) registered = 2, lwbs_client_stop(client, now); /* de-registers */
        lwbs_client_tick(client, now, &deadline); /* timers; deadline UINT64_MAX: none */
        for (i = 0; i < MAX_CONNS; i++) fds[i].fd = conns[i].fd, fds[i].events = POLLIN;
        poll(fds, MAX_CONNS, deadline <= now ? 0 : deadline - now > 1000 ? 1000 : (int)(deadline - now));
        for (i = 0; i < MAX_CONNS; i++) {
            uint8_t buf[2048];
            ssize_t len;
            if (fds[i].fd < 0 || fds[i].fd != conns[i].fd || !fds[i].revents) continue;
            if ((len = recv(fds[i].fd, buf, sizeof buf, 0)) >= 0)
                lwbs_client_recv(client, conns[i].conn, buf, (size_t)len, now_ms());
            else /* ECONNREFUSED: an ICMP error, reported at once */
                lwbs_client_conn_error(client, conns[i].conn, now_ms());
        }
    }
    lwbs_client_free(client);
    return stopped ? 0 : 1;
}
