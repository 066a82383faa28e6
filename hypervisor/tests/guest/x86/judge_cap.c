/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 control-domain judge: spinners capped at 25% and 50% share pCPU 1;
 * over 2 s of system time each gets its cap, although pCPU 1 has room.
 *   TEST x86-sched-cap
 */
#include "xguest.h"

void guest_main(void)
{
    bool ok = true;
    wait_ns(500000000ULL);
    uint64_t a0 = dom_cpu_ns(1), b0 = dom_cpu_ns(2);
    uint64_t elapsed = wait_ns(2000000000ULL);
    uint64_t a = (dom_cpu_ns(1) - a0) * 1000 / elapsed, b = (dom_cpu_ns(2) - b0) * 1000 / elapsed;
    gprintf("d1 (cap 25%%) got %lu.%lu%%, d2 (cap 50%%) got %lu.%lu%% of a pCPU\n", a / 10, a % 10,
            b / 10, b % 10);
    ok &= check(a >= 200 && a <= 300, "d1 within 20..30%");
    ok &= check(b >= 420 && b <= 580, "d2 within 42..58%");
    struct hv_domctl op;
    op.u.scheduler_op = (struct hv_domctl_scheduler_op){ HV_SCHEDOP_getinfo, 0, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_scheduler_op, 2) == 0 && op.u.scheduler_op.cap == 50,
                "scheduler_op getinfo reports cap 50");
    op.u.scheduler_op = (struct hv_domctl_scheduler_op){ HV_SCHEDOP_putinfo, 256, 101, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_scheduler_op, 2) == -XEN_EINVAL, "cap 101% refused");
    ok &= check(destroy(1) && destroy(2), "spinners destroyed");
    test_result("x86-sched-cap", ok);
}
