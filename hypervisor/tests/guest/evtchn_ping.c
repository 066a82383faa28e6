/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "evtchn_ping" (domain 0): offers an unbound port to domain 1,
 * then answers every event it receives - delivered as an upcall on the
 * event PPI through the virtual GIC - by sending one back.
 *   TEST evtchn-upcall
 */
#include "guest.h"

#define ROUNDS 200

static volatile unsigned received;
static evtchn_port_t port;

static void on_event(evtchn_port_t p)
{
    if (p != port)
        return;
    received++;
    struct evtchn_send s = { port };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

void guest_main(void)
{
    bool ok = true;
    events_init(on_event, true);
    struct evtchn_alloc_unbound au = { DOMID_SELF, 1, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0, "alloc_unbound for d1");
    port = au.port;
    gprintf("offered port %u to d1\n", port);
    ok &= check(port == 1, "first port is 1 (the peer relies on it)");
    struct evtchn_alloc_unbound bad = { 1, 0, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &bad) == -XEN_EPERM,
                "alloc_unbound in another domain -> -EPERM");
    evtchn_unmask(port);

    while (received < ROUNDS)
        HYPERVISOR_sched_op(SCHEDOP_block, 0);
    gprintf("%u events received by upcall\n", received);

    struct evtchn_status st = { DOMID_SELF, 0, port, 0, 0, { { 0 } } };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 &&
                    (st.status == EVTCHNSTAT_interdomain || st.status == EVTCHNSTAT_unbound),
                "status of our port");
    test_result("evtchn-upcall", ok);
    /* Wait for the peer to finish (it closes its end). */
    struct hv_domctl op;
    for (int i = 0; i < 100000; i++) {
        if (domctl(&op, XEN_DOMCTL_getdomaininfo, 1) != 0 ||
            (op.u.getdomaininfo.flags & HV_DOMINF_shutdown))
            break;
        yield();
    }
}
