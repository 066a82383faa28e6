/* SPDX-License-Identifier: Apache-2.0 */
/* x86-64 micro-guest runtime, arch half (see xguest.h; the rest is common/lib.c). */
#include "xguest.h"

uint8_t guest_stacks[1][16384] __attribute__((aligned(16)));
const struct hvm_start_info_g *start_info;
bool (*exception_hook)(struct xframe *f);
void (*irq_hook)(unsigned vector);
extern const uint64_t guest_xstubs[48];
static uint64_t idt[48 * 2] __attribute__((aligned(16)));
static struct {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed)) idtr;

void guest_start(const struct hvm_start_info_g *si);
void guest_exception(struct xframe *f);

/* probe_*: where a probed access resumes if it faults, and what it raised. */
uint64_t guest_probe_resume;
static volatile int probe_vector;

void guest_exception(struct xframe *f)
{
    if (f->vector < 32 && guest_probe_resume) {
        probe_vector = (int)f->vector;
        f->rip = guest_probe_resume;
        guest_probe_resume = 0;
        return;
    }
    if (f->vector >= 32) {
        if (irq_hook)
            irq_hook((unsigned)f->vector);
        return;
    }
    if (exception_hook && exception_hook(f))
        return;
    gprintf("guest exception %lu (error %lx) at rip %lx\n", f->vector, f->error, f->rip);
    shutdown(SHUTDOWN_crash);
}

void guest_start(const struct hvm_start_info_g *si)
{
    start_info = si;
    for (unsigned v = 0; v < 48; v++) {
        uint64_t h = guest_xstubs[v];
        idt[v * 2] = (h & 0xFFFF) | (0x08ULL << 16) | (0x8EULL << 40) | ((h >> 16) & 0xFFFF) << 48;
        idt[v * 2 + 1] = h >> 32;
    }
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint64_t)idt;
    __asm__ volatile("lidt %0" ::"m"(idtr));
    guest_main();
    shutdown(SHUTDOWN_poweroff);
}

volatile struct shared_info *shinfo;
static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));

bool events_map(void)
{
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_shared_info, 0,
                                    (uint64_t)shinfo_page >> 12 };
    if (HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x))
        return false;
    shinfo = (volatile struct shared_info *)shinfo_page;
    return true;
}

bool dom_info(domid_t d, struct hv_domctl_getdomaininfo *gi)
{
    struct hv_domctl op;
    if (domctl(&op, XEN_DOMCTL_getdomaininfo, d))
        return false;
    *gi = op.u.getdomaininfo;
    return true;
}

bool wait_shutdown(domid_t d, struct hv_domctl_getdomaininfo *gi)
{
    for (int i = 0; i < 1000000; i++) {
        if (!dom_info(d, gi))
            return false;
        if (gi->flags & HV_DOMINF_shutdown)
            return true;
        yield();
    }
    return false;
}

long set_callback_vector(unsigned vector)
{
    struct {
        domid_t domid;
        uint16_t pad;
        uint32_t index;
        uint64_t value;
    } p = { DOMID_SELF, 0, 0 /* HVM_PARAM_CALLBACK_IRQ */, (2ULL << 56) | vector };
    return hcall(34 /* hvm_op */, 0 /* HVMOP_set_param */, (unsigned long)&p, 0, 0, 0);
}

uint64_t sys_ns(void)
{
    struct vcpu_runstate_info ri;
    if (HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &ri))
        return 0;
    return ri.state_entry_time;
}

uint64_t wait_ns(uint64_t ns)
{
    uint64_t t0 = sys_ns(), t;
    while ((t = sys_ns()) - t0 < ns)
        yield();
    return t - t0;
}

uint64_t dom_cpu_ns(domid_t d)
{
    struct hv_domctl_getdomaininfo gi;
    return dom_info(d, &gi) ? gi.cpu_time : 0;
}

bool destroy(domid_t d)
{
    struct hv_domctl op;
    return domctl(&op, XEN_DOMCTL_destroydomain, d) == 0 &&
           domctl(&op, XEN_DOMCTL_getdomaininfo, d) == -XEN_ESRCH;
}

uint64_t rdtsc_g(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t tsc_khz(void)
{
    uint32_t r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0x40000003), "c"(0));
    return r[2] ? r[2] : 1000000;
}

/* ---- secondary vCPUs ---- */

extern uint8_t g_pml4[];
extern char guest_ap32[], guest_ap64[];
void guest_ap_start(unsigned id);
static uint8_t ap_stacks[GUEST_MAX_VCPUS][8192] __attribute__((aligned(16)));
static void (*ap_fn[GUEST_MAX_VCPUS])(unsigned);

void guest_ap_start(unsigned id)
{
    __asm__ volatile("lidt %0" ::"m"(idtr));
    if (id < GUEST_MAX_VCPUS && ap_fn[id])
        ap_fn[id](id);
    HYPERVISOR_vcpu_op(VCPUOP_down, id, 0);
}

void vcpu_ctx(struct vcpu_hvm_context *c, unsigned id, bool mode32)
{
    memset(c, 0, sizeof(*c));
    uint64_t sp = (uint64_t)ap_stacks[id % GUEST_MAX_VCPUS] + sizeof(ap_stacks[0]);
    if (mode32) {
        struct vcpu_hvm_x86_32 *r = &c->cpu_regs.x86_32;
        c->mode = VCPU_HVM_MODE_32B;
        r->eip = (uint32_t)(uint64_t)guest_ap32;
        r->esp = (uint32_t)sp;
        r->edi = id;
        r->eflags = 2;
        r->cr0 = 0x11;
        r->cs_limit = r->ds_limit = r->ss_limit = r->es_limit = 0xFFFFFFFF;
        r->cs_ar = 0xC9B;
        r->ds_ar = r->ss_ar = r->es_ar = 0xC93;
        r->tr_ar = 0x8B;
        r->tr_limit = 0x67;
    } else {
        struct vcpu_hvm_x86_64 *r = &c->cpu_regs.x86_64;
        c->mode = VCPU_HVM_MODE_64B;
        r->rip = (uint64_t)guest_ap64;
        r->rsp = sp;
        r->rdi = id;
        r->rflags = 2;
        r->cr0 = 0x80000011;
        r->cr3 = (uint64_t)g_pml4;
        r->cr4 = 0x20;
        r->efer = 0x500;
    }
}

long vcpu_start(unsigned id, void (*fn)(unsigned), bool mode32)
{
    return vcpu_start_at(id, fn, mode32, 0);
}

long vcpu_start_at(unsigned id, void (*fn)(unsigned), bool mode32, uint32_t entry32)
{
    struct vcpu_hvm_context c;
    if (id >= GUEST_MAX_VCPUS)
        return -XEN_EINVAL;
    vcpu_ctx(&c, id, mode32);
    if (mode32 && entry32)
        c.cpu_regs.x86_32.eip = entry32;
    ap_fn[id] = fn;
    barrier();
    long rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &c);
    return rc ? rc : HYPERVISOR_vcpu_op(VCPUOP_up, id, 0);
}

int probe_store8(volatile uint8_t *p, uint8_t val)
{
    probe_vector = -1;
    __asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
                     "mov %%rcx, guest_probe_resume(%%rip)\n\t"
                     "movb %b1, (%0)\n"
                     "1:\tmovq $0, guest_probe_resume(%%rip)"
                     :: "r"(p), "q"(val) : "rcx", "memory");
    return probe_vector;
}
