/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VCPUOP_initialise for PVH guests: Xen's vcpu_hvm_context, in 32-bit
 * protected mode (segments given) or 64-bit mode (flat segments implied).
 * The state is checked here, the way VMRUN would check it, so that a bad
 * context is refused with -EINVAL instead of failing VMRUN later.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <public/xen.h>
#include <public/arch-x86.h>
#include <asm/vmcb.h>
#include <asm/x86.h>

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_NW (1ULL << 29)
#define CR0_CD (1ULL << 30)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_ALLOWED 0x7FFULL            /* VME..OSXMMEXCPT: what qemu64 offers */
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RFLAGS_FIXED1 (1ULL << 1)
#define RFLAGS_ALLOWED 0x3D7FD5ULL      /* defined flags, minus the fixed ones and VM */

/* Segment attribute bits (VMCB format). */
#define AR_TYPE_CODE (1u << 3)
#define AR_TYPE_WR   (1u << 1)
#define AR_S         (1u << 4)
#define AR_P         (1u << 7)
#define AR_L         (1u << 9)
#define AR_DB        (1u << 10)
#define AR_G         (1u << 11)

static void seg(struct vmcb *vm, unsigned s, uint16_t attr, uint32_t limit, uint64_t base)
{
    *vmcb16(vm, s + SEG_SEL) = 0;
    *vmcb16(vm, s + SEG_ATTR) = attr;
    *vmcb32(vm, s + SEG_LIMIT) = limit;
    *vmcb64(vm, s + SEG_BASE) = base;
}

static bool cr_ok(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
    if ((cr0 >> 32) || !(cr0 & CR0_PE) || ((cr0 & CR0_NW) && !(cr0 & CR0_CD)))
        return false;
    if ((cr4 & ~CR4_ALLOWED) || (cr3 >> 52) || (efer & ~EFER_ALLOWED))
        return false;
    /* LMA follows LME and paging; long mode needs PAE. */
    bool lma = (efer & EFER_LME) && (cr0 & CR0_PG);
    if (lma != !!(efer & EFER_LMA) || (lma && !(cr4 & CR4_PAE)))
        return false;
    return true;
}

/* A segment's limit must agree with its granularity bit (VMRUN checks this). */
static bool limit_ok(uint16_t ar, uint32_t limit)
{
    return (ar & AR_G) ? (limit & 0xFFF) == 0xFFF : !(limit >> 20);
}

static bool seg32_ok(uint16_t ar, uint32_t limit, bool code, bool may_be_null)
{
    if (ar & 0xF000)
        return false;
    if (!(ar & AR_P))
        return may_be_null && ar == 0;
    if (!(ar & AR_S) || (ar & AR_L) || !limit_ok(ar, limit))
        return false;
    return code ? (ar & AR_TYPE_CODE) : !(ar & AR_TYPE_CODE) && (ar & AR_TYPE_WR);
}

long arch_vcpu_initialise(struct vcpu *v, uint64_t arg)
{
    struct vcpu_hvm_context c;
    if (copy_from_guest(&c, arg, sizeof(c)))
        return -EFAULT;
    if (c.pad)
        return -EINVAL;
    if (c.mode == VCPU_HVM_MODE_64B) {
        const struct vcpu_hvm_x86_64 *r = &c.cpu_regs.x86_64;
        if (!cr_ok(r->cr0, r->cr3, r->cr4, r->efer) || !(r->efer & EFER_LMA) ||
            (r->rflags & ~(RFLAGS_ALLOWED | RFLAGS_FIXED1)) ||
            (uint64_t)((int64_t)(r->rip << 16) >> 16) != r->rip)
            return -EINVAL;
    } else if (c.mode == VCPU_HVM_MODE_32B) {
        const struct vcpu_hvm_x86_32 *r = &c.cpu_regs.x86_32;
        /* 32-bit entry with paging off or legacy/PAE paging; not compatibility mode. */
        if (!cr_ok(r->cr0, r->cr3, r->cr4, r->efer) || (r->efer & (EFER_LME | EFER_LMA)) ||
            (r->eflags & ~(RFLAGS_ALLOWED | RFLAGS_FIXED1)) ||
            !seg32_ok(r->cs_ar, r->cs_limit, true, false) || !(r->cs_ar & AR_DB) ||
            !seg32_ok(r->ss_ar, r->ss_limit, false, false) ||
            !seg32_ok(r->ds_ar, r->ds_limit, false, true) ||
            !seg32_ok(r->es_ar, r->es_limit, false, true) ||
            (r->tr_ar && ((r->tr_ar & 0xFF) != 0x8B || !limit_ok(r->tr_ar, r->tr_limit))) ||
            r->eip > (r->cs_ar & AR_G ? 0xFFFFFFFFu : r->cs_limit))
            return -EINVAL;
    } else {
        return -EINVAL;
    }

    spin_lock(&dom_lock);
    if (v->initialised || v->online) {
        spin_unlock(&dom_lock);
        return -EEXIST;
    }
    arch_vcpu_init(v);
    struct vmcb *vm = v->arch.vmcb;
    struct guest_gprs *g = &v->arch.regs;
    if (c.mode == VCPU_HVM_MODE_64B) {
        const struct vcpu_hvm_x86_64 *r = &c.cpu_regs.x86_64;
        seg(vm, VMCB_CS, 0xA9B, 0xFFFFFFFF, 0);   /* 64-bit code */
        seg(vm, VMCB_DS, 0xC93, 0xFFFFFFFF, 0);
        seg(vm, VMCB_ES, 0xC93, 0xFFFFFFFF, 0);
        seg(vm, VMCB_SS, 0xC93, 0xFFFFFFFF, 0);
        seg(vm, VMCB_FS, 0xC93, 0xFFFFFFFF, 0);
        seg(vm, VMCB_GS, 0xC93, 0xFFFFFFFF, 0);
        seg(vm, VMCB_TR, 0x8B, 0x67, 0);
        *vmcb64(vm, VMCB_RAX) = r->rax;
        g->rcx = r->rcx; g->rdx = r->rdx; g->rbx = r->rbx;
        g->rbp = r->rbp; g->rsi = r->rsi; g->rdi = r->rdi;
        *vmcb64(vm, VMCB_RSP) = r->rsp;
        *vmcb64(vm, VMCB_RIP) = r->rip;
        *vmcb64(vm, VMCB_RFLAGS) = r->rflags | RFLAGS_FIXED1;
        *vmcb64(vm, VMCB_CR0) = r->cr0 | CR0_ET;
        *vmcb64(vm, VMCB_CR3) = r->cr3;
        *vmcb64(vm, VMCB_CR4) = r->cr4;
        *vmcb64(vm, VMCB_EFER) = r->efer | EFER_SVME;
    } else {
        const struct vcpu_hvm_x86_32 *r = &c.cpu_regs.x86_32;
        seg(vm, VMCB_CS, r->cs_ar, r->cs_limit, r->cs_base);
        seg(vm, VMCB_DS, r->ds_ar, r->ds_limit, r->ds_base);
        seg(vm, VMCB_ES, r->es_ar, r->es_limit, r->es_base);
        seg(vm, VMCB_SS, r->ss_ar, r->ss_limit, r->ss_base);
        seg(vm, VMCB_FS, r->ds_ar, r->ds_limit, r->ds_base);
        seg(vm, VMCB_GS, r->ds_ar, r->ds_limit, r->ds_base);
        if (r->tr_ar)
            seg(vm, VMCB_TR, r->tr_ar, r->tr_limit, r->tr_base);
        *vmcb64(vm, VMCB_RAX) = r->eax;
        g->rcx = r->ecx; g->rdx = r->edx; g->rbx = r->ebx;
        g->rbp = r->ebp; g->rsi = r->esi; g->rdi = r->edi;
        *vmcb64(vm, VMCB_RSP) = r->esp;
        *vmcb64(vm, VMCB_RIP) = r->eip;
        *vmcb64(vm, VMCB_RFLAGS) = r->eflags | RFLAGS_FIXED1;
        *vmcb64(vm, VMCB_CR0) = r->cr0 | CR0_ET;
        *vmcb64(vm, VMCB_CR3) = r->cr3;
        *vmcb64(vm, VMCB_CR4) = r->cr4;
        *vmcb64(vm, VMCB_EFER) = r->efer | EFER_SVME;
    }
    __atomic_store_n(&v->initialised, true, __ATOMIC_RELEASE);
    spin_unlock(&dom_lock);
    return 0;
}
