/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 benchmark micro-guest: null hypercall round trip (VMMCALL
 * xen_version), timed with the TSC at the rate of Xen's time leaf.
 * Prints "BENCH null_hypercall_ns <n>".
 */
#include "xguest.h"

#define WARMUP 1000
#define CALLS 20000

void guest_main(void)
{
    for (int i = 0; i < WARMUP; i++)
        HYPERVISOR_xen_version(XENVER_version, 0);
    uint64_t t0 = rdtsc_g();
    for (int i = 0; i < CALLS; i++)
        HYPERVISOR_xen_version(XENVER_version, 0);
    uint64_t t1 = rdtsc_g();
    gprintf("BENCH null_hypercall_ns %lu\n", (unsigned long)((t1 - t0) * 1000000ULL / tsc_khz() / CALLS));
}
