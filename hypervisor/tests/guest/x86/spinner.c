/* SPDX-License-Identifier: Apache-2.0 */
/* x86 micro-guest "spinner": burns CPU forever; only the timer tick preempts it. */
#include "xguest.h"

volatile uint64_t spins;

void guest_main(void)
{
    for (;;)
        spins++;
}
