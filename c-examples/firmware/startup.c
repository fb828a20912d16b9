/* Startup of the firmware example (Cortex-M4F, QEMU mps2-an386): the vector table, the reset
 * handler (copy .data, zero .bss, paint the stack, enable the FPU, run main) and the painted
 * stack's high-water mark. */
#include <stdint.h>

#include "fw.h"

extern uint32_t __etext, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __stack_bottom, __stack_top;

int main(void);
void Reset_Handler(void);
void SysTick_Handler(void);
void Uart0Rx_Handler(void);

#define STACK_PAINT 0xA5A5A5A5u

static void Default_Handler(void) {
    fw_fatal("unexpected exception");
}

static void HardFault_Handler(void) {
    fw_fatal("hard fault");
}

__attribute__((section(".isr_vector"), used)) static const void *const vectors[16 + 32] = {
    &__stack_top,
    (const void *)Reset_Handler,
    (const void *)Default_Handler,   /* NMI */
    (const void *)HardFault_Handler, /* HardFault */
    (const void *)HardFault_Handler, /* MemManage */
    (const void *)HardFault_Handler, /* BusFault */
    (const void *)HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    (const void *)Default_Handler, /* SVCall */
    (const void *)Default_Handler, /* DebugMonitor */
    0,
    (const void *)Default_Handler, /* PendSV */
    (const void *)SysTick_Handler,
    (const void *)Uart0Rx_Handler, /* IRQ 0: UART0 RX (CMSDK APB UART, AN386) */
};

/* Paints the stack from its bottom up to a little below the current SP (the reset handler's
 * own frame lives above it). */
__attribute__((noinline)) static void paint_stack(void) {
    uint32_t sp;
    uint32_t *p = &__stack_bottom;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    while ((uintptr_t)p < sp - 64) {
        *p++ = STACK_PAINT;
    }
}

size_t fw_stack_peak(void) {
    const uint32_t *p = &__stack_bottom;
    while (p < &__stack_top && *p == STACK_PAINT) {
        p++;
    }
    return (size_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}

size_t fw_stack_size(void) {
    return (size_t)((uintptr_t)&__stack_top - (uintptr_t)&__stack_bottom);
}

void Reset_Handler(void) {
    uint32_t *src = &__etext;
    uint32_t *dst = &__data_start;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end; dst++) {
        *dst = 0;
    }
    paint_stack();
    /* CPACR: full access to CP10/CP11 (the FPU; the image is built for -mfloat-abi=hard). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");
    fw_exit(main());
}
