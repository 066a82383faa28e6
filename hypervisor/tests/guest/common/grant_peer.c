/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "grant_peer" (domain 1), arm64 and x86-64: maps and copies
 * the pages domain 0 granted, and checks the refusals.
 *   TEST grant-map-peer: map ref 1, read the owner's data, write back,
 *                        unmap; on arm64 the read-only mapping's write and
 *                        the unmapped address fault (skipped aborts), on
 *                        x86 the write gets #GP and the unmapped address
 *                        reads as a hole (all ones), as on Xen.
 *   TEST grant-copy:     GNTTABOP_copy from the read-only grant works, into
 *                        it is refused, bad offsets are refused.
 * x86 reports both with an "x86-" prefix.
 */
#include "guest_arch.h"

#define MAP_AT 0x39100000UL
#define MAP_AT2 0x39200000UL

static uint8_t buf[4096] __attribute__((aligned(4096)));

static int16_t map(uint64_t addr, grant_ref_t ref, uint32_t flags, grant_handle_t *h)
{
    struct gnttab_map_grant_ref m = { addr, flags, ref, 0, 0, 0, 0 };
    if (HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &m, 1))
        return -100;
    if (h)
        *h = m.handle;
    return m.status;
}

static int16_t unmap(uint64_t addr, grant_handle_t h)
{
    struct gnttab_unmap_grant_ref u = { addr, 0, h, 0, 0 };
    if (HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1))
        return -100;
    return u.status;
}

void guest_main(void)
{
    bool ok = true;
    grant_handle_t h = 0;
    int16_t st;
    int tries = 0;
    while ((st = map(MAP_AT, 1, GNTMAP_host_map, &h)) != GNTST_okay && tries++ < 100000)
        yield();
    ok &= check(st == GNTST_okay, "map d0's ref 1");
    volatile uint8_t *p = (volatile uint8_t *)MAP_AT;
    bool same = true;
    for (unsigned i = 0; i < 2048; i++)
        same &= p[i] == (uint8_t)i;
    ok &= check(same, "mapped page holds the owner's data");
    memcpy((void *)(p + 2048), "PEER-WROTE", 10);

    grant_handle_t h2 = 0;
    ok &= check(map(MAP_AT2, 1, GNTMAP_host_map, &h2) == GNTST_okay, "same ref mapped twice");
    ok &= check(unmap(MAP_AT2, h2) == GNTST_okay, "second mapping unmapped");
    ok &= check(map(GUEST_RAM0_BASE + 0x1000, 1, GNTMAP_host_map, 0) == GNTST_general_error,
                "mapping over our own RAM refused");
    ok &= check(map(MAP_AT2 + 12, 1, GNTMAP_host_map, 0) == GNTST_bad_virt_addr,
                "unaligned host_addr refused");
    ok &= check(map(MAP_AT2, 100000, GNTMAP_host_map, 0) == GNTST_bad_gntref, "bad ref refused");
    ok &= check(map(MAP_AT2, 3, GNTMAP_host_map, 0) == GNTST_permission_denied,
                "unused entry refused");
    ok &= check(map(MAP_AT2, 2, GNTMAP_host_map, 0) == GNTST_permission_denied,
                "writable map of a read-only grant refused");
    ok &= check(map(MAP_AT2, 2, GNTMAP_host_map | GNTMAP_readonly, &h2) == GNTST_okay,
                "read-only map of the read-only grant");
#if GUEST_SKIPS_DATA_ABORTS
    unsigned before = sync_faults;
    uint8_t first = *(volatile uint8_t *)MAP_AT2;
    *(volatile uint8_t *)MAP_AT2 = 0;
    ok &= check(first == 0xa5 && sync_faults == before + 1, "read-only mapping: read ok, write faults");
#elif defined(__x86_64__)
    uint8_t first = *(volatile uint8_t *)MAP_AT2;
    ok &= check(first == 0xa5 && probe_store8((volatile uint8_t *)MAP_AT2, 0) == 13 &&
                    *(volatile uint8_t *)MAP_AT2 == 0xa5,
                "read-only mapping: read ok, write -> #GP (as on Xen), data unchanged");
#else
    uint8_t first = *(volatile uint8_t *)MAP_AT2;
    ok &= check(first == 0xa5, "read-only mapping reads the owner's data");
#endif
    ok &= check(unmap(MAP_AT2, h2) == GNTST_okay, "unmap read-only mapping");
    ok &= check(unmap(MAP_AT2, 63) == GNTST_bad_handle, "unmap of a bad handle refused");

    gwait_t wt = gwait_start();
    while (p[3000] != 'X' && gwait_more(&wt))
        yield();
    ok &= check(unmap(MAP_AT, h) == GNTST_okay, "unmap ref 1");
#if GUEST_SKIPS_DATA_ABORTS
    before = sync_faults;
    (void)*(volatile uint8_t *)MAP_AT;
    ok &= check(sync_faults == before + 1, "unmapped address faults");
#else
    /* x86: the address is a hole again, which reads as all ones (Xen without a device model). */
    ok &= check(*(volatile uint8_t *)MAP_AT == 0xFF, "unmapped address reads as a hole (all ones)");
    ok &= check(unmap(MAP_AT, h) == GNTST_bad_handle, "second unmap of the same handle refused");
#endif
    test_result(TEST_NAME("grant-map-peer"), ok);

    bool cok = true;
    struct gnttab_copy c;
    memset(&c, 0, sizeof(c));
    c.source.u.ref = 2;
    c.source.domid = 0;
    c.dest.u.gmfn = (uint64_t)buf >> 12;
    c.dest.domid = DOMID_SELF;
    c.dest.offset = 100;
    c.len = 256;
    c.flags = GNTCOPY_source_gref;
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1) == 0 && c.status == GNTST_okay,
                 "copy 256 bytes from the read-only grant");
    bool same2 = true;
    for (unsigned i = 0; i < 256; i++)
        same2 &= buf[100 + i] == (uint8_t)(0xa5 ^ i);
    cok &= check(same2, "copied bytes match");
    struct gnttab_copy w = c;
    w.source = c.dest;
    w.dest = c.source;
    w.flags = GNTCOPY_dest_gref;
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, &w, 1) == 0 &&
                     w.status == GNTST_permission_denied,
                 "copy into a read-only grant refused");
    c.source.offset = 4000;
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1) == 0 && c.status == GNTST_bad_copy_arg,
                 "copy past the end of the page refused");
    c.source.offset = 0;
    c.dest.u.gmfn = 0x30000;   /* not our RAM */
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1) == 0 && c.status == GNTST_bad_page,
                 "copy into a frame we do not own refused");
    struct gnttab_query_size q = { DOMID_SELF, 0, 0, 0, 0, 0 };
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1) == 0 && q.status == 0 &&
                     q.max_nr_frames == 4,
                 "query_size");
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1000000) == -XEN_EINVAL,
                 "a batch of a million ops refused");
    cok &= check(HYPERVISOR_grant_table_op(GNTTABOP_copy, 0x7000000000UL, 1) == -XEN_EFAULT,
                 "ops from an unmapped address -> -EFAULT");
    test_result(TEST_NAME("grant-copy"), cok);
}
