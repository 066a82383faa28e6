/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "npt_crasher": writes to guest-physical 256 MiB, far
 * beyond its RAM (its own page tables map it).  The nested page fault must
 * crash this domain alone; judge_crash checks.
 */
#include "xguest.h"

void guest_main(void)
{
    gprintf("writing outside my memory\n");
    *(volatile uint64_t *)0x10000000UL = 0xdeadbeef;
    gprintf("still alive after the write: isolation is broken\n");
}
