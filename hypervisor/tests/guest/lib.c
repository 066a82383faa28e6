/* SPDX-License-Identifier: Apache-2.0 */
/* Micro-guest runtime, arm64 half (see guest.h; the rest is common/lib.c). */
#include "guest.h"

uint8_t guest_stacks[4][16384] __attribute__((aligned(16)));
bool (*sync_hook)(struct gregs *r, uint64_t esr, uint64_t far) = skip_faulting_access;
void (*irq_hook)(unsigned intid);
volatile unsigned sync_faults;
struct shared_info *shinfo;
uint64_t guest_boot_dtb;
struct vcpu_info *guest_vcpu_info[4];
static void (*evt_handler)(evtchn_port_t);

void guest_cpu_main(uint64_t id);
void guest_exception(struct gregs *r, uint64_t kind);

uint64_t now_ticks(void)
{
    uint64_t v;
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

uint64_t ticks_per_sec(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

unsigned vcpu_id(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return (unsigned)(v & 0xff);
}

/* Default sync hook: count a data abort and step over the access. */
bool skip_faulting_access(struct gregs *r, uint64_t esr, uint64_t far)
{
    (void)far;
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    if (ec == 0x25 || ec == 0x24 || ec == 0x00) {
        sync_faults++;
        r->pc += 4;
        return true;
    }
    return false;
}

void guest_exception(struct gregs *r, uint64_t kind)
{
    if (kind == 0) {
        uint64_t esr, far;
        __asm__ volatile("mrs %0, esr_el1\n mrs %1, far_el1" : "=r"(esr), "=r"(far));
        if (sync_hook && sync_hook(r, esr, far))
            return;
        gprintf("unexpected exception: ESR %lx FAR %lx PC %lx\n", esr, far, r->pc);
        shutdown(SHUTDOWN_crash);
    } else if (kind == 1) {
        uint64_t iar;
        __asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(iar));   /* ICC_IAR1_EL1 */
        unsigned intid = (unsigned)(iar & 0xffffff);
        if (intid >= 1020)
            return;
        struct vcpu_info *vi = guest_vcpu_info[vcpu_id() & 3];
        if (intid == GUEST_EVTCHN_PPI && evt_handler && shinfo && vi) {
            WRITE_ONCE(vi->evtchn_upcall_pending, 0);
            uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
            while (sel) {
                unsigned w = (unsigned)__builtin_ctzll(sel);
                sel &= sel - 1;
                uint64_t bits = READ_ONCE(shinfo->evtchn_pending[w]) & ~READ_ONCE(shinfo->evtchn_mask[w]);
                while (bits) {
                    unsigned b = (unsigned)__builtin_ctzll(bits);
                    bits &= bits - 1;
                    __atomic_fetch_and(&shinfo->evtchn_pending[w], ~(1ULL << b), __ATOMIC_SEQ_CST);
                    evt_handler(w * 64 + b);
                }
            }
        }
        if (irq_hook)
            irq_hook(intid);
        __asm__ volatile("msr S3_0_C12_C12_1, %0\n isb" ::"r"(iar));   /* ICC_EOIR1_EL1 */
    } else {
        gprintf("unexpected exception kind %lu\n", kind);
        shutdown(SHUTDOWN_crash);
    }
}

void gic_enable_ppi(unsigned intid)
{
    volatile uint32_t *isenabler =
        (volatile uint32_t *)(GUEST_GICV3_GICR0_BASE + vcpu_id() * GUEST_GICV3_GICR_STRIDE + 0x10100);
    *isenabler = 1U << intid;
}

void irqs_enable(void)
{
    __asm__ volatile("msr S3_0_C4_C6_0, %0\n"      /* ICC_PMR_EL1 */
                     "msr S3_0_C12_C12_7, %1\n"    /* ICC_IGRPEN1_EL1 */
                     "isb\n msr daifclr, #2" ::"r"(0xffUL), "r"(1UL) : "memory");
}

/* shared_info goes into the magic window, away from RAM. */
void events_init(void (*handler)(evtchn_port_t), bool use_irq)
{
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_shared_info, 0,
                                    GUEST_MAGIC_BASE >> 12 };
    if (HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x)) {
        gprintf("cannot map shared_info\n");
        shutdown(SHUTDOWN_crash);
    }
    shinfo = (struct shared_info *)GUEST_MAGIC_BASE;
    guest_vcpu_info[0] = &shinfo->vcpu_info[0];
    evt_handler = handler;
    if (use_irq) {
        gic_enable_ppi(GUEST_EVTCHN_PPI);
        irqs_enable();
    }
}

void evtchn_unmask(evtchn_port_t p)
{
    struct evtchn_unmask u = { p };
    __atomic_fetch_and(&shinfo->evtchn_mask[p / 64], ~(1ULL << (p % 64)), __ATOMIC_SEQ_CST);
    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

void guest_cpu_main(uint64_t id)
{
    if (id == 0) {
        guest_main();
        shutdown(SHUTDOWN_poweroff);
    }
    if (guest_secondary_main)
        guest_secondary_main((unsigned)id);
    psci(PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}
