/* SPDX-License-Identifier: Apache-2.0 */
/* Grant-table checks: entry validation, mapping, copying and revocation. */
#include "harness.h"
#include <hv/arch.h>
#include <hv/domain.h>

#define MAP_AT 0x39100000ULL

int main(void)
{
    printf("grant: grant-table checks\n");
    struct domain *g = domain_create(0, 1, false), *m = domain_create(1, 1, false);
    struct domain *x = domain_create(2, 1, false);
    /* Stays alive so destroying the others does not "power off" the test. */
    struct domain *keeper = domain_create(HV_MAX_DOMAINS - 1, 1, false);
    g->max_pages = m->max_pages = 4;
    CHECK(domain_populate(g, 0x40000, 2) == 0 && domain_populate(m, 0x40000, 2) == 0,
          "both domains have two pages of RAM");
    CHECK(gnttab_setup(g, 1) == 0 && g->gnt_nr_frames == 1, "one grant frame");
    CHECK(gnttab_setup(g, HV_GNT_FRAMES + 1) == -EINVAL, "more than the maximum refused");
    struct grant_entry_v1 *gt = pa_to_va(g->gnt_frames[0]);
    gt[1] = (struct grant_entry_v1){ GTF_permit_access, 1, 0x40000 };
    gt[2] = (struct grant_entry_v1){ GTF_permit_access | GTF_readonly, 1, 0x40001 };
    gt[3] = (struct grant_entry_v1){ GTF_permit_access, 1, 0x50000 };   /* not g's RAM */
    uint64_t gpa0;
    p2m_lookup(&g->p2m, 0x40000000, &gpa0, NULL, NULL);
    memcpy(pa_to_va(gpa0), "granted", 8);

    struct gnttab_map_grant_ref op = { MAP_AT, GNTMAP_host_map, 1, 0, 0, 0, 0 };
    CHECK(gnttab_map(m, &op) == GNTST_okay && op.handle < HV_MAPTRACK, "map ref 1");
    uint64_t pa;
    enum p2m_type t;
    CHECK(p2m_lookup(&m->p2m, MAP_AT, &pa, &t, NULL) == 0 && pa == gpa0 && t == P2M_FOREIGN,
          "mapper's stage-2 points at the granter's page");
    CHECK((gt[1].flags & (GTF_reading | GTF_writing)) == (GTF_reading | GTF_writing), "entry in use");
    grant_handle_t h1 = op.handle;
    op.host_addr = MAP_AT;
    CHECK(gnttab_map(m, &op) == GNTST_general_error, "mapping over an existing mapping refused");
    op = (struct gnttab_map_grant_ref){ MAP_AT + 0x1000, GNTMAP_host_map, 1, 0, 0, 0, 0 };
    CHECK(gnttab_map(x, &op) == GNTST_permission_denied, "a domain the entry does not name is refused");
    op.ref = 2;
    CHECK(gnttab_map(m, &op) == GNTST_permission_denied, "writable map of a read-only grant refused");
    op.flags |= GNTMAP_readonly;
    CHECK(gnttab_map(m, &op) == GNTST_okay, "read-only map of a read-only grant");
    bool w = true;
    p2m_lookup(&m->p2m, MAP_AT + 0x1000, NULL, NULL, &w);
    CHECK(!w, "read-only grant mapped without write permission");
    grant_handle_t h2 = op.handle;
    op = (struct gnttab_map_grant_ref){ MAP_AT + 0x2000, GNTMAP_host_map, 3, 0, 0, 0, 0 };
    CHECK(gnttab_map(m, &op) == GNTST_bad_page, "grant of a frame the granter does not own refused");
    op.ref = 600;
    CHECK(gnttab_map(m, &op) == GNTST_bad_gntref, "ref beyond the table refused");
    op.ref = 1;
    op.dom = 9;
    CHECK(gnttab_map(m, &op) == GNTST_bad_domain, "unknown granter refused");
    op.dom = 1;
    CHECK(gnttab_map(m, &op) == GNTST_bad_domain, "granting to oneself refused");
    op.dom = 0;
    op.flags = 0;
    CHECK(gnttab_map(m, &op) == GNTST_general_error, "non-host_map mapping refused");
    op.flags = GNTMAP_host_map;
    op.host_addr = 1ULL << 40;
    CHECK(gnttab_map(m, &op) == GNTST_bad_virt_addr, "host_addr beyond the IPA space refused");

    struct gnttab_unmap_grant_ref u = { MAP_AT + 0x5000, 0, h1, 0, 0 };
    CHECK(gnttab_unmap(m, &u) == GNTST_bad_virt_addr, "unmap with the wrong address refused");
    u.handle = 9999;
    CHECK(gnttab_unmap(m, &u) == GNTST_bad_handle, "unmap of a bad handle refused");
    u = (struct gnttab_unmap_grant_ref){ MAP_AT, 0, h1, 0, 0 };
    CHECK(gnttab_unmap(m, &u) == GNTST_okay && p2m_lookup(&m->p2m, MAP_AT, NULL, NULL, NULL) == -ENOENT,
          "unmap removes the stage-2 entry");
    CHECK((gt[1].flags & (GTF_reading | GTF_writing)) == 0, "in-use bits cleared with the last mapping");

    struct gnttab_copy c;
    memset(&c, 0, sizeof(c));
    c.source.u.ref = 1;
    c.source.domid = 0;
    c.dest.u.gmfn = 0x40001;
    c.dest.domid = DOMID_SELF;
    c.dest.offset = 16;
    c.len = 8;
    c.flags = GNTCOPY_source_gref;
    uint64_t mpa;
    p2m_lookup(&m->p2m, 0x40001000, &mpa, NULL, NULL);
    CHECK(gnttab_copy_one(m, &c) == GNTST_okay && !memcmp((char *)pa_to_va(mpa) + 16, "granted", 8),
          "copy from a grant into own memory");
    c.len = 4090;
    CHECK(gnttab_copy_one(m, &c) == GNTST_bad_copy_arg, "copy crossing a page end refused");
    c.len = 8;
    c.dest.u.gmfn = 0x40000;
    c.dest.domid = 0;
    CHECK(gnttab_copy_one(m, &c) == GNTST_permission_denied, "gmfn of another domain refused");
    c.dest.domid = DOMID_SELF;
    c.dest.u.gmfn = 1ULL << 40;
    CHECK(gnttab_copy_one(m, &c) == GNTST_bad_page, "huge gmfn refused");
    c.source.u.ref = 2;
    c.dest = c.source;
    c.source.u.gmfn = 0x40000;
    c.source.domid = DOMID_SELF;
    c.flags = GNTCOPY_dest_gref;
    CHECK(gnttab_copy_one(m, &c) == GNTST_permission_denied, "copy into a read-only grant refused");

    /* Revocation on teardown: the granter dies while m still maps ref 2. */
    gnttab_domain_teardown(g);
    CHECK(p2m_lookup(&m->p2m, MAP_AT + 0x1000, NULL, NULL, NULL) == -ENOENT && !m->maptrack[h2].in_use,
          "the granter's teardown revokes the mapper's mapping");
    long live = harness_pages_live;
    CHECK(domain_destroy(g) == 0 && domain_destroy(m) == 0 && domain_destroy(x) == 0 && live > 0 &&
              harness_pages_live == 2 /* the keeper's stage-2 root and shared_info */,
          "destroying the domains returns every page (%ld were live)", live);
    CHECK(domain_destroy(g) == -ESRCH, "destroying twice -> -ESRCH");
    (void)keeper;
    return harness_finish("grant");
}
