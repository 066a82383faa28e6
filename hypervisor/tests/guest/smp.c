/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "smp": a two-vCPU guest starts its second vCPU with PSCI
 * CPU_ON over HVC, which reports back through memory and stops itself.
 *   TEST guest-smp
 */
#include "guest.h"

extern char guest_secondary_entry[];
static volatile unsigned seen_id = 99;
static volatile uint64_t seen_mpidr;
static volatile bool release;

void guest_secondary_main(unsigned id)
{
    uint64_t m;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(m));
    seen_mpidr = m;
    barrier();
    seen_id = id;
    /* Stay up until vCPU0 has checked that a second CPU_ON is refused. */
    while (!release)
        __asm__ volatile("yield");
}

void guest_main(void)
{
    bool ok = true;
    ok &= check(psci(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0) == 0x10001, "PSCI version 1.1");
    ok &= check(psci(PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0) == 1, "vCPU1 starts off");
    ok &= check(psci(PSCI_0_2_FN64_CPU_ON, 7, (uint64_t)guest_secondary_entry, 7) == PSCI_INVALID_PARAMS,
                "CPU_ON of a vCPU we do not have -> INVALID_PARAMS");
    ok &= check(psci(PSCI_0_2_FN64_CPU_ON, 1, (uint64_t)guest_secondary_entry, 1) == PSCI_SUCCESS,
                "CPU_ON vCPU1");
    ok &= check(psci(PSCI_0_2_FN64_CPU_ON, 1, (uint64_t)guest_secondary_entry, 1) == PSCI_ALREADY_ON,
                "second CPU_ON -> ALREADY_ON");
    release = true;
    uint64_t start = now_ticks();
    while (seen_id == 99 && now_ticks() - start < 20 * ticks_per_sec())
        yield();
    ok &= check(seen_id == 1, "vCPU1 ran with context id 1");
    ok &= check((seen_mpidr & 0xff) == 1, "vCPU1 sees MPIDR Aff0 = 1");
    start = now_ticks();
    while (psci(PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0) != 1 && now_ticks() - start < 20 * ticks_per_sec())
        yield();
    ok &= check(psci(PSCI_0_2_FN64_AFFINITY_INFO, 1, 0, 0) == 1, "vCPU1 is off after CPU_OFF");
    test_result("guest-smp", ok);
}
