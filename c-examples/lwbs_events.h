/* lwbs_events: the text of one library event as lwbs-demo prints it ("EVENT registered ssid=1
 * location=/rd/1"), shared by lwbs_demo.c and the firmware example (firmware/main.c), so both
 * print the same names. Plain C99, no I/O. */
#ifndef LWBS_EVENTS_H
#define LWBS_EVENTS_H

#include <stddef.h>

#include "lwm2m_bootstrap.h"

/* Writes the line (without newline, NUL-terminated, truncated to capacity) into buf. */
void lwbs_event_format(const lwbs_event *e, char *buf, size_t capacity);

#endif /* LWBS_EVENTS_H */
