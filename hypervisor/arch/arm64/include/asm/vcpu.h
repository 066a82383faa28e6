/* SPDX-License-Identifier: Apache-2.0 */
/* Arm64 per-vCPU and per-domain state: the full EL1 context plus vGIC. */
#ifndef ASM_VCPU_H
#define ASM_VCPU_H

#include <stdint.h>
#include <stdbool.h>

/* The trap frame pushed by the vectors; layout shared with entry.S. */
struct cpu_regs {
    uint64_t x[31];
    uint64_t pc;       /* ELR_EL2 */
    uint64_t pstate;   /* SPSR_EL2 */
    uint64_t pad;
};
#define FRAME_SIZE 272

#define VGIC_MAX_LRS 4

struct arch_vcpu {
    struct cpu_regs regs;
    /* EL1 system registers, saved when the vCPU leaves its pCPU. */
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1;
    uint64_t elr_el1, spsr_el1, esr_el1, far_el1, afsr0, afsr1, par, cpacr, csselr;
    uint64_t cntkctl, cntv_ctl, cntv_cval, vmpidr, mdscr;
    __uint128_t fpregs[32];
    uint64_t fpsr, fpcr;
    /* Virtual GIC: SGI/PPI state of this vCPU's redistributor. */
    uint32_t virq_enabled;
    uint32_t virq_pending;          /* raised, not yet in a list register */
    uint8_t virq_prio[32];
    uint64_t lr[VGIC_MAX_LRS];
    uint64_t vmcr, ap1r0;
};

struct arch_domain {
    uint32_t gicd_ctlr;
};

#endif
