/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boot: platform discovery from the DTB, the page pool, GIC and timer,
 * secondary CPUs through PSCI, then the boot-time domains.  Also the small
 * arch services common code uses (time, CPU ids, IPIs, power off).
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/fdt.h>
#include <hv/mm.h>
#include <asm/arm64.h>
#include <asm/sysreg.h>

#define STACK_SIZE 16384
uint8_t hv_stacks[HV_MAX_PCPUS + 1][STACK_SIZE] __attribute__((aligned(16)));

struct pcpu pcpus[HV_MAX_PCPUS];
unsigned int nr_pcpus_online;
struct platform plat;
struct page_pool hv_pool;
static uint64_t pool_bitmap[MM_MAX_PAGES / 64];
static spinlock_t pool_lock;
extern char _image_start[], _image_end[];


/* ---- arch services ---- */

uint64_t arch_now(void)
{
    isb();
    return READ_SYSREG(cntpct_el0);
}

uint64_t arch_ticks_to_ns(uint64_t t)
{
    return (uint64_t)((__uint128_t)t * 1000000000ULL / plat.timer_freq);
}

uint64_t arch_ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((__uint128_t)ns * plat.timer_freq / 1000000000ULL);
}

unsigned int arch_cpu_id(void)
{
    return this_pcpu()->id;
}

unsigned int arch_nr_cpus(void)
{
    return nr_pcpus_online;
}

struct vcpu *arch_current(void)
{
    return this_pcpu()->cur;
}

void arch_kick_cpu(unsigned int cpu)
{
    if (cpu == arch_cpu_id())
        this_pcpu()->need_resched = true;
    else if (cpu < nr_pcpus_online)
        gic_send_sgi(cpu, IRQ_SGI_RESCHED);
}

void *pa_to_va(uint64_t pa)
{
    return (void *)(uintptr_t)pa;   /* EL2 maps RAM 1:1 */
}

uint64_t alloc_zeroed_page(void)
{
    spin_lock(&pool_lock);
    uint64_t pa = mm_alloc_page(&hv_pool);
    spin_unlock(&pool_lock);
    if (pa)
        memset(pa_to_va(pa), 0, PAGE_SIZE);
    return pa;
}

void free_page(uint64_t pa)
{
    spin_lock(&pool_lock);
    mm_free_page(&hv_pool, pa);
    spin_unlock(&pool_lock);
}

const struct p2m_ops hv_p2m_ops = {
    .alloc_table = alloc_zeroed_page,
    .free_table = free_page,
    .pa_to_va = pa_to_va,
};

int arch_domain_init(struct domain *d)
{
    d->vmid = (uint16_t)(d->domid + 1);   /* 8-bit VMIDs; 0 is never a guest */
    d->arch.gicd_ctlr = 0;
    return 0;
}

void arch_domain_flush_tlb(struct domain *d)
{
    /* TLBI by VMID needs that VMID live in VTTBR_EL2 on this CPU. */
    uint64_t saved = READ_SYSREG(vttbr_el2);
    WRITE_SYSREG(vttbr_el2, d->p2m.root | ((uint64_t)d->vmid << 48));
    isb();
    __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
    WRITE_SYSREG(vttbr_el2, saved);
    isb();
}

void arch_system_off(void)
{
    uint64_t fn = 0x84000008;   /* PSCI SYSTEM_OFF */
    if (plat.psci_hvc)
        hvc_call(fn, 0, 0, 0);
    else
        smc_call(fn, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

/* ---- platform discovery ---- */

static void parse_platform(const struct fdt *f)
{
    int node = fdt_path_offset(f, "/memory");
    if (node < 0) {
        int depth = 0;
        for (node = fdt_next_node(f, -1, &depth); node >= 0; node = fdt_next_node(f, node, &depth)) {
            const char *t = fdt_getprop(f, node, "device_type", NULL);
            if (t && !strcmp(t, "memory"))
                break;
        }
    }
    if (node < 0 || fdt_get_reg(f, node, 0, &plat.ram_base, &plat.ram_size))
        panic("no memory node in the DTB\n");

    int gic = fdt_node_by_compatible(f, -1, "arm,gic-v3");
    uint64_t sz;
    if (gic < 0 || fdt_get_reg(f, gic, 0, &plat.gicd, &sz) ||
        fdt_get_reg(f, gic, 1, &plat.gicr, &plat.gicr_size))
        panic("no GICv3 in the DTB (QEMU: -M virt,gic-version=3)\n");

    int psci = fdt_node_by_compatible(f, -1, "arm,psci-0.2");
    const char *method = psci >= 0 ? fdt_getprop(f, psci, "method", NULL) : NULL;
    plat.psci_hvc = method && !strcmp(method, "hvc");

    int cpus = fdt_path_offset(f, "/cpus");
    plat.nr_cpus = 0;
    for (int c = cpus >= 0 ? fdt_first_child(f, cpus) : -1; c >= 0; c = fdt_next_sibling(f, c)) {
        const char *t = fdt_getprop(f, c, "device_type", NULL);
        uint64_t mpidr;
        if (!t || strcmp(t, "cpu") || fdt_get_reg(f, c, 0, &mpidr, NULL))
            continue;
        if (plat.nr_cpus < HV_MAX_PCPUS)
            plat.cpu_mpidr[plat.nr_cpus++] = mpidr;
    }
    if (!plat.nr_cpus)
        panic("no CPUs in the DTB\n");
    plat.timer_freq = READ_SYSREG(cntfrq_el0);
}

static void setup_pool(const struct fdt *f, uint64_t dtb)
{
    if (mm_pool_init(&hv_pool, pool_bitmap, ARRAY_SIZE(pool_bitmap), plat.ram_base, plat.ram_size))
        panic("bad RAM range\n");
    mm_add_free(&hv_pool, plat.ram_base, plat.ram_base + plat.ram_size);
    mm_reserve(&hv_pool, (uint64_t)(uintptr_t)_image_start, (uint64_t)(uintptr_t)_image_end);
    mm_reserve(&hv_pool, dtb, dtb + f->size);
    /* The DTB's /memreserve/ block: (address, size) pairs ending in zeros. */
    const uint8_t *rsv = f->blob + fdt32(f->blob + 16);
    for (int i = 0; i < 64 && (const uint8_t *)rsv + 16 <= f->blob + f->size; i++, rsv += 16) {
        const uint8_t *q = rsv;
        uint64_t a = fdt_read_cells(&q, 2), s = fdt_read_cells(&q, 2);
        if (!a && !s)
            break;
        mm_reserve(&hv_pool, a, a + s);
    }
}

static void cpu_init_common(struct pcpu *p)
{
    WRITE_SYSREG(tpidr_el2, (uint64_t)(uintptr_t)p);
    WRITE_SYSREG(hcr_el2, HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS |
                              HCR_TWI | HCR_TSC | HCR_RW);
    uint64_t pa_range = READ_SYSREG(id_aa64mmfr0_el1) & 7;
    /* Stage 2: T0SZ=25 (39-bit IPA), start at level 1, WBWA, inner shareable, 4K. */
    WRITE_SYSREG(vtcr_el2, 25 | (1ULL << 6) | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) |
                               (MIN(pa_range, 2ULL) << 16) | (1ULL << 31));
    WRITE_SYSREG(cptr_el2, 0x33ff);        /* no FP/SIMD traps (RES1 bits set) */
    WRITE_SYSREG(cnthctl_el2, 1);          /* EL1 may read the counter, not use the phys timer */
    WRITE_SYSREG(cntvoff_el2, 0);
    WRITE_SYSREG(vpidr_el2, READ_SYSREG(midr_el1));
    WRITE_SYSREG(vttbr_el2, 0);
    isb();
    __asm__ volatile("tlbi alle1\n dsb ish\n isb" ::: "memory");
    gic_init_cpu(p);
    p->frame = (struct cpu_regs *)(hv_stacks[p->id + 1] - FRAME_SIZE);
    /* The boot CPU runs on stack 0 until it discards it; others likewise. */
    timer_program(arch_now() + arch_ns_to_ticks(HV_TICK_US * 1000ULL));
}

static volatile unsigned int cpus_up;
static volatile bool domains_ready;

void secondary_start(unsigned int id)
{
    struct pcpu *p = &pcpus[id];
    cpu_init_common(p);
    __atomic_fetch_add(&cpus_up, 1, __ATOMIC_SEQ_CST);
    printk("CPU%u up (MPIDR %lx)\n", id, p->mpidr);
    /* Wait for the boot CPU to finish building domains. */
    while (!__atomic_load_n(&domains_ready, __ATOMIC_ACQUIRE))
        cpu_relax();
    start_scheduling();
}

void start_hv(uint64_t dtb)
{
    struct fdt f;
    pl011_init(0x09000000);   /* QEMU virt's UART until the DTB says otherwise */
    if (fdt_init(&f, (const void *)(uintptr_t)dtb, 1U << 21))
        panic("x0=%lx is not a device tree\n", dtb);
    int chosen = fdt_path_offset(&f, "/chosen");
    int uart = fdt_node_by_compatible(&f, -1, "arm,pl011");
    uint64_t ubase;
    if (uart >= 0 && !fdt_get_reg(&f, uart, 0, &ubase, NULL))
        pl011_init(ubase);
    printk("Halyard hypervisor (arm64) starting at EL%lu, DTB at %lx\n",
           (READ_SYSREG(CurrentEL) >> 2) & 3, dtb);
    (void)chosen;
    parse_platform(&f);
    mmu_map_ram(plat.ram_base, plat.ram_size);
    printk("RAM %lx-%lx, GICD %lx GICR %lx, %u CPUs, PSCI via %s, timer %lu Hz\n", plat.ram_base,
           plat.ram_base + plat.ram_size, plat.gicd, plat.gicr, plat.nr_cpus,
           plat.psci_hvc ? "hvc" : "smc", plat.timer_freq);
    setup_pool(&f, dtb);
    dom0less_reserve(&f);
    printk("page pool: %lu free pages\n", hv_pool.nfree);

    uint64_t my_mpidr = READ_SYSREG(mpidr_el1) & 0xff00ffffffULL;
    /* Logical CPU 0 is the boot CPU; order the others as the DTB does. */
    unsigned n = 1;
    pcpus[0].id = 0;
    pcpus[0].mpidr = my_mpidr;
    for (unsigned i = 0; i < plat.nr_cpus; i++)
        if (plat.cpu_mpidr[i] != my_mpidr) {
            pcpus[n].id = n;
            pcpus[n].mpidr = plat.cpu_mpidr[i];
            n++;
        }
    for (unsigned i = 0; i < n; i++)
        plat.cpu_mpidr[i] = pcpus[i].mpidr;
    gic_init_dist();
    cpu_init_common(&pcpus[0]);

    unsigned online = 1;
    for (unsigned i = 1; i < n; i++) {
        uint64_t fn = 0xC4000003;   /* PSCI CPU_ON (64-bit) */
        uint64_t before = cpus_up;
        int64_t rc = (int64_t)(plat.psci_hvc ? hvc_call : smc_call)(
            fn, pcpus[i].mpidr, (uint64_t)(uintptr_t)secondary_entry, i);
        if (rc) {
            printk("CPU%u (MPIDR %lx) failed to start: PSCI %ld\n", i, pcpus[i].mpidr, rc);
            break;
        }
        while (cpus_up == before)
            cpu_relax();
        online++;
    }

    sched_init(online, arch_ns_to_ticks(HV_TICK_US * 1000ULL),
               arch_ns_to_ticks(HV_PERIOD_US * 1000ULL));
    /* nr_pcpus_online must be set before domains pick their affinity masks. */
    nr_pcpus_online = online;
    dom0less_build(&f);
    __atomic_store_n(&domains_ready, true, __ATOMIC_RELEASE);
    printk("%u CPUs online; starting domains\n", online);
    start_scheduling();
}
