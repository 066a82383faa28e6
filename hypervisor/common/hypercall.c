/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hypercall dispatch and the small hypercalls (console_io, xen_version,
 * sched_op, vcpu_op, memory_op).  Every guest pointer goes through
 * copy_from_guest/copy_to_guest, which fail with -EFAULT instead of
 * faulting; every size and index is bounded before use.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <asm/guest_layout.h>
#include <public/memory.h>

#define CONSOLE_MAX 16384

static long console_io(struct vcpu *v, unsigned cmd, uint64_t count, uint64_t buf)
{
    if (cmd == CONSOLEIO_read)
        return 0;   /* no console input for guests yet */
    if (cmd != CONSOLEIO_write)
        return -ENOSYS;
    if (count > CONSOLE_MAX)
        return -EINVAL;
    char chunk[128];
    while (count) {
        size_t n = MIN(count, sizeof(chunk));
        if (copy_from_guest(chunk, buf, n))
            return -EFAULT;
        spin_lock(&dom_lock);
        for (size_t i = 0; i < n; i++)
            domain_console_putc(v->domain, chunk[i]);
        spin_unlock(&dom_lock);
        buf += n;
        count -= n;
    }
    return 0;
}

static long xen_version(unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (HV_VERSION_MAJOR << 16) | HV_VERSION_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t s = "-halyard";
        return copy_to_guest(arg, s, sizeof(s)) ? -EFAULT : 0;
    }
    case XENVER_capabilities: {
        static const char caps[] = "xen-3.0-aarch64 ";
        return copy_to_guest(arg, caps, sizeof(caps)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        /* Arm guests are always auto-translated and never direct-mapped. */
        fi.submap = fi.submap_idx ? 0
                                  : (1U << XENFEAT_writable_page_tables) |
                                        (1U << XENFEAT_writable_descriptor_tables) |
                                        (1U << XENFEAT_auto_translated_physmap) |
                                        (1U << XENFEAT_not_direct_mapped);
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_pagesize:
        return PAGE_SIZE;
    default:
        return -ENOSYS;
    }
}

static long sched_op(struct vcpu *v, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield_vcpu(v);
        return 0;
    case SCHEDOP_block:
        spin_lock(&dom_lock);
        if (!evtchn_vcpu_has_pending(v) && !arch_vcpu_irq_pending(v))
            sched_block(v);
        spin_unlock(&dom_lock);
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.reason > SHUTDOWN_watchdog)
            return -EINVAL;
        domain_shutdown(v->domain, s.reason);
        return 0;
    }
    case SCHEDOP_poll: {
        struct sched_poll p;
        evtchn_port_t ports[HV_MAX_POLL];
        if (copy_from_guest(&p, arg, sizeof(p)))
            return -EFAULT;
        if (p.nr_ports == 0 || p.nr_ports > HV_MAX_POLL)
            return -EINVAL;
        if (copy_from_guest(ports, p.ports, p.nr_ports * sizeof(ports[0])))
            return -EFAULT;
        uint64_t deadline = p.timeout ? arch_ns_to_ticks(p.timeout) : 0;
        spin_lock(&dom_lock);
        long rc = evtchn_poll(v, ports, p.nr_ports, deadline);
        spin_unlock(&dom_lock);
        return rc;
    }
    default:
        return -ENOSYS;
    }
}

/*
 * Points t's vcpu_info at guest RAM (a page that stays the domain's until it
 * is destroyed: RAM is never taken back from a live domain).  Once only.
 */
static long register_vcpu_info(struct vcpu *t, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || (r.offset & 7) ||
        r.mfn >> (P2M_IPA_BITS - PAGE_SHIFT))
        return -EINVAL;
    struct domain *d = t->domain;
    uint64_t pa;
    enum p2m_type type;
    long rc = 0;
    spin_lock(&dom_lock);
    if (t->vcpu_info_registered)
        rc = -EINVAL;
    else if (p2m_lookup(&d->p2m, r.mfn << PAGE_SHIFT, &pa, &type, NULL) || type != P2M_RAM)
        rc = -EINVAL;
    if (!rc) {
        struct vcpu_info *vi = (struct vcpu_info *)((uint8_t *)pa_to_va(pa) + r.offset);
        if (t->vcpu_info)
            memcpy(vi, t->vcpu_info, sizeof(*vi));
        else
            memset(vi, 0, sizeof(*vi));
        t->vcpu_info = vi;
        t->vcpu_info_registered = true;
    }
    spin_unlock(&dom_lock);
    return rc;
}

static void fill_runstate(const struct vcpu *t, struct vcpu_runstate_info *ri)
{
    memset(ri, 0, sizeof(*ri));
    ri->state = t->running_on >= 0 ? RUNSTATE_running
                : !t->online       ? RUNSTATE_offline
                : t->blocked       ? RUNSTATE_blocked
                                   : RUNSTATE_runnable;
    ri->time[RUNSTATE_running] = arch_ticks_to_ns(t->cpu_time);
    ri->state_entry_time = arch_ticks_to_ns(arch_now());
}

/*
 * Refreshes the runstate area v registered; v must be the vCPU loaded on
 * this pCPU.  A bad address is the guest's problem: the write is skipped.
 */
void runstate_update(struct vcpu *v)
{
    if (!v->runstate_gva)
        return;
    struct vcpu_runstate_info ri;
    fill_runstate(v, &ri);
    (void)copy_to_guest(v->runstate_gva, &ri, sizeof(ri));
}

static long vcpu_op(struct vcpu *v, unsigned cmd, uint64_t id, uint64_t arg)
{
    struct domain *d = v->domain;
    if (id >= d->max_vcpus)
        return -ENOENT;
    struct vcpu *t = &d->vcpus[id];
    switch (cmd) {
    case VCPUOP_is_up:
        return t->online;
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(t, arg);
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        /* Written through the guest's own translation whenever t is loaded. */
        t->runstate_gva = a.addr;
        if (t == v)
            runstate_update(v);
        return 0;
    }
    case VCPUOP_initialise:
        if (__atomic_load_n(&t->initialised, __ATOMIC_ACQUIRE))
            return -EEXIST;
        return arch_vcpu_initialise(t, arg);
    case VCPUOP_up:
        /* As in Xen: a vCPU needs a context first; up on an online one is a no-op. */
        if (!__atomic_load_n(&t->initialised, __ATOMIC_ACQUIRE))
            return -EINVAL;
        if (!t->online)
            sched_vcpu_start(t);
        return 0;
    case VCPUOP_down: {
        /* Any vCPU of the caller's domain; the last one going down powers the domain off (Xen). */
        bool others = false;
        for (unsigned i = 0; i < d->max_vcpus; i++)
            others |= i != id && d->vcpus[i].online;
        if (!others) {
            domain_shutdown(d, SHUTDOWN_poweroff);
            return 0;
        }
        sched_vcpu_stop(t);
        return 0;
    }
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info ri;
        fill_runstate(t, &ri);
        return copy_to_guest(arg, &ri, sizeof(ri)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;
    }
}

/* Maps a hypervisor-owned page (shared_info or a grant frame) at gpfn. */
static long add_to_physmap(struct domain *d, const struct xen_add_to_physmap *x)
{
    uint64_t pa;
    if (x->domid != DOMID_SELF && x->domid != d->domid)
        return -EPERM;
    if (x->gpfn >> (P2M_IPA_BITS - PAGE_SHIFT))
        return -EINVAL;
    if (x->space == XENMAPSPACE_shared_info) {
        if (x->idx != 0)
            return -EINVAL;
        pa = d->shared_info_pa;
    } else if (x->space == XENMAPSPACE_grant_table) {
        if (x->idx >= HV_GNT_FRAMES || gnttab_setup(d, (unsigned)x->idx + 1))
            return -EINVAL;
        pa = d->gnt_frames[x->idx];
    } else {
        return -ENOSYS;
    }
    uint64_t ipa = x->gpfn << PAGE_SHIFT, old;
    enum p2m_type t;
    if (p2m_lookup(&d->p2m, ipa, &old, &t, NULL) == 0) {
        if (t == P2M_FOREIGN)
            return -EBUSY;    /* a grant mapping: unmap it with the grant op */
        /*
         * As in Xen, the page replaces whatever was there; a RAM page the
         * guest gives up this way goes back to the pool.  (Linux puts its
         * shared_info over a page of its own RAM.)
         */
        p2m_unmap(&d->p2m, ipa, NULL, NULL);
        arch_domain_flush_tlb(d);
        if (t == P2M_RAM) {
            free_page(old & PAGE_MASK);
            d->tot_pages--;
        }
    }
    return p2m_map(&d->p2m, ipa, pa, P2M_HV, true);
}

/* Reports the RAM ranges (runs of P2M_RAM from the RAM base). */
static long memory_map(struct domain *d, uint64_t arg)
{
    struct xen_memory_map mm;
    if (copy_from_guest(&mm, arg, sizeof(mm)))
        return -EFAULT;
    if (mm.nr_entries < 1)
        return -EINVAL;
    struct hv_memory_range r = { GUEST_RAM0_BASE, 0, 1, 0 };
    spin_lock(&dom_lock);
    for (uint64_t ipa = GUEST_RAM0_BASE;; ipa += PAGE_SIZE) {
        enum p2m_type t;
        if (p2m_lookup(&d->p2m, ipa, NULL, &t, NULL) || t != P2M_RAM)
            break;
        r.size += PAGE_SIZE;
    }
    spin_unlock(&dom_lock);
    mm.nr_entries = 1;
    if (copy_to_guest(mm.buffer, &r, sizeof(r)) || copy_to_guest(arg, &mm, sizeof(mm)))
        return -EFAULT;
    return 0;
}

static long populate_physmap(struct domain *self, uint64_t arg)
{
    struct xen_memory_reservation r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (r.extent_order > 9 || r.nr_extents > 65536)
        return -EINVAL;
    uint64_t done = 0;
    for (; done < r.nr_extents; done++) {
        uint64_t gfn;
        if (copy_from_guest(&gfn, r.extent_start + done * 8, 8))
            return done ? (long)done : -EFAULT;
        spin_lock(&dom_lock);
        struct domain *d = (r.domid == DOMID_SELF) ? self : domain_get(r.domid);
        long rc = 0;
        if (!d)
            rc = -ESRCH;
        else if (d != self && !self->is_control)
            rc = -EPERM;
        else if (gfn & ((1ULL << r.extent_order) - 1))
            rc = -EINVAL;
        else
            rc = domain_populate(d, gfn, 1ULL << r.extent_order);
        spin_unlock(&dom_lock);
        if (rc)
            return done ? (long)done : rc;
    }
    /* As in Xen: the number of extents done. */
    return (long)done;
}

long do_memory_op(struct vcpu *v, unsigned cmd, uint64_t arg)
{
    struct domain *d = v->domain;
    switch (cmd) {
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        domid_t id;
        if (copy_from_guest(&id, arg, sizeof(id)))
            return -EFAULT;
        spin_lock(&dom_lock);
        struct domain *t = id == DOMID_SELF ? d : domain_get(id);
        long rc = !t ? -ESRCH : (t != d && !d->is_control) ? -EPERM
                  : (long)(cmd == XENMEM_current_reservation ? t->tot_pages : t->max_pages);
        spin_unlock(&dom_lock);
        return rc;
    }
    case XENMEM_populate_physmap:
        return populate_physmap(d, arg);
    case XENMEM_add_to_physmap: {
        struct xen_add_to_physmap x;
        if (copy_from_guest(&x, arg, sizeof(x)))
            return -EFAULT;
        spin_lock(&dom_lock);
        long rc = add_to_physmap(d, &x);
        spin_unlock(&dom_lock);
        return rc;
    }
    case XENMEM_remove_from_physmap: {
        struct xen_remove_from_physmap x;
        if (copy_from_guest(&x, arg, sizeof(x)))
            return -EFAULT;
        if (x.domid != DOMID_SELF && x.domid != d->domid)
            return -EPERM;
        if (x.gpfn >> (P2M_IPA_BITS - PAGE_SHIFT))
            return -EINVAL;
        spin_lock(&dom_lock);
        enum p2m_type t;
        long rc = p2m_lookup(&d->p2m, x.gpfn << PAGE_SHIFT, NULL, &t, NULL);
        if (!rc && t != P2M_HV)
            rc = -EINVAL;   /* RAM and grant maps have their own teardown */
        if (!rc) {
            p2m_unmap(&d->p2m, x.gpfn << PAGE_SHIFT, NULL, NULL);
            arch_domain_flush_tlb(d);
        }
        spin_unlock(&dom_lock);
        return rc;
    }
    case XENMEM_memory_map:
        return memory_map(d, arg);
    default:
        return -ENOSYS;
    }
}

/*
 * One-shot timer in system time (ns since the counter started): fires
 * VIRQ_TIMER.  0 cancels.  Resolution is the scheduler tick.
 */
static long set_timer_op(struct vcpu *v, uint64_t timeout_ns)
{
    spin_lock(&dom_lock);
    v->timer_deadline = timeout_ns ? MAX(arch_ns_to_ticks(timeout_ns), 1) : 0;
    spin_unlock(&dom_lock);
    return 0;
}

long do_hypercall(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                  uint64_t a3, uint64_t a4)
{
    (void)a3;
    (void)a4;
    if (nr == __HYPERVISOR_domctl)
        return do_domctl(v, a0);
    if (nr == __HYPERVISOR_set_timer_op)
        return set_timer_op(v, a0);
    /* Sub-op numbers are 32-bit in the ABI; reject garbage in the top half. */
    if (a0 >> 32)
        return -EINVAL;
    unsigned cmd = (unsigned)a0;
    switch (nr) {
    case __HYPERVISOR_console_io:
        return console_io(v, cmd, a1, a2);
    case __HYPERVISOR_xen_version:
        return xen_version(cmd, a1);
    case __HYPERVISOR_sched_op:
        return sched_op(v, cmd, a1);
    case __HYPERVISOR_vcpu_op:
        return vcpu_op(v, cmd, a1, a2);
    case __HYPERVISOR_memory_op:
        return do_memory_op(v, cmd, a1);
    case __HYPERVISOR_event_channel_op:
        return do_event_channel_op(v, cmd, a1);
    case __HYPERVISOR_grant_table_op:
        if (a2 >> 32)
            return -EINVAL;
        return do_grant_table_op(v, cmd, a1, (uint32_t)a2);
    default:
        return -ENOSYS;
    }
}
