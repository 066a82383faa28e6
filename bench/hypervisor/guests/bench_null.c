/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Benchmark micro-guest: null hypercall round trip (xen_version), timed
 * with the virtual counter.  Runs unchanged on Halyard and on Xen.
 */
#include "guest.h"

#define WARMUP 1000
#define CALLS 20000

void guest_main(void)
{
    for (int i = 0; i < WARMUP; i++)
        HYPERVISOR_xen_version(XENVER_version, 0);
    uint64_t t0 = now_ticks();
    for (int i = 0; i < CALLS; i++)
        HYPERVISOR_xen_version(XENVER_version, 0);
    uint64_t t1 = now_ticks();
    gprintf("BENCH null_hypercall_ns %lu\n",
            (unsigned long)((t1 - t0) * 1000000000ULL / ticks_per_sec() / CALLS));
}
