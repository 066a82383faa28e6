/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 PVH guest memory map: RAM from guest-physical 0, as Xen's PVH guests
 * see it; the start info page sits at 0x1000 and images load at 1 MiB.
 */
#ifndef HV_PUBLIC_ARCH_X86_H
#define HV_PUBLIC_ARCH_X86_H

#include <stdint.h>

#define GUEST_RAM0_BASE          0x00000000UL
#define GUEST_RAM0_SIZE          0xC0000000UL
#define GUEST_PVH_START_INFO     0x00001000UL
#define GUEST_PVH_IMAGE_BASE     0x00100000UL

/*
 * VCPUOP_initialise's argument on x86 (Xen's vcpu_hvm_context): a vCPU
 * starts in flat 32-bit protected mode (segments given, attributes in the
 * VMCB's 12-bit format) or in 64-bit mode (flat segments implied).
 */
#define VCPU_HVM_MODE_32B 0
#define VCPU_HVM_MODE_64B 1

struct vcpu_hvm_x86_32 {
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags;
    uint32_t cr0, cr3, cr4;
    uint32_t pad1;
    uint64_t efer;
    uint32_t cs_base, ds_base, ss_base, es_base, tr_base;
    uint32_t cs_limit, ds_limit, ss_limit, es_limit, tr_limit;
    uint16_t cs_ar, ds_ar, ss_ar, es_ar, tr_ar;
    uint16_t pad2[3];
};

struct vcpu_hvm_x86_64 {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, rip, rflags;
    uint64_t cr0, cr3, cr4, efer;
};

struct vcpu_hvm_context {
    uint32_t mode;
    uint32_t pad;
    union {
        struct vcpu_hvm_x86_32 x86_32;
        struct vcpu_hvm_x86_64 x86_64;
    } cpu_regs;
};

#endif
