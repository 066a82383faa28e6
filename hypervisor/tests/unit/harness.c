/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>

int harness_failures;
uint64_t harness_now = 1000;
unsigned harness_cpu;
unsigned harness_nr_cpus = 2;
unsigned harness_kicks;
long harness_pages_live;
static uint8_t *win_base;
static size_t win_len;
static struct vcpu *current_v;

uint64_t arch_now(void) { return harness_now; }
uint64_t arch_ticks_to_ns(uint64_t t) { return t; }
uint64_t arch_ns_to_ticks(uint64_t ns) { return ns; }
unsigned int arch_cpu_id(void) { return harness_cpu; }
unsigned int arch_nr_cpus(void) { return harness_nr_cpus; }
void arch_kick_cpu(unsigned int cpu) { (void)cpu; harness_kicks++; }
struct vcpu *arch_current(void) { return current_v; }
int arch_domain_init(struct domain *d) { d->vmid = (uint16_t)(d->domid + 1); return 0; }
void arch_domain_flush_tlb(struct domain *d) { (void)d; }
void arch_vcpu_init(struct vcpu *v) { v->arch.evtchn_irqs = 0; }
void arch_vcpu_set_entry(struct vcpu *v, uint64_t pc, uint64_t x0, uint64_t sp)
{
    (void)v; (void)pc; (void)x0; (void)sp;
}
long arch_vcpu_initialise(struct vcpu *v, uint64_t arg) { (void)v; (void)arg; return -ENOSYS; }
void arch_vcpu_raise_evtchn(struct vcpu *v) { v->arch.evtchn_irqs++; }
bool arch_vcpu_irq_pending(const struct vcpu *v) { (void)v; return false; }
void arch_console_write(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
void arch_system_off(void) { printf("(system off)\n"); exit(harness_failures ? 1 : 0); }
void *pa_to_va(uint64_t pa) { return (void *)(uintptr_t)pa; }

uint64_t alloc_zeroed_page(void)
{
    void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    if (!p)
        return 0;
    memset(p, 0, PAGE_SIZE);
    harness_pages_live++;
    return (uint64_t)(uintptr_t)p;
}

void free_page(uint64_t pa)
{
    harness_pages_live--;
    free((void *)(uintptr_t)pa);
}

const struct p2m_ops hv_p2m_ops = { alloc_zeroed_page, free_page, pa_to_va };

void harness_guest_window(void *base, size_t len)
{
    win_base = base;
    win_len = len;
}

static bool in_window(uint64_t gva, size_t n)
{
    uint64_t b = (uint64_t)(uintptr_t)win_base;
    return win_base && gva >= b && n <= win_len && gva - b <= win_len - n;
}

int copy_from_guest(void *dst, uint64_t gva, size_t n)
{
    if (!in_window(gva, n))
        return -EFAULT;
    memcpy(dst, (void *)(uintptr_t)gva, n);
    return 0;
}

int copy_to_guest(uint64_t gva, const void *src, size_t n)
{
    if (!in_window(gva, n))
        return -EFAULT;
    memcpy((void *)(uintptr_t)gva, src, n);
    return 0;
}

int harness_finish(const char *suite)
{
    printf("%s: %s (%d failed checks)\n", suite, harness_failures ? "FAIL" : "PASS", harness_failures);
    return harness_failures ? 1 : 0;
}
