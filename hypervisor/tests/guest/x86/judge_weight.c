/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 control-domain judge: d1 (weight 256) and d2 (weight 512) spin on the
 * pCPU 1 and never yield, so only the APIC-timer tick preempts them.
 * The clock is the spinners' own CPU time (getdomaininfo), never wall time.
 *   TEST x86-sched-weight: d2:d1 CPU time within 1.6..2.4 over 1.2 s of it.
 */
#include "xguest.h"

static uint64_t cpu_ns(domid_t d)
{
    struct hv_domctl_getdomaininfo gi;
    return dom_info(d, &gi) ? gi.cpu_time : 0;
}

/* Yields until the two spinners together have run `ns` more nanoseconds. */
static void run_for(uint64_t ns)
{
    uint64_t start = cpu_ns(1) + cpu_ns(2);
    while (cpu_ns(1) + cpu_ns(2) - start < ns)
        yield();
}

void guest_main(void)
{
    bool ok = true;
    run_for(200000000ULL);   /* both spinners under way */
    uint64_t a0 = cpu_ns(1), b0 = cpu_ns(2);
    run_for(1200000000ULL);
    uint64_t a = cpu_ns(1) - a0, b = cpu_ns(2) - b0;
    uint64_t ratio = a ? b * 100 / a : 0;
    gprintf("d1 (weight 256) ran %lu ms, d2 (weight 512) ran %lu ms, ratio %lu.%02lu\n", a / 1000000,
            b / 1000000, ratio / 100, ratio % 100);
    ok &= check(a > 0 && b > 0, "both spinners were preempted in turn (timer tick)");
    ok &= check(ratio >= 160 && ratio <= 240, "d2:d1 CPU time within 1.6..2.4 (weights 2:1)");
    ok &= check(destroy(1) && destroy(2), "spinners destroyed");
    test_result("x86-sched-weight", ok);
}
