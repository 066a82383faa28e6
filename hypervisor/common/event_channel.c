/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event channels, 2-level ABI: pending and mask bitmaps in shared_info, a
 * selector word and upcall flag in vcpu_info, and the event PPI asserted on
 * the notified vCPU when its upcall flag goes from 0 to 1.  Port state
 * lives in the hypervisor; every port number from a guest is range-checked.
 * All functions except do_event_channel_op and evtchn_send_virq expect
 * dom_lock to be held.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <public/event_channel.h>

static bool port_valid(evtchn_port_t p)
{
    return p > 0 && p < HV_NR_EVTCHN;
}

static int get_free_port(struct domain *d, evtchn_port_t *port)
{
    for (evtchn_port_t p = 1; p < HV_NR_EVTCHN; p++)
        if (d->evtchn[p].state == ECS_FREE) {
            *port = p;
            return 0;
        }
    return -ENOSPC;
}

static struct vcpu *notify_target(struct domain *d, evtchn_port_t port)
{
    unsigned n = d->evtchn[port].notify_vcpu;
    /* Arm has one vcpu_info in shared_info (vCPU 0); other vCPUs get one by
     * VCPUOP_register_vcpu_info, and until then their events go to vCPU 0. */
    if (n >= d->max_vcpus || !d->vcpus[n].vcpu_info)
        n = 0;
    return &d->vcpus[n];
}

static bool test_and_set(uint64_t *word, unsigned bit)
{
    uint64_t m = 1ULL << bit;
    return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

/* Raises the upcall for port on its vCPU if the port is unmasked. */
static void deliver(struct domain *d, evtchn_port_t port)
{
    struct shared_info *si = d->shared_info;
    struct vcpu *v = notify_target(d, port);
    if (__atomic_load_n(&si->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & (1ULL << (port % 64)))
        return;
    struct vcpu_info *vi = v->vcpu_info;
    if (!test_and_set(&vi->evtchn_pending_sel, port / 64) &&
        !__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST)) {
        arch_vcpu_raise_evtchn(v);
        sched_wake(v);
    }
}

static void wake_pollers(struct domain *d, evtchn_port_t port)
{
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        if (!v->polling)
            continue;
        bool match = v->nr_poll == 0;
        for (unsigned j = 0; j < v->nr_poll; j++)
            match |= v->poll_ports[j] == port;
        if (match) {
            v->polling = false;
            sched_wake(v);
        }
    }
}

void evtchn_set_pending(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(port) || d->dying)
        return;
    if (test_and_set(&d->shared_info->evtchn_pending[port / 64], port % 64))
        return;
    wake_pollers(d, port);
    deliver(d, port);
}

bool evtchn_vcpu_has_pending(const struct vcpu *v)
{
    return v->vcpu_info && __atomic_load_n(&v->vcpu_info->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

int evtchn_alloc_unbound(struct domain *d, domid_t remote, evtchn_port_t *port)
{
    if (remote == DOMID_SELF)
        remote = d->domid;
    if (remote >= HV_MAX_DOMAINS)
        return -EINVAL;
    int rc = get_free_port(d, port);
    if (rc)
        return rc;
    d->evtchn[*port].state = ECS_UNBOUND;
    d->evtchn[*port].remote_dom = remote;
    d->evtchn[*port].notify_vcpu = 0;
    return 0;
}

int evtchn_bind_interdomain(struct domain *d, domid_t rdom, evtchn_port_t rport, evtchn_port_t *port)
{
    if (rdom == DOMID_SELF)
        rdom = d->domid;
    struct domain *r = domain_get(rdom);
    if (!r)
        return -ESRCH;
    if (!port_valid(rport))
        return -EINVAL;
    struct evtchn *rc = &r->evtchn[rport];
    if (rc->state != ECS_UNBOUND || rc->remote_dom != d->domid)
        return -EINVAL;
    int err = get_free_port(d, port);
    if (err)
        return err;
    if (r == d && *port == rport)
        return -EINVAL;
    struct evtchn *lc = &d->evtchn[*port];
    lc->state = ECS_INTERDOMAIN;
    lc->remote_dom = r->domid;
    lc->remote_port = rport;
    lc->notify_vcpu = 0;
    rc->state = ECS_INTERDOMAIN;
    rc->remote_dom = d->domid;
    rc->remote_port = *port;
    /* As in Xen: the binder sees a pending event so it notices the link. */
    evtchn_set_pending(d, *port);
    return 0;
}

int evtchn_bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
    if (virq >= HV_NR_VIRQS || vcpu >= d->max_vcpus)
        return -EINVAL;
    struct vcpu *v = &d->vcpus[vcpu];
    if (v->virq_to_port[virq])
        return -EEXIST;
    int rc = get_free_port(d, port);
    if (rc)
        return rc;
    d->evtchn[*port].state = ECS_VIRQ;
    d->evtchn[*port].virq = virq;
    d->evtchn[*port].notify_vcpu = (uint16_t)vcpu;
    v->virq_to_port[virq] = *port;
    return 0;
}

int evtchn_send(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(port))
        return -EINVAL;
    struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_INTERDOMAIN: {
        struct domain *r = domain_get(c->remote_dom);
        if (r)
            evtchn_set_pending(r, c->remote_port);
        return 0;
    }
    case ECS_UNBOUND:
        return 0;    /* nobody listening yet: dropped, as Xen does */
    default:
        return -EINVAL;
    }
}

int evtchn_close(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(port))
        return -EINVAL;
    struct evtchn *c = &d->evtchn[port];
    switch (c->state) {
    case ECS_FREE:
        return -EINVAL;
    case ECS_INTERDOMAIN: {
        struct domain *r = &domains[c->remote_dom];
        if (c->remote_dom < HV_MAX_DOMAINS && r->in_use && port_valid(c->remote_port)) {
            struct evtchn *rc = &r->evtchn[c->remote_port];
            if (rc->state == ECS_INTERDOMAIN && rc->remote_dom == d->domid &&
                rc->remote_port == port) {
                /* The peer's end goes back to waiting for a new binder. */
                rc->state = ECS_UNBOUND;
                rc->remote_dom = d->domid;
                rc->remote_port = 0;
            }
        }
        break;
    }
    case ECS_VIRQ:
        if (c->notify_vcpu < d->max_vcpus && c->virq < HV_NR_VIRQS)
            d->vcpus[c->notify_vcpu].virq_to_port[c->virq] = 0;
        break;
    default:
        break;
    }
    memset(c, 0, sizeof(*c));
    __atomic_fetch_and(&d->shared_info->evtchn_pending[port / 64], ~(1ULL << (port % 64)),
                       __ATOMIC_SEQ_CST);
    return 0;
}

/* Routes an interdomain or unbound port's notifications to another vCPU. */
int evtchn_bind_vcpu(struct domain *d, evtchn_port_t port, uint32_t vcpu)
{
    if (!port_valid(port) || vcpu >= d->max_vcpus || !d->vcpus[vcpu].vcpu_info)
        return -EINVAL;
    uint8_t st = d->evtchn[port].state;
    if (st != ECS_INTERDOMAIN && st != ECS_UNBOUND)
        return -EINVAL;   /* VIRQs stay on the vCPU they were bound for */
    d->evtchn[port].notify_vcpu = (uint16_t)vcpu;
    return 0;
}

static int evtchn_unmask(struct domain *d, evtchn_port_t port)
{
    if (!port_valid(port))
        return -EINVAL;
    struct shared_info *si = d->shared_info;
    __atomic_fetch_and(&si->evtchn_mask[port / 64], ~(1ULL << (port % 64)), __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&si->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & (1ULL << (port % 64)))
        deliver(d, port);
    return 0;
}

static int evtchn_status(struct domain *d, struct evtchn_status *st)
{
    struct domain *t = d;
    if (st->dom != DOMID_SELF && st->dom != d->domid) {
        if (!d->is_control)
            return -EPERM;
        t = domain_get(st->dom);
        if (!t)
            return -ESRCH;
    }
    if (!port_valid(st->port))
        return -EINVAL;
    struct evtchn *c = &t->evtchn[st->port];
    memset(&st->u, 0, sizeof(st->u));
    st->vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
        st->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        st->status = EVTCHNSTAT_unbound;
        st->u.unbound.dom = c->remote_dom;
        break;
    case ECS_INTERDOMAIN:
        st->status = EVTCHNSTAT_interdomain;
        st->u.interdomain.dom = c->remote_dom;
        st->u.interdomain.port = c->remote_port;
        break;
    case ECS_VIRQ:
        st->status = EVTCHNSTAT_virq;
        st->u.virq = c->virq;
        break;
    }
    return 0;
}

/* Blocks v until one of ports is pending (or the deadline passes). */
int evtchn_poll(struct vcpu *v, const evtchn_port_t *ports, uint32_t n, uint64_t deadline)
{
    struct domain *d = v->domain;
    for (uint32_t i = 0; i < n; i++) {
        if (!port_valid(ports[i]))
            return -EINVAL;
        if (d->shared_info->evtchn_pending[ports[i] / 64] & (1ULL << (ports[i] % 64)))
            return 0;
    }
    v->polling = true;
    v->nr_poll = n;
    for (uint32_t i = 0; i < n; i++)
        v->poll_ports[i] = ports[i];
    v->wake_deadline = deadline;
    sched_block(v);
    return 0;
}

void evtchn_send_virq(struct vcpu *v, uint32_t virq)
{
    spin_lock(&dom_lock);
    if (virq < HV_NR_VIRQS && v->virq_to_port[virq])
        evtchn_set_pending(v->domain, v->virq_to_port[virq]);
    spin_unlock(&dom_lock);
}

void timers_expire(uint64_t now)
{
    spin_lock(&dom_lock);
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        for (unsigned j = 0; d->in_use && !d->dying && j < d->max_vcpus; j++) {
            struct vcpu *v = &d->vcpus[j];
            if (v->timer_deadline && now >= v->timer_deadline) {
                v->timer_deadline = 0;
                if (v->virq_to_port[VIRQ_TIMER])
                    evtchn_set_pending(d, v->virq_to_port[VIRQ_TIMER]);
            }
        }
    }
    spin_unlock(&dom_lock);
}

void evtchn_domain_teardown(struct domain *d)
{
    for (evtchn_port_t p = 1; p < HV_NR_EVTCHN; p++)
        if (d->evtchn[p].state != ECS_FREE)
            evtchn_close(d, p);
    /* Unbound ports elsewhere that name d can never be bound now. */
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *o = &domains[i];
        for (evtchn_port_t p = 1; o->in_use && o != d && p < HV_NR_EVTCHN; p++)
            if (o->evtchn[p].state == ECS_UNBOUND && o->evtchn[p].remote_dom == d->domid)
                o->evtchn[p].remote_dom = DOMID_INVALID;
    }
}

long do_event_channel_op(struct vcpu *v, unsigned int cmd, uint64_t arg)
{
    struct domain *d = v->domain;
    union {
        struct evtchn_alloc_unbound au;
        struct evtchn_bind_interdomain bi;
        struct evtchn_bind_virq bv;
        struct evtchn_close cl;
        struct evtchn_send se;
        struct evtchn_status st;
        struct evtchn_unmask um;
        struct evtchn_bind_vcpu bvc;
    } op;
    static const uint8_t sizes[] = {
        [EVTCHNOP_bind_interdomain] = sizeof(op.bi), [EVTCHNOP_bind_virq] = sizeof(op.bv),
        [EVTCHNOP_close] = sizeof(op.cl),           [EVTCHNOP_send] = sizeof(op.se),
        [EVTCHNOP_status] = sizeof(op.st),          [EVTCHNOP_alloc_unbound] = sizeof(op.au),
        [EVTCHNOP_unmask] = sizeof(op.um),          [EVTCHNOP_bind_vcpu] = sizeof(op.bvc),
    };
    if (cmd >= ARRAY_SIZE(sizes) || !sizes[cmd])
        return -ENOSYS;
    if (copy_from_guest(&op, arg, sizes[cmd]))
        return -EFAULT;
    long rc;
    bool copy_back = false;
    spin_lock(&dom_lock);
    switch (cmd) {
    case EVTCHNOP_alloc_unbound:
        if (op.au.dom != DOMID_SELF && op.au.dom != d->domid) {
            rc = -EPERM;   /* allocating in another domain needs a toolstack */
            break;
        }
        rc = evtchn_alloc_unbound(d, op.au.remote_dom, &op.au.port);
        copy_back = true;
        break;
    case EVTCHNOP_bind_interdomain:
        rc = evtchn_bind_interdomain(d, op.bi.remote_dom, op.bi.remote_port, &op.bi.local_port);
        copy_back = true;
        break;
    case EVTCHNOP_bind_virq:
        rc = evtchn_bind_virq(d, op.bv.virq, op.bv.vcpu, &op.bv.port);
        copy_back = true;
        break;
    case EVTCHNOP_close:
        rc = evtchn_close(d, op.cl.port);
        break;
    case EVTCHNOP_send:
        rc = evtchn_send(d, op.se.port);
        break;
    case EVTCHNOP_status:
        rc = evtchn_status(d, &op.st);
        copy_back = true;
        break;
    case EVTCHNOP_unmask:
        rc = evtchn_unmask(d, op.um.port);
        break;
    case EVTCHNOP_bind_vcpu:
        rc = evtchn_bind_vcpu(d, op.bvc.port, op.bvc.vcpu);
        break;
    default:
        rc = -ENOSYS;
    }
    spin_unlock(&dom_lock);
    if (rc == 0 && copy_back && copy_to_guest(arg, &op, sizes[cmd]))
        rc = -EFAULT;
    return rc;
}
