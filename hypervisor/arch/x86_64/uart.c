/* SPDX-License-Identifier: Apache-2.0 */
/* 16550 UART on COM1 (0x3F8): polled output only, 115200 8N1. */
#include <hv/arch.h>
#include <asm/spinlock.h>
#include <asm/x86.h>

#define COM1 0x3F8

static spinlock_t uart_lock;

void uart_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* divisor 1: 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0x07);   /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

static void putc_raw(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void arch_console_write(const char *s, size_t n)
{
    spin_lock(&uart_lock);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            putc_raw('\r');
        putc_raw(s[i]);
    }
    spin_unlock(&uart_lock);
}
