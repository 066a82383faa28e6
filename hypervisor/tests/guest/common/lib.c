/* SPDX-License-Identifier: Apache-2.0 */
/* Arch-neutral micro-guest runtime (see common/guest_common.h). */
#include "guest_arch.h"

void gprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    HYPERVISOR_console_io(CONSOLEIO_write, n, buf);
}

void test_result(const char *name, bool ok)
{
    gprintf("TEST %s: %s\n", name, ok ? "PASS" : "FAIL");
}

bool check(bool cond, const char *what)
{
    gprintf("  check %s: %s\n", what, cond ? "ok" : "FAILED");
    return cond;
}

void shutdown(unsigned reason)
{
    struct sched_shutdown s = { reason };
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

void yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

long domctl(struct hv_domctl *op, uint32_t cmd, domid_t dom)
{
    op->cmd = cmd;
    op->interface_version = HV_DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return HYPERVISOR_domctl(op);
}

bool evtchn_test_and_clear(evtchn_port_t p)
{
    uint64_t m = 1ULL << (p % 64);
    return __atomic_fetch_and(&shinfo->evtchn_pending[p / 64], ~m, __ATOMIC_SEQ_CST) & m;
}
