/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exceptions taken to EL2.  From a guest: hypercalls (HVC #0xEA1), PSCI
 * (HVC #0), stage-2 aborts (vGIC emulation, else an abort injected into the
 * guest), trapped WFI, SMC and system registers.  Nothing a guest does here
 * can fault the hypervisor: guest memory is only reached through
 * translations checked with AT.  Exceptions from EL2 itself are reported
 * and stop the machine: they are hypervisor bugs.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <asm/arm64.h>
#include <asm/sysreg.h>
#include <public/arch-arm.h>

/* ---- guest memory access through the guest's own translation ---- */

/* Translates a guest VA of the current vCPU to a PA, or returns false. */
static bool gva_to_pa(uint64_t va, bool write, uint64_t *pa)
{
    uint64_t saved = READ_SYSREG(par_el1), par;
    if (write)
        __asm__ volatile("at s12e1w, %0" ::"r"(va) : "memory");
    else
        __asm__ volatile("at s12e1r, %0" ::"r"(va) : "memory");
    isb();
    par = READ_SYSREG(par_el1);
    WRITE_SYSREG(par_el1, saved);
    if (par & 1)
        return false;
    *pa = (par & 0x0000FFFFFFFFF000ULL) | (va & 0xfff);
    return true;
}

static int copy_guest(void *hv, uint64_t gva, size_t n, bool to_guest)
{
    uint8_t *p = hv;
    while (n) {
        uint64_t pa;
        size_t chunk = MIN(n, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        if (!gva_to_pa(gva, to_guest, &pa))
            return -EFAULT;
        if (to_guest)
            memcpy(pa_to_va(pa), p, chunk);
        else
            memcpy(p, pa_to_va(pa), chunk);
        p += chunk;
        gva += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_from_guest(void *dst, uint64_t gva, size_t n)
{
    return copy_guest(dst, gva, n, false);
}

int copy_to_guest(uint64_t gva, const void *src, size_t n)
{
    return copy_guest((void *)src, gva, n, true);
}

/* ---- injecting exceptions into EL1 ---- */

static void inject(struct cpu_regs *r, uint32_t esr, uint64_t far)
{
    uint64_t mode = r->pstate & 0xf, off;
    if (mode == 0x5)
        off = 0x200;        /* EL1h: current EL with SP_ELx */
    else if (mode == 0x4)
        off = 0x000;        /* EL1t */
    else
        off = 0x400;        /* EL0, AArch64 */
    WRITE_SYSREG(esr_el1, esr);
    WRITE_SYSREG(far_el1, far);
    WRITE_SYSREG(elr_el1, r->pc);
    WRITE_SYSREG(spsr_el1, r->pstate);
    r->pc = READ_SYSREG(vbar_el1) + off;
    r->pstate = PSTATE_EL1H_MASKED;
}

void inject_undef(struct cpu_regs *r)
{
    inject(r, (EC_UNKNOWN << 26) | (1U << 25), 0);
}

static void inject_dabt(struct cpu_regs *r, uint64_t far)
{
    bool from_el0 = (r->pstate & 0xf) == 0;
    uint32_t ec = from_el0 ? EC_DABT_LOW : EC_DABT_CUR;
    /* DFSC 0x10: synchronous external abort. */
    inject(r, (ec << 26) | (1U << 25) | 0x10, far);
}

/* ---- PSCI for guests ---- */

static int64_t guest_psci(struct vcpu *v, struct cpu_regs *r)
{
    struct domain *d = v->domain;
    uint32_t fn = (uint32_t)r->x[0];
    switch (fn) {
    case PSCI_0_2_FN_PSCI_VERSION:
        return (1 << 16) | 1;   /* PSCI 1.1 */
    case PSCI_1_0_FN_PSCI_FEATURES: {
        uint32_t q = (uint32_t)r->x[1];
        return (q == PSCI_0_2_FN_PSCI_VERSION || q == PSCI_0_2_FN_CPU_OFF ||
                q == PSCI_0_2_FN64_CPU_ON || q == PSCI_0_2_FN64_AFFINITY_INFO ||
                q == PSCI_0_2_FN_SYSTEM_OFF || q == PSCI_0_2_FN_SYSTEM_RESET ||
                q == PSCI_1_0_FN_PSCI_FEATURES) ? 0 : PSCI_NOT_SUPPORTED;
    }
    case PSCI_0_2_FN64_CPU_ON: {
        uint64_t target = r->x[1] & 0xff;   /* vMPIDR Aff0 = vCPU id */
        if ((r->x[1] & ~0xffULL & 0xff00ffffffULL) || target >= d->max_vcpus)
            return PSCI_INVALID_PARAMS;
        struct vcpu *t = &d->vcpus[target];
        /* A vCPU that just did CPU_OFF may still be leaving its pCPU (it was
         * kicked); its context must not be replaced until it has. */
        while (!READ_ONCE(t->online) && READ_ONCE(t->running_on) >= 0)
            cpu_relax();
        spin_lock(&dom_lock);
        bool on = t->online;
        if (!on) {
            arch_vcpu_init(t);
            arch_vcpu_set_entry(t, r->x[2], r->x[3], 0);
        }
        spin_unlock(&dom_lock);
        if (on)
            return PSCI_ALREADY_ON;
        sched_vcpu_start(t);
        return PSCI_SUCCESS;
    }
    case PSCI_0_2_FN64_AFFINITY_INFO: {
        uint64_t target = r->x[1] & 0xff;
        if (target >= d->max_vcpus)
            return PSCI_INVALID_PARAMS;
        return d->vcpus[target].online ? 0 : 1;
    }
    case PSCI_0_2_FN_CPU_OFF:
        sched_vcpu_stop(v);
        return PSCI_SUCCESS;
    case PSCI_0_2_FN_SYSTEM_OFF:
        domain_shutdown(d, SHUTDOWN_poweroff);
        return PSCI_SUCCESS;
    case PSCI_0_2_FN_SYSTEM_RESET:
        domain_shutdown(d, SHUTDOWN_reboot);
        return PSCI_SUCCESS;
    default:
        return PSCI_NOT_SUPPORTED;
    }
}

/* ---- synchronous exceptions from the guest ---- */

static void handle_dabt(struct vcpu *v, struct cpu_regs *r, uint64_t esr)
{
    uint64_t far = READ_SYSREG(far_el2);
    uint64_t ipa = ((READ_SYSREG(hpfar_el2) >> 4) << 12) | (far & 0xfff);
    bool isv = esr & (1U << 24);
    if (isv) {
        unsigned size = 1U << ((esr >> 22) & 3);
        unsigned srt = (esr >> 16) & 0x1f;
        bool write = esr & (1U << 6);
        uint64_t val = (write && srt != 31) ? r->x[srt] : 0;
        if (vgic_mmio(v, ipa, write, size, &val)) {
            if (!write && srt != 31)
                r->x[srt] = size == 8 ? val : (val & ((1ULL << (size * 8)) - 1));
            r->pc += 4;
            return;
        }
    }
    /* Outside the domain's memory: the guest gets an external abort. */
    inject_dabt(r, far);
}

static void handle_sysreg(struct vcpu *v, struct cpu_regs *r, uint64_t esr)
{
    unsigned op0 = (esr >> 20) & 3, op2 = (esr >> 17) & 7, op1 = (esr >> 14) & 7;
    unsigned crn = (esr >> 10) & 0xf, rt = (esr >> 5) & 0x1f, crm = (esr >> 1) & 0xf;
    bool read = esr & 1;
    uint64_t val = rt == 31 ? 0 : r->x[rt];
    if (op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 == 5 && !read) {
        vgic_sgi1r(v, val);                /* ICC_SGI1R_EL1 */
    } else if (op0 == 3 && op1 == 3 && crn == 14 && crm == 2) {
        if (read && rt != 31)              /* CNTP_*: the physical timer is not offered */
            r->x[rt] = 0;
    } else {
        inject_undef(r);
        return;
    }
    r->pc += 4;
}

void guest_sync_handler(struct cpu_regs *r)
{
    struct vcpu *v = this_pcpu()->cur;
    uint64_t esr = READ_SYSREG(esr_el2);
    switch (ESR_EC(esr)) {
    case EC_HVC64: {
        /* ELR already points past the HVC. */
        uint16_t imm = esr & 0xffff;
        if (imm == HV_HYPERCALL_IMM)
            r->x[0] = (uint64_t)do_hypercall(v, r->x[16], r->x[0], r->x[1], r->x[2], r->x[3],
                                             r->x[4]);
        else if (imm == 0)
            r->x[0] = (uint64_t)guest_psci(v, r);
        else
            inject_undef(r);
        break;
    }
    case EC_SMC64:
        /* SMC traps before executing: PSCI over SMC works too, then skip it. */
        r->x[0] = (uint64_t)guest_psci(v, r);
        r->pc += 4;
        break;
    case EC_WFX:
        r->pc += 4;
        if (!(esr & 1)) {                  /* WFI: sleep until an interrupt */
            spin_lock(&dom_lock);
            if (!arch_vcpu_irq_pending(v) && !evtchn_vcpu_has_pending(v)) {
                uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
                if ((ctl & 3) == 1)        /* timer enabled, not masked */
                    v->wake_deadline = READ_SYSREG(cntv_cval_el0);
                sched_block(v);
            }
            spin_unlock(&dom_lock);
        } else {
            sched_yield_vcpu(v);
        }
        break;
    case EC_SYSREG:
        handle_sysreg(v, r, esr);
        break;
    case EC_DABT_LOW:
        handle_dabt(v, r, esr);
        break;
    case EC_IABT_LOW:
        /* Executing outside its memory leaves nothing sane to return to. */
        printk("d%u v%u: instruction fetch from unmapped IPA %lx (pc %lx)\n", v->domain->domid,
               v->id, (READ_SYSREG(hpfar_el2) >> 4) << 12, r->pc);
        domain_crash(v->domain, "stage-2 instruction abort");
        break;
    default:
        printk("d%u v%u: unhandled trap ESR %lx at pc %lx\n", v->domain->domid, v->id, esr, r->pc);
        inject_undef(r);
        break;
    }
}

void guest_serror_handler(struct cpu_regs *r)
{
    struct vcpu *v = this_pcpu()->cur;
    printk("d%u: SError/FIQ from guest (pc %lx)\n", v->domain->domid, r->pc);
    domain_crash(v->domain, "SError");
}

/* ---- interrupts ---- */

static void handle_irq(void)
{
    struct pcpu *p = this_pcpu();
    for (;;) {
        uint32_t irq = gic_ack();
        if (irq >= 1020)
            return;
        switch (irq) {
        case IRQ_SGI_RESCHED:
            p->need_resched = true;
            break;
        case IRQ_HYP_TIMER: {
            uint64_t now = arch_now();
            WRITE_SYSREG(cnthp_ctl_el2, 0);
            if (sched_tick(p->id, p->cur, now) || now >= p->slice_end)
                p->need_resched = true;
            timers_expire(now);
            timer_program(now + arch_ns_to_ticks(HV_TICK_US * 1000ULL));
            break;
        }
        case IRQ_VTIMER:
            /* Mask at the source; the guest re-arms when it handles it. */
            WRITE_SYSREG(cntv_ctl_el0, READ_SYSREG(cntv_ctl_el0) | 2);
            if (p->cur)
                vgic_raise(p->cur, GUEST_VTIMER_PPI);
            break;
        default:
            printk("unexpected IRQ %u\n", irq);
        }
        gic_eoi(irq);
    }
}

void guest_irq_handler(struct cpu_regs *r)
{
    (void)r;
    handle_irq();
}

void hyp_irq_handler(struct cpu_regs *r)
{
    (void)r;
    handle_irq();
}

void hyp_fault(struct cpu_regs *r, uint64_t kind)
{
    printk("hypervisor fault (%s) on CPU%u: ESR %lx FAR %lx ELR %lx\n",
           kind ? "async" : "sync", this_pcpu()->id, READ_SYSREG(esr_el2), READ_SYSREG(far_el2),
           r->pc);
    for (int i = 0; i < 31; i += 2)
        printk("  x%02d %016lx  x%02d %016lx\n", i, r->x[i], i + 1, i < 30 ? r->x[i + 1] : 0);
    panic("stopping\n");
}
