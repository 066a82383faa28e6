/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 PVH micro-guest runtime: hypercalls by VMMCALL (Xen's 64-bit
 * register convention), console printing, exception hooks.  A micro-guest
 * defines guest_main() and reports with test_result().
 */
#ifndef XGUEST_H
#define XGUEST_H

#include "../common/guest_common.h"

#define barrier() __asm__ volatile("mfence" ::: "memory")

/* Frame built by crt0.S's exception stubs. */
struct xframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

static inline long hcall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                         unsigned long a3, unsigned long a4)
{
    long ret;
    register unsigned long r10 __asm__("r10") = a3;
    register unsigned long r8 __asm__("r8") = a4;
    __asm__ volatile("vmmcall"
                     : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
                     : "a"(nr)
                     : "memory", "rcx", "r11");
    return ret;
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

static inline void xcpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* lib.c (the arch-neutral rest is in common/guest_common.h) */
extern const struct hvm_start_info_g *start_info;

struct hvm_start_info_g {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

/* Events without upcalls: shared_info mapped over one of our pages, polled. */
extern volatile struct shared_info *shinfo;
bool events_map(void);
bool dom_info(domid_t d, struct hv_domctl_getdomaininfo *gi);
/* The TSC and its rate from Xen's time leaf (CPUID 0x40000003.0 ECX, kHz). */
uint64_t rdtsc_g(void);
uint64_t tsc_khz(void);
/* System time in ns (the hypervisor's clock, read through VCPUOP_get_runstate_info). */
uint64_t sys_ns(void);
/* Yields for ns of system time; returns the ns that actually passed. */
uint64_t wait_ns(uint64_t ns);
uint64_t dom_cpu_ns(domid_t d);
bool destroy(domid_t d);
/* Yields until domain d has shut down (or gone); false if it never did. */
bool wait_shutdown(domid_t d, struct hv_domctl_getdomaininfo *gi);

/* Exception hook: return true if handled (it may edit the frame, e.g. skip). */
extern bool (*exception_hook)(struct xframe *f);
/* Interrupt hook for vectors 32-47 (the event-channel callback vector). */
extern void (*irq_hook)(unsigned vector);
/* HVMOP_set_param(HVM_PARAM_CALLBACK_IRQ): events arrive as interrupts on vector. */
long set_callback_vector(unsigned vector);

/* A 1-byte store to p: the exception vector it raised (then skipped), or -1. */
int probe_store8(volatile uint8_t *p, uint8_t val);

/*
 * Secondary vCPUs (Xen's VCPUOP_initialise with a vcpu_hvm_context, then
 * VCPUOP_up): vCPU id runs fn(id) on its own stack, entered in 64-bit mode
 * or (mode32) in flat 32-bit protected mode, and goes down when fn returns.
 */
#include <public/arch-x86.h>
#define GUEST_MAX_VCPUS 4
void vcpu_ctx(struct vcpu_hvm_context *c, unsigned id, bool mode32);
long vcpu_start(unsigned id, void (*fn)(unsigned), bool mode32);
/* The same, entering 32-bit code at entry32 (e.g. guest_ap32_paged) instead of guest_ap32. */
long vcpu_start_at(unsigned id, void (*fn)(unsigned), bool mode32, uint32_t entry32);
extern char guest_ap32_paged[];
extern volatile int32_t paged32_rc[3];   /* set by guest_ap32_paged */

#endif
