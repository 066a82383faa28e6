/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "grant_owner" (domain 0), arm64 and x86-64: sets up its grant
 * table, grants domain 1 one page read-write (ref 1) and one read-only
 * (ref 2), waits for the peer's write through its mapping, checks the
 * in-use flags, then revokes.
 *   TEST grant-map (x86: x86-grant-map): the peer's write through its
 *        mapping lands in our page, the in-use flags are set while mapped
 *        and cleared after.
 */
#include "guest_arch.h"

static uint8_t rw_page[4096] __attribute__((aligned(4096)));
static uint8_t ro_page[4096] __attribute__((aligned(4096)));

void guest_main(void)
{
    bool ok = true;
    uint64_t frames[1] = { 0 };
    struct gnttab_setup_table st = { DOMID_SELF, 0, 1, 0, { 0 }, (uint64_t)frames };
    ok &= check(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1) == 0 && st.status == 0,
                "setup_table(1 frame)");
    gprintf("grant table frame at gfn %lx\n", frames[0]);
    struct gnttab_setup_table big = { DOMID_SELF, 0, 1000, 0, { 0 }, (uint64_t)frames };
    ok &= check(HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &big, 1) == 0 &&
                    big.status == GNTST_general_error,
                "setup_table(1000 frames) refused");
    volatile struct grant_entry_v1 *gt = (volatile struct grant_entry_v1 *)(frames[0] << 12);

    for (unsigned i = 0; i < 4096; i++) {
        rw_page[i] = (uint8_t)i;
        ro_page[i] = (uint8_t)(0xa5 ^ i);
    }
    barrier();
    gt[1].domid = 1;
    gt[1].frame = (uint32_t)((uint64_t)rw_page >> 12);
    gt[2].domid = 1;
    gt[2].frame = (uint32_t)((uint64_t)ro_page >> 12);
    barrier();
    gt[1].flags = GTF_permit_access;
    gt[2].flags = GTF_permit_access | GTF_readonly;

    volatile uint8_t *p = rw_page;
    gwait_t wt = gwait_start();
    while (memcmp((const void *)(p + 2048), "PEER-WROTE", 10) != 0 && gwait_more(&wt))
        yield();
    ok &= check(memcmp((const void *)(p + 2048), "PEER-WROTE", 10) == 0,
                "peer's write through the mapping reached our page");
    uint16_t f = gt[1].flags;
    ok &= check((f & (GTF_reading | GTF_writing)) == (GTF_reading | GTF_writing),
                "entry marked reading|writing while mapped");
    p[3000] = 'X';   /* tell the peer to unmap */

    struct hv_domctl op;
    for (int i = 0; i < 200000; i++) {
        if (domctl(&op, XEN_DOMCTL_getdomaininfo, 1) != 0 ||
            (op.u.getdomaininfo.flags & HV_DOMINF_shutdown))
            break;
        yield();
    }
    f = gt[1].flags;
    ok &= check((f & (GTF_reading | GTF_writing)) == 0, "in-use flags cleared after unmap");
    gt[1].flags = 0;
    gt[2].flags = 0;
    test_result(TEST_NAME("grant-map"), ok);
}
