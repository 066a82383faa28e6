/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest runtime: hypercall wrappers, console printing, exception
 * hooks, event-channel helpers.  A micro-guest defines guest_main() (and
 * optionally guest_secondary_main()) and reports with test_result().
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>
#include <public/arch-arm.h>
#include <public/domctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
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

#define HYPERVISOR_console_io(c, n, b) hcall(__HYPERVISOR_console_io, c, n, (unsigned long)(b), 0, 0)
#define HYPERVISOR_xen_version(c, a) hcall(__HYPERVISOR_xen_version, c, (unsigned long)(a), 0, 0, 0)
#define HYPERVISOR_sched_op(c, a) hcall(__HYPERVISOR_sched_op, c, (unsigned long)(a), 0, 0, 0)
#define HYPERVISOR_vcpu_op(c, v, a) hcall(__HYPERVISOR_vcpu_op, c, v, (unsigned long)(a), 0, 0)
#define HYPERVISOR_memory_op(c, a) hcall(__HYPERVISOR_memory_op, c, (unsigned long)(a), 0, 0, 0)
#define HYPERVISOR_event_channel_op(c, a) \
    hcall(__HYPERVISOR_event_channel_op, c, (unsigned long)(a), 0, 0, 0)
#define HYPERVISOR_grant_table_op(c, a, n) \
    hcall(__HYPERVISOR_grant_table_op, c, (unsigned long)(a), n, 0, 0)
#define HYPERVISOR_domctl(a) hcall(__HYPERVISOR_domctl, (unsigned long)(a), 0, 0, 0, 0)

/* lib.c */
extern uint64_t guest_boot_dtb;   /* x0 at entry: the device tree we were given */
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_result(const char *name, bool ok);
bool check(bool cond, const char *what);   /* prints "check: what: ok|FAILED" */
void shutdown(unsigned reason) __attribute__((noreturn));
void yield(void);
uint64_t now_ticks(void);
uint64_t ticks_per_sec(void);
unsigned vcpu_id(void);
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

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
bool evtchn_test_and_clear(evtchn_port_t p);
void irqs_enable(void);
void gic_enable_ppi(unsigned intid);

/* domctl helper: fills version and domain. */
long domctl(struct hv_domctl *op, uint32_t cmd, domid_t dom);

/* Provided by each micro-guest. */
void guest_main(void);
void guest_secondary_main(unsigned id) __attribute__((weak));

#endif
