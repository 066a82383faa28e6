/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "faults": illegal and privileged instructions, and MSRs
 * the hypervisor does not emulate, end in exceptions delivered to this
 * guest's own IDT; the guest skips them and carries on.
 *   TEST x86-illegal-insn:  UD2 reaches our #UD handler; VMRUN/VMLOAD/CLGI
 *                           (intercepted) come back as an injected #UD.
 *   TEST x86-msr:           an unknown MSR read and write inject #GP; EFER
 *                           reads back without SVME; a bad EFER write #GPs.
 */
#include "xguest.h"

static volatile unsigned ud_count, gp_count;

/* Skips the faulting instruction: its length is known to each probe. */
static volatile unsigned skip_len;

static bool on_exception(struct xframe *f)
{
    if (f->vector == 6)
        ud_count++;
    else if (f->vector == 13)
        gp_count++;
    else
        return false;
    f->rip += skip_len;
    return true;
}

static uint64_t rdmsr_probe(uint32_t msr)
{
    uint32_t lo = 0, hi = 0;
    skip_len = 2;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static void wrmsr_probe(uint32_t msr, uint64_t v)
{
    skip_len = 2;
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void guest_main(void)
{
    exception_hook = on_exception;
    bool ok = true;
    unsigned before = ud_count;
    skip_len = 2;
    __asm__ volatile("ud2" ::: "memory");
    ok &= check(ud_count == before + 1, "UD2 -> #UD in our handler, execution continues");
    skip_len = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd8" ::"a"(0x100000UL) : "memory");   /* vmrun */
    ok &= check(ud_count == before + 2, "VMRUN -> #UD (no nested SVM)");
    __asm__ volatile(".byte 0x0f, 0x01, 0xda" ::"a"(0x100000UL) : "memory");   /* vmload */
    ok &= check(ud_count == before + 3, "VMLOAD -> #UD");
    __asm__ volatile(".byte 0x0f, 0x01, 0xdd" ::: "memory");                    /* clgi */
    ok &= check(ud_count == before + 4, "CLGI -> #UD");
    test_result("x86-illegal-insn", ok);

    bool mok = true;
    unsigned gp = gp_count;
    (void)rdmsr_probe(0x12345678);
    mok &= check(gp_count == gp + 1, "unknown MSR read -> #GP");
    wrmsr_probe(0xC0010117, 0);   /* VM_HSAVE_PA: the host's, never the guest's */
    mok &= check(gp_count == gp + 2, "VM_HSAVE_PA write -> #GP");
    uint64_t efer = rdmsr_probe(0xC0000080);
    mok &= check(gp_count == gp + 2 && (efer & (1 << 8)) && (efer & (1 << 10)) && !(efer & (1 << 12)),
                 "EFER reads LME|LMA without SVME");
    wrmsr_probe(0xC0000080, efer | (1ULL << 20));
    mok &= check(gp_count == gp + 3, "EFER write with a reserved bit -> #GP");
    wrmsr_probe(0xC0000080, efer);
    mok &= check(gp_count == gp + 3 && rdmsr_probe(0xC0000080) == efer, "EFER write-back accepted");
    test_result("x86-msr", mok);
}
