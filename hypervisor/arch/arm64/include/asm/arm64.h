/* SPDX-License-Identifier: Apache-2.0 */
/* Arm64-internal interfaces between the arch files. */
#ifndef ASM_ARM64_H
#define ASM_ARM64_H

#include <hv/config.h>
#include <hv/lib.h>
#include <asm/vcpu.h>

struct vcpu;

struct pcpu {
    unsigned int id;
    uint64_t mpidr;
    struct vcpu *cur;
    volatile bool need_resched;
    uint64_t slice_end;
    uint64_t gicr;          /* this CPU's redistributor (RD_base) */
    struct cpu_regs *frame; /* where guest traps land on this CPU's stack */
};

extern struct pcpu pcpus[HV_MAX_PCPUS];
extern unsigned int nr_pcpus_online;

static inline struct pcpu *this_pcpu(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(v));
    return (struct pcpu *)v;
}

/* Platform facts from the DTB. */
struct platform {
    uint64_t ram_base, ram_size;
    uint64_t uart;
    uint64_t gicd, gicr, gicr_size;
    bool psci_hvc;
    unsigned int nr_cpus;
    uint64_t cpu_mpidr[HV_MAX_PCPUS];
    uint64_t timer_freq;
};
extern struct platform plat;

/* head.S */
extern char hv_vectors[];
void secondary_entry(void);
void enter_guest_first(struct cpu_regs *frame) __attribute__((noreturn));
uint64_t smc_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t hvc_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* mmu.c */
void mmu_build_tables(void);
void mmu_enable(void);
void mmu_map_ram(uint64_t base, uint64_t size);

/* pl011.c */
void pl011_init(uint64_t base);

/* gic.c */
void gic_init_dist(void);
void gic_init_cpu(struct pcpu *p);
uint32_t gic_ack(void);
void gic_eoi(uint32_t irq);
void gic_send_sgi(unsigned int cpu, unsigned int sgi);
void vgic_vcpu_init(struct vcpu *v);
void vgic_save(struct vcpu *v);
void vgic_restore(struct vcpu *v);
void vgic_flush(struct vcpu *v);
void vgic_raise(struct vcpu *v, unsigned int intid);
bool vgic_mmio(struct vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val);
void vgic_sgi1r(struct vcpu *v, uint64_t val);

/* traps.c */
void inject_undef(struct cpu_regs *r);

/* vcpu.c */
void vcpu_save(struct vcpu *v, struct cpu_regs *frame);
void vcpu_restore(struct vcpu *v, struct cpu_regs *frame);
void start_scheduling(void) __attribute__((noreturn));
void timer_program(uint64_t deadline);

/* Called from head.S. */
void start_hv(uint64_t dtb);
void secondary_start(unsigned int id);
void guest_sync_handler(struct cpu_regs *r);
void guest_irq_handler(struct cpu_regs *r);
void guest_serror_handler(struct cpu_regs *r);
void hyp_irq_handler(struct cpu_regs *r);
void hyp_fault(struct cpu_regs *r, uint64_t kind);
void exit_to_guest(struct cpu_regs *frame);

/* guest_dt.c: returns the blob size or a negative errno. */
struct domain;
int guest_dt_build(const struct domain *d, const char *bootargs, uint64_t initrd, uint64_t initrd_size,
                   void *buf, size_t size);

/* dom0less.c */
struct fdt;
void dom0less_reserve(const struct fdt *f);
void dom0less_build(const struct fdt *f);

#define IRQ_SGI_RESCHED 0
#define IRQ_HYP_TIMER   26
#define IRQ_VTIMER      27

#endif
