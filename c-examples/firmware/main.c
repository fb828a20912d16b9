/* The firmware example: an LwM2M client on bare metal (QEMU mps2-an386, Cortex-M4F) with the
 * no_std library, docs/firmware.md.
 *
 * - channel: CMSDK APB UART0 (0x40004000, RX interrupt = IRQ 0), framed, to the host bridge
 *   (bridge.py) that QEMU connects it to. Frame: length (2 bytes, big-endian, of the payload),
 *   kind (1 byte), payload. Firmware → bridge: H hello, O open (conn, uri), C close (conn),
 *   D datagram (conn, bytes), L load (slot), S save (slot, bytes), E event line, G log (level,
 *   text), F figures line, X exit (status, reason). Bridge → firmware: c configuration
 *   ("key=value\n" lines), d datagram (conn, bytes), e transport error (conn), l load answer
 *   (slot, status, bytes), s save answer (slot, status), q stop (Ctrl-C/SIGTERM at the host).
 *   Connection ids are 4 bytes big-endian.
 * - port layer: lwbs_port_malloc/free/realloc over newlib-nano's malloc, whose _sbrk hands out
 *   a fixed static arena (heap_arena, LWBS_FW_HEAP_SIZE); figures: the peak of live bytes
 *   (malloc_usable_size) and the arena's high-water mark. lwbs_port_panic reports and exits.
 * - time: SysTick at 1 kHz from the 25 MHz CPU clock (QEMU's virtual clock).
 * - storage: the library's two slots live at the host (bridge files), read and written over
 *   the channel (L/S frames, answered before the call returns).
 * - entropy: QEMU's mps2-an386 has no TRNG: the bridge sends a 64-byte seed from the host's
 *   os.urandom in the configuration; fw_entropy hands it out. Real hardware reads its TRNG.
 * With -DLWBS_FW_STUB the same program calls nothing of lwbs_* (size baseline). */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "lwbs_events.h"
#include "lwm2m_bootstrap.h"

#ifndef LWBS_FW_HEAP_SIZE
#define LWBS_FW_HEAP_SIZE 131072
#endif
#define MAX_FRAME 2048
#define STOP_TIMEOUT_MS 10000u
#define CPU_HZ 25000000u

/* ---- registers ------------------------------------------------------------------------------ */
#define REG(addr) (*(volatile uint32_t *)(addr))
#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04)
#define UART_CTRL REG(UART0 + 0x08)
#define UART_INTCLEAR REG(UART0 + 0x0C)
#define UART_BAUDDIV REG(UART0 + 0x10)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)

/* ---- time ----------------------------------------------------------------------------------- */
static volatile uint64_t ticks_ms;

static void uart_drain(void);

void SysTick_Handler(void) {
    ticks_ms++;
    uart_drain(); /* a safety net: the RX interrupt does the work */
}

static uint64_t now_ms(void) {
    uint64_t t;
    __asm__ volatile("cpsid i" ::: "memory");
    t = ticks_ms;
    __asm__ volatile("cpsie i" ::: "memory");
    return t;
}

/* ---- UART: RX ring filled by the interrupt, TX polled --------------------------------------- */
static uint8_t rx_ring[8192];
static volatile uint32_t rx_head, rx_tail;

/* Moves every byte the UART holds into the ring. */
static void uart_drain(void) {
    while (UART_STATE & 2u) {
        uint32_t next = (rx_head + 1) % sizeof rx_ring;
        uint8_t byte = (uint8_t)UART_DATA;
        if (next != rx_tail) {
            rx_ring[rx_head] = byte;
            rx_head = next;
        }
    }
}

/* The interrupt is cleared before the UART is drained: a byte that lands after the drain
 * raises it again (cleared after the drain, that byte would wait without an interrupt). */
void Uart0Rx_Handler(void) {
    UART_INTCLEAR = 2u;
    uart_drain();
}

static void uart_init(void) {
    UART_BAUDDIV = 16;
    UART_CTRL = 1u | 2u | 8u; /* TX enable, RX enable, RX interrupt */
    NVIC_ISER0 = 1u;          /* IRQ 0: UART0 RX */
}

static void uart_put(const uint8_t *data, size_t len) {
    size_t i;
    for (i = 0; i < len; i++) {
        while (UART_STATE & 1u) {
        }
        UART_DATA = data[i];
    }
}

static bool rx_pop(uint8_t *byte) {
    if (rx_tail == rx_head) {
        return false;
    }
    *byte = rx_ring[rx_tail];
    rx_tail = (rx_tail + 1) % sizeof rx_ring;
    return true;
}

/* ---- frames --------------------------------------------------------------------------------- */
typedef struct frame {
    uint8_t kind;
    uint16_t len;
    uint8_t data[MAX_FRAME];
} frame;

static void send_frame2(uint8_t kind, const uint8_t *a, size_t alen, const uint8_t *b,
                        size_t blen) {
    uint8_t head[3];
    size_t len = alen + blen;
    if (len > 0xFFFF) {
        len = 0xFFFF;
        blen = len - alen;
    }
    head[0] = (uint8_t)(len >> 8);
    head[1] = (uint8_t)len;
    head[2] = kind;
    uart_put(head, 3);
    uart_put(a, alen);
    uart_put(b, blen);
}

static void send_text(uint8_t kind, const char *text) {
    send_frame2(kind, NULL, 0, (const uint8_t *)text, strlen(text));
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The frame being assembled from the ring. */
static frame rx_frame;
static uint32_t rx_have; /* bytes of the current frame, header included */

/* Moves ring bytes into rx_frame; true once a whole frame is there (then call again to reset). */
static bool frame_ready(void) {
    uint8_t byte;
    for (;;) {
        if (rx_have >= 3 && rx_have == 3u + rx_frame.len) {
            return true;
        }
        if (!rx_pop(&byte)) {
            return false;
        }
        if (rx_have == 0) {
            rx_frame.len = (uint16_t)(byte << 8);
        } else if (rx_have == 1) {
            rx_frame.len |= byte;
            if (rx_frame.len > MAX_FRAME) {
                fw_fatal("frame from the bridge too long");
            }
        } else if (rx_have == 2) {
            rx_frame.kind = byte;
        } else {
            rx_frame.data[rx_have - 3] = byte;
        }
        rx_have++;
    }
}

static void frame_done(void) {
    rx_have = 0;
}

/* Sleeps (WFI) until a byte arrives or the clock reaches wake. */
static void idle_until(uint64_t wake) {
    __asm__ volatile("cpsid i" ::: "memory");
    if (rx_tail == rx_head && ticks_ms < wake) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

/* ---- exit and figures ----------------------------------------------------------------------- */
static size_t heap_live, heap_peak;
static uint8_t heap_arena[LWBS_FW_HEAP_SIZE] __attribute__((aligned(8)));
static size_t arena_used;

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr) {
    size_t old = arena_used;
    if (incr < 0 ? (size_t)-incr > arena_used : (size_t)incr > sizeof heap_arena - arena_used) {
        return (void *)-1;
    }
    arena_used += (size_t)incr;
    return heap_arena + old;
}

static void send_figures(void) {
    char line[200];
    snprintf(line, sizeof line,
             "FIGURES heap_peak=%lu heap_arena=%lu heap_size=%lu stack_peak=%lu stack_size=%lu "
             "uptime_ms=%lu",
             (unsigned long)heap_peak, (unsigned long)arena_used,
             (unsigned long)sizeof heap_arena, (unsigned long)fw_stack_peak(),
             (unsigned long)fw_stack_size(), (unsigned long)now_ms());
    send_text('F', line);
}

static void send_exit(int status, const char *reason) {
    uint8_t st = (uint8_t)status;
    send_figures();
    send_frame2('X', &st, 1, (const uint8_t *)reason, strlen(reason));
}

void fw_exit(int status) {
    /* SYS_EXIT_EXTENDED (0x20): {ADP_Stopped_ApplicationExit, status}. */
    static uint32_t block[2];
    block[0] = 0x20026u;
    block[1] = (uint32_t)status;
    __asm__ volatile("mov r0, #0x20\n mov r1, %0\n bkpt 0xAB" : : "r"(block) : "r0", "r1", "memory");
    for (;;) {
    }
}

void fw_fatal(const char *reason) {
    send_exit(3, reason);
    fw_exit(3);
}

/* ---- port layer ----------------------------------------------------------------------------- */
static void heap_count(void *p, long sign) {
    if (p == NULL) {
        return;
    }
    heap_live += sign > 0 ? malloc_usable_size(p) : (size_t)0 - malloc_usable_size(p);
    if (heap_live > heap_peak) {
        heap_peak = heap_live;
    }
}

void *lwbs_port_malloc(size_t size) {
    void *p = malloc(size);
    heap_count(p, 1);
    return p;
}

void lwbs_port_free(void *ptr) {
    heap_count(ptr, -1);
    free(ptr);
}

void *lwbs_port_realloc(void *ptr, size_t size) {
    size_t old = malloc_usable_size(ptr);
    void *p = realloc(ptr, size);
    if (p != NULL) {
        heap_live -= old;
        heap_count(p, 1);
    }
    return p;
}

void lwbs_port_panic(const char *msg, size_t len) {
    char reason[160];
    snprintf(reason, sizeof reason, "lwbs panic: %.*s", (int)len, msg);
    fw_fatal(reason);
}

static uint8_t seed[64];
static size_t seed_len, seed_used;

/* QEMU has no TRNG: the bridge's seed (host os.urandom). A device reads its TRNG here. */
static int32_t fw_entropy(void *userdata, uint8_t *buf, size_t len) {
    (void)userdata;
    if (len > seed_len - seed_used) {
        return -1;
    }
    memcpy(buf, seed + seed_used, len);
    seed_used += len;
    return 0;
}

/* ---- configuration from the bridge ---------------------------------------------------------- */
typedef enum exit_after { EXIT_NEVER, EXIT_REGISTERED, EXIT_UPDATED, EXIT_BOOTSTRAPPED, EXIT_TIMER } exit_after;

typedef struct fw_args {
    char endpoint[128];
    char bootstrap_uri[256];
    char server_uri[256];
    unsigned long hold_off_s, ssid, lifetime_s;
    char psk_identity[128];
    uint8_t psk_key[64];
    size_t psk_key_len;
    exit_after exit_after;
    unsigned long exit_after_s;
    unsigned log_level;
} fw_args;

static fw_args args;

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t parse_hex(const char *text, uint8_t *out, size_t capacity) {
    size_t n = 0;
    while (text[0] && text[1] && n < capacity) {
        int hi = hex_digit(text[0]), lo = hex_digit(text[1]);
        if (hi < 0 || lo < 0) break;
        out[n++] = (uint8_t)(hi * 16 + lo);
        text += 2;
    }
    return n;
}

static void copy_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src);
}

static void parse_config(char *text) {
    char *line = text;
    memset(&args, 0, sizeof args);
    args.log_level = 2;
    while (line && *line) {
        char *next = strchr(line, '\n');
        char *eq;
        if (next) *next++ = '\0';
        eq = strchr(line, '=');
        if (eq) {
            const char *v = eq + 1;
            *eq = '\0';
            if (!strcmp(line, "endpoint")) copy_text(args.endpoint, sizeof args.endpoint, v);
            else if (!strcmp(line, "bootstrap_uri")) copy_text(args.bootstrap_uri, sizeof args.bootstrap_uri, v);
            else if (!strcmp(line, "server_uri")) copy_text(args.server_uri, sizeof args.server_uri, v);
            else if (!strcmp(line, "hold_off")) args.hold_off_s = strtoul(v, NULL, 10);
            else if (!strcmp(line, "ssid")) args.ssid = strtoul(v, NULL, 10);
            else if (!strcmp(line, "lifetime")) args.lifetime_s = strtoul(v, NULL, 10);
            else if (!strcmp(line, "psk_identity")) copy_text(args.psk_identity, sizeof args.psk_identity, v);
            else if (!strcmp(line, "psk_key")) args.psk_key_len = parse_hex(v, args.psk_key, sizeof args.psk_key);
            else if (!strcmp(line, "seed")) seed_len = parse_hex(v, seed, sizeof seed);
            else if (!strcmp(line, "log_level")) args.log_level = (unsigned)strtoul(v, NULL, 10);
            else if (!strcmp(line, "exit_after")) {
                if (!strcmp(v, "registered")) args.exit_after = EXIT_REGISTERED;
                else if (!strcmp(v, "updated") || !strcmp(v, "deregistered")) args.exit_after = EXIT_UPDATED;
                else if (!strcmp(v, "bootstrapped")) args.exit_after = EXIT_BOOTSTRAPPED;
                else { args.exit_after = EXIT_TIMER; args.exit_after_s = strtoul(v, NULL, 10); }
            }
        }
        line = next;
    }
}

/* ---- the platform (callbacks of the library) ------------------------------------------------ */
typedef struct fw_state {
    lwbs_client *client;
    uint64_t started_ms, stop_deadline_ms;
    bool bootstrap_started, bootstrap_finished, registered, updated, stopped, stop_requested;
    char failure[256];
} fw_state;

static fw_state st;

/* Frames that arrive while a storage call waits for its answer: kept for the main loop. */
static frame deferred;
static bool deferred_full;

static void handle_async(const frame *f);

/* Waits for the answer frame of kind `kind`; other frames are kept (one) or handled. */
static const frame *wait_answer(uint8_t kind) {
    uint64_t give_up = now_ms() + 10000u;
    for (;;) {
        if (frame_ready()) {
            if (rx_frame.kind == kind) {
                return &rx_frame; /* the caller calls frame_done() */
            }
            if (rx_frame.kind == 'q') {
                st.stop_requested = true;
            } else if (!deferred_full) {
                memcpy(&deferred, &rx_frame, sizeof deferred);
                deferred_full = true;
            } /* else: a datagram lost, as on a real link; CoAP retransmits */
            frame_done();
            continue;
        }
        if (now_ms() >= give_up) {
            return NULL;
        }
        idle_until(give_up);
    }
}

static int32_t fw_open(void *userdata, lwbs_conn conn, const char *uri) {
    uint8_t id[4];
    (void)userdata;
    put_u32(id, conn);
    send_frame2('O', id, 4, (const uint8_t *)uri, strlen(uri));
    return 0; /* a failure comes back as an e frame (lwbs_client_conn_error) */
}

static void fw_close(void *userdata, lwbs_conn conn) {
    uint8_t id[4];
    (void)userdata;
    put_u32(id, conn);
    send_frame2('C', id, 4, NULL, 0);
}

static int32_t fw_send(void *userdata, lwbs_conn conn, const uint8_t *data, size_t len) {
    uint8_t id[4];
    (void)userdata;
    put_u32(id, conn);
    send_frame2('D', id, 4, data, len);
    return 0;
}

static int32_t fw_load(void *userdata, uint32_t slot, uint8_t *buf, size_t capacity,
                       size_t *out_len) {
    uint8_t s = (uint8_t)slot;
    const frame *f;
    int32_t rc;
    (void)userdata;
    send_frame2('L', &s, 1, NULL, 0);
    f = wait_answer('l');
    if (f == NULL || f->len < 2) {
        if (f) frame_done();
        return -1;
    }
    rc = (int8_t)f->data[1];
    *out_len = f->len - 2u;
    if (rc == 0 && *out_len > capacity) {
        rc = 1;
    } else if (rc == 0) {
        memcpy(buf, f->data + 2, *out_len);
    }
    frame_done();
    return rc;
}

static int32_t fw_save(void *userdata, uint32_t slot, const uint8_t *data, size_t len) {
    uint8_t s = (uint8_t)slot;
    const frame *f;
    int32_t rc;
    (void)userdata;
    send_frame2('S', &s, 1, data, len);
    f = wait_answer('s');
    if (f == NULL || f->len < 2) {
        if (f) frame_done();
        return -1;
    }
    rc = (int8_t)f->data[1];
    frame_done();
    return rc;
}

static void fw_log(void *userdata, uint32_t level, const char *message) {
    uint8_t lv = (uint8_t)level;
    (void)userdata;
    if (level <= args.log_level) {
        send_frame2('G', &lv, 1, (const uint8_t *)message, strlen(message));
    }
}

static void fw_event(void *userdata, const lwbs_event *e) {
    char line[320];
    const char *detail = e->detail != NULL ? e->detail : "unknown";
    (void)userdata;
    switch (e->kind) {
    case LWBS_EVENT_BOOTSTRAP_STARTED: st.bootstrap_started = true; break;
    case LWBS_EVENT_BOOTSTRAP_FINISHED: st.bootstrap_finished = true; break;
    case LWBS_EVENT_REGISTERED: st.registered = true; break;
    case LWBS_EVENT_UPDATED: st.updated = true; break;
    case LWBS_EVENT_STOPPED: st.stopped = true; break;
    case LWBS_EVENT_BOOTSTRAP_FAILED:
        snprintf(st.failure, sizeof st.failure, "bootstrap failed: %s", detail);
        break;
    case LWBS_EVENT_REGISTRATION_FAILED:
        snprintf(st.failure, sizeof st.failure, "registration with ssid %u failed: %s",
                 (unsigned)e->ssid, detail);
        break;
    default: break;
    }
    lwbs_event_format(e, line, sizeof line);
    send_text('E', line);
}

static void platform_table(lwbs_platform *t) {
    memset(t, 0, sizeof *t);
    t->struct_size = sizeof *t;
    t->open = fw_open;
    t->close = fw_close;
    t->send = fw_send;
    t->load = fw_load;
    t->save = fw_save;
    t->log = fw_log;
    t->event = fw_event;
    t->entropy = fw_entropy;
}

/* ---- the client ----------------------------------------------------------------------------- */

#ifdef LWBS_FW_STUB
/* The size baseline: everything above stays (the table escapes), nothing of lwbs_* is called. */
volatile const void *fw_stub_sink;

static int run(void) {
    static lwbs_platform table;
    platform_table(&table);
    fw_stub_sink = &table;
    fw_stub_sink = &deferred;
    handle_async(&deferred);
    return 0;
}

static void handle_async(const frame *f) {
    fw_stub_sink = f;
    fw_stub_sink = (const void *)(uintptr_t)get_u32(f->data);
}
#else
static void apply_psk(lwbs_account *account) {
    if (args.psk_identity[0] == '\0') {
        account->security_mode = LWBS_SECURITY_NOSEC;
        return;
    }
    account->security_mode = LWBS_SECURITY_PSK;
    account->identity = (const uint8_t *)args.psk_identity;
    account->identity_len = strlen(args.psk_identity);
    account->secret_key = args.psk_key;
    account->secret_key_len = args.psk_key_len;
}

static int fail(const char *what, lwbs_result r) {
    char reason[200];
    snprintf(reason, sizeof reason, "%s: %s%s", what, lwbs_result_str(r),
             r == LWBS_ERR_INVALID_ACCOUNT && args.psk_identity[0]
                 ? " (PSK needs DTLS, not in this image)" : "");
    send_exit(1, reason);
    return 1;
}

static int create_client(void) {
    lwbs_config config;
    lwbs_platform table;
    lwbs_account account;
    lwbs_result r;
    lwbs_config_init(&config);
    config.endpoint = args.endpoint;
    platform_table(&table);
    r = lwbs_client_new(&config, &table, &st.client);
    if (r != LWBS_OK) return fail("cannot create the client", r);
    if (args.bootstrap_uri[0]) {
        lwbs_account_init(&account);
        account.uri = args.bootstrap_uri;
        account.hold_off_s = (uint32_t)args.hold_off_s;
        apply_psk(&account);
        r = lwbs_client_provision_bootstrap_server(st.client, &account);
        if (r != LWBS_OK) return fail("cannot use the Bootstrap-Server account", r);
    }
    if (args.server_uri[0]) {
        lwbs_account_init(&account);
        account.uri = args.server_uri;
        account.ssid = (uint16_t)args.ssid;
        account.lifetime_s = (uint32_t)args.lifetime_s;
        apply_psk(&account);
        r = lwbs_client_provision_server(st.client, &account);
        if (r != LWBS_OK) return fail("cannot use the server account", r);
    }
    return 0;
}

static bool exit_condition_met(uint64_t now) {
    uint32_t state = LWBS_STATE_IDLE;
    switch (args.exit_after) {
    case EXIT_REGISTERED: return st.registered;
    case EXIT_UPDATED: return st.updated;
    case EXIT_BOOTSTRAPPED:
        if (st.bootstrap_finished) return true;
        lwbs_client_state(st.client, &state);
        return !st.bootstrap_started &&
               (state == LWBS_STATE_REGISTERING || state == LWBS_STATE_REGISTERED);
    case EXIT_TIMER: return now - st.started_ms >= (uint64_t)args.exit_after_s * 1000u;
    default: return false;
    }
}

/* -1 to go on, else the exit status (like lwbs-demo's check_progress). */
static int check_progress(uint64_t now) {
    uint32_t state = LWBS_STATE_IDLE;
    if (st.stopped) {
        send_exit(0, "");
        return 0;
    }
    if (st.stop_deadline_ms != 0) {
        if (now >= st.stop_deadline_ms) {
            send_exit(1, "deregistration did not finish within 10 s");
            return 1;
        }
        return -1;
    }
    lwbs_client_state(st.client, &state);
    if (state == LWBS_STATE_FAILED) {
        send_exit(1, st.failure[0] ? st.failure : "client failed");
        return 1;
    }
    if (st.stop_requested || exit_condition_met(now)) {
        st.stop_deadline_ms = now + STOP_TIMEOUT_MS;
        if (lwbs_client_stop(st.client, now) != LWBS_OK) {
            st.stopped = true; /* already idle */
        }
        return check_progress(now);
    }
    return -1;
}

static void handle_async(const frame *f) {
    lwbs_result r = LWBS_OK;
    if (f->kind == 'q') {
        st.stop_requested = true;
    } else if (f->kind == 'd' && f->len >= 4) {
        r = lwbs_client_recv(st.client, get_u32(f->data), f->data + 4, f->len - 4u, now_ms());
    } else if (f->kind == 'e' && f->len >= 4) {
        r = lwbs_client_conn_error(st.client, get_u32(f->data), now_ms());
    }
    if (r != LWBS_OK && r != LWBS_ERR_UNKNOWN_CONNECTION) {
        char text[96];
        snprintf(text, sizeof text, "firmware: frame %c: %s", f->kind, lwbs_result_str(r));
        fw_log(NULL, 2, text);
    }
}

static int run(void) {
    uint64_t deadline = UINT64_MAX;
    lwbs_result r;
    int status;
    if (create_client() != 0) return 1;
    st.started_ms = now_ms();
    r = lwbs_client_start(st.client, st.started_ms);
    if (r != LWBS_OK) return fail("cannot start the client", r);
    for (;;) {
        uint64_t now = now_ms();
        uint64_t wake;
        r = lwbs_client_tick(st.client, now, &deadline);
        if (r != LWBS_OK) return fail("library error", r);
        status = check_progress(now);
        if (status >= 0) {
            lwbs_client_free(st.client);
            return status;
        }
        if (deferred_full) {
            deferred_full = false;
            handle_async(&deferred);
            continue;
        }
        if (frame_ready()) {
            handle_async(&rx_frame);
            frame_done();
            continue;
        }
        wake = deadline;
        if (st.stop_deadline_ms != 0 && st.stop_deadline_ms < wake) wake = st.stop_deadline_ms;
        if (args.exit_after == EXIT_TIMER && st.stop_deadline_ms == 0) {
            uint64_t t = st.started_ms + (uint64_t)args.exit_after_s * 1000u;
            wake = t < wake ? t : wake;
        }
        if (!st.stop_requested) idle_until(wake);
    }
}
#endif

int main(void) {
    static const char hello[] = "lwbs-fw 1";
    uint64_t give_up;
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* CPU clock, interrupt, enable */
    uart_init();
    send_text('H', hello);
    give_up = now_ms() + 10000u;
    while (!frame_ready() || rx_frame.kind != 'c') {
        if (rx_have >= 3 && rx_have == 3u + rx_frame.len) frame_done(); /* not a config: drop */
        if (now_ms() >= give_up) fw_fatal("no configuration from the bridge within 10 s");
        idle_until(give_up);
    }
    rx_frame.data[rx_frame.len < MAX_FRAME ? rx_frame.len : MAX_FRAME - 1] = '\0';
    parse_config((char *)rx_frame.data);
    frame_done();
    return run();
}
