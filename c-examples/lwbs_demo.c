/* lwbs-demo: a complete LwM2M client on POSIX built on lwm2m-bootstrap.
 *
 *   lwbs-demo --endpoint NAME
 *             [--bootstrap-uri URI [--hold-off SECONDS]]
 *             [--server-uri URI --ssid N [--lifetime SECONDS]]
 *             [--psk-identity ID --psk-key HEX]
 *             [--platform-tls] [--platform-tls-modes psk,rpk,cert]
 *             [--platform-tls-timeout SECONDS]
 *             [--state-dir DIR]                  (default ./lwbs-state)
 *             [--retry-count N] [--retry-timer SECONDS]
 *             [--seq-retry-count N] [--seq-delay SECONDS]
 *             [--smartcard EF_FILE]
 *             [--preferred-format tlv|senml-json|senml-cbor|lwm2m-cbor]
 *             [--bootstrap-pack on|off]
 *             [--exit-after registered|bootstrapped|SECONDS]
 *
 * It bootstraps from the Bootstrap-Server (unless DIR holds a configuration from an earlier
 * run), registers with the servers it was given, and stays registered until SIGINT/SIGTERM or
 * the --exit-after condition; then it deregisters and exits.
 *
 * stdout: one line per library event, flushed at once, e.g.
 *   EVENT bootstrap-started
 *   EVENT bootstrap-finished accounts=1
 *   EVENT bootstrap-failed reason="Bootstrap-Request rejected with 4.00"
 *   EVENT registered ssid=1 location=/rd/1
 *   EVENT updated ssid=1 | EVENT deregistered ssid=1 | EVENT stopped
 *   EVENT registration-failed ssid=1 reason="timeout"
 *   EVENT storage-failed detail="slot 1 generation 1: save failed" (then bootstrap-failed)
 *   EVENT smartcard-applied accounts=1 detail="bootstrap_account=0 ignored_objects=0"
 *   EVENT smartcard-rejected reason="..." | smartcard-changed | smartcard-removed reason="..."
 * Values with free text are in double quotes.
 * stderr: logs, up to LWBS_LOG_LEVEL (1 error, 2 warning (default), 3 info, 4 debug).
 *
 * Exit status: 0 success; 1 failure (one line "lwbs-demo: <reason>" on stderr); 2 bad
 * arguments (with the usage): an unknown option, or an option without its value (a value
 * cannot start with "--"); 128 + the signal number (130 for SIGINT, 143 for SIGTERM) when a
 * signal stopped the run before its goal: the --exit-after condition, or without it being
 * registered. A signal once the goal was reached deregisters and exits 0.
 *
 * --exit-after bootstrapped also ends a run that needed no bootstrap (configuration restored
 * from DIR or given with --server-uri) once registering starts. --psk-identity/--psk-key make
 * every account given on the command line a PSK account (coaps:// URIs; DTLS 1.2 with
 * TLS_PSK_WITH_AES_128_CCM_8); a library built without its `dtls` feature refuses them
 * (exit 1). --retry-count, --retry-timer, --seq-retry-count and --seq-delay
 * set the registration procedure's defaults (lwbs_config.registration_*: Communication Retry
 * Count and Timer, Sequence Retry Count and Delay Timer, used where a Server instance lacks
 * /1/x/17..20), for example to reach the fallback to bootstrap in seconds in a lab.
 * --preferred-format sets lwbs_config.preferred_format (the `pct` of the Bootstrap-Request and
 * the `ct` of Register; a format the library was built without exits 1); every built-in format
 * is accepted in writes whatever it is. --bootstrap-pack on bootstraps with one
 * Bootstrap-Pack-Request (LwM2M 1.2, GET /bspack), falling back to the Bootstrap-Request.
 *
 * --platform-tls: the platform, not the library, does DTLS (lwbs_platform.secure_modes and
 * open_secure; posix_platform.c over gnutls_security.c, built when CMake finds GnuTLS,
 * option LWBS_EXAMPLES_GNUTLS): every PSK, RPK and certificate account, from the command
 * line (--psk-identity/--psk-key with coaps:// URIs) or written by a Bootstrap-Server, is
 * secured by a GnuTLS DTLS 1.2 session the demo runs on its UDP socket; the library hands it
 * the credentials and its plain CoAP datagrams. --platform-tls-modes psk,rpk,cert (any
 * subset, implies --platform-tls) names the modes GnuTLS takes; the others stay the
 * library's (PSK and certificates with its Mbed TLS; RPK has no other way). A handshake that
 * times out (--platform-tls-timeout SECONDS, default 63 as the library's own: 1 s doubling)
 * or fails is reported with lwbs_client_conn_security_failed from the main loop; credentials
 * GnuTLS cannot parse refuse the account (LWBS_OPEN_REFUSED), never a NoSec fallback. Without
 * GnuTLS in the build these options exit 1. Key bytes are never printed.
 *
 * --smartcard EF_FILE gives the device a (simulated) UICC whose EF LwM2M_Bootstrap holds the
 * raw content of EF_FILE (LwM2M Core 1.1 Appendix G.3.3 format); the library reads it through
 * the PKCS#15 APDU walk (sim_card.c). A valid card's servers are used instead of the factory or
 * stored ones (Bootstrap from Smartcard, step 1 of the Bootstrap Sequence). The file is read
 * again before each Register and Update: replace it to update the card, delete it to remove
 * the card (its configuration is then deleted and the client falls back to the other
 * accounts, or to a bootstrap); a file that does not exist at start gets a note on stderr
 * (no card until it is created). The simulated card is plain (no SCP03 secure channel; see
 * sim_card.h), so the demo sets no SCP03 keys. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwm2m_bootstrap.h"
#include "lwbs_events.h"
#include "posix_platform.h"

#define MAX_PSK_KEY 64
#define STOP_TIMEOUT_MS 10000u /* bound on the Deregister exchange when stopping */
#define MAX_DATAGRAM 2048      /* larger than any CoAP message the library accepts */
#define TLS_ALL_MODES                                                                   \
    ((1u << LWBS_SECURITY_PSK) | (1u << LWBS_SECURITY_RPK) | (1u << LWBS_SECURITY_CERTIFICATE))

/* ---- command line ------------------------------------------------------------------------ */

typedef enum exit_after { EXIT_NEVER, EXIT_REGISTERED, EXIT_BOOTSTRAPPED, EXIT_TIMER } exit_after;

typedef struct demo_args {
    const char *endpoint;
    const char *bootstrap_uri;
    unsigned long hold_off_s;
    const char *server_uri;
    unsigned long ssid;
    unsigned long lifetime_s;
    const char *psk_identity;
    uint8_t psk_key[MAX_PSK_KEY];
    size_t psk_key_len;
    const char *state_dir;
    const char *smartcard;
    exit_after exit_after;
    unsigned long exit_after_s;
    /* Registration procedure defaults (lwbs_config.registration_*); 0 = not given. */
    unsigned long retry_count;
    unsigned long retry_timer_s;
    unsigned long seq_retry_count;
    unsigned long seq_delay_s;
    int retry_timer_given;
    int seq_delay_given;
    unsigned long preferred_format; /* 0 = the library's default (TLV) */
    int bootstrap_pack;
    uint32_t platform_tls_modes; /* 0 = the library's own DTLS */
    unsigned long platform_tls_timeout_s;
} demo_args;

static const char usage_text[] =
    "usage: lwbs-demo --endpoint NAME\n"
    "                 [--bootstrap-uri URI [--hold-off SECONDS]]\n"
    "                 [--server-uri URI --ssid N [--lifetime SECONDS]]\n"
    "                 [--psk-identity ID --psk-key HEX]\n"
    "                 [--platform-tls] [--platform-tls-modes psk,rpk,cert]\n"
    "                 [--platform-tls-timeout SECONDS]   (default 63)\n"
    "                 (DTLS by the platform over GnuTLS instead of the library's Mbed TLS;\n"
    "                 --platform-tls: all three modes)\n"
    "                 [--state-dir DIR]   (default ./lwbs-state)\n"
    "                 [--retry-count N] [--retry-timer SECONDS]\n"
    "                 [--seq-retry-count N] [--seq-delay SECONDS]\n"
    "                 (registration retry defaults, e.g. shorter for a lab)\n"
    "                 [--smartcard EF_FILE]\n"
    "                 [--preferred-format tlv|senml-json|senml-cbor|lwm2m-cbor]\n"
    "                 [--bootstrap-pack on|off]\n"
    "                 [--exit-after registered|bootstrapped|SECONDS]\n";

static int usage_error(const char *what, const char *value) {
    fprintf(stderr, "lwbs-demo: %s%s%s\n%s", what, value ? ": " : "", value ? value : "",
            usage_text);
    return 2;
}

/* Decimal number in [min, max]; returns 0 on success. */
static int parse_number(const char *text, unsigned long min, unsigned long max,
                        unsigned long *out) {
    char *end = NULL;
    unsigned long value;
    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    errno = 0;
    value = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) {
        return -1;
    }
    *out = value;
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int parse_hex(const char *text, uint8_t *out, size_t capacity, size_t *out_len) {
    size_t len = strlen(text);
    size_t i;
    if (len == 0 || len % 2 != 0 || len / 2 > capacity) {
        return -1;
    }
    for (i = 0; i < len / 2; i++) {
        int hi = hex_digit(text[2 * i]);
        int lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *out_len = len / 2;
    return 0;
}

static int parse_exit_after(const char *text, demo_args *args) {
    if (strcmp(text, "registered") == 0) {
        args->exit_after = EXIT_REGISTERED;
    } else if (strcmp(text, "bootstrapped") == 0) {
        args->exit_after = EXIT_BOOTSTRAPPED;
    } else if (parse_number(text, 0, 365ul * 24 * 3600, &args->exit_after_s) == 0) {
        args->exit_after = EXIT_TIMER;
    } else {
        return -1;
    }
    return 0;
}

/* "psk,rpk,cert" (any non-empty subset) → secure_modes bits; 0 for a bad list. */
static uint32_t parse_tls_modes(const char *text) {
    static const struct { const char *name; uint32_t bit; } modes[] = {
        {"psk", 1u << LWBS_SECURITY_PSK},
        {"rpk", 1u << LWBS_SECURITY_RPK},
        {"cert", 1u << LWBS_SECURITY_CERTIFICATE}};
    uint32_t bits = 0;
    while (*text != '\0') {
        size_t len = strcspn(text, ",");
        size_t i;
        uint32_t bit = 0;
        for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
            if (strlen(modes[i].name) == len && strncmp(text, modes[i].name, len) == 0)
                bit = modes[i].bit;
        if (bit == 0) return 0;
        bits |= bit;
        text += len;
        if (*text == ',' && *++text == '\0') return 0; /* a trailing comma */
    }
    return bits;
}

/* One option with its value; returns 0, or 2 after printing the usage. */
static int parse_option(const char *name, const char *value, demo_args *args) {
    if (strcmp(name, "--endpoint") == 0) {
        args->endpoint = value;
    } else if (strcmp(name, "--bootstrap-uri") == 0) {
        args->bootstrap_uri = value;
    } else if (strcmp(name, "--server-uri") == 0) {
        args->server_uri = value;
    } else if (strcmp(name, "--psk-identity") == 0) {
        args->psk_identity = value;
    } else if (strcmp(name, "--smartcard") == 0) {
        args->smartcard = value;
    } else if (strcmp(name, "--state-dir") == 0) {
        args->state_dir = value;
    } else if (strcmp(name, "--hold-off") == 0) {
        if (parse_number(value, 0, UINT32_MAX, &args->hold_off_s) != 0)
            return usage_error("bad --hold-off", value);
    } else if (strcmp(name, "--ssid") == 0) {
        if (parse_number(value, 1, 65534, &args->ssid) != 0)
            return usage_error("bad --ssid (1..65534)", value);
    } else if (strcmp(name, "--lifetime") == 0) {
        if (parse_number(value, 1, UINT32_MAX, &args->lifetime_s) != 0)
            return usage_error("bad --lifetime", value);
    } else if (strcmp(name, "--psk-key") == 0) {
        if (parse_hex(value, args->psk_key, sizeof args->psk_key, &args->psk_key_len) != 0)
            return usage_error("bad --psk-key (hex, up to 64 bytes)", value);
    } else if (strcmp(name, "--retry-count") == 0) {
        if (parse_number(value, 1, UINT32_MAX, &args->retry_count) != 0)
            return usage_error("bad --retry-count", value);
    } else if (strcmp(name, "--retry-timer") == 0) {
        if (parse_number(value, 0, UINT32_MAX, &args->retry_timer_s) != 0)
            return usage_error("bad --retry-timer", value);
        args->retry_timer_given = 1;
    } else if (strcmp(name, "--seq-retry-count") == 0) {
        if (parse_number(value, 1, UINT32_MAX, &args->seq_retry_count) != 0)
            return usage_error("bad --seq-retry-count", value);
    } else if (strcmp(name, "--seq-delay") == 0) {
        if (parse_number(value, 0, UINT32_MAX, &args->seq_delay_s) != 0)
            return usage_error("bad --seq-delay", value);
        args->seq_delay_given = 1;
    } else if (strcmp(name, "--preferred-format") == 0) {
        static const struct { const char *name; unsigned long format; } formats[] = {
            {"tlv", 11542}, {"senml-json", 110}, {"senml-cbor", 112}, {"lwm2m-cbor", 11544}};
        size_t i;
        args->preferred_format = 0;
        for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
            if (strcmp(value, formats[i].name) == 0) args->preferred_format = formats[i].format;
        if (args->preferred_format == 0)
            return usage_error("bad --preferred-format (tlv, senml-json, senml-cbor, lwm2m-cbor)",
                               value);
    } else if (strcmp(name, "--bootstrap-pack") == 0) {
        if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
            return usage_error("bad --bootstrap-pack (on or off)", value);
        args->bootstrap_pack = strcmp(value, "on") == 0;
    } else if (strcmp(name, "--platform-tls-modes") == 0) {
        args->platform_tls_modes = parse_tls_modes(value);
        if (args->platform_tls_modes == 0)
            return usage_error("bad --platform-tls-modes (psk, rpk, cert, comma-separated)",
                               value);
    } else if (strcmp(name, "--platform-tls-timeout") == 0) {
        if (parse_number(value, 1, 3600, &args->platform_tls_timeout_s) != 0)
            return usage_error("bad --platform-tls-timeout (1..3600 seconds)", value);
    } else if (strcmp(name, "--exit-after") == 0) {
        if (parse_exit_after(value, args) != 0)
            return usage_error("bad --exit-after", value);
    } else {
        return usage_error("unknown option", name);
    }
    return 0;
}

static int check_args(const demo_args *args) {
    if (args->endpoint == NULL || args->endpoint[0] == '\0')
        return usage_error("--endpoint is required", NULL);
    if (args->server_uri != NULL && args->ssid == 0)
        return usage_error("--server-uri needs --ssid", NULL);
    if (args->server_uri == NULL && (args->ssid != 0 || args->lifetime_s != 0))
        return usage_error("--ssid and --lifetime need --server-uri", NULL);
    if (args->bootstrap_uri == NULL && args->hold_off_s != 0)
        return usage_error("--hold-off needs --bootstrap-uri", NULL);
    if ((args->psk_identity == NULL) != (args->psk_key_len == 0))
        return usage_error("--psk-identity and --psk-key go together", NULL);
    if (args->platform_tls_timeout_s != 0 && args->platform_tls_modes == 0)
        return usage_error("--platform-tls-timeout needs --platform-tls", NULL);
    return 0;
}

static const char *const known_options[] = {
    "--endpoint",    "--bootstrap-uri", "--server-uri",  "--psk-identity",    "--smartcard",
    "--state-dir",   "--hold-off",      "--ssid",        "--lifetime",        "--psk-key",
    "--retry-count", "--retry-timer",   "--seq-retry-count", "--seq-delay", "--exit-after",
    "--preferred-format", "--bootstrap-pack", "--platform-tls-modes", "--platform-tls-timeout",
};

static bool known_option(const char *name) {
    size_t i;
    for (i = 0; i < sizeof known_options / sizeof known_options[0]; i++) {
        if (strcmp(name, known_options[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Returns 0, 2 for bad arguments, or -1 when --help was printed (exit 0). An unknown option
 * is named as such; a value that starts with "--" is taken for a forgotten value (every
 * option takes one, and none of its values starts with "--"). */
static int parse_args(int argc, char **argv, demo_args *args) {
    int i;
    int rc;
    memset(args, 0, sizeof *args);
    args->state_dir = "./lwbs-state";
    for (i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (strcmp(argv[i], "--platform-tls") == 0) { /* the one option without a value */
            if (args->platform_tls_modes == 0) args->platform_tls_modes = TLS_ALL_MODES;
            i--;
            continue;
        }
        if (!known_option(argv[i])) {
            return usage_error("unknown option", argv[i]);
        }
        if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
            return usage_error("missing value for", argv[i]);
        }
        rc = parse_option(argv[i], argv[i + 1], args);
        if (rc != 0) {
            return rc;
        }
    }
    return check_args(args);
}

/* ---- signals: the self-pipe trick ---------------------------------------------------------
 * The handler only writes a byte to a pipe that is part of the poll() set, so a signal that
 * arrives just before poll() still wakes it up (a flag alone could sleep until the next
 * deadline). */

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t signals_seen = 0;
static volatile sig_atomic_t last_signal = 0;

static void on_signal(int signo) {
    int saved = errno;
    last_signal = signo;
    signals_seen++;
    if (write(signal_pipe[1], "s", 1) < 0) {
        /* the pipe is full: poll() will wake up anyway */
    }
    errno = saved;
}

static int install_signal_handlers(void) {
    struct sigaction sa;
    int i;
    if (pipe(signal_pipe) != 0) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        fcntl(signal_pipe[i], F_SETFL, fcntl(signal_pipe[i], F_GETFL) | O_NONBLOCK);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return 0;
}

static void drain_signal_pipe(void) {
    char buf[16];
    while (read(signal_pipe[0], buf, sizeof buf) > 0) {
    }
}

static void close_signal_pipe(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(signal_pipe[0]);
    close(signal_pipe[1]);
}

/* ---- events ------------------------------------------------------------------------------- */

typedef struct demo {
    const demo_args *args;
    posix_platform platform;
    sim_card card;
    lwbs_client *client;
    uint64_t started_ms;
    uint64_t stop_deadline_ms; /* 0 until lwbs_client_stop was called */
    bool bootstrap_started;
    bool bootstrap_finished;
    bool registered;
    bool stopped;
    bool goal_reached; /* the --exit-after condition (or, without it, registered) was met */
    char failure[256]; /* the last failure the library reported, for the exit message */
} demo;

static void on_event(void *context, const lwbs_event *e) {
    demo *d = context;
    const char *detail = e->detail != NULL ? e->detail : "unknown";
    char line[512];
    switch (e->kind) {
    case LWBS_EVENT_BOOTSTRAP_STARTED:
        d->bootstrap_started = true;
        break;
    case LWBS_EVENT_BOOTSTRAP_FINISHED:
        d->bootstrap_finished = true;
        break;
    case LWBS_EVENT_BOOTSTRAP_FAILED:
        snprintf(d->failure, sizeof d->failure, "bootstrap failed: %s", detail);
        break;
    case LWBS_EVENT_REGISTERED:
        d->registered = true;
        break;
    case LWBS_EVENT_REGISTRATION_FAILED:
        snprintf(d->failure, sizeof d->failure, "registration with ssid %u failed: %s",
                 (unsigned)e->ssid, detail);
        break;
    case LWBS_EVENT_STOPPED:
        d->stopped = true;
        break;
    case LWBS_EVENT_STORAGE_FAILED:
        snprintf(d->failure, sizeof d->failure, "storage: %s", detail);
        break;
    default:
        break;
    }
    /* The line itself: lwbs_events.c, shared with the firmware example. */
    lwbs_event_format(e, line, sizeof line);
    printf("%s\n", line);
    fflush(stdout);
}

/* ---- set-up ------------------------------------------------------------------------------- */

static int fail(const char *what, const char *subject, lwbs_result r) {
    fprintf(stderr, "lwbs-demo: %s %s: %s\n", what, subject, lwbs_result_str(r));
    return 1;
}

/* A refused account: the library's reason (lwbs_client_last_error) after the result. */
static int fail_account(const demo *d, const char *what, const char *uri, lwbs_result r) {
    char reason[512];
    size_t len = 0;
    if (lwbs_client_last_error(d->client, reason, sizeof reason, &len) != LWBS_OK || len == 0) {
        return fail(what, uri, r);
    }
    (void)uri; /* the reason names it */
    fprintf(stderr, "lwbs-demo: %s: %s (%s)\n", what, lwbs_result_str(r), reason);
    return 1;
}

static void apply_psk(const demo_args *args, lwbs_account *account) {
    if (args->psk_identity == NULL) {
        account->security_mode = LWBS_SECURITY_NOSEC;
        return;
    }
    account->security_mode = LWBS_SECURITY_PSK;
    account->identity = (const uint8_t *)args->psk_identity;
    account->identity_len = strlen(args->psk_identity);
    account->secret_key = args->psk_key;
    account->secret_key_len = args->psk_key_len;
}

/* Factory bootstrap of the accounts given on the command line (they replace stored ones with
 * the same role or ssid; other stored accounts stay). */
static int provision(demo *d) {
    const demo_args *args = d->args;
    lwbs_account account;
    lwbs_result r;
    if (args->bootstrap_uri != NULL) {
        lwbs_account_init(&account);
        account.uri = args->bootstrap_uri;
        account.hold_off_s = (uint32_t)args->hold_off_s;
        apply_psk(args, &account);
        r = lwbs_client_provision_bootstrap_server(d->client, &account);
        if (r != LWBS_OK)
            return fail_account(d, "cannot use the Bootstrap-Server account",
                                args->bootstrap_uri, r);
    }
    if (args->server_uri != NULL) {
        lwbs_account_init(&account);
        account.uri = args->server_uri;
        account.ssid = (uint16_t)args->ssid;
        account.lifetime_s = (uint32_t)args->lifetime_s;
        apply_psk(args, &account);
        r = lwbs_client_provision_server(d->client, &account);
        if (r != LWBS_OK)
            return fail_account(d, "cannot use the server account", args->server_uri, r);
    }
    return 0;
}

static int create_client(demo *d) {
    lwbs_config config;
    lwbs_platform table;
    lwbs_result r;
    lwbs_config_init(&config);
    config.endpoint = d->args->endpoint;
    if (d->args->retry_count != 0)
        config.registration_retry_count = (uint32_t)d->args->retry_count;
    if (d->args->retry_timer_given)
        config.registration_retry_timer_s = (uint32_t)d->args->retry_timer_s;
    if (d->args->seq_retry_count != 0)
        config.registration_sequence_retry_count = (uint32_t)d->args->seq_retry_count;
    if (d->args->seq_delay_given)
        config.registration_sequence_delay_s = (uint32_t)d->args->seq_delay_s;
    config.preferred_format = (uint32_t)d->args->preferred_format;
    config.bootstrap_pack = d->args->bootstrap_pack ? 1u : 0u;
    if (d->args->smartcard != NULL) {
        sim_card_init(&d->card, d->args->smartcard);
        d->platform.card = &d->card;
        if (access(d->args->smartcard, F_OK) != 0) {
            fprintf(stderr,
                    "lwbs-demo: note: --smartcard %s does not exist (%s): no card is inserted "
                    "until the file is created\n",
                    d->args->smartcard, strerror(errno));
        }
    }
    if (d->args->platform_tls_modes != 0) {
        /* 63 s by default: the library's own DTLS, 1 s doubling up to 32 s. */
        unsigned long timeout_s = d->args->platform_tls_timeout_s != 0
                                      ? d->args->platform_tls_timeout_s
                                      : 63;
        if (posix_platform_set_tls(&d->platform, d->args->platform_tls_modes,
                                   (unsigned)(timeout_s * 1000u)) != 0) {
            fprintf(stderr, "lwbs-demo: --platform-tls: this lwbs-demo was built without GnuTLS "
                            "(CMake: libgnutls28-dev not found or LWBS_EXAMPLES_GNUTLS=OFF)\n");
            return 1;
        }
    }
    posix_platform_table(&d->platform, &table);
    r = lwbs_client_new(&config, &table, &d->client);
    if (r != LWBS_OK) {
        char reason[512];
        size_t len = 0;
        if (lwbs_config_check(&config, reason, sizeof reason, &len) == r && len > 0) {
            fprintf(stderr, "lwbs-demo: cannot create the client: %s (%s)\n",
                    lwbs_result_str(r), reason);
            return 1;
        }
        return fail("cannot create the client for", d->args->endpoint, r);
    }
    /* The wall clock, for Last Bootstrapped (/1/x/12). */
    lwbs_client_set_time(d->client, posix_now_ms(), (uint64_t)time(NULL));
    return provision(d);
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool exit_condition_met(const demo *d, uint64_t now) {
    uint32_t state = LWBS_STATE_IDLE;
    switch (d->args->exit_after) {
    case EXIT_REGISTERED:
        return d->registered;
    case EXIT_BOOTSTRAPPED:
        if (d->bootstrap_finished) {
            return true;
        }
        /* No bootstrap needed: the configuration came from the state dir or the command line. */
        lwbs_client_state(d->client, &state);
        return !d->bootstrap_started &&
               (state == LWBS_STATE_REGISTERING || state == LWBS_STATE_REGISTERED);
    case EXIT_TIMER:
        return now - d->started_ms >= (uint64_t)d->args->exit_after_s * 1000u;
    case EXIT_NEVER:
    default:
        return false;
    }
}

/* Asks the library to deregister and close everything; LWBS_EVENT_STOPPED follows. */
static void begin_stop(demo *d, uint64_t now) {
    lwbs_result r = lwbs_client_stop(d->client, now);
    d->stop_deadline_ms = now + STOP_TIMEOUT_MS;
    if (r != LWBS_OK) { /* already idle: nothing to deregister */
        d->stopped = true;
    }
}

/* The exit status once stopped: 0, or 128 + the signal number when a signal ended the run
 * before its goal (the --exit-after condition; without it, being registered), as a shell
 * reports a process killed by that signal (130 for SIGINT). */
static int stopped_status(const demo *d) {
    if (!d->goal_reached && signals_seen > 0) {
        return 128 + (int)last_signal;
    }
    return 0;
}

/* After each step: -1 to go on, or the exit status. Also starts the stop when it is time. */
static int check_progress(demo *d, uint64_t now) {
    uint32_t state = LWBS_STATE_IDLE;
    if (d->stopped) {
        return stopped_status(d);
    }
    if (d->stop_deadline_ms != 0) {
        if (signals_seen > 1) {
            fprintf(stderr, "lwbs-demo: interrupted again while deregistering\n");
            return 1;
        }
        if (now >= d->stop_deadline_ms) {
            fprintf(stderr, "lwbs-demo: deregistration did not finish within %u s\n",
                    STOP_TIMEOUT_MS / 1000u);
            return 1;
        }
        return -1;
    }
    lwbs_client_state(d->client, &state);
    /* The demo gives up at the first failure. A device keeps ticking instead: with reason
     * LWBS_REASON_BOOTSTRAP_FAILED the library retries after a back-off by itself. */
    if (state == LWBS_STATE_FAILED) {
        fprintf(stderr, "lwbs-demo: %s\n", d->failure[0] ? d->failure : "client failed");
        return 1;
    }
    if (d->args->exit_after == EXIT_NEVER ? d->registered : exit_condition_met(d, now)) {
        d->goal_reached = true;
    }
    if (signals_seen > 0 || (d->args->exit_after != EXIT_NEVER && d->goal_reached)) {
        if (signals_seen > 0 && !d->goal_reached) {
            fprintf(stderr, "lwbs-demo: interrupted by signal %d before %s\n", (int)last_signal,
                    d->args->exit_after == EXIT_NEVER ? "registering" : "the --exit-after goal");
        }
        begin_stop(d, now);
        return d->stopped ? stopped_status(d) : -1;
    }
    return -1;
}

/* How long poll() may sleep: until the library's deadline, the --exit-after timer or the stop
 * bound, whichever comes first. */
static int poll_timeout_ms(const demo *d, uint64_t now, uint64_t deadline) {
    uint64_t wake = deadline;
    if (d->stop_deadline_ms != 0 && d->stop_deadline_ms < wake) {
        wake = d->stop_deadline_ms;
    }
    if (d->stop_deadline_ms == 0 && d->args->exit_after == EXIT_TIMER) {
        uint64_t timer = d->started_ms + (uint64_t)d->args->exit_after_s * 1000u;
        wake = timer < wake ? timer : wake;
    }
    if (wake == UINT64_MAX) {
        return -1; /* nothing scheduled: sleep until a datagram or a signal */
    }
    if (wake <= now) {
        return 0;
    }
    return wake - now > INT_MAX ? INT_MAX : (int)(wake - now);
}

/* Hands every datagram waiting on the readable sockets to the library. */
static void receive_datagrams(demo *d, const struct pollfd *fds, const lwbs_conn *ids, size_t n) {
    uint8_t buf[MAX_DATAGRAM];
    size_t i;
    long len;
    for (i = 0; i < n; i++) {
        if (fds[i].revents == 0) {
            continue;
        }
        /* posix_platform_recv looks the connection up each time: handling one datagram may
         * close it. */
        while ((len = posix_platform_recv(&d->platform, ids[i], buf, sizeof buf)) >= 0) {
            lwbs_result r =
                lwbs_client_recv(d->client, ids[i], buf, (size_t)len, posix_now_ms());
            if (r != LWBS_OK && r != LWBS_ERR_UNKNOWN_CONNECTION) {
                fprintf(stderr, "lwbs-demo[warning] recv: %s\n", lwbs_result_str(r));
            }
        }
        if (len == POSIX_RECV_TRANSPORT_ERROR) {
            /* ICMP unreachable: the request outstanding on it fails now, not after its
             * retransmissions (a failed attempt of the registration retry procedure). */
            lwbs_result r = lwbs_client_conn_error(d->client, ids[i], posix_now_ms());
            if (r != LWBS_OK && r != LWBS_ERR_UNKNOWN_CONNECTION) {
                fprintf(stderr, "lwbs-demo[warning] conn_error: %s\n", lwbs_result_str(r));
            }
        }
    }
}

/* The platform's DTLS sessions (--platform-tls): handshakes whose retransmission timer ran
 * out go on, and every session that failed is reported to the library here, in the main loop
 * (a callback must not call into the client). */
static void report_tls_failures(demo *d) {
    posix_tls_failure failures[POSIX_MAX_CONNS];
    size_t n = posix_platform_service(&d->platform, failures, POSIX_MAX_CONNS);
    size_t i;
    for (i = 0; i < n; i++) {
        lwbs_result r = failures[i].transport_error
                            ? lwbs_client_conn_error(d->client, failures[i].conn, posix_now_ms())
                            : lwbs_client_conn_security_failed(d->client, failures[i].conn,
                                                               posix_now_ms(), failures[i].reason,
                                                               failures[i].alert);
        if (r != LWBS_OK && r != LWBS_ERR_UNKNOWN_CONNECTION) {
            fprintf(stderr, "lwbs-demo[warning] %s: %s\n",
                    failures[i].transport_error ? "conn_error" : "conn_security_failed",
                    lwbs_result_str(r));
        }
    }
}

static int wait_and_receive(demo *d, uint64_t now, uint64_t deadline) {
    struct pollfd fds[POSIX_MAX_CONNS + 1];
    lwbs_conn ids[POSIX_MAX_CONNS + 1];
    size_t n = posix_platform_pollfds(&d->platform, fds, ids, POSIX_MAX_CONNS);
    int timeout = poll_timeout_ms(d, now, deadline);
    long tls_timeout = posix_platform_tls_timeout_ms(&d->platform); /* DTLS retransmission */
    if (tls_timeout >= 0 && (timeout < 0 || tls_timeout < timeout)) {
        timeout = (int)tls_timeout;
    }
    fds[n].fd = signal_pipe[0];
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    if (poll(fds, n + 1, timeout) < 0 && errno != EINTR) {
        fprintf(stderr, "lwbs-demo: poll: %s\n", strerror(errno));
        return 1;
    }
    drain_signal_pipe();
    receive_datagrams(d, fds, ids, n);
    report_tls_failures(d);
    return -1;
}

static int run(demo *d) {
    uint64_t deadline = UINT64_MAX;
    lwbs_result r;
    int status;
    d->started_ms = posix_now_ms();
    r = lwbs_client_start(d->client, d->started_ms);
    if (r != LWBS_OK) {
        return fail("cannot start the client for", d->args->endpoint, r);
    }
    for (;;) {
        uint64_t now = posix_now_ms();
        r = lwbs_client_tick(d->client, now, &deadline);
        if (r != LWBS_OK) {
            return fail("library error for", d->args->endpoint, r);
        }
        status = check_progress(d, now);
        if (status < 0) {
            status = wait_and_receive(d, now, deadline);
        }
        if (status >= 0) {
            return status;
        }
    }
}

int main(int argc, char **argv) {
    demo_args args;
    demo d;
    int status = parse_args(argc, argv, &args);
    if (status != 0) {
        return status < 0 ? 0 : status;
    }
    memset(&d, 0, sizeof d);
    d.args = &args;
    if (posix_platform_init(&d.platform, args.state_dir, on_event, &d) != 0) {
        return 1;
    }
    if (install_signal_handlers() != 0) {
        fprintf(stderr, "lwbs-demo: pipe: %s\n", strerror(errno));
        return 1;
    }
    status = create_client(&d);
    if (status == 0) {
        status = run(&d);
    }
    lwbs_client_free(d.client); /* NULL-safe; wipes keys */
    posix_platform_close_all(&d.platform);
    close_signal_pipe();
    return status;
}
