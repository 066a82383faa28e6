/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arch-neutral half of the micro-guest runtime, shared by the arm64
 * (guest.h) and x86-64 (x86/xguest.h) runtimes: the Xen public interface,
 * the hypercall macros (over each arch's hcall()), console printing,
 * shutdown/yield and the domctl/event-channel helpers implemented once in
 * common/lib.c.  Arch-neutral guest programs include "guest_arch.h", which
 * each arch's include directory resolves to its own runtime header.
 */
#ifndef GUEST_COMMON_H
#define GUEST_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>
#include <public/domctl.h>
#include <public/event_channel.h>
#include <public/grant_table.h>
#include <public/memory.h>

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Each arch defines: long hcall(nr, a0, a1, a2, a3, a4). */
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

/* common/lib.c */
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_result(const char *name, bool ok);
bool check(bool cond, const char *what);   /* prints "check: what: ok|FAILED" */
void shutdown(unsigned reason) __attribute__((noreturn));
void yield(void);
/* domctl helper: fills version and domain. */
long domctl(struct hv_domctl *op, uint32_t cmd, domid_t dom);
/* Atomically clears port p's pending bit in shared_info; true if it was set. */
bool evtchn_test_and_clear(evtchn_port_t p);

/* hypervisor/common/lib.c */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Provided by each micro-guest. */
void guest_main(void);

#endif
