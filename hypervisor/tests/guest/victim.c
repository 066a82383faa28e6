/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "victim" (domain 1 of the isolation case): fills its RAM
 * with a pattern, lets domain 0 probe for a while, then checks the pattern.
 *   TEST isolation-victim
 * It powers off with PSCI SYSTEM_OFF (over HVC); domain 0 checks the reason.
 */
#include "guest.h"

#define AREA_START (GUEST_RAM0_BASE + (1 << 20))
#define AREA_SIZE (6 << 20)

void guest_main(void)
{
    volatile uint64_t *p = (volatile uint64_t *)AREA_START;
    for (uint64_t i = 0; i < AREA_SIZE / 8; i += 512)
        p[i] = 0x5a5a000000000000ULL | i;
    /* Domain 0 probes while we yield; it is done when it shuts down. */
    struct hv_domctl op;
    (void)op;
    for (int i = 0; i < 20000; i++)
        yield();
    bool ok = true;
    for (uint64_t i = 0; i < AREA_SIZE / 8; i += 512)
        ok &= p[i] == (0x5a5a000000000000ULL | i);
    test_result("isolation-victim", check(ok, "our memory still holds our pattern"));
    psci(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
    gprintf("still running after SYSTEM_OFF\n");
}
