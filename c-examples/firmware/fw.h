/* The firmware example's board layer (startup.c, main.c): QEMU mps2-an386, Cortex-M4F. */
#ifndef LWBS_FW_H
#define LWBS_FW_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the painted stack ever used, and the stack's size (startup.c). */
size_t fw_stack_peak(void);
size_t fw_stack_size(void);
/* Ends the program: semihosting SYS_EXIT_EXTENDED (QEMU exits with status). */
__attribute__((noreturn)) void fw_exit(int status);
/* Reports reason to the bridge and exits with status 3. */
__attribute__((noreturn)) void fw_fatal(const char *reason);

#endif /* LWBS_FW_H */
