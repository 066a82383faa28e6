/* SPDX-License-Identifier: Apache-2.0 */
/* Event-channel ping-pong benchmark: the side that binds and echoes. */
#include "bench_evtchn.h"

void guest_main(void)
{
    events_init(0, false);
    domid_t self = my_domid();
    struct evtchn_bind_interdomain bi = { (domid_t)(self - 1), 0, 1, 0 };
    /* The pinger offers the first free port, 1, once it has started. */
    for (int tries = 0; HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi); tries++) {
        if (tries > 1000000) {
            gprintf("bind_interdomain failed\n");
            return;
        }
        yield();
    }
    evtchn_port_t port = bi.local_port;
    evtchn_test_and_clear(port);
    send(port);
    for (int i = 0; i <= ROUNDS; i++) {
        wait_port(port);
        if (i < ROUNDS)
            send(port);
    }
}
