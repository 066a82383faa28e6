/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 benchmark micro-guest, one domain with 2 vCPUs: event-channel
 * ping-pong between vCPU 0 and vCPU 1 over a loopback interdomain channel
 * (alloc_unbound for ourselves, bind_interdomain to that port), each side
 * waiting in SCHEDOP_poll.  vCPU 1 is started with VCPUOP_initialise +
 * VCPUOP_up.  Runs unchanged as a boot domain under Halyard and as the
 * PVH dom0 under Xen 4.17 (x86 Xen has no dom0less, so there is no second
 * domain to ping).  Prints "BENCH evtchn_vcpu_roundtrip_ns <n>".
 */
#include "xguest.h"

/* Fewer rounds than bench_ping: a round trip under Xen takes milliseconds under TCG. */
#define WARMUP 50
#define ROUNDS 500

static volatile evtchn_port_t port_a, port_b;
static volatile bool go;

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

static void pong(unsigned id)
{
    (void)id;
    while (!go)
        ;
    for (unsigned i = 0; i < WARMUP + ROUNDS; i++) {
        wait_port(port_b);
        send_port(port_b);
    }
}

void guest_main(void)
{
    if (!events_map()) {
        gprintf("bench: cannot map shared_info\n");
        return;
    }
    struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
    struct evtchn_bind_interdomain bi = { DOMID_SELF, 0, 0, 0 };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
    bi.remote_port = au.port;
    if (!rc)
        rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
    if (rc) {
        gprintf("bench: loopback channel: %ld\n", rc);
        return;
    }
    port_a = au.port;
    port_b = bi.local_port;
    /* Masked, as Halyard starts them (Xen does not): polling only, no upcalls. */
    __atomic_or_fetch(&shinfo->evtchn_mask[port_a / 64], 1ULL << (port_a % 64), __ATOMIC_SEQ_CST);
    __atomic_or_fetch(&shinfo->evtchn_mask[port_b / 64], 1ULL << (port_b % 64), __ATOMIC_SEQ_CST);
    evtchn_test_and_clear(port_a);
    evtchn_test_and_clear(port_b);
    rc = vcpu_start(1, pong, false);
    if (rc) {
        gprintf("bench: cannot start vCPU 1: %ld\n", rc);
        return;
    }
    barrier();
    go = true;
    for (unsigned i = 0; i < WARMUP; i++) {
        send_port(port_a);
        wait_port(port_a);
    }
    uint64_t t0 = rdtsc_g();
    for (unsigned i = 0; i < ROUNDS; i++) {
        send_port(port_a);
        wait_port(port_a);
    }
    uint64_t t1 = rdtsc_g();
    gprintf("BENCH evtchn_vcpu_roundtrip_ns %lu\n", (unsigned long)((t1 - t0) * 1000000ULL / tsc_khz() / ROUNDS));
}
