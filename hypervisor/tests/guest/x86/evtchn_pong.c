/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "evtchn_pong" (domain 1): binds to d0's port 1 and plays
 * ping-pong with SCHEDOP_poll, then checks status and close.
 *   TEST x86-evtchn-pingpong
 */
#include "xguest.h"

#define ROUNDS 200

void guest_main(void)
{
    bool ok = check(events_map(), "shared_info mapped");
    struct evtchn_bind_interdomain bi = { 0, 0, 99, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_EINVAL,
                "binding a port not offered to us -> -EINVAL");
    bi.remote_dom = 9;
    bi.remote_port = 1;
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_ESRCH,
                "binding to a missing domain -> -ESRCH");
    bi.remote_dom = 0;
    long rc;
    int tries = 0;
    while ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi)) != 0 && tries++ < 100000)
        yield();
    ok &= check(rc == 0, "bind_interdomain to d0 port 1");
    evtchn_port_t port = bi.local_port, ports[1] = { bi.local_port };
    evtchn_test_and_clear(port);
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    unsigned answered = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        struct evtchn_send s = { port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        while (!evtchn_test_and_clear(port))
            HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        answered++;
    }
    ok &= check(answered == ROUNDS, "200 round trips");
    struct evtchn_status st = { DOMID_SELF, 0, port, 0, 0, { { 0 } } };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 &&
                    st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == 0 &&
                    st.u.interdomain.port == 1,
                "status: interdomain to d0:1");
    struct evtchn_close cl = { port };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl) == 0, "close");
    struct evtchn_send s = { port };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) == -XEN_EINVAL, "send on a closed port -> -EINVAL");
    test_result("x86-evtchn-pingpong", ok);
}
