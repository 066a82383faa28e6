/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "judge_hostile" (control domain): while domain 1 attacks the
 * hypercall interface and domain 3 crashes itself, domain 2 (a spinner)
 * must keep running; afterwards everything is destroyed.
 *   TEST hostile-contained
 */
#include "judge.h"

void guest_main(void)
{
    bool ok = true;
    struct hv_domctl_getdomaininfo gi;
    uint64_t by0 = dom_cpu_ns(2);
    uint64_t t0 = now_ticks();
    while (dom_info(1, &gi) && !(gi.flags & HV_DOMINF_shutdown) && now_ticks() - t0 < 100 * ticks_per_sec())
        yield();
    ok &= check(dom_info(1, &gi) && (gi.flags & HV_DOMINF_shutdown) && gi.shutdown_reason == SHUTDOWN_poweroff,
                "the hostile domain finished and powered off");
    uint64_t by1 = dom_cpu_ns(2);
    gprintf("bystander ran %lu ms meanwhile\n", (by1 - by0) / 1000000);
    ok &= check(by1 > by0, "the bystander kept running");
    ok &= check(dom_info(2, &gi) && !(gi.flags & HV_DOMINF_shutdown), "the bystander is alive");
    t0 = now_ticks();
    while (dom_info(3, &gi) && !(gi.flags & HV_DOMINF_shutdown) && now_ticks() - t0 < 100 * ticks_per_sec())
        yield();
    ok &= check(dom_info(3, &gi) && (gi.flags & HV_DOMINF_shutdown) && gi.shutdown_reason == SHUTDOWN_crash,
                "the crashing domain was crashed");
    t0 = now_ticks();
    while (dom_info(4, &gi) && !(gi.flags & HV_DOMINF_shutdown) && now_ticks() - t0 < 100 * ticks_per_sec())
        yield();
    test_result("psci-system-reset", check(dom_info(4, &gi) && (gi.flags & HV_DOMINF_shutdown) &&
                                               gi.shutdown_reason == SHUTDOWN_reboot,
                                           "PSCI SYSTEM_RESET -> shutdown reason reboot"));
    ok &= check(destroy(1) && destroy(2) && destroy(3) && destroy(4), "all four destroyed");
    test_result("hostile-contained", ok);
}
