/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "evtchn_vcpu" (two vCPUs): vCPU 1 gets its own vcpu_info with
 * VCPUOP_register_vcpu_info, a loopback channel's receiving end is routed
 * to it with EVTCHNOP_bind_vcpu, and every event vCPU 0 sends arrives as
 * an upcall on vCPU 1 - and none on vCPU 0.
 *   TEST evtchn-vcpu
 */
#include "guest.h"

#define ROUNDS 50

extern char guest_secondary_entry[];
static uint8_t vi_page[4096] __attribute__((aligned(4096)));
static evtchn_port_t pa, pb;
static volatile unsigned on_vcpu[2], wrong_port;
static volatile bool v1_ready;

static void on_event(evtchn_port_t p)
{
    if (p != pb)
        wrong_port++;
    on_vcpu[vcpu_id() & 1]++;
}

void guest_secondary_main(unsigned id)
{
    (void)id;
    gic_enable_ppi(GUEST_EVTCHN_PPI);
    irqs_enable();
    v1_ready = true;
    while (on_vcpu[1] < ROUNDS)
        HYPERVISOR_sched_op(SCHEDOP_block, 0);
}

void guest_main(void)
{
    bool ok = true;
    events_init(on_event, true);
    struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0, "alloc_unbound to ourselves");
    pa = au.port;
    struct evtchn_bind_interdomain bi = { DOMID_SELF, 0, pa, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == 0, "bind the loopback");
    pb = bi.local_port;
    evtchn_test_and_clear(pb);

    struct evtchn_bind_vcpu bv = { pb, 1 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv) == -XEN_EINVAL,
                "bind_vcpu to a vCPU without a vcpu_info refused");
    struct vcpu_register_vcpu_info r = { (uint64_t)vi_page >> 12, 4090, 0 };
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r) == -XEN_EINVAL,
                "vcpu_info crossing a page end refused");
    r.offset = 64;
    r.mfn = 0x30000;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r) == -XEN_EINVAL,
                "vcpu_info outside our RAM refused");
    r.mfn = (uint64_t)vi_page >> 12;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r) == 0, "register vCPU 1's vcpu_info");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 1, &r) == -XEN_EINVAL,
                "registering twice refused");
    guest_vcpu_info[1] = (struct vcpu_info *)(vi_page + 64);
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv) == 0, "route the port to vCPU 1");
    bv.vcpu = 7;
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_vcpu, &bv) == -XEN_EINVAL, "vCPU 7 refused");
    evtchn_unmask(pa);
    evtchn_unmask(pb);

    ok &= check(psci(PSCI_0_2_FN64_CPU_ON, 1, (uint64_t)guest_secondary_entry, 1) == PSCI_SUCCESS,
                "start vCPU 1");
    uint64_t start = now_ticks();
    while (!v1_ready && now_ticks() - start < 20 * ticks_per_sec())
        yield();
    for (unsigned i = 0; i < ROUNDS; i++) {
        struct evtchn_send s = { pa };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        start = now_ticks();
        while (on_vcpu[1] < i + 1 && now_ticks() - start < 20 * ticks_per_sec())
            yield();
    }
    gprintf("events: %u on vCPU 1, %u on vCPU 0, %u on other ports\n", on_vcpu[1], on_vcpu[0], wrong_port);
    ok &= check(on_vcpu[1] == ROUNDS && on_vcpu[0] == 0 && wrong_port == 0,
                "every event arrived on vCPU 1 only");
    test_result("evtchn-vcpu", ok);
}
