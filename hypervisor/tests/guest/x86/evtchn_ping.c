/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "evtchn_ping" (domain 0): offers an unbound port to
 * domain 1 and answers each event with one back, waiting with SCHEDOP_poll
 * (no upcall vector yet on x86).
 *   TEST x86-evtchn-ping
 */
#include "xguest.h"

#define ROUNDS 200

void guest_main(void)
{
    bool ok = check(events_map(), "shared_info mapped");
    struct evtchn_alloc_unbound au = { DOMID_SELF, 1, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0 && au.port == 1,
                "alloc_unbound for d1 gives port 1");
    struct evtchn_alloc_unbound bad = { 1, 0, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &bad) == -XEN_EPERM,
                "alloc_unbound in another domain -> -EPERM");
    evtchn_port_t port = au.port, ports[1] = { au.port };
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    unsigned received = 0;
    while (received < ROUNDS) {
        while (!evtchn_test_and_clear(port))
            HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        received++;
        struct evtchn_send s = { port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    }
    ok &= check(received == ROUNDS, "every event answered");
    test_result("x86-evtchn-ping", ok);
    struct hv_domctl_getdomaininfo gi;
    wait_shutdown(1, &gi);
}
