/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "evtchn_pong" (domain 1): binds to domain 0's port 1 and
 * plays ping-pong, waiting for each answer with SCHEDOP_poll.
 *   TEST evtchn-pingpong
 */
#include "guest.h"

#define ROUNDS 200

void guest_main(void)
{
    bool ok = true;
    events_init(0, false);
    struct evtchn_bind_interdomain bi = { 0, 0, 99, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_EINVAL,
                "binding a port that is not offered to us -> -EINVAL");
    bi.remote_port = 5000;
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_EINVAL,
                "binding an out-of-range port -> -EINVAL");
    bi.remote_dom = 9;
    bi.remote_port = 1;
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi) == -XEN_ESRCH,
                "binding to a domain that does not exist -> -ESRCH");
    bi.remote_dom = 0;
    long rc;
    int tries = 0;
    while ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi)) != 0 && tries++ < 100000)
        yield();
    ok &= check(rc == 0, "bind_interdomain to d0 port 1");
    evtchn_port_t port = bi.local_port;
    gprintf("bound local port %u to d0:1\n", port);
    evtchn_test_and_clear(port);   /* binding leaves our end pending */

    evtchn_port_t ports[1] = { port };
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    unsigned answered = 0;
    uint64_t t0 = now_ticks();
    for (unsigned i = 0; i < ROUNDS; i++) {
        struct evtchn_send s = { port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        while (!evtchn_test_and_clear(port))
            HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        answered++;
    }
    uint64_t t1 = now_ticks();
    gprintf("%u round trips, %lu ns each\n", answered,
            (unsigned long)((t1 - t0) * 1000000000ULL / ticks_per_sec() / ROUNDS));
    gprintf("BENCH evtchn_pingpong_ns %lu\n",
            (unsigned long)((t1 - t0) * 1000000000ULL / ticks_per_sec() / ROUNDS));
    ok &= check(answered == ROUNDS, "every event answered");

    struct evtchn_status st = { DOMID_SELF, 0, port, 0, 0, { { 0 } } };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 &&
                    st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == 0 &&
                    st.u.interdomain.port == 1,
                "status: interdomain to d0:1");
    struct evtchn_close cl = { port };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl) == 0, "close");
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) == 0 &&
                    st.status == EVTCHNSTAT_closed,
                "status after close: closed");
    struct evtchn_send s = { port };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_send, &s) == -XEN_EINVAL,
                "send on a closed port -> -EINVAL");
    test_result("evtchn-pingpong", ok);
}
