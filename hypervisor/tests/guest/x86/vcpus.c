/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "vcpus" (one domain, 3 vCPUs): brings up vCPU 1 in
 * 64-bit mode and vCPU 2 in 32-bit protected mode with VCPUOP_initialise
 * (Xen's vcpu_hvm_context) + VCPUOP_up; both report in (vCPU 2 first
 * makes 32-bit hypercalls under 2-level and PAE paging, crt0.S); VCPUOP_is_up and
 * VCPUOP_down (of another vCPU, and of itself) and up again; the refusals;
 * then 100 event round trips between vCPU 0 and vCPU 1 over a loopback
 * interdomain channel, each side waiting in SCHEDOP_poll.
 *   TEST x86-vcpu-up, x86-vcpu-evtchn
 */
#include "xguest.h"

#define ROUNDS 100

static volatile unsigned reported[GUEST_MAX_VCPUS], apic_id[GUEST_MAX_VCPUS];
static volatile uint64_t spins;
static volatile evtchn_port_t port_a, port_b;
static volatile bool pong_go;
static volatile unsigned pongs;

static void wait_port(evtchn_port_t port)
{
    evtchn_port_t ports[1] = { port };
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    while (!evtchn_test_and_clear(port))
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

static void send_port(evtchn_port_t port)
{
    struct evtchn_send s = { port };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

/* vCPU 1: reports, spins until vCPU 0 takes it down, then (after up) answers events on port b. */
static void ap1(unsigned id)
{
    uint32_t r[4];
    xcpuid(1, r);
    apic_id[id] = r[1] >> 24;
    reported[id] = 1;
    while (!pong_go)
        __atomic_add_fetch(&spins, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < ROUNDS; i++) {
        wait_port(port_b);
        send_port(port_b);
        pongs++;
    }
    for (;;)
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

/* vCPU 2 (entered in 32-bit mode): reports and returns, which takes it down itself. */
static void ap2(unsigned id)
{
    uint32_t r[4];
    xcpuid(1, r);
    apic_id[id] = r[1] >> 24;
    reported[id] = 1;
}

static bool wait_for(volatile unsigned *flag)
{
    for (int i = 0; i < 1000000 && !*flag; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    return *flag;
}

void guest_main(void)
{
    struct vcpu_hvm_context c;
    bool ok = check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, 0) == 0, "vCPU 1 starts down");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_up, 1, 0) == -XEN_EINVAL, "up before initialise -> -EINVAL");
    vcpu_ctx(&c, 1, false);
    c.mode = 7;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &c) == -XEN_EINVAL, "unknown mode -> -EINVAL");
    vcpu_ctx(&c, 1, false);
    c.cpu_regs.x86_64.cr0 = 0x11;   /* long mode without paging */
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &c) == -XEN_EINVAL, "LMA without paging -> -EINVAL");
    vcpu_ctx(&c, 1, false);
    c.cpu_regs.x86_64.rip = 0x0000800000000000ULL;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &c) == -XEN_EINVAL, "non-canonical rip -> -EINVAL");
    vcpu_ctx(&c, 1, false);
    c.cpu_regs.x86_64.cr4 |= 1u << 22;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &c) == -XEN_EINVAL, "reserved CR4 bit -> -EINVAL");
    vcpu_ctx(&c, 2, true);
    c.cpu_regs.x86_32.cs_ar = 0xC93;   /* a data segment as CS */
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &c) == -XEN_EINVAL, "32-bit: data CS -> -EINVAL");
    vcpu_ctx(&c, 2, true);
    c.cpu_regs.x86_32.ss_limit = 0x12345;   /* byte granular limit above 1 MiB */
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &c) == -XEN_EINVAL, "32-bit: bad SS limit -> -EINVAL");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, (void *)0x7FFFFFFF000ULL) == -XEN_EFAULT,
                "context at an unmapped address -> -EFAULT");
    vcpu_ctx(&c, 1, false);
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, &c) == -XEN_EEXIST, "initialise vCPU 0 -> -EEXIST");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 3, &c) == -XEN_ENOENT, "vCPU 3 of 3 -> -ENOENT");

    ok &= check(vcpu_start(1, ap1, false) == 0, "vCPU 1: initialise (64-bit) + up");
    ok &= check(wait_for(&reported[1]) && apic_id[1] == 1, "vCPU 1 reports in (CPUID APIC id 1)");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, 0) == 1, "VCPUOP_is_up(1)");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &c) == -XEN_EEXIST, "initialise again -> -EEXIST");
    ok &= check(vcpu_start_at(2, ap2, true, (uint32_t)(uint64_t)guest_ap32_paged) == 0,
                "vCPU 2: initialise (32-bit) + up");
    ok &= check(wait_for(&reported[2]) && apic_id[2] == 2, "vCPU 2 reports in from its 32-bit entry");
    ok &= check(paged32_rc[0] == 0 && paged32_rc[1] == 0,
                "vCPU 2: 32-bit hypercalls with pointers through 2-level (4 MiB pages) and PAE paging");
    ok &= check(paged32_rc[2] == -XEN_EFAULT, "vCPU 2: an address its 32-bit tables leave unmapped -> -EFAULT");
    for (int i = 0; i < 100000 && HYPERVISOR_vcpu_op(VCPUOP_is_up, 2, 0); i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 2, 0) == 0, "vCPU 2 took itself down");

    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_down, 1, 0) == 0 && HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, 0) == 0,
                "VCPUOP_down of vCPU 1 from vCPU 0");
    wait_ns(2000000);
    uint64_t s0 = spins;
    wait_ns(5000000);
    ok &= check(spins == s0, "a downed vCPU does not run");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_up, 1, 0) == 0, "VCPUOP_up(1) again");
    for (int i = 0; i < 100000 && spins == s0; i++)
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    ok &= check(spins != s0, "vCPU 1 resumes where it stopped");
    test_result("x86-vcpu-up", ok);

    /* Loopback channel: a <-> b in this domain; vCPU 1 waits on b, vCPU 0 on a. */
    bool eok = check(events_map(), "shared_info mapped");
    struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
    eok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0, "alloc_unbound for ourselves");
    struct evtchn_bind_interdomain bi = { DOMID_SELF, 0, au.port, 0 };
    eok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == 0 && bi.local_port != au.port,
                 "bind_interdomain to our own port");
    port_a = au.port;
    port_b = bi.local_port;
    evtchn_test_and_clear(port_a);
    evtchn_test_and_clear(port_b);
    barrier();
    pong_go = true;
    unsigned rounds = 0;
    for (; rounds < ROUNDS; rounds++) {
        send_port(port_a);
        wait_port(port_a);
    }
    eok &= check(rounds == ROUNDS && pongs >= ROUNDS - 1, "100 round trips between vCPU 0 and vCPU 1");
    test_result("x86-vcpu-evtchn", eok);
}
