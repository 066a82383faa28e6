/* SPDX-License-Identifier: Apache-2.0 */
/* Event-channel ping-pong benchmark: the side that offers the port and times it. */
#include "bench_evtchn.h"

void guest_main(void)
{
    events_init(0, false);
    domid_t self = my_domid();
    struct evtchn_alloc_unbound au = { DOMID_SELF, (domid_t)(self + 1), 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au)) {
        gprintf("alloc_unbound failed\n");
        return;
    }
    evtchn_port_t port = au.port;
    wait_port(port);   /* the peer's first event says it is bound */
    uint64_t t0 = now_ticks();
    for (int i = 0; i < ROUNDS; i++) {
        send(port);
        wait_port(port);
    }
    uint64_t t1 = now_ticks();
    send(port);        /* release the peer */
    gprintf("BENCH evtchn_roundtrip_ns %lu\n",
            (unsigned long)((t1 - t0) * 1000000000ULL / ticks_per_sec() / ROUNDS));
}
