/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 benchmark micro-guest (domain 1): binds d0's port 1 and times 2000
 * event round trips, both sides waiting in SCHEDOP_poll.
 * Prints "BENCH evtchn_roundtrip_ns <n>".
 */
#include "xguest.h"

#define ROUNDS 2000

void guest_main(void)
{
    if (!events_map())
        return;
    struct evtchn_bind_interdomain bi = { 0, 0, 1, 0 };
    for (int i = 0; i < 100000 && HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi); i++)
        yield();
    evtchn_port_t port = bi.local_port, ports[1] = { bi.local_port };
    evtchn_test_and_clear(port);
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    uint64_t t0 = rdtsc_g();
    for (unsigned i = 0; i < ROUNDS; i++) {
        struct evtchn_send s = { port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        while (!evtchn_test_and_clear(port))
            HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
    }
    uint64_t t1 = rdtsc_g();
    gprintf("BENCH evtchn_roundtrip_ns %lu\n", (unsigned long)((t1 - t0) * 1000000ULL / tsc_khz() / ROUNDS));
}
