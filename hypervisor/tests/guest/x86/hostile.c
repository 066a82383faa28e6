/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "hostile": bad pointers into every hypercall that takes
 * one (-EFAULT), targeted bad arguments, 20000 random hypercalls, then
 * port I/O over the whole port space, random MSRs, wild hypercall-page
 * frames and random CPUID leaves.  It must survive and power off.
 *
 * The storm's arguments are hostile but aimed at a victim: every pointer
 * the hypervisor is handed (as an argument, or inside a struct it reads)
 * and every frame number is either not our RAM at all or in RAM this
 * guest does not need (below 1 MiB, 4-8 MiB).  Our image, stack, IDT and
 * page tables (1-4 MiB) are never named, so what a call does to the
 * memory it names (runstate areas, vcpu_info, shared_info or grant frames
 * put over a page, grant copies, ...; Xen does the same) cannot hurt us,
 * whatever the timing: a crash or a hang can only be the hypervisor's.
 * (The earlier storm read its structs from memory earlier calls had
 * written, time values included, so what a struct named depended on
 * the host's timing.)  If an exception still reaches us during the storm,
 * the call that preceded it is printed.
 *   TEST x86-hostile
 */
#include "xguest.h"

/*
 * Our RAM is gfn 0..8 MiB, identity-mapped by our own page tables up to
 * 1 GiB: these are holes, straddles, unmapped, non-canonical and wrapping.
 */
static const uint64_t bad_ptrs[] = {
    0x7ffffe, 0x800000, 0x08000000, 0x3ffff000, 0x40000000, 0x7ffffff000, 0x8000000000,
    0xffffffffffffffffULL, 0xffff000000000000ULL, 0x0000800000000000ULL,
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * The storm's structs: the last 512 bytes of our RAM (the page after it is a
 * hole, so a batch running off its end gets -EFAULT), refilled with fresh
 * safe words before every call.  Nothing else of ours is ever read as a struct.
 */
#define VICTIM      0x7ffe00UL
#define VICTIM_SIZE 512UL

/* A word the hypervisor may read as a number, a frame or an address. */
static uint64_t safe_word(void)
{
    uint64_t r = next();
    switch (r & 7) {
    case 0: return r >> 56;                              /* small: counts, ports, sub-ops; frame/address < 1 MiB */
    case 1: return 0x400 + (r >> 8) % 0x400;             /* a frame in 4-8 MiB (as an address: page 0) */
    case 2: return VICTIM + (r >> 8) % VICTIM_SIZE;      /* into the victim (or straddling the hole) */
    case 3: return bad_ptrs[(r >> 8) % (sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))];
    case 4: return r | (1ULL << 40);                     /* no frame, unmapped by our tables */
    case 5: return (uint32_t)r | (1ULL << 32);           /* random low half, no frame */
    case 6: return (r & 8) ? DOMID_SELF : 1;             /* us, by both names */
    default: return 0;
    }
}

/* A struct pointer: into the freshly filled victim, or not RAM at all. */
static uint64_t struct_ptr(void)
{
    uint64_t r = next();
    if (r & 3)
        return VICTIM + ((r >> 8) % (VICTIM_SIZE / 16)) * 8;   /* its first half */
    return (r & 4) ? bad_ptrs[(r >> 8) % (sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))] : r | (1ULL << 40);
}

/* The storm's current call, printed if an exception reaches us meanwhile. */
static volatile struct {
    unsigned index;
    uint64_t nr, a[5];
} storm_call;

static bool storm_exception(struct xframe *f)
{
    gprintf("x86-hostile: exception %lu (error %lx) at rip %lx after storm call %u: hypercall %lu "
            "(%lx, %lx, %lx, %lx, %lx)\n", f->vector, f->error, f->rip, storm_call.index, storm_call.nr,
            storm_call.a[0], storm_call.a[1], storm_call.a[2], storm_call.a[3], storm_call.a[4]);
    return false;   /* reported, then crashed as any unexpected exception is */
}

/* No callback vector is ever set, so no interrupt may arrive (32-47 would otherwise be ignored). */
static void storm_irq(unsigned vector)
{
    gprintf("x86-hostile: exception %u (an interrupt nothing asked for) after storm call %u: hypercall %lu "
            "(%lx, %lx, %lx, %lx, %lx)\n", vector, storm_call.index, storm_call.nr, storm_call.a[0],
            storm_call.a[1], storm_call.a[2], storm_call.a[3], storm_call.a[4]);
    shutdown(SHUTDOWN_crash);
}

static volatile unsigned gp_taken;

/* rdmsr/wrmsr are both 2 bytes: a #GP on either is skipped. */
static bool skip_gp(struct xframe *f)
{
    if (f->vector != 13)
        return false;
    gp_taken++;
    f->rip += 2;
    return true;
}

void guest_main(void)
{
    bool ok = true;
    for (unsigned i = 0; i < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); i++) {
        uint64_t p = bad_ptrs[i];
        bool all = true;
        all &= HYPERVISOR_console_io(CONSOLEIO_write, 64, p) == -XEN_EFAULT;
        all &= HYPERVISOR_xen_version(XENVER_extraversion, p) == -XEN_EFAULT;
        all &= HYPERVISOR_memory_op(XENMEM_add_to_physmap, p) == -XEN_EFAULT;
        all &= HYPERVISOR_memory_op(XENMEM_populate_physmap, p) == -XEN_EFAULT;
        all &= HYPERVISOR_event_channel_op(EVTCHNOP_send, p) == -XEN_EFAULT;
        all &= HYPERVISOR_event_channel_op(EVTCHNOP_status, p) == -XEN_EFAULT;
        all &= HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, p, 1) == -XEN_EFAULT;
        all &= HYPERVISOR_grant_table_op(GNTTABOP_copy, p, 1) == -XEN_EFAULT;
        all &= HYPERVISOR_sched_op(SCHEDOP_shutdown, p) == -XEN_EFAULT;
        all &= HYPERVISOR_sched_op(SCHEDOP_poll, p) == -XEN_EFAULT;
        all &= HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, p) == -XEN_EFAULT;
        gprintf("  pointer %lx: %s\n", p, all ? "every call -> -EFAULT" : "UNEXPECTED RESULT");
        ok &= all;
    }
    ok &= check(HYPERVISOR_console_io(CONSOLEIO_write, ~0UL, bad_ptrs[0]) == -XEN_EINVAL,
                "console_io with a huge count -> -EINVAL");
    ok &= check(HYPERVISOR_console_io(77, 1, bad_ptrs[0]) == -XEN_ENOSYS, "unknown console op");
    struct evtchn_send s = { 5000 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) == -XEN_EINVAL, "send on port 5000");
    s.port = 0xffffffff;
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) == -XEN_EINVAL, "send on port 2^32-1");
    struct evtchn_bind_virq bv = { 1000, 0, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv) == -XEN_EINVAL, "bind virq 1000");
    bv = (struct evtchn_bind_virq){ 0, 99, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv) == -XEN_EINVAL, "bind virq on vCPU 99");
    struct evtchn_bind_interdomain bi = { 0x7fff, 0, 1, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_ESRCH,
                "bind to domain 0x7fff");
    struct evtchn_close cl = { 1 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl) == -XEN_EINVAL, "close a free port");
    ok &= check(HYPERVISOR_event_channel_op(99, &cl) == -XEN_ENOSYS, "unknown evtchn op");
    struct gnttab_map_grant_ref m = { 0x39000000, GNTMAP_host_map, 0xffffffff, 0, 0, 0, 0 };
    ok &= check(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1) == 0 && m.status == GNTST_bad_gntref,
                "map ref 2^32-1 of d0");
    m.dom = 0x7fff;
    ok &= check(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1) == 0 && m.status == GNTST_bad_domain,
                "map from domain 0x7fff");
    ok &= check(HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 0xffffffffUL) == -XEN_EINVAL,
                "grant batch of 2^32-1");
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_shared_info, 0, 1UL << 27 };
    ok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == -XEN_EINVAL,
                "shared_info beyond the IPA space refused");
    x.space = 77;
    x.gpfn = 0x39000;
    ok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == -XEN_ENOSYS, "unknown map space");
    x.space = XENMAPSPACE_grant_table;
    x.idx = 1000;
    ok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == -XEN_EINVAL, "grant frame 1000 refused");
    x.space = XENMAPSPACE_shared_info;
    x.idx = 0;
    x.gpfn = ~0UL;
    ok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == -XEN_EINVAL, "gpfn 2^64-1 refused");
    x = (struct xen_add_to_physmap){ 0, 0, XENMAPSPACE_shared_info, 0, 0x39000 };
    ok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == -XEN_EPERM,
                "mapping another domain's shared_info refused");
    uint64_t gfn = 0x50000;
    struct xen_memory_reservation r = { (uint64_t)&gfn, 1, 0, 0, DOMID_SELF, { 0 } };
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == -XEN_ENOMEM,
                "populating beyond our maximum refused");
    r.domid = 0;
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == -XEN_EPERM,
                "populating another domain refused");
    struct xen_remove_from_physmap rm = { DOMID_SELF, { 0 }, 0x100 };
    ok &= check(HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &rm) == -XEN_EINVAL,
                "removing our own RAM refused");
    struct hv_domctl op;
    ok &= check(domctl(&op, XEN_DOMCTL_destroydomain, 0) == -XEN_EPERM, "domctl from a guest -> -EPERM");
    ok &= check(domctl(&op, XEN_DOMCTL_createdomain, 0) == -XEN_EPERM, "createdomain from a guest -> -EPERM");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 77, 0) == -XEN_ENOENT, "vcpu_op on vCPU 77");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_down, 0xffffffff, 0) == -XEN_ENOENT, "vcpu_op on vCPU 2^32-1");
    uint32_t big = 5000;
    struct sched_poll sp = { (uint64_t)&big, 1000, 0, 0 };
    ok &= check(HYPERVISOR_sched_op(SCHEDOP_poll, &sp) == -XEN_EINVAL, "poll on 1000 ports");
    sp.nr_ports = 1;
    ok &= check(HYPERVISOR_sched_op(SCHEDOP_poll, &sp) == -XEN_EINVAL, "poll on port 5000");
    struct sched_shutdown sd = { 77 };
    ok &= check(HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd) == -XEN_EINVAL, "shutdown reason 77");
    ok &= check(hcall(__HYPERVISOR_memory_op, 1UL << 40, 0, 0, 0, 0) == -XEN_EINVAL,
                "sub-op with garbage in the top half");

    /* The storm: random hypercalls with random arguments (see the top of this file). */
    unsigned calls = 0;
    static const unsigned nrs[] = { 12, 17, 18, 20, 24, 32, 36, 0, 15, 29, 63 };
    exception_hook = storm_exception;
    irq_hook = storm_irq;
    for (unsigned i = 0; i < 20000; i++) {
        unsigned nr = nrs[next() % (sizeof(nrs) / sizeof(nrs[0]))];
        uint64_t cmd = next() % 16;
        if (nr == __HYPERVISOR_sched_op)
            cmd = SCHEDOP_yield;              /* block/shutdown/poll would end the storm */
        if (nr == __HYPERVISOR_vcpu_op && (cmd == VCPUOP_down))
            cmd = VCPUOP_is_up;
        if (nr == __HYPERVISOR_grant_table_op)
            cmd = next() % 8;
        volatile uint64_t *victim = (volatile uint64_t *)VICTIM;
        for (unsigned w = 0; w < VICTIM_SIZE / 8; w++)
            victim[w] = safe_word();
        /* Where each takes its struct: console_io and vcpu_op in a2, the others in a1. */
        bool ptr_in_a2 = nr == __HYPERVISOR_console_io || nr == __HYPERVISOR_vcpu_op;
        uint64_t a1 = ptr_in_a2 ? safe_word() : struct_ptr();
        uint64_t a2 = ptr_in_a2 ? struct_ptr() : safe_word();
        uint64_t a3 = safe_word(), a4 = safe_word();
        storm_call.index = i;
        storm_call.nr = nr;
        storm_call.a[0] = cmd;
        storm_call.a[1] = a1;
        storm_call.a[2] = a2;
        storm_call.a[3] = a3;
        storm_call.a[4] = a4;
        hcall(nr, cmd, a1, a2, a3, a4);
        calls++;
        if (calls % 5000 == 0)
            gprintf("\nstorm: %u calls\n", calls);   /* where a failed run got to */
    }
    exception_hook = 0;
    irq_hook = 0;
    /* x86 storms: every port, random MSRs (each #GP skipped), random CPUID leaves. */
    for (unsigned port = 0; port < 0x10000; port += 7) {
        uint8_t v;
        __asm__ volatile("inb %w1, %0" : "=a"(v) : "d"(port));
        __asm__ volatile("outb %0, %w1" ::"a"((uint8_t)next()), "d"(port));
    }
    exception_hook = skip_gp;
    for (unsigned i = 0; i < 2000; i++) {
        uint32_t msr = (next() & 1) ? (uint32_t)next() : 0xC0000000u + (uint32_t)(next() % 0x20000);
        if (msr == 0xC0000080 || msr == 0xC0000100 || msr == 0xC0000101)
            continue;   /* EFER and our segment bases are legitimately writable */
        uint32_t lo = 0, hi = 0;
        __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
        if (next() & 1)
            __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)next()), "d"((uint32_t)next()) : "memory");
    }
    /* The hypercall-page MSR with frames that are not our RAM, or misaligned. */
    for (unsigned i = 0; i < 200; i++) {
        uint64_t gpa = (next() % 2) ? ((8ULL << 20) + next() % (1ULL << 36)) & ~0xfffULL : next() | 1;
        __asm__ volatile("wrmsr" ::"c"(0x40000000), "a"((uint32_t)gpa), "d"((uint32_t)(gpa >> 32)) : "memory");
    }
    exception_hook = 0;
    for (unsigned i = 0; i < 2000; i++) {
        uint32_t leaf[4];
        xcpuid((uint32_t)next(), leaf);
    }
    gprintf("storm: %u random hypercalls, every 7th port, 2000 MSRs (%u #GP), 200 hypercall-page "
            "writes and 2000 CPUID leaves survived\n", calls, gp_taken);
    test_result("x86-hostile", ok);
}
