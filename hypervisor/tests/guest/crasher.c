/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "crasher": jumps to an address outside its memory.  The
 * hypervisor must crash this domain alone (the judge checks).
 */
#include "guest.h"

void guest_main(void)
{
    gprintf("jumping to an unmapped address\n");
    void (*f)(void) = (void (*)(void))0x10000000UL;
    f();
}
