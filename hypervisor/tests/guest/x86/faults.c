/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "faults": illegal and privileged instructions, and MSRs
 * the hypervisor does not emulate, end in exceptions delivered to this
 * guest's own IDT; the guest skips them and carries on.
 *   TEST x86-illegal-insn:  UD2 reaches our #UD handler; VMRUN/VMLOAD/CLGI
 *                           (intercepted) come back as an injected #UD.
 *   TEST x86-msr:           an unknown MSR read and write inject #GP; EFER
 *                           reads back without SVME; a bad EFER write #GPs.
 *   TEST x86-mmio-hole:     loads from a guest-physical hole read all ones
 *                           and stores there are dropped (Xen's behaviour
 *                           without a device model), in several MOV forms;
 *                           hypercall buffers in the hole, or in a page our
 *                           own tables map read-only, get -EFAULT (reads
 *                           through the read-only mapping work).
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

#define HOLE 0x10000000UL          /* 256 MiB: far beyond our 4 MiB, inside our 1 GiB identity map */
#define RO_ALIAS 0x40000000UL      /* 1 GiB: a read-only alias of our 2-4 MiB */
static uint64_t alias_pd[512] __attribute__((aligned(4096)));

static bool mmio_hole(void)
{
    bool ok = true;
    volatile uint64_t *q = (volatile uint64_t *)HOLE;
    ok &= check(*q == ~0ULL, "64-bit load from the hole reads all ones");
    uint32_t d;
    __asm__ volatile("movl $0x1234, %0\n\tmovl (%1), %0" : "=&r"(d) : "r"(HOLE + 8) : "memory");
    ok &= check(d == 0xFFFFFFFFu, "32-bit load reads all ones");
    uint64_t ax = 0x1122334455667788ULL;
    __asm__ volatile("movb (%1), %%ah" : "+a"(ax) : "r"(HOLE) : "memory");
    ok &= check(ax == 0x112233445566FF88ULL, "byte load into AH merges");
    uint64_t z = 0;
    __asm__ volatile("movzwq 2(%1), %0" : "=r"(z) : "r"(HOLE) : "memory");
    ok &= check(z == 0xFFFF, "movzwq zero-extends all ones");
    *q = 0x12345678;
    *(volatile uint8_t *)(HOLE + 100) = 1;
    __asm__ volatile("movl $7, 200(%0)" ::"r"(HOLE) : "memory");
    ok &= check(*q == ~0ULL && *(volatile uint8_t *)(HOLE + 100) == 0xFF, "stores are dropped");

    /* Hypercall buffers: in the hole, and in a page mapped read-only by our own tables. */
    struct vcpu_runstate_info *ri = (struct vcpu_runstate_info *)(HOLE + 0x1000);
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, ri) == -XEN_EFAULT,
                "hypercall output into the hole -> -EFAULT");
    ok &= check(HYPERVISOR_console_io(CONSOLEIO_write, 4, (void *)HOLE) == -XEN_EFAULT,
                "hypercall input from the hole -> -EFAULT");
    uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xFFFULL);
    uint64_t *pdpt = (uint64_t *)(pml4[0] & ~0xFFFULL);
    alias_pd[0] = 0x200000 | 0x81;               /* present, 2 MiB page, not writable */
    pdpt[1] = (uint64_t)alias_pd | 0x3;
    write_cr3(read_cr3());
    static const char msg[] = "  (read through a read-only mapping)\n";
    char *src = (char *)0x3F0000;                 /* our RAM, seen at RO_ALIAS + 0x1F0000 */
    memcpy(src, msg, sizeof(msg));
    ok &= check(HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, (void *)(RO_ALIAS + 0x1F0000)) == 0,
                "hypercall input from a read-only page works");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (void *)(RO_ALIAS + 0x1F0000)) == -XEN_EFAULT &&
                    !memcmp(src, msg, sizeof(msg)),
                "hypercall output into a read-only page -> -EFAULT, page unchanged");
    pdpt[1] = 0;
    write_cr3(read_cr3());
    return ok;
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
    test_result("x86-mmio-hole", mmio_hole());
}
