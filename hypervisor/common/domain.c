/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Domain lifecycle.  Domains live in a static table; their memory, stage-2
 * tables and shared pages come from the boot-time page pool and go back to
 * it on destroy.  Unless stated otherwise, callers hold dom_lock.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <public/domctl.h>

struct domain domains[HV_MAX_DOMAINS];
spinlock_t dom_lock;

/*
 * Creates a paused domain.  domid < 0 picks the lowest free id above 0.
 * Returns NULL when the table or the page pool is exhausted.
 */
struct domain *domain_create(int domid, unsigned int max_vcpus, bool is_control)
{
    if (max_vcpus == 0 || max_vcpus > HV_MAX_VCPUS)
        return NULL;
    if (domid < 0) {
        for (int i = 1; i < HV_MAX_DOMAINS; i++)
            if (!domains[i].in_use) {
                domid = i;
                break;
            }
    }
    if (domid < 0 || domid >= HV_MAX_DOMAINS || domains[domid].in_use)
        return NULL;
    struct domain *d = &domains[domid];
    memset(d, 0, sizeof(*d));
    d->domid = (domid_t)domid;
    d->is_control = is_control;
    d->pause_count = 1;
    d->weight = HV_DEFAULT_WEIGHT;
    d->max_vcpus = max_vcpus;
    d->max_pages = 0;
    if (p2m_init(&d->p2m, &hv_p2m_ops))
        return NULL;
    d->shared_info_pa = alloc_zeroed_page();
    if (!d->shared_info_pa)
        goto err_p2m;
    d->shared_info = pa_to_va(d->shared_info_pa);
    /* Every event channel starts masked until the guest unmasks it. */
    for (unsigned i = 0; i < HV_EVTCHN_WORDS; i++)
        d->shared_info->evtchn_mask[i] = ~0ULL;
    for (unsigned i = 0; i < max_vcpus; i++) {
        struct vcpu *v = &d->vcpus[i];
        v->domain = d;
        v->id = i;
        v->running_on = -1;
        v->affinity = (1ULL << arch_nr_cpus()) - 1;
        /* Arm's shared_info has one legacy vcpu_info; vCPU 0 owns it. */
        v->vcpu_info = i < XEN_LEGACY_MAX_VCPUS ? &d->shared_info->vcpu_info[i] : NULL;
        arch_vcpu_init(v);
    }
    if (arch_domain_init(d))
        goto err_si;
    d->in_use = true;
    return d;

err_si:
    free_page(d->shared_info_pa);
err_p2m:
    p2m_teardown(&d->p2m, NULL, NULL);
    return NULL;
}

struct domain *domain_get(domid_t id)
{
    if (id >= HV_MAX_DOMAINS)
        return NULL;
    struct domain *d = &domains[id];
    return (d->in_use && !d->dying) ? d : NULL;
}

int domain_set_max_pages(struct domain *d, uint64_t pages)
{
    if (pages < d->tot_pages)
        return -EINVAL;
    d->max_pages = pages;
    return 0;
}

/* Backs npages guest frames from gfn on with fresh zeroed RAM. */
int domain_populate(struct domain *d, uint64_t gfn, uint64_t npages)
{
    if (npages > d->max_pages - d->tot_pages || d->tot_pages > d->max_pages)
        return -ENOMEM;
    if (gfn >= (1ULL << (P2M_IPA_BITS - PAGE_SHIFT)) ||
        npages > (1ULL << (P2M_IPA_BITS - PAGE_SHIFT)) - gfn)
        return -EINVAL;
    for (uint64_t i = 0; i < npages; i++) {
        uint64_t pa = alloc_zeroed_page();
        if (!pa)
            return -ENOMEM;
        int rc = p2m_map(&d->p2m, (gfn + i) << PAGE_SHIFT, pa, P2M_RAM, true);
        if (rc) {
            free_page(pa);
            return rc;
        }
        d->tot_pages++;
    }
    return 0;
}

/* Copies into the domain's own RAM through its stage-2 map. */
int domain_copy_to_gpa(struct domain *d, uint64_t gpa, const void *src, size_t n)
{
    const uint8_t *s = src;
    while (n) {
        uint64_t pa;
        enum p2m_type t;
        size_t chunk = MIN(n, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        if (p2m_lookup(&d->p2m, gpa, &pa, &t, NULL) || t != P2M_RAM)
            return -EFAULT;
        memcpy(pa_to_va(pa), s, chunk);
        s += chunk;
        gpa += chunk;
        n -= chunk;
    }
    return 0;
}

bool all_domains_finished(void)
{
    for (int i = 0; i < HV_MAX_DOMAINS; i++)
        if (domains[i].in_use && !domains[i].shutdown && !domains[i].dying)
            return false;
    return true;
}

static void notify_control(void)
{
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *c = &domains[i];
        if (c->in_use && c->is_control && !c->dying && !c->shutdown) {
            uint32_t port = c->vcpus[0].virq_to_port[VIRQ_DOM_EXC];
            if (port)
                evtchn_set_pending(c, port);
        }
    }
}

/* Takes dom_lock.  A shut-down domain keeps its memory until destroyed. */
void domain_shutdown(struct domain *d, uint32_t reason)
{
    spin_lock(&dom_lock);
    if (d->shutdown || d->dying) {
        spin_unlock(&dom_lock);
        return;
    }
    d->shutdown = true;
    d->shutdown_code = reason;
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog" };
    printk("d%u shut down: %s\n", d->domid, reason < ARRAY_SIZE(names) ? names[reason] : "?");
    notify_control();
    bool finished = all_domains_finished();
    spin_unlock(&dom_lock);
    sched_kick_domain(d);
    if (finished) {
        printk("all domains have shut down; powering off\n");
        arch_system_off();
    }
}

void domain_crash(struct domain *d, const char *why)
{
    printk("d%u crashed: %s\n", d->domid, why);
    domain_shutdown(d, SHUTDOWN_crash);
}

void domain_pause(struct domain *d)
{
    d->pause_count++;
    sched_kick_domain(d);
}

void domain_unpause(struct domain *d)
{
    if (d->pause_count && --d->pause_count == 0)
        for (unsigned i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i].online)
                sched_wake(&d->vcpus[i]);
}

static void release_page(uint64_t ipa, uint64_t pa, enum p2m_type t, void *arg)
{
    struct domain *d = arg;
    (void)ipa;
    if (t == P2M_RAM) {
        free_page(pa);
        d->tot_pages--;
    }
    /* P2M_HV pages are freed below; P2M_FOREIGN pages belong to others. */
}

/*
 * Called without dom_lock.  Stops every vCPU, revokes grant mappings in
 * both directions, closes event channels and returns all memory.
 */
int domain_destroy(struct domain *d)
{
    spin_lock(&dom_lock);
    if (!d->in_use || d->dying) {
        spin_unlock(&dom_lock);
        return -ESRCH;
    }
    d->dying = true;
    spin_unlock(&dom_lock);

    sched_kick_domain(d);
    sched_wait_descheduled(d);

    spin_lock(&dom_lock);
    gnttab_domain_teardown(d);
    evtchn_domain_teardown(d);
    p2m_teardown(&d->p2m, release_page, d);
    arch_domain_flush_tlb(d);
    free_page(d->shared_info_pa);
    for (unsigned i = 0; i < d->gnt_nr_frames; i++)
        free_page(d->gnt_frames[i]);
    printk("d%u destroyed\n", d->domid);
    d->in_use = false;
    bool finished = all_domains_finished();
    spin_unlock(&dom_lock);
    if (finished) {
        printk("all domains have shut down; powering off\n");
        arch_system_off();
    }
    return 0;
}
