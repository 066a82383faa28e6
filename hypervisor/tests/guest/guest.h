/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest runtime: hypercall wrappers, console printing, exception
 * hooks, event-channel helpers.  A micro-guest defines guest_main() (and
 * optionally guest_secondary_main()) and reports with test_result().
 */
#ifndef GUEST_H
#define GUEST_H

#include "common/guest_common.h"
#include <public/arch-arm.h>

#define barrier() __asm__ volatile("dmb ish" ::: "memory")

struct gregs {
    uint64_t x[31];
    uint64_t pc;
    uint64_t pstate;
    uint64_t pad;
};

static inline long hcall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                         unsigned long a3, unsigned long a4)
{
    register unsigned long x0 __asm__("x0") = a0;
    register unsigned long x1 __asm__("x1") = a1;
    register unsigned long x2 __asm__("x2") = a2;
    register unsigned long x3 __asm__("x3") = a3;
    register unsigned long x4 __asm__("x4") = a4;
    register unsigned long x16 __asm__("x16") = nr;
    __asm__ volatile("hvc #0xEA1"
                     : "+r"(x0)
                     : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x16)
                     : "memory");
    return (long)x0;
}

static inline long psci(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3)
{
    register unsigned long x0 __asm__("x0") = fn;
    register unsigned long x1 __asm__("x1") = a1;
    register unsigned long x2 __asm__("x2") = a2;
    register unsigned long x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (long)x0;
}

/* lib.c (the arch-neutral rest is in common/guest_common.h) */
extern uint64_t guest_boot_dtb;   /* x0 at entry: the device tree we were given */
uint64_t now_ticks(void);
uint64_t ticks_per_sec(void);
unsigned vcpu_id(void);

/* Exception hooks: return true if handled (the handler may edit regs). */
extern bool (*sync_hook)(struct gregs *r, uint64_t esr, uint64_t far);
extern void (*irq_hook)(unsigned intid);
extern volatile unsigned sync_faults;   /* counts aborts the default hook skipped */
bool skip_faulting_access(struct gregs *r, uint64_t esr, uint64_t far);

/* Events: map shared_info, enable the event PPI, dispatch pending ports. */
extern struct shared_info *shinfo;
extern struct vcpu_info *guest_vcpu_info[4];   /* per vCPU; [0] is in shared_info */
void events_init(void (*handler)(evtchn_port_t port), bool use_irq);
void evtchn_unmask(evtchn_port_t p);
void irqs_enable(void);
void gic_enable_ppi(unsigned intid);

/* Optionally provided by a micro-guest. */
void guest_secondary_main(unsigned id) __attribute__((weak));

#endif
