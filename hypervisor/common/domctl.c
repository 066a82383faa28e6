/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control interface: what a toolstack in the control domain needs to
 * build, run and tear down other domains.  Only the control domain may call
 * it; a target must exist, not be dying, and (for destructive operations)
 * not be the caller.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <public/domctl.h>

#define LOAD_MAX (64UL << 20)

static long load_image(struct domain *t, const struct hv_domctl_load_image *li)
{
    uint8_t buf[256];
    if (li->size > LOAD_MAX || li->dest_gpa + li->size < li->dest_gpa ||
        li->src + li->size < li->src)
        return -EINVAL;
    for (uint64_t off = 0; off < li->size; off += sizeof(buf)) {
        size_t n = MIN(sizeof(buf), li->size - off);
        if (copy_from_guest(buf, li->src + off, n))
            return -EFAULT;
        spin_lock(&dom_lock);
        long rc = t->in_use && !t->dying ? domain_copy_to_gpa(t, li->dest_gpa + off, buf, n)
                                         : -ESRCH;
        spin_unlock(&dom_lock);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * The target must be paused, and its vCPU off every pCPU before its context
 * is replaced: a pCPU still running it would save its old registers over
 * the new ones when it switches away.  The wait happens without dom_lock,
 * which that pCPU may need to reach its scheduling point.
 */
static long set_vcpu_context(struct domain *self, domid_t id, const struct hv_domctl_vcpucontext *c)
{
    spin_lock(&dom_lock);
    struct domain *t = domain_get(id);
    long rc = !t ? -ESRCH : (t == self || c->vcpu >= t->max_vcpus || !t->pause_count) ? -EINVAL : 0;
    spin_unlock(&dom_lock);
    if (rc)
        return rc;
    sched_wait_descheduled(t);
    spin_lock(&dom_lock);
    if (domain_get(id) != t || !t->pause_count) {
        rc = -EBUSY;   /* destroyed or unpaused meanwhile */
    } else {
        struct vcpu *tv = &t->vcpus[c->vcpu];
        arch_vcpu_init(tv);
        arch_vcpu_set_entry(tv, c->pc, c->x0, c->sp_el1);
        sched_vcpu_start(tv);
    }
    spin_unlock(&dom_lock);
    return rc;
}

static void fill_info(struct domain *t, struct hv_domctl_getdomaininfo *gi)
{
    memset(gi, 0, sizeof(*gi));
    gi->flags = (t->dying ? HV_DOMINF_dying : 0) | (t->shutdown ? HV_DOMINF_shutdown : 0) |
                (t->pause_count ? HV_DOMINF_paused : 0);
    uint64_t ticks = 0;
    bool any_running = false, all_blocked = true;
    for (unsigned i = 0; i < t->max_vcpus; i++) {
        struct vcpu *v = &t->vcpus[i];
        ticks += v->cpu_time;
        if (v->running_on >= 0) {
            any_running = true;
            /* Include the slice in progress so samples are not 10 ms stale. */
            uint64_t now = arch_now();
            if (now > v->slice_start)
                ticks += now - v->slice_start;
        }
        if (v->online) {
            gi->nr_online_vcpus++;
            all_blocked &= v->blocked;
        }
    }
    if (any_running)
        gi->flags |= HV_DOMINF_running;
    if (gi->nr_online_vcpus && all_blocked)
        gi->flags |= HV_DOMINF_blocked;
    gi->shutdown_reason = t->shutdown_code;
    gi->tot_pages = t->tot_pages;
    gi->max_pages = t->max_pages;
    gi->cpu_time = arch_ticks_to_ns(ticks);
    gi->max_vcpu_id = t->max_vcpus - 1;
}

long do_domctl(struct vcpu *v, uint64_t arg)
{
    struct domain *self = v->domain;
    struct hv_domctl op;
    if (!self->is_control)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != HV_DOMCTL_INTERFACE_VERSION)
        return -EACCES;

    if (op.cmd == XEN_DOMCTL_destroydomain) {
        spin_lock(&dom_lock);
        struct domain *t = domain_get(op.domain);
        spin_unlock(&dom_lock);
        if (!t)
            return -ESRCH;
        if (t == self)
            return -EINVAL;
        return domain_destroy(t);
    }
    if (op.cmd == HV_DOMCTL_load_image) {
        spin_lock(&dom_lock);
        struct domain *t = domain_get(op.domain);
        spin_unlock(&dom_lock);
        if (!t)
            return -ESRCH;
        if (t == self)
            return -EINVAL;
        return load_image(t, &op.u.load_image);
    }

    if (op.cmd == XEN_DOMCTL_setvcpucontext)
        return set_vcpu_context(self, op.domain, &op.u.vcpucontext);

    long rc = 0;
    bool copy_back = false;
    spin_lock(&dom_lock);
    struct domain *t = NULL;
    if (op.cmd != XEN_DOMCTL_createdomain) {
        t = domain_get(op.domain);
        if (!t) {
            rc = -ESRCH;
            goto out;
        }
    }
    switch (op.cmd) {
    case XEN_DOMCTL_createdomain: {
        struct hv_domctl_createdomain *c = &op.u.createdomain;
        if (c->max_vcpus == 0 || c->max_vcpus > HV_MAX_VCPUS || c->weight > 65535 || c->cap > 100) {
            rc = -EINVAL;
            break;
        }
        t = domain_create(-1, c->max_vcpus, false);
        if (!t) {
            rc = -ENOMEM;
            break;
        }
        t->weight = c->weight ? c->weight : HV_DEFAULT_WEIGHT;
        t->cap = c->cap;
        op.domain = t->domid;
        copy_back = true;
        printk("d%u created by d%u\n", t->domid, self->domid);
        break;
    }
    case XEN_DOMCTL_pausedomain:
        if (t == self)
            rc = -EINVAL;
        else
            domain_pause(t);
        break;
    case XEN_DOMCTL_unpausedomain:
        if (!t->pause_count)
            rc = -EINVAL;
        else
            domain_unpause(t);
        break;
    case XEN_DOMCTL_getdomaininfo:
        fill_info(t, &op.u.getdomaininfo);
        copy_back = true;
        break;
    case XEN_DOMCTL_max_mem:
        if (op.u.max_mem.max_memkb > (1ULL << 40))
            rc = -EINVAL;
        else
            rc = domain_set_max_pages(t, op.u.max_mem.max_memkb >> 2);
        break;
    case XEN_DOMCTL_getvcpuinfo: {
        struct hv_domctl_getvcpuinfo *gi = &op.u.getvcpuinfo;
        if (gi->vcpu >= t->max_vcpus) {
            rc = -EINVAL;
            break;
        }
        struct vcpu *tv = &t->vcpus[gi->vcpu];
        gi->online = tv->online;
        gi->blocked = tv->blocked;
        gi->running = tv->running_on >= 0;
        gi->cpu_time = arch_ticks_to_ns(tv->cpu_time);
        gi->cpu = tv->last_cpu;
        copy_back = true;
        break;
    }
    case XEN_DOMCTL_setvcpuaffinity: {
        struct hv_domctl_vcpuaffinity *a = &op.u.vcpuaffinity;
        uint64_t online = (1ULL << arch_nr_cpus()) - 1;
        if (a->vcpu >= t->max_vcpus || !(a->cpumap & online)) {
            rc = -EINVAL;
            break;
        }
        t->vcpus[a->vcpu].affinity = a->cpumap & online;
        sched_kick_domain(t);
        break;
    }
    case XEN_DOMCTL_scheduler_op: {
        struct hv_domctl_scheduler_op *s = &op.u.scheduler_op;
        if (s->cmd == HV_SCHEDOP_getinfo) {
            s->weight = t->weight;
            s->cap = t->cap;
            copy_back = true;
        } else if (s->cmd == HV_SCHEDOP_putinfo && s->weight && s->weight <= 65535 &&
                   s->cap <= 100) {
            t->weight = s->weight;
            t->cap = s->cap;
        } else {
            rc = -EINVAL;
        }
        break;
    }
    default:
        rc = -ENOSYS;
    }
out:
    spin_unlock(&dom_lock);
    if (!rc && copy_back && copy_to_guest(arg, &op, sizeof(op)))
        rc = -EFAULT;
    return rc;
}
