/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hypervisor console: printk for the hypervisor itself and line-buffered
 * output for guests, so lines from domains on different pCPUs never
 * interleave mid-line.
 */
#include <hv/arch.h>
#include <hv/domain.h>

static spinlock_t console_lock;

static void console_puts_locked(const char *s, size_t n)
{
    arch_console_write(s, n);
}

void printk(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    spin_lock(&console_lock);
    console_puts_locked("(HV) ", 5);
    console_puts_locked(buf, (size_t)n);
    spin_unlock(&console_lock);
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    /* No lock: the panicking CPU may already hold it. */
    arch_console_write("(HV) PANIC: ", 12);
    arch_console_write(buf, (size_t)n);
    arch_system_off();
}

/* Called with dom_lock held or from the domain's own vCPU. */
void domain_console_putc(struct domain *d, char c)
{
    if (c == '\r')
        return;
    if (c != '\n' && d->con_len < sizeof(d->con_buf) - 2) {
        /* Only printable ASCII reaches the real console. */
        d->con_buf[d->con_len++] = (c >= 0x20 && c < 0x7f) ? c : '?';
        return;
    }
    char prefix[16];
    int n = hv_snprintf(prefix, sizeof(prefix), "(d%u) ", d->domid);
    d->con_buf[d->con_len++] = '\n';
    spin_lock(&console_lock);
    console_puts_locked(prefix, (size_t)n);
    console_puts_locked(d->con_buf, d->con_len);
    spin_unlock(&console_lock);
    d->con_len = 0;
    if (c != '\n')
        d->con_buf[d->con_len++] = c;
}
