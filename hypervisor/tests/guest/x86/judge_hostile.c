/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 control-domain judge for the hostile case: d1 (hostile) must finish
 * and power off, d2 (spinner) keep running meanwhile, d3 (npt_crasher) be
 * crashed alone.
 *   TEST x86-hostile-contained
 */
#include "xguest.h"

static uint64_t cpu_ns(domid_t d)
{
    struct hv_domctl_getdomaininfo gi;
    return dom_info(d, &gi) ? gi.cpu_time : 0;
}

void guest_main(void)
{
    bool ok = true;
    struct hv_domctl_getdomaininfo gi;
    uint64_t by0 = cpu_ns(2);
    bool ended = wait_shutdown(1, &gi);
    ok &= check(ended && gi.shutdown_reason == SHUTDOWN_poweroff, "the hostile domain finished and powered off");
    /*
     * Which way it failed: a crash after the guest printed "x86-hostile:
     * exception ..." is an exception its own IDT took (the call before it is
     * named); a crash without one is the hypervisor's doing (its report,
     * "dN crashed: <why>", is on the console).
     */
    if (!ended)
        gprintf("the hostile domain never shut down\n");
    else if (gi.shutdown_reason != SHUTDOWN_poweroff)
        gprintf("the hostile domain shut down with reason %u (%s)\n", gi.shutdown_reason,
                gi.shutdown_reason == SHUTDOWN_crash ? "crash" : "not poweroff");
    uint64_t by1 = cpu_ns(2);
    gprintf("bystander ran %lu ms meanwhile\n", (by1 - by0) / 1000000);
    ok &= check(by1 > by0, "the bystander kept running");
    ok &= check(dom_info(2, &gi) && !(gi.flags & HV_DOMINF_shutdown), "the bystander is alive");
    ok &= check(wait_shutdown(3, &gi) && gi.shutdown_reason == SHUTDOWN_crash, "the crashing domain was crashed");
    struct hv_domctl op;
    op.u.createdomain = (struct hv_domctl_createdomain){ 1, 256, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_createdomain, 0) == 0 && destroy(op.domain),
                "the control interface still works");
    ok &= check(destroy(1) && destroy(2) && destroy(3), "all three destroyed");
    test_result("x86-hostile-contained", ok);
}
