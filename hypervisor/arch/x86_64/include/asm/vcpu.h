/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 per-vCPU and per-domain state.  Most guest state lives in the
 * vCPU's VMCB (a page of the static VMCB pool); the general registers the
 * VMCB does not hold are saved by svm_run around VMRUN.
 */
#ifndef ASM_VCPU_H
#define ASM_VCPU_H

#include <stdint.h>
#include <stdbool.h>

/* Order fixed by entry.S (offsets 8 * index); rax and rsp live in the VMCB. */
struct guest_gprs {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct arch_vcpu {
    struct guest_gprs regs;
    struct vmcb *vmcb;
    uint64_t vmcb_pa;
    int last_pcpu;           /* where it last ran: moving flushes its ASID */
    bool flush_tlb;
    bool evtchn_pending;     /* upcall vector to inject */
    uint64_t hypercall_page_gfn;
    uint8_t fpu[512] __attribute__((aligned(16)));   /* FXSAVE image */
};

struct arch_domain {
    uint32_t asid;
    uint8_t upcall_vector;   /* HVM_PARAM_CALLBACK_IRQ vector, 0 = none */
};

#endif
