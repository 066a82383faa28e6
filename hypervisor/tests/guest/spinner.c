/* SPDX-License-Identifier: Apache-2.0 */
/* Micro-guest "spinner": CPU-bound forever; the scheduler tests measure it. */
#include "guest.h"

volatile uint64_t spins;

void guest_main(void)
{
    for (;;)
        spins++;
}
