/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grant tables, version 1.  A domain's grant entries live in hypervisor
 * pages it maps into its own physical space; other domains map or copy the
 * granted frames through GNTTABOP_map_grant_ref/copy.  The hypervisor reads
 * each entry once (the guest may change it concurrently), checks it names
 * the caller, and marks it in use with a compare-and-swap so a racing
 * revoke is seen.  Callers hold dom_lock except do_grant_table_op.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <asm/guest_layout.h>

#define GUEST_GNTTAB_BASE 0x38000000UL   /* where setup_table maps frames */
#define MAX_BATCH 256                    /* bounds the time one call can take */

int gnttab_setup(struct domain *d, unsigned int nr_frames)
{
    if (nr_frames > HV_GNT_FRAMES)
        return -EINVAL;
    while (d->gnt_nr_frames < nr_frames) {
        uint64_t pa = alloc_zeroed_page();
        if (!pa)
            return -ENOMEM;
        d->gnt_frames[d->gnt_nr_frames++] = pa;
    }
    return 0;
}

static struct grant_entry_v1 *entry(struct domain *d, grant_ref_t ref)
{
    if (ref >= d->gnt_nr_frames * HV_GNT_PER_FRAME)
        return NULL;
    struct grant_entry_v1 *f = pa_to_va(d->gnt_frames[ref / HV_GNT_PER_FRAME]);
    return &f[ref % HV_GNT_PER_FRAME];
}

/*
 * Validates that granter's ref lets `grantee` access it (writably if
 * write) and sets the in-use bits.  Returns GNTST_* and the frame's PA.
 */
static int acquire(struct domain *granter, grant_ref_t ref, domid_t grantee, bool write,
                   bool mark, uint64_t *pa)
{
    struct grant_entry_v1 *e = entry(granter, ref);
    if (!e)
        return GNTST_bad_gntref;
    uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    for (;;) {
        domid_t dom = READ_ONCE(e->domid);
        uint32_t frame = READ_ONCE(e->frame);
        if ((flags & GTF_type_mask) != GTF_permit_access || dom != grantee)
            return GNTST_permission_denied;
        if (write && (flags & GTF_readonly))
            return GNTST_permission_denied;
        enum p2m_type t;
        if (p2m_lookup(&granter->p2m, (uint64_t)frame << PAGE_SHIFT, pa, &t, NULL) || t != P2M_RAM)
            return GNTST_bad_page;
        if (!mark)
            return GNTST_okay;
        uint16_t want = flags | GTF_reading | (write ? GTF_writing : 0);
        if (__atomic_compare_exchange_n(&e->flags, &flags, want, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return GNTST_okay;
        /* flags now holds the value the guest wrote meanwhile: re-check. */
    }
}

static bool ref_still_mapped(domid_t granter, grant_ref_t ref, bool *writable)
{
    bool any = false;
    *writable = false;
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *o = &domains[i];
        for (unsigned j = 0; o->in_use && j < HV_MAPTRACK; j++) {
            struct maptrack *m = &o->maptrack[j];
            if (m->in_use && m->granter == granter && m->ref == ref) {
                any = true;
                *writable |= !m->readonly;
            }
        }
    }
    return any;
}

static void release(struct domain *granter, grant_ref_t ref)
{
    struct grant_entry_v1 *e = entry(granter, ref);
    bool writable;
    if (!e)
        return;
    bool mapped = ref_still_mapped(granter->domid, ref, &writable);
    uint16_t clear = (uint16_t)((mapped ? 0 : GTF_reading) | (writable ? 0 : GTF_writing));
    __atomic_fetch_and(&e->flags, (uint16_t)~clear, __ATOMIC_ACQ_REL);
}

int gnttab_map(struct domain *d, struct gnttab_map_grant_ref *op)
{
    op->handle = ~0U;
    op->dev_bus_addr = 0;
    if (!(op->flags & GNTMAP_host_map))
        return op->status = GNTST_general_error;
    if ((op->host_addr & (PAGE_SIZE - 1)) || op->host_addr >> P2M_IPA_BITS)
        return op->status = GNTST_bad_virt_addr;
    struct domain *g = domain_get(op->dom);
    if (!g || g == d)
        return op->status = GNTST_bad_domain;
    unsigned h;
    for (h = 0; h < HV_MAPTRACK && d->maptrack[h].in_use; h++)
        ;
    if (h == HV_MAPTRACK)
        return op->status = GNTST_no_device_space;
    bool ro = op->flags & GNTMAP_readonly;
    uint64_t pa;
    int st = acquire(g, op->ref, d->domid, !ro, true, &pa);
    if (st != GNTST_okay)
        return op->status = (int16_t)st;
    struct maptrack *m = &d->maptrack[h];
    *m = (struct maptrack){ true, g->domid, op->ref, op->host_addr, ro };
    int rc = p2m_map(&d->p2m, op->host_addr, pa & PAGE_MASK, P2M_FOREIGN, !ro);
    if (rc) {
        m->in_use = false;
        release(g, op->ref);
        return op->status = rc == -EEXIST ? GNTST_general_error : GNTST_bad_virt_addr;
    }
    op->handle = h;
    op->dev_bus_addr = pa & PAGE_MASK;
    return op->status = GNTST_okay;
}

static void unmap_entry(struct domain *d, struct maptrack *m)
{
    p2m_unmap(&d->p2m, m->ipa, NULL, NULL);
    arch_domain_flush_tlb(d);
    m->in_use = false;
    if (m->granter < HV_MAX_DOMAINS && domains[m->granter].in_use)
        release(&domains[m->granter], m->ref);
}

int gnttab_unmap(struct domain *d, struct gnttab_unmap_grant_ref *op)
{
    if (op->handle >= HV_MAPTRACK || !d->maptrack[op->handle].in_use)
        return op->status = GNTST_bad_handle;
    struct maptrack *m = &d->maptrack[op->handle];
    if (op->host_addr && op->host_addr != m->ipa)
        return op->status = GNTST_bad_virt_addr;
    unmap_entry(d, m);
    return op->status = GNTST_okay;
}

/* Resolves one side of a copy to a hypervisor-accessible PA. */
static int copy_side(struct domain *d, const struct gnttab_copy_ptr *p, bool is_gref, bool write,
                     uint64_t *pa)
{
    if (is_gref) {
        domid_t id = p->domid == DOMID_SELF ? d->domid : p->domid;
        struct domain *g = domain_get(id);
        if (!g)
            return GNTST_bad_domain;
        return acquire(g, p->u.ref, d->domid, write, false, pa);
    }
    if (p->domid != DOMID_SELF && p->domid != d->domid)
        return GNTST_permission_denied;
    enum p2m_type t;
    bool w;
    if (p->u.gmfn >> (P2M_IPA_BITS - PAGE_SHIFT) ||
        p2m_lookup(&d->p2m, p->u.gmfn << PAGE_SHIFT, pa, &t, &w) || t != P2M_RAM || (write && !w))
        return GNTST_bad_page;
    return GNTST_okay;
}

int gnttab_copy_one(struct domain *d, struct gnttab_copy *op)
{
    if ((uint32_t)op->source.offset + op->len > PAGE_SIZE ||
        (uint32_t)op->dest.offset + op->len > PAGE_SIZE)
        return op->status = GNTST_bad_copy_arg;
    uint64_t src, dst;
    int st = copy_side(d, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
    if (st == GNTST_okay)
        st = copy_side(d, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
    if (st != GNTST_okay)
        return op->status = (int16_t)st;
    memmove((uint8_t *)pa_to_va(dst & PAGE_MASK) + op->dest.offset,
            (uint8_t *)pa_to_va(src & PAGE_MASK) + op->source.offset, op->len);
    return op->status = GNTST_okay;
}

/* Revokes every mapping of d's grants held elsewhere and every mapping d holds. */
void gnttab_domain_teardown(struct domain *d)
{
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *o = &domains[i];
        for (unsigned j = 0; o->in_use && j < HV_MAPTRACK; j++) {
            struct maptrack *m = &o->maptrack[j];
            if (m->in_use && (o == d || m->granter == d->domid))
                unmap_entry(o, m);
        }
    }
}

static int setup_table(struct domain *d, struct gnttab_setup_table *op)
{
    if (op->dom != DOMID_SELF && op->dom != d->domid)
        return op->status = GNTST_permission_denied;
    if (op->nr_frames > HV_GNT_FRAMES)
        return op->status = GNTST_general_error;
    if (gnttab_setup(d, op->nr_frames))
        return op->status = GNTST_general_error;
    /* Map each frame at the fixed grant-table window unless already there. */
    for (unsigned i = 0; i < op->nr_frames; i++) {
        uint64_t ipa = GUEST_GNTTAB_BASE + i * PAGE_SIZE, pa;
        enum p2m_type t;
        if (p2m_lookup(&d->p2m, ipa, &pa, &t, NULL) == 0) {
            if (t != P2M_HV || pa != d->gnt_frames[i])
                return op->status = GNTST_general_error;
            continue;
        }
        if (p2m_map(&d->p2m, ipa, d->gnt_frames[i], P2M_HV, true))
            return op->status = GNTST_general_error;
    }
    return op->status = GNTST_okay;
}

long do_grant_table_op(struct vcpu *v, unsigned int cmd, uint64_t uop, uint32_t count)
{
    struct domain *d = v->domain;
    if (count > MAX_BATCH)
        return -EINVAL;
    for (uint32_t i = 0; i < count; i++) {
        union {
            struct gnttab_map_grant_ref map;
            struct gnttab_unmap_grant_ref unmap;
            struct gnttab_setup_table setup;
            struct gnttab_copy copy;
            struct gnttab_query_size qs;
        } op;
        size_t sz;
        switch (cmd) {
        case GNTTABOP_map_grant_ref: sz = sizeof(op.map); break;
        case GNTTABOP_unmap_grant_ref: sz = sizeof(op.unmap); break;
        case GNTTABOP_setup_table: sz = sizeof(op.setup); break;
        case GNTTABOP_copy: sz = sizeof(op.copy); break;
        case GNTTABOP_query_size: sz = sizeof(op.qs); break;
        default: return -ENOSYS;
        }
        uint64_t addr = uop + i * sz;
        if (addr < uop || copy_from_guest(&op, addr, sz))
            return -EFAULT;
        spin_lock(&dom_lock);
        switch (cmd) {
        case GNTTABOP_map_grant_ref:
            gnttab_map(d, &op.map);
            break;
        case GNTTABOP_unmap_grant_ref:
            gnttab_unmap(d, &op.unmap);
            break;
        case GNTTABOP_setup_table: {
            setup_table(d, &op.setup);
            spin_unlock(&dom_lock);
            for (unsigned f = 0; op.setup.status == GNTST_okay && f < op.setup.nr_frames; f++) {
                uint64_t gfn = (GUEST_GNTTAB_BASE >> PAGE_SHIFT) + f;
                if (copy_to_guest(op.setup.frame_list + f * 8, &gfn, 8))
                    return -EFAULT;
            }
            spin_lock(&dom_lock);
            break;
        }
        case GNTTABOP_copy:
            gnttab_copy_one(d, &op.copy);
            break;
        case GNTTABOP_query_size:
            if (op.qs.dom != DOMID_SELF && op.qs.dom != d->domid) {
                op.qs.status = GNTST_permission_denied;
                break;
            }
            op.qs.nr_frames = d->gnt_nr_frames;
            op.qs.max_nr_frames = HV_GNT_FRAMES;
            op.qs.status = GNTST_okay;
            break;
        }
        spin_unlock(&dom_lock);
        if (copy_to_guest(addr, &op, sz))
            return -EFAULT;
    }
    return 0;
}
