/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD-V: per-CPU SVM enable, VMCBs, the per-pCPU run loop and the exit
 * handlers.  Guests are PVH: 32-bit protected mode at entry, nested paging
 * for isolation, hypercalls by VMMCALL with Xen's numbering into the common
 * dispatcher.  Exits are kept few (TCG makes each one expensive): no guest
 * tick, no virtual APIC, every port and MSR intercepted but none polled.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <public/xen.h>
#include <asm/vmcb.h>
#include <asm/x86.h>
#include <x86/insn.h>
#include <x86/mmio.h>
#include <x86/gwalk.h>

#define ASID_BASE 1
#define MSR_XEN_HYPERCALL_PAGE 0x40000000

/* One VMCB page per possible vCPU; intercept maps shared by all. */
static struct vmcb vmcbs[HV_MAX_DOMAINS * HV_MAX_VCPUS] __attribute__((aligned(4096)));
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096)));
static uint8_t hsave[HV_MAX_PCPUS][4096] __attribute__((aligned(4096)));
static uint8_t host_vmsave[HV_MAX_PCPUS][4096] __attribute__((aligned(4096)));

static uint64_t va_to_pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;   /* identity map */
}

void svm_cpu_init(struct pcpu *p)
{
    uint32_t r[4];
    cpuid(0x80000001, 0, r);
    if (!(r[2] & (1u << 2)))
        panic("no AMD-V (SVM) on this CPU (QEMU: -cpu qemu64,+svm,+npt)\n");
    cpuid(0x8000000A, 0, r);
    if (!(r[3] & 1u))
        panic("no nested paging (QEMU: -cpu qemu64,+svm,+npt)\n");
    if (p->id == 0) {
        memset(iopm, 0xff, sizeof(iopm));
        memset(msrpm, 0xff, sizeof(msrpm));
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    p->host_save_pa = va_to_pa(hsave[p->id]);
    p->host_vmsave_pa = va_to_pa(host_vmsave[p->id]);
    wrmsr(MSR_VM_HSAVE_PA, p->host_save_pa);
}

static void set_seg(struct vmcb *vm, unsigned seg, uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    *vmcb16(vm, seg + SEG_SEL) = sel;
    *vmcb16(vm, seg + SEG_ATTR) = attr;
    *vmcb32(vm, seg + SEG_LIMIT) = limit;
    *vmcb64(vm, seg + SEG_BASE) = base;
}

int arch_domain_init(struct domain *d)
{
    d->vmid = (uint16_t)(d->domid + ASID_BASE);
    d->arch.asid = d->vmid;
    d->arch.upcall_vector = 0;
    return 0;
}

/*
 * Flushes the domain's ASID everywhere it may be cached: each vCPU flushes
 * on its next VMRUN.  A vCPU running right now on another pCPU is kicked
 * so that VMRUN comes soon.
 */
void arch_domain_flush_tlb(struct domain *d)
{
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        __atomic_store_n(&v->arch.flush_tlb, true, __ATOMIC_RELEASE);
        int on = __atomic_load_n(&v->running_on, __ATOMIC_ACQUIRE);
        if (on >= 0 && (unsigned)on != arch_cpu_id())
            arch_kick_cpu((unsigned)on);
    }
}

/* PVH reset state: flat 32-bit protected mode, paging off (Xen's PVH ABI). */
void arch_vcpu_init(struct vcpu *v)
{
    struct domain *d = v->domain;
    struct vmcb *vm = &vmcbs[(d - domains) * HV_MAX_VCPUS + v->id];
    memset(vm, 0, sizeof(*vm));
    memset(&v->arch.regs, 0, sizeof(v->arch.regs));
    memset(v->arch.fpu, 0, sizeof(v->arch.fpu));
    *(uint16_t *)&v->arch.fpu[0] = 0x37F;             /* FCW after FNINIT */
    *(uint32_t *)&v->arch.fpu[24] = 0x1F80;           /* MXCSR reset value */
    v->arch.vmcb = vm;
    v->arch.vmcb_pa = va_to_pa(vm);
    v->arch.last_pcpu = -1;
    v->arch.flush_tlb = true;
    v->arch.evtchn_pending = false;
    *vmcb32(vm, VMCB_INTERCEPT_MISC1) = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_INIT |
                                        INTERCEPT_CPUID | INTERCEPT_INVD | INTERCEPT_HLT |
                                        INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
    *vmcb32(vm, VMCB_INTERCEPT_MISC2) = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD |
                                        INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI |
                                        INTERCEPT_SKINIT;
    *vmcb64(vm, VMCB_IOPM_BASE) = va_to_pa(iopm);
    *vmcb64(vm, VMCB_MSRPM_BASE) = va_to_pa(msrpm);
    *vmcb32(vm, VMCB_ASID) = d->arch.asid ? d->arch.asid : (uint32_t)d->domid + ASID_BASE;
    *vmcb64(vm, VMCB_VINTR) = VINTR_MASKING;
    *vmcb64(vm, VMCB_NP_ENABLE) = 1;
    set_seg(vm, VMCB_CS, 0x08, 0xC9B, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_DS, 0x10, 0xC93, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_ES, 0x10, 0xC93, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_SS, 0x10, 0xC93, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_FS, 0x10, 0xC93, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_GS, 0x10, 0xC93, 0xFFFFFFFF, 0);
    set_seg(vm, VMCB_TR, 0x18, 0x8B, 0x67, 0);
    set_seg(vm, VMCB_LDTR, 0, 0x82, 0, 0);
    set_seg(vm, VMCB_GDTR, 0, 0, 0, 0);
    set_seg(vm, VMCB_IDTR, 0, 0, 0x3FF, 0);
    *vmcb64(vm, VMCB_CR0) = 0x11;                     /* PE, ET */
    *vmcb64(vm, VMCB_CR4) = 0;
    *vmcb64(vm, VMCB_EFER) = EFER_SVME;               /* VMRUN requires it in the guest's EFER */
    *vmcb64(vm, VMCB_RFLAGS) = 0x2;
    *vmcb64(vm, VMCB_DR6) = 0xFFFF0FF0;
    *vmcb64(vm, VMCB_DR7) = 0x400;
    *vmcb64(vm, VMCB_GPAT) = 0x0007040600070406ULL;
}

void arch_vcpu_set_entry(struct vcpu *v, uint64_t pc, uint64_t x0, uint64_t sp)
{
    *vmcb64(v->arch.vmcb, VMCB_RIP) = pc;
    *vmcb64(v->arch.vmcb, VMCB_RSP) = sp;
    v->arch.regs.rbx = x0;   /* PVH: hvm_start_info physical address */
}

/*
 * The upcall itself is injected at the next VMRUN (see upcall_prepare); a
 * vCPU running on another pCPU is kicked so that VMRUN comes soon.
 */
void arch_vcpu_raise_evtchn(struct vcpu *v)
{
    __atomic_store_n(&v->arch.evtchn_pending, true, __ATOMIC_RELEASE);
    int on = __atomic_load_n(&v->running_on, __ATOMIC_ACQUIRE);
    if (on >= 0 && (unsigned)on != arch_cpu_id())
        arch_kick_cpu((unsigned)on);
}

/* No virtual APIC: the only interrupt a guest gets is the event-channel callback vector. */
bool arch_vcpu_irq_pending(const struct vcpu *v)
{
    return v->domain->arch.upcall_vector && v->vcpu_info &&
           __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

/* ---- guest memory ---- */

static int gpa_to_hpa(struct domain *d, uint64_t gpa, bool write, uint64_t *hpa)
{
    bool w;
    if (p2m_lookup(&d->p2m, gpa, hpa, NULL, &w))
        return -EFAULT;
    return write && !w ? -EFAULT : 0;
}

/* Reads a guest page-table entry through the NPT (x86/gwalk.h's callback). */
static int read_gpte(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    uint64_t hpa;
    if ((gpa & (size - 1)) || gpa_to_hpa(ctx, gpa, false, &hpa))
        return -EFAULT;
    *val = size == 8 ? __atomic_load_n((uint64_t *)pa_to_va(hpa), __ATOMIC_RELAXED)
                     : __atomic_load_n((uint32_t *)pa_to_va(hpa), __ATOMIC_RELAXED);
    return 0;
}

/* Guest-virtual to guest-physical through the guest's own tables, in whatever paging mode it is in. */
static int gva_to_gpa(struct vcpu *v, uint64_t gva, bool write, uint64_t *gpa)
{
    struct vmcb *vm = v->arch.vmcb;
    struct gwalk_regs r = { *vmcb64(vm, VMCB_CR0), *vmcb64(vm, VMCB_CR3), *vmcb64(vm, VMCB_CR4),
                            *vmcb64(vm, VMCB_EFER) };
    return gwalk(&r, gva, write, read_gpte, v->domain, gpa);
}

static int copy_guest(struct vcpu *v, uint64_t gva, void *buf, size_t n, bool to_guest)
{
    uint8_t *b = buf;
    while (n) {
        size_t chunk = MIN(n, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
        uint64_t gpa, hpa;
        if (gva_to_gpa(v, gva, to_guest, &gpa) || gpa_to_hpa(v->domain, gpa, to_guest, &hpa))
            return -EFAULT;
        if ((hpa & (PAGE_SIZE - 1)) + chunk > PAGE_SIZE)
            chunk = PAGE_SIZE - (hpa & (PAGE_SIZE - 1));
        if (to_guest)
            memcpy(pa_to_va(hpa), b, chunk);
        else
            memcpy(b, pa_to_va(hpa), chunk);
        b += chunk;
        gva += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_from_guest(void *dst, uint64_t gva, size_t n)
{
    struct vcpu *v = arch_current();
    return v ? copy_guest(v, gva, dst, n, false) : -EFAULT;
}

int copy_to_guest(uint64_t gva, const void *src, size_t n)
{
    struct vcpu *v = arch_current();
    return v ? copy_guest(v, gva, (void *)src, n, true) : -EFAULT;
}

/* ---- exits ---- */

static void inject_exception(struct vcpu *v, unsigned vec, bool has_error, uint32_t error)
{
    uint64_t ev = vec | EVENTINJ_EXC | EVENTINJ_VALID;
    if (has_error)
        ev |= EVENTINJ_EV | ((uint64_t)error << 32);
    *vmcb64(v->arch.vmcb, VMCB_EVENTINJ) = ev;
}

static bool guest_long_mode(struct vmcb *vm)
{
    return (*vmcb64(vm, VMCB_EFER) & EFER_LMA) && (*vmcb16(vm, VMCB_CS + SEG_ATTR) & (1u << 9));
}

/*
 * Decodes the instruction at the guest's RIP and checks it is `want`;
 * returns its length, or 0 (after crashing the domain) if the bytes
 * cannot be read or are something else.
 */
static unsigned insn_len(struct vcpu *v, enum insn_op want)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t rip = *vmcb64(vm, VMCB_RIP) + *vmcb64(vm, VMCB_CS + SEG_BASE);
    if (!guest_long_mode(vm))
        rip &= 0xFFFFFFFFULL;
    uint8_t bytes[INSN_MAX_LEN];
    size_t n = 0;
    /* Read what is mapped, up to 15 bytes (the instruction may end a page early). */
    while (n < sizeof(bytes) && !copy_guest(v, rip + n, &bytes[n], 1, false))
        n++;
    struct insn in;
    if (insn_decode(bytes, n, guest_long_mode(vm), &in) || in.op != want) {
        printk("d%uv%u: cannot decode the exiting instruction at %lx\n", v->domain->domid, v->id, rip);
        domain_crash(v->domain, "undecodable exiting instruction");
        return 0;
    }
    return in.len;
}

static void advance(struct vcpu *v, unsigned len)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t rip = *vmcb64(vm, VMCB_RIP) + len;
    if (!guest_long_mode(vm))
        rip &= 0xFFFFFFFFULL;
    *vmcb64(vm, VMCB_RIP) = rip;
    *vmcb64(vm, VMCB_INT_SHADOW) = 0;
}

static void handle_cpuid(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    unsigned len = insn_len(v, INSN_CPUID);
    if (!len)
        return;
    uint32_t leaf = (uint32_t)*vmcb64(vm, VMCB_RAX), sub = (uint32_t)v->arch.regs.rcx, r[4] = { 0 };
    if ((leaf & 0xFFFF0000u) == 0x40000000u) {
        /* Xen's leaves: signature, version, hypercall page MSR. */
        switch (leaf) {
        case 0x40000000: r[0] = 0x40000003; r[1] = 0x566e6558; r[2] = 0x65584d4d; r[3] = 0x4d4d566e; break;
        case 0x40000001: r[0] = (4u << 16) | 17; break;
        case 0x40000002: r[0] = 1; r[1] = MSR_XEN_HYPERCALL_PAGE; break;
        case 0x40000003:   /* time: sub-leaf 0 ECX = guest TSC kHz (no TSC scaling or offset) */
            if (sub == 0)
                r[2] = (uint32_t)(tsc_hz / 1000);
            break;
        default: break;
        }
    } else {
        cpuid(leaf, sub, r);
        if (leaf == 1) {
            r[2] &= ~((1u << 5) | (1u << 3) | (1u << 21));   /* no VMX, MONITOR, x2APIC */
            r[2] |= 1u << 31;                                /* running under a hypervisor */
            r[3] &= ~(1u << 9);                              /* no (virtual) local APIC yet */
            r[1] = (r[1] & 0x00FFFFFF) | (v->id << 24);
        } else if (leaf == 0x80000001) {
            r[2] &= ~(1u << 2);                              /* no nested SVM */
        } else if (leaf == 0x8000000A) {
            r[0] = r[1] = r[2] = r[3] = 0;
        }
    }
    *vmcb64(vm, VMCB_RAX) = r[0];
    v->arch.regs.rbx = r[1];
    v->arch.regs.rcx = r[2];
    v->arch.regs.rdx = r[3];
    advance(v, len);
}

/* Writes Xen's hypercall page: entry i is "mov $i, %eax; vmmcall; ret". */
static int write_hypercall_page(struct vcpu *v, uint64_t gfn)
{
    uint8_t page[PAGE_SIZE];
    memset(page, 0xCC, sizeof(page));
    for (unsigned i = 0; i < PAGE_SIZE / 32; i++) {
        uint8_t *e = page + i * 32;
        e[0] = 0xB8;
        e[1] = (uint8_t)i; e[2] = 0; e[3] = 0; e[4] = 0;
        e[5] = 0x0F; e[6] = 0x01; e[7] = 0xD9;
        e[8] = 0xC3;
    }
    uint64_t hpa;
    if (gpa_to_hpa(v->domain, gfn << PAGE_SHIFT, true, &hpa))
        return -EFAULT;
    memcpy(pa_to_va(hpa), page, PAGE_SIZE);
    v->arch.hypercall_page_gfn = gfn;
    return 0;
}

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Each PAT entry must be a defined memory type: UC, WC, WT, WP, WB or UC-. */
static bool pat_valid(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

static void handle_msr(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    bool write = *vmcb64(vm, VMCB_EXITINFO1) & 1;
    unsigned len = insn_len(v, write ? INSN_WRMSR : INSN_RDMSR);
    if (!len)
        return;
    uint32_t msr = (uint32_t)v->arch.regs.rcx;
    uint64_t val = (uint32_t)*vmcb64(vm, VMCB_RAX) | (v->arch.regs.rdx << 32);
    uint64_t *field = NULL;
    switch (msr) {
    case 0xC0000100: field = vmcb64(vm, VMCB_FS + SEG_BASE); break;
    case 0xC0000101: field = vmcb64(vm, VMCB_GS + SEG_BASE); break;
    case 0xC0000102: field = vmcb64(vm, VMCB_KGSBASE); break;
    case 0xC0000081: field = vmcb64(vm, VMCB_STAR); break;
    case 0xC0000082: field = vmcb64(vm, VMCB_LSTAR); break;
    case 0xC0000083: field = vmcb64(vm, VMCB_CSTAR); break;
    case 0xC0000084: field = vmcb64(vm, VMCB_SFMASK); break;
    case 0x174: field = vmcb64(vm, VMCB_SYSENTER_CS); break;
    case 0x175: field = vmcb64(vm, VMCB_SYSENTER_ESP); break;
    case 0x176: field = vmcb64(vm, VMCB_SYSENTER_EIP); break;
    case MSR_PAT: field = vmcb64(vm, VMCB_GPAT); break;
    case MSR_EFER:
        if (write) {
            if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
                goto gp;
            /* LMA is the CPU's to set; SVME must stay on for VMRUN. */
            uint64_t lma = *vmcb64(vm, VMCB_EFER) & EFER_LMA;
            *vmcb64(vm, VMCB_EFER) = (val & ~EFER_LMA) | lma | EFER_SVME;
        } else {
            val = *vmcb64(vm, VMCB_EFER) & ~EFER_SVME;
        }
        break;
    case 0x10:   /* TSC */
        if (write)
            goto gp;
        val = rdtsc();
        break;
    case MSR_XEN_HYPERCALL_PAGE:
        if (!write) {
            val = 0;
            break;
        }
        if ((val & (PAGE_SIZE - 1)) || write_hypercall_page(v, val >> PAGE_SHIFT))
            goto gp;
        break;
    default:
        goto gp;
    }
    if (field) {
        /* Hardware #GPs these; VMRUN might refuse the state otherwise. */
        if (write && msr == MSR_PAT && !pat_valid(val))
            goto gp;
        if (write && msr >= 0xC0000100 && msr <= 0xC0000102 && !canonical(val))
            goto gp;
        if (write && (msr == 0xC0000082 || msr == 0xC0000083) && !canonical(val))
            goto gp;
        if (write)
            *field = val;
        else
            val = *field;
    }
    if (!write) {
        *vmcb64(vm, VMCB_RAX) = (uint32_t)val;
        v->arch.regs.rdx = val >> 32;
    }
    advance(v, len);
    return;
gp:
    inject_exception(v, 13, true, 0);
}

/* Every port is intercepted and none is emulated: reads float high, writes are dropped. */
static void handle_ioio(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t info = *vmcb64(vm, VMCB_EXITINFO1);
    if (info & (1u << 2)) {
        /* String I/O: the hypervisor would have to walk the buffer; refuse. */
        inject_exception(v, 13, true, 0);
        return;
    }
    if (info & 1) {
        unsigned size = (info >> 4) & 7;   /* one-hot: 1, 2 or 4 bytes */
        uint64_t mask = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
        *vmcb64(vm, VMCB_RAX) |= mask;
        if (size == 4)
            *vmcb64(vm, VMCB_RAX) &= 0xFFFFFFFFULL;
    }
    /* IOIO exits carry the next RIP in EXITINFO2, also under TCG. */
    *vmcb64(vm, VMCB_RIP) = *vmcb64(vm, VMCB_EXITINFO2);
    *vmcb64(vm, VMCB_INT_SHADOW) = 0;
}

/*
 * HVMOP_set_param/get_param for HVM_PARAM_CALLBACK_IRQ only (Xen's
 * numbering; type 2 in bits 63:56 = a vector in the low byte).  Other
 * parameters (xenstore, console rings) do not exist here: -EINVAL.
 */
#define HVMOP_set_param 0
#define HVMOP_get_param 1
#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_CALLBACK_TYPE_VECTOR 2ULL
struct xen_hvm_param {
    domid_t domid;
    uint16_t pad;
    uint32_t index;
    uint64_t value;
};

static long hvm_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    struct xen_hvm_param p;
    if (cmd != HVMOP_set_param && cmd != HVMOP_get_param)
        return -ENOSYS;
    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.domid != DOMID_SELF && p.domid != v->domain->domid)
        return -EPERM;
    if (p.index != HVM_PARAM_CALLBACK_IRQ)
        return -EINVAL;
    struct domain *d = v->domain;
    if (cmd == HVMOP_get_param) {
        p.value = d->arch.upcall_vector ? (HVM_CALLBACK_TYPE_VECTOR << 56) | d->arch.upcall_vector : 0;
        return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    if (p.value == 0) {
        d->arch.upcall_vector = 0;
        return 0;
    }
    uint64_t vec = p.value & 0xFF;
    if (p.value >> 56 != HVM_CALLBACK_TYPE_VECTOR || (p.value & 0x00FFFFFFFFFFFF00ULL) || vec < 32)
        return -EINVAL;   /* only the vector type; vectors 0-31 are exceptions */
    d->arch.upcall_vector = (uint8_t)vec;
    return 0;
}

#define __HYPERVISOR_hvm_op 34

static void handle_vmmcall(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    unsigned len = insn_len(v, INSN_VMMCALL);
    if (!len)
        return;
    advance(v, len);
    struct guest_gprs *g = &v->arch.regs;
    long rc;
    if (guest_long_mode(vm)) {
        uint64_t nr = *vmcb64(vm, VMCB_RAX);
        rc = nr == __HYPERVISOR_hvm_op ? hvm_op(v, g->rdi, g->rsi)
                                       : do_hypercall(v, nr, g->rdi, g->rsi, g->rdx, g->r10, g->r8);
        *vmcb64(vm, VMCB_RAX) = (uint64_t)rc;
    } else {
        /* 32-bit ABI: ebx, ecx, edx, esi, edi; results are 32-bit. */
        uint32_t nr = (uint32_t)*vmcb64(vm, VMCB_RAX);
        rc = nr == __HYPERVISOR_hvm_op ? hvm_op(v, (uint32_t)g->rbx, (uint32_t)g->rcx)
                                       : do_hypercall(v, nr, (uint32_t)g->rbx, (uint32_t)g->rcx,
                                                      (uint32_t)g->rdx, (uint32_t)g->rsi, (uint32_t)g->rdi);
        *vmcb64(vm, VMCB_RAX) = (uint32_t)rc;
    }
}

static void handle_hlt(struct vcpu *v)
{
    unsigned len = insn_len(v, INSN_HLT);
    if (!len)
        return;
    advance(v, len);
    spin_lock(&dom_lock);
    if (!evtchn_vcpu_has_pending(v))
        sched_block(v);
    spin_unlock(&dom_lock);
}

/* NPF exit information (EXITINFO1): the #PF-style error code and where the walk failed. */
#define NPF_WRITE (1ULL << 1)
#define NPF_FETCH (1ULL << 4)
#define NPF_GUEST_WALK (1ULL << 33)

static uint64_t *gpr(struct vcpu *v, unsigned r)
{
    struct vmcb *vm = v->arch.vmcb;
    if (r == 0)
        return vmcb64(vm, VMCB_RAX);
    if (r == 4)
        return vmcb64(vm, VMCB_RSP);
    return &((uint64_t *)&v->arch.regs)[r];   /* struct guest_gprs is in encoding order */
}

/*
 * A data access to a guest-physical hole, completed as Xen completes it
 * for a guest without a device model: a load reads all ones, a store is
 * dropped.  Only plain MOVs are decoded (x86/mmio.h); false if the
 * instruction is something else.
 */
static bool hole_access(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    bool lm = guest_long_mode(vm);
    uint64_t rip = *vmcb64(vm, VMCB_RIP) + *vmcb64(vm, VMCB_CS + SEG_BASE);
    if (!lm)
        rip &= 0xFFFFFFFFULL;
    uint8_t bytes[INSN_MAX_LEN];
    size_t n = 0;
    while (n < sizeof(bytes) && !copy_guest(v, rip + n, &bytes[n], 1, false))
        n++;
    struct mmio_op op;
    if (mmio_decode(bytes, n, lm, *vmcb16(vm, VMCB_CS + SEG_ATTR) & (1u << 10), &op))
        return false;
    if (!op.write) {
        uint64_t *r = gpr(v, op.reg);
        *r = mmio_merge(&op, *r, ~0ULL, lm);
    }
    advance(v, op.len);
    return true;
}

/*
 * Nested page faults, with Xen's outcomes for a PVH guest: a write to a
 * read-only grant mapping gets #GP; a load or store to a hole reads all
 * ones / is dropped; anything else (fetches from holes, guest page tables
 * in holes, accesses that cannot be emulated) crashes the domain.
 */
static void handle_npf(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t gpa = *vmcb64(vm, VMCB_EXITINFO2), info = *vmcb64(vm, VMCB_EXITINFO1), hpa;
    enum p2m_type t;
    bool w;
    bool mapped = p2m_lookup(&v->domain->p2m, gpa, &hpa, &t, &w) == 0;
    if (mapped && t == P2M_FOREIGN && !w && (info & NPF_WRITE) && !(info & NPF_FETCH)) {
        inject_exception(v, 13, true, 0);
        return;
    }
    /* Not while delivering an event: the access is the delivery's, not the instruction's. */
    if (!mapped && !(info & (NPF_FETCH | NPF_GUEST_WALK)) && !(*vmcb64(vm, VMCB_EVENTINJ) & EVENTINJ_VALID) &&
        hole_access(v))
        return;
    printk("d%uv%u: nested page fault at gpa %lx (error %lx, rip %lx)\n", v->domain->domid, v->id, gpa, info,
           *vmcb64(vm, VMCB_RIP));
    domain_crash(v->domain, mapped ? "invalid access to its memory" : "access outside its memory");
}

/*
 * A triple fault's report: what the guest had when its exception delivery
 * failed three times (the event being delivered, EXITINTINFO, is 0 when
 * the first fault came from the instruction at rip), and whether the
 * places delivery needs (rip, the IDT, the GDT, the stack) still
 * translate through the guest's own tables, so a log tells a guest that
 * broke its own tables or IDT from a hypervisor that corrupted its state.
 */
static void report_triple_fault(struct vcpu *v, uint64_t intinfo)
{
    struct vmcb *vm = v->arch.vmcb;
    printk("d%uv%u: triple fault at rip %lx (delivering %lx; rsp %lx rflags %lx cr0 %lx cr3 %lx cr4 %lx "
           "efer %lx idtr %lx+%x gdtr %lx+%x)\n",
           v->domain->domid, v->id, *vmcb64(vm, VMCB_RIP), intinfo, *vmcb64(vm, VMCB_RSP),
           *vmcb64(vm, VMCB_RFLAGS), *vmcb64(vm, VMCB_CR0), *vmcb64(vm, VMCB_CR3), *vmcb64(vm, VMCB_CR4),
           *vmcb64(vm, VMCB_EFER), *vmcb64(vm, VMCB_IDTR + 8), *vmcb32(vm, VMCB_IDTR + 4),
           *vmcb64(vm, VMCB_GDTR + 8), *vmcb32(vm, VMCB_GDTR + 4));
    static const char *const names[] = { "rip", "idt", "gdt", "stack" };
    const uint64_t vas[] = { *vmcb64(vm, VMCB_RIP) + *vmcb64(vm, VMCB_CS + SEG_BASE), *vmcb64(vm, VMCB_IDTR + 8),
                             *vmcb64(vm, VMCB_GDTR + 8), *vmcb64(vm, VMCB_RSP) - 8 };
    char line[160];
    int n = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t gpa, hpa;
        int t = gva_to_gpa(v, vas[i], false, &gpa);
        const char *what = t ? "unmapped by its tables" : gpa_to_hpa(v->domain, gpa, false, &hpa) ? "a hole" : "RAM";
        n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %s", i ? ", " : "", names[i], what);
        if (n >= (int)sizeof(line))
            break;
    }
    printk("d%uv%u:   %s\n", v->domain->domid, v->id, line);
}

static void handle_exit(struct pcpu *p, struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t code = *vmcb64(vm, VMCB_EXITCODE);
    /* An event whose delivery the exit interrupted is delivered again. */
    uint64_t intinfo = *vmcb64(vm, VMCB_EXITINTINFO);
    *vmcb64(vm, VMCB_EVENTINJ) = (intinfo & EVENTINJ_VALID) ? intinfo : 0;
    switch (code) {
    case EXIT_INTR:
    case EXIT_NMI:
        /* Take the pending physical interrupt through the host IDT. */
        __asm__ volatile("sti; nop; cli" ::: "memory");
        break;
    case EXIT_CPUID:
        handle_cpuid(v);
        break;
    case EXIT_MSR:
        handle_msr(v);
        break;
    case EXIT_IOIO:
        handle_ioio(v);
        break;
    case EXIT_VMMCALL:
        handle_vmmcall(v);
        break;
    case EXIT_HLT:
        handle_hlt(v);
        break;
    case EXIT_INVD:
        if (insn_len(v, INSN_INVD))
            inject_exception(v, 13, true, 0);
        break;
    case EXIT_VMRUN: case EXIT_VMLOAD: case EXIT_VMSAVE: case EXIT_STGI: case EXIT_CLGI:
    case EXIT_SKINIT:
        inject_exception(v, 6, false, 0);   /* no nested virtualisation: #UD */
        break;
    case EXIT_NPF:
        handle_npf(v);
        break;
    case EXIT_SHUTDOWN:
        report_triple_fault(v, intinfo);
        domain_crash(v->domain, "triple fault");
        break;
    case EXIT_INIT:
        break;
    default:
        printk("d%uv%u: unexpected exit %lx (info %lx %lx) at rip %lx\n", v->domain->domid, v->id, code,
               *vmcb64(vm, VMCB_EXITINFO1), *vmcb64(vm, VMCB_EXITINFO2), *vmcb64(vm, VMCB_RIP));
        domain_crash(v->domain, "invalid guest state");
        break;
    }
    (void)p;
}

/*
 * Delivers the callback vector while the vCPU's upcall is pending (it is
 * re-delivered on every entry until the guest clears
 * evtchn_upcall_pending, as Xen's HVM callback is).  If the guest can take
 * it now (IF set, no interrupt shadow, no other event being injected) it is
 * injected as an external interrupt with the entry; otherwise it is posted
 * as a virtual interrupt (V_IRQ) that the CPU delivers once IF allows.
 * Both, because QEMU's TCG only notices a V_IRQ posted by VMRUN at its next
 * translation-block exit, which a guest looping with IF set may never take.
 */
#define VINTR_V_IRQ      (1ULL << 8)
#define VINTR_PRIO_SHIFT 16
#define VINTR_IGN_TPR    (1ULL << 20)
#define VINTR_VEC_SHIFT  32
#define RFLAGS_IF        (1ULL << 9)

static void upcall_prepare(struct vcpu *v)
{
    struct vmcb *vm = v->arch.vmcb;
    uint64_t vi = *vmcb64(vm, VMCB_VINTR) & ~(VINTR_V_IRQ | (0xFULL << VINTR_PRIO_SHIFT) | VINTR_IGN_TPR |
                                             (0xFFULL << VINTR_VEC_SHIFT));
    __atomic_store_n(&v->arch.evtchn_pending, false, __ATOMIC_RELEASE);
    uint8_t vec = v->domain->arch.upcall_vector;
    if (vec && arch_vcpu_irq_pending(v)) {
        if ((*vmcb64(vm, VMCB_RFLAGS) & RFLAGS_IF) && !(*vmcb64(vm, VMCB_INT_SHADOW) & 1) &&
            !(*vmcb64(vm, VMCB_EVENTINJ) & EVENTINJ_VALID))
            *vmcb64(vm, VMCB_EVENTINJ) = vec | EVENTINJ_INTR | EVENTINJ_VALID;
        else
            vi |= VINTR_V_IRQ | (0xFULL << VINTR_PRIO_SHIFT) | VINTR_IGN_TPR |
                  ((uint64_t)vec << VINTR_VEC_SHIFT);
    }
    *vmcb64(vm, VMCB_VINTR) = vi;
}

/* ---- scheduling ---- */

static void timer_program(uint64_t deadline)
{
    apic_timer_oneshot(deadline);
}

void hv_timer_interrupt(struct pcpu *p)
{
    uint64_t now = arch_now();
    if (sched_tick(p->id, p->cur, now) || now >= p->slice_end)
        p->need_resched = true;
    timers_expire(now);
    timer_program(now + arch_ns_to_ticks(HV_TICK_US * 1000ULL));
}

static void fpu_save(struct vcpu *v)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])v->arch.fpu));
}

static void fpu_restore(struct vcpu *v)
{
    __asm__ volatile("fxrstor64 %0" ::"m"(*(uint8_t(*)[512])v->arch.fpu));
}

/*
 * Picks what this pCPU runs next.  With nothing runnable it idles in HLT
 * with interrupts open (the tick or a kick IPI wakes it); it holds no lock
 * while it does.
 */
static void schedule(struct pcpu *p)
{
    struct vcpu *prev = p->cur, *next;
    uint64_t slice_end;
    p->need_resched = false;
    if (prev)
        fpu_save(prev);
    for (;;) {
        next = sched_pick(p->id, prev, arch_now(), &slice_end);
        prev = NULL;
        if (next)
            break;
        p->cur = NULL;
        p->need_resched = false;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    p->slice_end = slice_end;
    fpu_restore(next);
    if (next != p->cur) {
        p->cur = next;
        runstate_update(next);
    }
    uint64_t tick = arch_now() + arch_ns_to_ticks(HV_TICK_US * 1000ULL);
    timer_program(MIN(tick, slice_end));
}

void start_scheduling(void)
{
    struct pcpu *p = this_pcpu();
    p->need_resched = true;
    for (;;) {
        while (p->need_resched || !p->cur || !sched_vcpu_runnable(p->cur))
            schedule(p);
        struct vcpu *v = p->cur;
        struct vmcb *vm = v->arch.vmcb;
        *vmcb64(vm, VMCB_NCR3) = v->domain->p2m.root;
        bool flush = __atomic_exchange_n(&v->arch.flush_tlb, false, __ATOMIC_ACQ_REL) ||
                     v->arch.last_pcpu != (int)p->id;
        *vmcb32(vm, VMCB_TLB_CTL) = flush ? 3 : 0;   /* 3: flush this guest's ASID */
        v->arch.last_pcpu = (int)p->id;
        *vmcb64(vm, VMCB_CLEAN) = 0;
        upcall_prepare(v);
        svm_run(v->arch.vmcb_pa, &v->arch.regs, p->host_vmsave_pa);
        handle_exit(p, v);
    }
}
