/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event-channel state machine over real domains (common/domain.c): port
 * allocation, interdomain binding, delivery into shared_info/vcpu_info,
 * masking, close semantics, VIRQs, polling wake-ups, teardown, and the
 * hypercall wrapper's pointer checks.
 */
#include "harness.h"
#include <hv/arch.h>
#include <hv/domain.h>
#include <public/event_channel.h>

static bool pending(struct domain *d, evtchn_port_t p)
{
    return d->shared_info->evtchn_pending[p / 64] & (1ULL << (p % 64));
}

int main(void)
{
    printf("evtchn: event-channel state machine\n");
    struct domain *a = domain_create(0, 1, true), *b = domain_create(1, 1, false);
    CHECK(a && b, "two domains created");
    /* Stays alive so destroying the others does not "power off" the test. */
    struct domain *keeper = domain_create(HV_MAX_DOMAINS - 1, 1, false);
    a->pause_count = b->pause_count = 0;
    a->vcpus[0].online = b->vcpus[0].online = true;
    evtchn_port_t pa, pb, p;

    CHECK(evtchn_alloc_unbound(a, 1, &pa) == 0 && pa == 1, "alloc_unbound gives port 1");
    CHECK(evtchn_bind_interdomain(b, 0, 2, &p) == -EINVAL, "binding a free port -> -EINVAL");
    CHECK(evtchn_bind_interdomain(b, 0, 0, &p) == -EINVAL, "binding port 0 -> -EINVAL");
    CHECK(evtchn_bind_interdomain(b, 0, 4096, &p) == -EINVAL, "binding port 4096 -> -EINVAL");
    CHECK(evtchn_bind_interdomain(b, 7, 1, &p) == -ESRCH, "binding to a missing domain -> -ESRCH");
    struct domain *c = domain_create(2, 1, false);
    CHECK(evtchn_bind_interdomain(c, 0, 1, &p) == -EINVAL, "a third domain may not take b's offer");
    CHECK(evtchn_bind_interdomain(b, 0, 1, &pb) == 0 && pb == 1, "b binds a:1 as its port 1");
    CHECK(a->evtchn[1].state == ECS_INTERDOMAIN && a->evtchn[1].remote_dom == 1 &&
              a->evtchn[1].remote_port == 1,
          "a's end is now interdomain to b:1");
    CHECK(pending(b, pb), "binding leaves the binder's port pending");

    /* Delivery: masked ports set pending but raise no upcall. */
    unsigned irqs = a->vcpus[0].arch.evtchn_irqs;
    CHECK(evtchn_send(b, pb) == 0 && pending(a, pa), "send sets the pending bit at the peer");
    CHECK(a->vcpus[0].arch.evtchn_irqs == irqs && !a->shared_info->vcpu_info[0].evtchn_upcall_pending,
          "masked port: no upcall");
    a->shared_info->evtchn_pending[0] = 0;
    a->shared_info->evtchn_mask[0] &= ~(1ULL << pa);
    CHECK(evtchn_send(b, pb) == 0 && a->shared_info->vcpu_info[0].evtchn_upcall_pending &&
              (a->shared_info->vcpu_info[0].evtchn_pending_sel & 1) &&
              a->vcpus[0].arch.evtchn_irqs == irqs + 1,
          "unmasked port: selector, upcall flag and one PPI");
    CHECK(evtchn_send(b, pb) == 0 && a->vcpus[0].arch.evtchn_irqs == irqs + 1,
          "a second send while pending raises nothing more");

    /* Polling: a blocked poller wakes when its port goes pending. */
    b->shared_info->evtchn_pending[0] = 0;
    evtchn_port_t ports[1] = { pb };
    CHECK(evtchn_poll(&b->vcpus[0], ports, 1, 0) == 0 && b->vcpus[0].blocked && b->vcpus[0].polling,
          "poll with nothing pending blocks");
    CHECK(evtchn_send(a, pa) == 0 && !b->vcpus[0].blocked && !b->vcpus[0].polling,
          "send to the polled port wakes the poller");
    evtchn_port_t bad[1] = { 5000 };
    CHECK(evtchn_poll(&b->vcpus[0], bad, 1, 0) == -EINVAL, "poll on port 5000 -> -EINVAL");

    /* Close: the peer's end becomes unbound again, and can be re-bound. */
    CHECK(evtchn_close(b, pb) == 0 && b->evtchn[pb].state == ECS_FREE, "b closes its end");
    CHECK(a->evtchn[pa].state == ECS_UNBOUND && a->evtchn[pa].remote_dom == 1,
          "a's end is unbound, still offered to b");
    CHECK(evtchn_send(a, pa) == 0, "sending on an unbound port is a silent drop");
    CHECK(evtchn_send(b, pb) == -EINVAL && evtchn_close(b, pb) == -EINVAL,
          "send/close on a closed port -> -EINVAL");
    CHECK(evtchn_bind_interdomain(b, 0, pa, &pb) == 0, "b re-binds");

    /* Routing to another vCPU needs that vCPU to have a vcpu_info. */
    struct domain *two = domain_create(3, 2, false);
    evtchn_port_t tp;
    CHECK(evtchn_alloc_unbound(two, 3, &tp) == 0 && evtchn_bind_vcpu(two, tp, 1) == -EINVAL,
          "bind_vcpu to a vCPU without a vcpu_info -> -EINVAL");
    two->vcpus[1].vcpu_info = &two->shared_info->vcpu_info[0] + 0;   /* stand-in for a registered one */
    CHECK(evtchn_bind_vcpu(two, tp, 1) == 0 && two->evtchn[tp].notify_vcpu == 1, "bind_vcpu routes the port");
    CHECK(evtchn_bind_vcpu(two, tp, 2) == -EINVAL && evtchn_bind_vcpu(two, 0, 1) == -EINVAL,
          "bad vCPU or port -> -EINVAL");
    two->vcpus[1].vcpu_info = NULL;
    CHECK(domain_destroy(two) == 0, "destroy the two-vCPU domain");

    /* VIRQs. */
    CHECK(evtchn_bind_virq(a, VIRQ_DOM_EXC, 0, &p) == 0 && a->vcpus[0].virq_to_port[VIRQ_DOM_EXC] == p,
          "bind VIRQ_DOM_EXC");
    CHECK(evtchn_bind_virq(a, VIRQ_DOM_EXC, 0, &p) == -EEXIST, "binding it twice -> -EEXIST");
    CHECK(evtchn_bind_virq(a, HV_NR_VIRQS, 0, &p) == -EINVAL && evtchn_bind_virq(a, 0, 9, &p) == -EINVAL,
          "bad VIRQ or vCPU -> -EINVAL");
    evtchn_port_t vp = a->vcpus[0].virq_to_port[VIRQ_DOM_EXC];
    CHECK(evtchn_send(a, vp) == -EINVAL, "sending on a VIRQ port -> -EINVAL");
    domain_shutdown(c, SHUTDOWN_crash);
    CHECK(pending(a, vp), "a domain shutting down raises VIRQ_DOM_EXC at the control domain");

    /* Exhaustion. */
    unsigned n = 0;
    while (evtchn_alloc_unbound(c, 0, &p) == 0)
        n++;
    CHECK(n == HV_NR_EVTCHN - 1, "a domain gets %u ports, then -ENOSPC", HV_NR_EVTCHN - 1);

    /* Teardown of b: a's port reverts to unbound and b's offer elsewhere is void. */
    CHECK(evtchn_alloc_unbound(a, 1, &p) == 0, "a offers b another port");
    evtchn_domain_teardown(b);
    CHECK(a->evtchn[pa].state == ECS_UNBOUND && a->evtchn[p].remote_dom == DOMID_INVALID,
          "after b's teardown nothing in a points at b");

    /* The hypercall wrapper: pointers outside the guest window are -EFAULT. */
    struct evtchn_alloc_unbound au = { DOMID_SELF, 0, 0 };
    harness_guest_window(&au, sizeof(au));
    CHECK(do_event_channel_op(&a->vcpus[0], EVTCHNOP_alloc_unbound, (uint64_t)(uintptr_t)&au) == 0 &&
              au.port > 0,
          "EVTCHNOP_alloc_unbound through the wrapper returns the port");
    CHECK(do_event_channel_op(&a->vcpus[0], EVTCHNOP_alloc_unbound, 0x1000) == -EFAULT,
          "bad pointer -> -EFAULT");
    CHECK(do_event_channel_op(&a->vcpus[0], 77, (uint64_t)(uintptr_t)&au) == -ENOSYS,
          "unknown op -> -ENOSYS");
    au.dom = 1;
    CHECK(do_event_channel_op(&a->vcpus[0], EVTCHNOP_alloc_unbound, (uint64_t)(uintptr_t)&au) == -EPERM,
          "alloc_unbound for another domain -> -EPERM");
    CHECK(domain_destroy(b) == 0 && a->evtchn[pb].state != ECS_INTERDOMAIN, "destroy b");
    CHECK(domain_destroy(c) == 0 && domain_destroy(a) == 0 && harness_pages_live == 2 /* the keeper's stage-2 root and shared_info */,
          "all pages returned");
    (void)keeper;
    return harness_finish("evtchn");
}
