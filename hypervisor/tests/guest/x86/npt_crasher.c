/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "npt_crasher": jumps to guest-physical 256 MiB, far
 * beyond its RAM (its own page tables map it).  Loads and stores there
 * complete as hole accesses (x86-mmio-hole), but an instruction fetch from
 * a hole cannot: the nested page fault must crash this domain alone, as
 * Xen does; judge_crash checks.
 */
#include "xguest.h"

void guest_main(void)
{
    gprintf("executing outside my memory\n");
    ((void (*)(void))0x10000000UL)();
    gprintf("still alive after the jump: isolation is broken\n");
}
