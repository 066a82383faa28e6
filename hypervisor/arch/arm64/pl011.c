/* SPDX-License-Identifier: Apache-2.0 */
/* PL011 UART output (polled); QEMU needs no baud setup. */
#include <hv/arch.h>
#include <asm/arm64.h>

#define UARTDR 0x00
#define UARTFR 0x18
#define FR_TXFF (1U << 5)

static volatile uint32_t *uart;

void pl011_init(uint64_t base)
{
    uart = (volatile uint32_t *)(uintptr_t)base;
}

static void putc_raw(char c)
{
    while (uart[UARTFR / 4] & FR_TXFF)
        ;
    uart[UARTDR / 4] = (uint32_t)(uint8_t)c;
}

void arch_console_write(const char *s, size_t n)
{
    if (!uart)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            putc_raw('\r');
        putc_raw(s[i]);
    }
}
