/* lwbs_events: see lwbs_events.h. */
#include "lwbs_events.h"

#include <stdio.h>

static const char *text_or(const char *text, const char *fallback) {
    return text != NULL ? text : fallback;
}

void lwbs_event_format(const lwbs_event *e, char *buf, size_t capacity) {
    const char *detail = text_or(e->detail, "unknown");
    unsigned ssid = (unsigned)e->ssid;
    switch (e->kind) {
    case LWBS_EVENT_BOOTSTRAP_STARTED:
        snprintf(buf, capacity, "EVENT bootstrap-started");
        break;
    case LWBS_EVENT_BOOTSTRAP_FINISHED:
        snprintf(buf, capacity, "EVENT bootstrap-finished accounts=%u", (unsigned)e->accounts);
        break;
    case LWBS_EVENT_BOOTSTRAP_FAILED:
        snprintf(buf, capacity, "EVENT bootstrap-failed reason=\"%s\"", detail);
        break;
    case LWBS_EVENT_BOOTSTRAP_FINISH_REFUSED:
        snprintf(buf, capacity, "EVENT bootstrap-finish-refused findings=%u",
                 (unsigned)e->accounts);
        break;
    case LWBS_EVENT_REGISTERED:
        snprintf(buf, capacity, "EVENT registered ssid=%u location=%s", ssid,
                 text_or(e->location, "/"));
        break;
    case LWBS_EVENT_UPDATED:
        snprintf(buf, capacity, "EVENT updated ssid=%u", ssid);
        break;
    case LWBS_EVENT_DEREGISTERED:
        snprintf(buf, capacity, "EVENT deregistered ssid=%u", ssid);
        break;
    case LWBS_EVENT_REGISTRATION_FAILED:
        snprintf(buf, capacity, "EVENT registration-failed ssid=%u reason=\"%s\"", ssid, detail);
        break;
    case LWBS_EVENT_CONFIGURATION_CHANGED:
        snprintf(buf, capacity, "EVENT configuration-changed");
        break;
    case LWBS_EVENT_STOPPED:
        snprintf(buf, capacity, "EVENT stopped");
        break;
    case LWBS_EVENT_STORAGE_IGNORED:
        snprintf(buf, capacity, "EVENT storage-ignored detail=\"%s\"", detail);
        break;
    case LWBS_EVENT_STORAGE_FAILED:
        snprintf(buf, capacity, "EVENT storage-failed detail=\"%s\"", detail);
        break;
    case LWBS_EVENT_SMARTCARD_APPLIED:
        snprintf(buf, capacity, "EVENT smartcard-applied accounts=%u detail=\"%s\"",
                 (unsigned)e->accounts, detail);
        break;
    case LWBS_EVENT_SMARTCARD_REJECTED:
        snprintf(buf, capacity, "EVENT smartcard-rejected reason=\"%s\"", detail);
        break;
    case LWBS_EVENT_SMARTCARD_CHANGED:
        snprintf(buf, capacity, "EVENT smartcard-changed");
        break;
    case LWBS_EVENT_SMARTCARD_REMOVED:
        snprintf(buf, capacity, "EVENT smartcard-removed reason=\"%s\"",
                 text_or(e->detail, "absent"));
        break;
    default: /* the list may grow */
        snprintf(buf, capacity, "EVENT unknown kind=%u", (unsigned)e->kind);
        break;
    }
}
