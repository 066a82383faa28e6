/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What common code needs from an architecture.  Each arch (and the host-side
 * unit-test harness) implements these; common code includes nothing else
 * arch-specific except <asm/spinlock.h> and <asm/vcpu.h>.
 */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include <hv/lib.h>

struct vcpu;
struct domain;

uint64_t arch_now(void);                       /* monotonic counter ticks */
uint64_t arch_ticks_to_ns(uint64_t ticks);
uint64_t arch_ns_to_ticks(uint64_t ns);
unsigned int arch_cpu_id(void);
unsigned int arch_nr_cpus(void);
void arch_kick_cpu(unsigned int cpu);          /* make cpu call the scheduler */
struct vcpu *arch_current(void);

int arch_domain_init(struct domain *d);
void arch_domain_flush_tlb(struct domain *d);  /* after stage-2 unmaps */
void arch_vcpu_init(struct vcpu *v);           /* architectural reset state */
void arch_vcpu_set_entry(struct vcpu *v, uint64_t pc, uint64_t x0, uint64_t sp);
/*
 * VCPUOP_initialise: gives the offline, never-initialised vCPU v the
 * context at guest address arg (x86: Xen's vcpu_hvm_context); -ENOSYS
 * where the arch starts vCPUs otherwise (Arm: PSCI CPU_ON).  Called with
 * no lock held; sets v->initialised under dom_lock on success.
 */
long arch_vcpu_initialise(struct vcpu *v, uint64_t arg);
void arch_vcpu_raise_evtchn(struct vcpu *v);   /* assert the event PPI */
bool arch_vcpu_irq_pending(const struct vcpu *v); /* would an IRQ wake it */

/* Access to the *current* vCPU's memory through its own translation. */
int copy_from_guest(void *dst, uint64_t gva, size_t n);
int copy_to_guest(uint64_t gva, const void *src, size_t n);

void *pa_to_va(uint64_t pa);
extern const struct p2m_ops hv_p2m_ops;

void arch_console_write(const char *s, size_t n);
void arch_system_off(void) __attribute__((noreturn));

#endif
