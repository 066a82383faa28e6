/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vCPU context and the per-pCPU run loop.  A guest trap saves the guest's
 * registers in a frame at the top of the pCPU's stack; switching vCPUs
 * copies that frame to/from the vCPU and swaps the EL1 system registers,
 * FP/SIMD state, virtual timer, stage-2 root and virtual GIC state.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <asm/arm64.h>
#include <asm/sysreg.h>

#define SCTLR_EL1_RESET 0x30D00800ULL

void arch_vcpu_init(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    memset(&a->regs, 0, sizeof(a->regs));
    a->regs.pstate = PSTATE_EL1H_MASKED;
    a->sctlr = SCTLR_EL1_RESET;
    a->ttbr0 = a->ttbr1 = a->tcr = a->mair = a->amair = a->vbar = a->contextidr = 0;
    a->tpidr_el0 = a->tpidrro_el0 = a->tpidr_el1 = a->sp_el0 = a->sp_el1 = 0;
    a->elr_el1 = a->spsr_el1 = a->esr_el1 = a->far_el1 = a->afsr0 = a->afsr1 = a->par = 0;
    a->cpacr = a->csselr = a->cntkctl = a->cntv_ctl = a->cntv_cval = a->mdscr = 0;
    a->vmpidr = (1ULL << 31) | v->id;
    memset(a->fpregs, 0, sizeof(a->fpregs));
    a->fpsr = a->fpcr = 0;
    vgic_vcpu_init(v);
}

void arch_vcpu_set_entry(struct vcpu *v, uint64_t pc, uint64_t x0, uint64_t sp)
{
    v->arch.regs.pc = pc;
    v->arch.regs.x[0] = x0;
    v->arch.sp_el1 = sp;
}

/* Arm guests start their other vCPUs with PSCI CPU_ON (traps.c), as on Xen. */
long arch_vcpu_initialise(struct vcpu *v, uint64_t arg)
{
    (void)v;
    (void)arg;
    return -ENOSYS;
}

static void fp_save(struct arch_vcpu *a)
{
    __asm__ volatile(
        "stp q0, q1, [%0, #0]\n stp q2, q3, [%0, #32]\n stp q4, q5, [%0, #64]\n"
        "stp q6, q7, [%0, #96]\n stp q8, q9, [%0, #128]\n stp q10, q11, [%0, #160]\n"
        "stp q12, q13, [%0, #192]\n stp q14, q15, [%0, #224]\n stp q16, q17, [%0, #256]\n"
        "stp q18, q19, [%0, #288]\n stp q20, q21, [%0, #320]\n stp q22, q23, [%0, #352]\n"
        "stp q24, q25, [%0, #384]\n stp q26, q27, [%0, #416]\n stp q28, q29, [%0, #448]\n"
        "stp q30, q31, [%0, #480]\n" ::"r"(a->fpregs)
        : "memory");
    a->fpsr = READ_SYSREG(fpsr);
    a->fpcr = READ_SYSREG(fpcr);
}

static void fp_restore(struct arch_vcpu *a)
{
    __asm__ volatile(
        "ldp q0, q1, [%0, #0]\n ldp q2, q3, [%0, #32]\n ldp q4, q5, [%0, #64]\n"
        "ldp q6, q7, [%0, #96]\n ldp q8, q9, [%0, #128]\n ldp q10, q11, [%0, #160]\n"
        "ldp q12, q13, [%0, #192]\n ldp q14, q15, [%0, #224]\n ldp q16, q17, [%0, #256]\n"
        "ldp q18, q19, [%0, #288]\n ldp q20, q21, [%0, #320]\n ldp q22, q23, [%0, #352]\n"
        "ldp q24, q25, [%0, #384]\n ldp q26, q27, [%0, #416]\n ldp q28, q29, [%0, #448]\n"
        "ldp q30, q31, [%0, #480]\n" ::"r"(a->fpregs)
        : "memory");
    WRITE_SYSREG(fpsr, a->fpsr);
    WRITE_SYSREG(fpcr, a->fpcr);
}

/* Saves everything without changing the hardware state. */
void vcpu_save(struct vcpu *v, struct cpu_regs *frame)
{
    struct arch_vcpu *a = &v->arch;
    a->regs = *frame;
    a->sctlr = READ_SYSREG(sctlr_el1);
    a->ttbr0 = READ_SYSREG(ttbr0_el1);
    a->ttbr1 = READ_SYSREG(ttbr1_el1);
    a->tcr = READ_SYSREG(tcr_el1);
    a->mair = READ_SYSREG(mair_el1);
    a->amair = READ_SYSREG(amair_el1);
    a->vbar = READ_SYSREG(vbar_el1);
    a->contextidr = READ_SYSREG(contextidr_el1);
    a->tpidr_el0 = READ_SYSREG(tpidr_el0);
    a->tpidrro_el0 = READ_SYSREG(tpidrro_el0);
    a->tpidr_el1 = READ_SYSREG(tpidr_el1);
    a->sp_el0 = READ_SYSREG(sp_el0);
    a->sp_el1 = READ_SYSREG(sp_el1);
    a->elr_el1 = READ_SYSREG(elr_el1);
    a->spsr_el1 = READ_SYSREG(spsr_el1);
    a->esr_el1 = READ_SYSREG(esr_el1);
    a->far_el1 = READ_SYSREG(far_el1);
    a->afsr0 = READ_SYSREG(afsr0_el1);
    a->afsr1 = READ_SYSREG(afsr1_el1);
    a->par = READ_SYSREG(par_el1);
    a->cpacr = READ_SYSREG(cpacr_el1);
    a->csselr = READ_SYSREG(csselr_el1);
    a->cntkctl = READ_SYSREG(cntkctl_el1);
    a->mdscr = READ_SYSREG(mdscr_el1);
    a->cntv_ctl = READ_SYSREG(cntv_ctl_el0);
    a->cntv_cval = READ_SYSREG(cntv_cval_el0);
    fp_save(a);
    vgic_save(v);
}

void vcpu_restore(struct vcpu *v, struct cpu_regs *frame)
{
    struct arch_vcpu *a = &v->arch;
    struct domain *d = v->domain;
    WRITE_SYSREG(vttbr_el2, d->p2m.root | ((uint64_t)d->vmid << 48));
    WRITE_SYSREG(vmpidr_el2, a->vmpidr);
    WRITE_SYSREG(sctlr_el1, a->sctlr);
    WRITE_SYSREG(ttbr0_el1, a->ttbr0);
    WRITE_SYSREG(ttbr1_el1, a->ttbr1);
    WRITE_SYSREG(tcr_el1, a->tcr);
    WRITE_SYSREG(mair_el1, a->mair);
    WRITE_SYSREG(amair_el1, a->amair);
    WRITE_SYSREG(vbar_el1, a->vbar);
    WRITE_SYSREG(contextidr_el1, a->contextidr);
    WRITE_SYSREG(tpidr_el0, a->tpidr_el0);
    WRITE_SYSREG(tpidrro_el0, a->tpidrro_el0);
    WRITE_SYSREG(tpidr_el1, a->tpidr_el1);
    WRITE_SYSREG(sp_el0, a->sp_el0);
    WRITE_SYSREG(sp_el1, a->sp_el1);
    WRITE_SYSREG(elr_el1, a->elr_el1);
    WRITE_SYSREG(spsr_el1, a->spsr_el1);
    WRITE_SYSREG(esr_el1, a->esr_el1);
    WRITE_SYSREG(far_el1, a->far_el1);
    WRITE_SYSREG(afsr0_el1, a->afsr0);
    WRITE_SYSREG(afsr1_el1, a->afsr1);
    WRITE_SYSREG(par_el1, a->par);
    WRITE_SYSREG(cpacr_el1, a->cpacr);
    WRITE_SYSREG(csselr_el1, a->csselr);
    WRITE_SYSREG(cntkctl_el1, a->cntkctl);
    WRITE_SYSREG(mdscr_el1, a->mdscr);
    WRITE_SYSREG(cntv_cval_el0, a->cntv_cval);
    WRITE_SYSREG(cntv_ctl_el0, a->cntv_ctl);
    fp_restore(a);
    vgic_restore(v);
    isb();
    /* Another vCPU of this VMID may have run elsewhere: local stale entries go. */
    __asm__ volatile("tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
    *frame = a->regs;
}

void timer_program(uint64_t deadline)
{
    WRITE_SYSREG(cnthp_cval_el2, deadline);
    WRITE_SYSREG(cnthp_ctl_el2, 1);
    isb();
}

/*
 * Picks what this pCPU runs next and loads it into the trap frame.  With
 * nothing runnable the pCPU idles in WFI with interrupts open; it holds no
 * lock while it does.
 */
static void schedule(struct pcpu *p, struct cpu_regs *frame)
{
    struct vcpu *prev = p->cur, *next;
    uint64_t slice_end;
    p->need_resched = false;
    if (prev)
        vcpu_save(prev, frame);
    for (;;) {
        next = sched_pick(p->id, prev, arch_now(), &slice_end);
        prev = NULL;
        if (next)
            break;
        if (p->cur) {
            /* Leaving a guest for idle: silence its timer. */
            WRITE_SYSREG(cntv_ctl_el0, 0);
            p->cur = NULL;
        }
        p->need_resched = false;
        __asm__ volatile("msr daifclr, #2\n wfi\n msr daifset, #2" ::: "memory");
    }
    p->slice_end = slice_end;
    if (next != p->cur) {
        vcpu_restore(next, frame);
        p->cur = next;
        runstate_update(next);
    }
    uint64_t tick = arch_now() + arch_ns_to_ticks(HV_TICK_US * 1000ULL);
    timer_program(MIN(tick, slice_end));
}

/* Last stop before ERET to a guest: switch if needed, deliver vIRQs. */
void exit_to_guest(struct cpu_regs *frame)
{
    struct pcpu *p = this_pcpu();
    while (p->need_resched || !p->cur || !sched_vcpu_runnable(p->cur))
        schedule(p, frame);
    vgic_flush(p->cur);
}

void start_scheduling(void)
{
    struct pcpu *p = this_pcpu();
    p->need_resched = true;
    enter_guest_first(p->frame);
}
