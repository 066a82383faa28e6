/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "triple": loads an empty IDT and raises an exception, so
 * the CPU triple-faults.  The shutdown intercept must crash this domain
 * alone; judge_crash checks.
 */
#include "xguest.h"

void guest_main(void)
{
    gprintf("triple-faulting\n");
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = { 0, 0 };
    __asm__ volatile("lidt %0\n int3" ::"m"(idtr) : "memory");
}
