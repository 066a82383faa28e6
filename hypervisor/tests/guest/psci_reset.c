/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "psci_reset": asks for PSCI SYSTEM_RESET over HVC.  The
 * hypervisor shuts the domain down with reason "reboot" (restarting it is
 * the toolstack's decision, as in Xen); the judge checks the reason.
 */
#include "guest.h"

void guest_main(void)
{
    gprintf("requesting SYSTEM_RESET\n");
    psci(PSCI_0_2_FN_SYSTEM_RESET, 0, 0, 0);
    gprintf("still running after SYSTEM_RESET\n");
    shutdown(SHUTDOWN_crash);
}
