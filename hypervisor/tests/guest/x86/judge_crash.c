/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 control-domain judge for the fault cases: d1 (npt_crasher) and d2
 * (triple) must be crashed by the hypervisor while this domain and d3 (a
 * bystander running "faults") keep going.
 *   TEST x86-npt-violation:  d1 shut down with reason crash.
 *   TEST x86-triple-fault:   d2 shut down with reason crash.
 */
#include "xguest.h"

void guest_main(void)
{
    struct hv_domctl_getdomaininfo gi;
    bool ok = wait_shutdown(1, &gi);
    ok &= check(ok && gi.shutdown_reason == SHUTDOWN_crash, "d1 crashed by its NPT violation");
    test_result("x86-npt-violation", ok);
    bool tok = wait_shutdown(2, &gi);
    tok &= check(tok && gi.shutdown_reason == SHUTDOWN_crash, "d2 crashed by its triple fault");
    test_result("x86-triple-fault", tok);
}
