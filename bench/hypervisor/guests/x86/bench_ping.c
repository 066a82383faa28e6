/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 benchmark micro-guest (domain 0): offers port 1 to domain 1 and
 * echoes every event back, waiting in SCHEDOP_poll.
 */
#include "xguest.h"

#define ROUNDS 2000

void guest_main(void)
{
    if (!events_map())
        return;
    struct evtchn_alloc_unbound au = { DOMID_SELF, 1, 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au))
        return;
    evtchn_port_t ports[1] = { au.port };
    struct sched_poll sp = { (uint64_t)ports, 1, 0, 0 };
    for (unsigned i = 0; i < ROUNDS; i++) {
        while (!evtchn_test_and_clear(au.port))
            HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        struct evtchn_send s = { au.port };
        HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    }
    struct hv_domctl_getdomaininfo gi;
    wait_shutdown(1, &gi);
}
