/* SPDX-License-Identifier: Apache-2.0 */
/* event_channel_op sub-operations; numbers and layouts as in Xen's ABI. */
#ifndef HV_PUBLIC_EVENT_CHANNEL_H
#define HV_PUBLIC_EVENT_CHANNEL_H

#include "xen.h"

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9

struct evtchn_alloc_unbound {
    domid_t dom, remote_dom;    /* IN */
    evtchn_port_t port;         /* OUT */
};
struct evtchn_bind_interdomain {
    domid_t remote_dom;         /* IN */
    uint16_t pad;
    evtchn_port_t remote_port;  /* IN */
    evtchn_port_t local_port;   /* OUT */
};
struct evtchn_bind_virq {
    uint32_t virq;              /* IN */
    uint32_t vcpu;              /* IN */
    evtchn_port_t port;         /* OUT */
};
struct evtchn_close {
    evtchn_port_t port;
};
struct evtchn_send {
    evtchn_port_t port;
};
struct evtchn_bind_vcpu {
    evtchn_port_t port;
    uint32_t vcpu;
};
struct evtchn_unmask {
    evtchn_port_t port;
};

#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_pirq         3
#define EVTCHNSTAT_virq         4
#define EVTCHNSTAT_ipi          5
struct evtchn_status {
    domid_t dom;                /* IN */
    uint16_t pad;
    evtchn_port_t port;         /* IN */
    uint32_t status;            /* OUT */
    uint32_t vcpu;              /* OUT */
    union {
        struct { domid_t dom; } unbound;
        struct { domid_t dom; uint16_t pad; evtchn_port_t port; } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;
};

#endif
