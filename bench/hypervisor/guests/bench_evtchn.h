/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event-channel ping-pong benchmark, shared by the two sides.  Neither side
 * knows its domain id in advance (Halyard numbers boot domains from 0, Xen
 * from 1), so each learns it from EVTCHNOP_status on a port it offers to
 * itself; the pinger is the first domain, the ponger the next one.
 */
#ifndef BENCH_EVTCHN_H
#define BENCH_EVTCHN_H

#include "guest.h"

#define ROUNDS 2000

static inline domid_t my_domid(void)
{
    struct evtchn_alloc_unbound au = { DOMID_SELF, DOMID_SELF, 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au))
        return DOMID_INVALID;
    struct evtchn_status st = { DOMID_SELF, 0, au.port, 0, 0, { { 0 } } };
    HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    struct evtchn_close cl = { au.port };
    HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl);
    return st.u.unbound.dom;
}

static inline void wait_port(evtchn_port_t port)
{
    evtchn_port_t ports[1] = { port };
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    while (!evtchn_test_and_clear(port))
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

static inline void send(evtchn_port_t port)
{
    struct evtchn_send s = { port };
    HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

#endif
