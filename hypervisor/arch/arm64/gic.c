/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GICv3: the physical distributor/redistributors/CPU interface the
 * hypervisor takes its own interrupts from, and a virtual GIC for guests.
 *
 * Guests get the CPU interface through the hardware's virtual interface
 * (ICV_* registers backed by list registers) and a trapped, emulated
 * distributor and redistributors that cover what a guest needs for its
 * SGIs and PPIs (enable, pending, priority, identification).  Virtual
 * interrupts are purely virtual (no HW link): the vtimer PPI is masked at
 * the source when it fires and the guest re-arms it, as Xen does.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <asm/arm64.h>
#include <asm/sysreg.h>
#include <public/arch-arm.h>

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_PIDR2      0xFFE8
#define GICR_CTLR       0x0000
#define GICR_IIDR       0x0004
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PIDR2      0xFFE8
#define GICR_SGI        0x10000
#define GICR_IGROUPR0   0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISPENDR0   0x0200
#define GICR_ICPENDR0   0x0280
#define GICR_IPRIORITYR 0x0400

#define LR_STATE_PENDING (1ULL << 62)
#define LR_STATE_MASK    (3ULL << 62)
#define LR_GROUP1        (1ULL << 60)

static inline uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline uint64_t rd64(uint64_t a) { return *(volatile uint64_t *)(uintptr_t)a; }
static inline void wr32(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

static unsigned nr_lrs;

void gic_init_dist(void)
{
    wr32(plat.gicd + GICD_CTLR, 0);
    while (rd32(plat.gicd + GICD_CTLR) & (1U << 31))
        ;
    /* Affinity routing, then group 1 (and 0) enabled. */
    wr32(plat.gicd + GICD_CTLR, 1U << 4);
    wr32(plat.gicd + GICD_CTLR, (1U << 4) | (1U << 1) | (1U << 0));
    nr_lrs = (unsigned)(READ_SYSREG(ICH_VTR_EL2) & 0x1f) + 1;
    if (nr_lrs > VGIC_MAX_LRS)
        nr_lrs = VGIC_MAX_LRS;
}

static uint64_t mpidr_aff(uint64_t mpidr)
{
    return (mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24);
}

void gic_init_cpu(struct pcpu *p)
{
    uint64_t rd = 0;
    for (uint64_t a = plat.gicr; a < plat.gicr + plat.gicr_size; a += 0x20000) {
        uint64_t typer = rd64(a + GICR_TYPER);
        if ((typer >> 32) == mpidr_aff(p->mpidr)) {
            rd = a;
            break;
        }
        if (typer & (1U << 4))
            break;
    }
    if (!rd)
        panic("no GIC redistributor for MPIDR %lx\n", p->mpidr);
    p->gicr = rd;
    wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~(1U << 1));
    while (rd32(rd + GICR_WAKER) & (1U << 2))
        ;
    wr32(rd + GICR_SGI + GICR_IGROUPR0, 0xffffffff);
    for (unsigned i = 0; i < 32; i += 4)
        wr32(rd + GICR_SGI + GICR_IPRIORITYR + i, 0x80808080);
    wr32(rd + GICR_SGI + GICR_ICENABLER0, 0xffffffff);
    wr32(rd + GICR_SGI + GICR_ISENABLER0,
         (1U << IRQ_SGI_RESCHED) | (1U << IRQ_HYP_TIMER) | (1U << IRQ_VTIMER));

    WRITE_SYSREG(ICC_SRE_EL2, READ_SYSREG(ICC_SRE_EL2) | 1 | (1 << 3));
    isb();
    WRITE_SYSREG(ICC_PMR_EL1, 0xff);
    WRITE_SYSREG(ICC_BPR1_EL1, 0);
    WRITE_SYSREG(ICC_CTLR_EL1, 0);
    WRITE_SYSREG(ICC_IGRPEN1_EL1, 1);
    WRITE_SYSREG(ICH_HCR_EL2, 1);
    isb();
}

uint32_t gic_ack(void)
{
    uint32_t irq = (uint32_t)READ_SYSREG(ICC_IAR1_EL1);
    dsb(sy);
    return irq;
}

void gic_eoi(uint32_t irq)
{
    WRITE_SYSREG(ICC_EOIR1_EL1, irq);
    isb();
}

void gic_send_sgi(unsigned int cpu, unsigned int sgi)
{
    uint64_t m = plat.cpu_mpidr[cpu];
    uint64_t v = ((uint64_t)sgi << 24) | (((m >> 8) & 0xff) << 16) | (1ULL << (m & 0xf)) |
                 (((m >> 16) & 0xff) << 32) | (((m >> 32) & 0xff) << 48);
    dsb(ishst);
    WRITE_SYSREG(ICC_SGI1R_EL1, v);
    isb();
}

/* ---- virtual GIC ---- */

void vgic_vcpu_init(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    a->virq_enabled = 0;
    a->virq_pending = 0;
    memset(a->virq_prio, 0xa0, sizeof(a->virq_prio));
    memset(a->lr, 0, sizeof(a->lr));
    a->vmcr = 0;
    a->ap1r0 = 0;
}

static uint64_t read_lr(unsigned i)
{
    switch (i) {
    case 0: return READ_SYSREG(ICH_LR0_EL2);
    case 1: return READ_SYSREG(ICH_LR1_EL2);
    case 2: return READ_SYSREG(ICH_LR2_EL2);
    default: return READ_SYSREG(ICH_LR3_EL2);
    }
}

static void write_lr(unsigned i, uint64_t v)
{
    switch (i) {
    case 0: WRITE_SYSREG(ICH_LR0_EL2, v); break;
    case 1: WRITE_SYSREG(ICH_LR1_EL2, v); break;
    case 2: WRITE_SYSREG(ICH_LR2_EL2, v); break;
    default: WRITE_SYSREG(ICH_LR3_EL2, v); break;
    }
}

void vgic_save(struct vcpu *v)
{
    for (unsigned i = 0; i < nr_lrs; i++)
        v->arch.lr[i] = read_lr(i);
    v->arch.vmcr = READ_SYSREG(ICH_VMCR_EL2);
    v->arch.ap1r0 = READ_SYSREG(ICH_AP1R0_EL2);
}

void vgic_restore(struct vcpu *v)
{
    for (unsigned i = 0; i < nr_lrs; i++)
        write_lr(i, v->arch.lr[i]);
    WRITE_SYSREG(ICH_VMCR_EL2, v->arch.vmcr);
    WRITE_SYSREG(ICH_AP1R0_EL2, v->arch.ap1r0);
}

/*
 * Moves raised-and-enabled interrupts into free list registers.  Runs on the
 * vCPU's own pCPU just before it re-enters the guest, with its LRs loaded.
 */
void vgic_flush(struct vcpu *v)
{
    struct arch_vcpu *a = &v->arch;
    uint32_t want = __atomic_load_n(&a->virq_pending, __ATOMIC_ACQUIRE) & a->virq_enabled;
    while (want) {
        unsigned intid = (unsigned)__builtin_ctz(want);
        want &= want - 1;
        int free_lr = -1;
        bool present = false;
        for (unsigned i = 0; i < nr_lrs; i++) {
            uint64_t lr = read_lr(i);
            if ((lr & LR_STATE_MASK) == 0) {
                if (free_lr < 0)
                    free_lr = (int)i;
            } else if ((lr & 0xffffffffULL) == intid) {
                /* Active (being handled): the new edge re-pends it. */
                write_lr(i, lr | LR_STATE_PENDING);
                present = true;
            }
        }
        if (!present) {
            if (free_lr < 0)
                return;   /* stays raised until an LR frees up */
            write_lr((unsigned)free_lr, LR_STATE_PENDING | LR_GROUP1 |
                                            ((uint64_t)a->virq_prio[intid] << 48) | intid);
        }
        __atomic_fetch_and(&a->virq_pending, ~(1U << intid), __ATOMIC_ACQ_REL);
    }
}

/* Raises a virtual SGI/PPI on v; whichever pCPU runs v delivers it. */
void vgic_raise(struct vcpu *v, unsigned int intid)
{
    if (intid >= 32)
        return;
    __atomic_fetch_or(&v->arch.virq_pending, 1U << intid, __ATOMIC_ACQ_REL);
    int cpu = v->running_on;
    if (cpu >= 0 && (unsigned)cpu != arch_cpu_id())
        arch_kick_cpu((unsigned)cpu);
}

void arch_vcpu_raise_evtchn(struct vcpu *v)
{
    vgic_raise(v, GUEST_EVTCHN_PPI);
}

bool arch_vcpu_irq_pending(const struct vcpu *v)
{
    const struct arch_vcpu *a = &v->arch;
    if (__atomic_load_n(&a->virq_pending, __ATOMIC_ACQUIRE) & a->virq_enabled)
        return true;
    /* A loaded vCPU's LRs are only current in hardware. */
    if (v->running_on >= 0 && (unsigned)v->running_on == arch_cpu_id()) {
        for (unsigned i = 0; i < nr_lrs; i++)
            if ((read_lr(i) & LR_STATE_MASK) == LR_STATE_PENDING)
                return true;
        return false;
    }
    for (unsigned i = 0; i < nr_lrs; i++)
        if ((a->lr[i] & LR_STATE_MASK) == LR_STATE_PENDING)
            return true;
    return false;
}

static uint64_t dist_read(struct domain *d, uint64_t off)
{
    switch (off) {
    case GICD_CTLR: return d->arch.gicd_ctlr | (1U << 4) | (1U << 6);
    case GICD_TYPER: return (9U << 19) | 1;   /* 10 ID bits, 64 INTIDs */
    case GICD_IIDR: return 0x43b;
    case GICD_PIDR2: return 0x3b;             /* GICv3 */
    default: return 0;
    }
}

static uint64_t redist_read(struct vcpu *t, uint64_t off, unsigned size)
{
    struct arch_vcpu *a = &t->arch;
    if (off >= GICR_SGI + GICR_IPRIORITYR && off < GICR_SGI + GICR_IPRIORITYR + 32) {
        unsigned n = (unsigned)(off - GICR_SGI - GICR_IPRIORITYR);
        uint64_t v = 0;
        for (unsigned i = 0; i < size && n + i < 32; i++)
            v |= (uint64_t)a->virq_prio[n + i] << (8 * i);
        return v;
    }
    switch (off) {
    case GICR_IIDR: return 0x43b;
    case GICR_TYPER: {
        uint64_t v = ((uint64_t)t->id << 32) | ((uint64_t)t->id << 8);
        if (t->id == t->domain->max_vcpus - 1)
            v |= 1U << 4;
        return v;
    }
    case GICR_TYPER + 4: return t->id;
    case GICR_PIDR2: return 0x3b;
    case GICR_SGI + GICR_IGROUPR0: return 0xffffffff;
    case GICR_SGI + GICR_ISENABLER0:
    case GICR_SGI + GICR_ICENABLER0: return a->virq_enabled;
    case GICR_SGI + GICR_ISPENDR0:
    case GICR_SGI + GICR_ICPENDR0: return a->virq_pending;
    default: return 0;
    }
}

static void redist_write(struct vcpu *t, uint64_t off, unsigned size, uint64_t val)
{
    struct arch_vcpu *a = &t->arch;
    if (off >= GICR_SGI + GICR_IPRIORITYR && off < GICR_SGI + GICR_IPRIORITYR + 32) {
        unsigned n = (unsigned)(off - GICR_SGI - GICR_IPRIORITYR);
        for (unsigned i = 0; i < size && n + i < 32; i++)
            a->virq_prio[n + i] = (uint8_t)(val >> (8 * i));
        return;
    }
    switch (off) {
    case GICR_SGI + GICR_ISENABLER0:
        a->virq_enabled |= (uint32_t)val;
        break;
    case GICR_SGI + GICR_ICENABLER0:
        a->virq_enabled &= ~(uint32_t)val;
        break;
    case GICR_SGI + GICR_ISPENDR0:
        for (unsigned i = 0; i < 32; i++)
            if (val & (1ULL << i))
                vgic_raise(t, i);
        break;
    case GICR_SGI + GICR_ICPENDR0:
        __atomic_fetch_and(&a->virq_pending, ~(uint32_t)val, __ATOMIC_ACQ_REL);
        break;
    default:
        break;   /* write-ignored */
    }
}

/*
 * Emulates one access to the virtual distributor or a redistributor.
 * Returns false if ipa is not in either window.
 */
bool vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
    struct domain *d = v->domain;
    if (ipa >= GUEST_GICV3_GICD_BASE && ipa < GUEST_GICV3_GICD_BASE + GUEST_GICV3_GICD_SIZE) {
        uint64_t off = ipa - GUEST_GICV3_GICD_BASE;
        if (write) {
            if (off == GICD_CTLR)
                d->arch.gicd_ctlr = (uint32_t)*val & 0x3;
        } else {
            *val = dist_read(d, off);
        }
        return true;
    }
    if (ipa >= GUEST_GICV3_GICR0_BASE && ipa < GUEST_GICV3_GICR0_BASE + GUEST_GICV3_GICR0_SIZE) {
        uint64_t rel = ipa - GUEST_GICV3_GICR0_BASE;
        uint64_t idx = rel / GUEST_GICV3_GICR_STRIDE, off = rel % GUEST_GICV3_GICR_STRIDE;
        if (idx >= d->max_vcpus) {
            if (!write)
                *val = 0;
            return true;
        }
        struct vcpu *t = &d->vcpus[idx];
        if (write)
            redist_write(t, off, size, *val);
        else
            *val = redist_read(t, off, size);
        return true;
    }
    return false;
}

/* A trapped ICC_SGI1R_EL1 write: raise the SGI on the targeted vCPUs. */
void vgic_sgi1r(struct vcpu *v, uint64_t val)
{
    struct domain *d = v->domain;
    unsigned intid = (val >> 24) & 0xf;
    bool all_but_self = val & (1ULL << 40);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        bool hit = all_but_self ? i != v->id
                                : (((val >> 16) & 0xff) == 0 && (val & (1ULL << i)));
        if (hit && d->vcpus[i].online)
            vgic_raise(&d->vcpus[i], intid);
    }
    spin_lock(&dom_lock);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i].online && d->vcpus[i].blocked && arch_vcpu_irq_pending(&d->vcpus[i]))
            sched_wake(&d->vcpus[i]);
    spin_unlock(&dom_lock);
}
