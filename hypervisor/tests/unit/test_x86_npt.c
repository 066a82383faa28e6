/* SPDX-License-Identifier: Apache-2.0 */
/* Nested page tables: the real arch/x86_64/npt.c over malloc'd tables. */
#include "harness.h"
#include <hv/arch.h>
#include <hv/p2m.h>

static unsigned leaves;
static void count_leaf(uint64_t gpa, uint64_t pa, enum p2m_type t, void *arg)
{
    (void)gpa; (void)pa; (void)arg;
    if (t == P2M_RAM)
        leaves++;
}

/* Every present entry on the walk to gpa has P, RW (non-leaf) and U set. */
static bool walk_has_user(const struct p2m *p, uint64_t gpa, bool want_rw_leaf)
{
    uint64_t *t = pa_to_va(p->root);
    for (int level = 4; level >= 1; level--) {
        uint64_t e = t[(gpa >> (12 + 9 * (level - 1))) & 511];
        if ((e & 5) != 5)
            return false;
        if (level > 1 && !(e & 2))
            return false;
        if (level == 1)
            return !!(e & 2) == want_rw_leaf && !(e & (1ULL << 63));
        t = pa_to_va(e & 0x000FFFFFFFFFF000ULL);
    }
    return false;
}

int main(void)
{
    struct p2m p;
    printf("x86-npt: nested page table builder\n");
    long before = harness_pages_live;
    CHECK(p2m_init(&p, &hv_p2m_ops) == 0 && harness_pages_live == before + 1, "PML4 allocated");
    CHECK(p2m_map(&p, 0x100000, 0x80001000, P2M_RAM, true) == 0, "map one RAM page");
    CHECK(harness_pages_live == before + 4, "a first mapping adds PDPT, PD and PT");
    CHECK(walk_has_user(&p, 0x100000, true), "P, RW and U on every level (SVM walks as a user access)");
    CHECK(p2m_map(&p, 0x101000, 0x80005000, P2M_HV, false) == 0 && harness_pages_live == before + 4,
          "a neighbour reuses the tables");
    CHECK(walk_has_user(&p, 0x101000, false), "read-only leaf keeps U, drops RW");
    uint64_t pa;
    enum p2m_type t;
    bool w;
    CHECK(p2m_lookup(&p, 0x100abc, &pa, &t, &w) == 0 && pa == 0x80001abc && t == P2M_RAM && w,
          "lookup keeps offset, type and write permission");
    CHECK(p2m_lookup(&p, 0x101000, &pa, &t, &w) == 0 && t == P2M_HV && !w, "type and read-only kept");
    CHECK(p2m_map(&p, 0x100000, 0x80002000, P2M_RAM, true) == -EEXIST, "double map refused");
    CHECK(p2m_map(&p, 0x100800, 0x80002000, P2M_RAM, true) == -EINVAL, "misaligned refused");
    CHECK(p2m_map(&p, 1ULL << P2M_IPA_BITS, 0x80002000, P2M_RAM, true) == -EINVAL,
          "beyond the guest-physical limit refused");
    CHECK(p2m_lookup(&p, 0x200000, NULL, NULL, NULL) == -ENOENT, "hole is -ENOENT");
    CHECK(p2m_map(&p, 0x7FC0000000ULL, 0x80003000, P2M_RAM, true) == 0, "top of the 39-bit space");
    uint64_t old;
    enum p2m_type ot;
    CHECK(p2m_unmap(&p, 0x101000, &old, &ot) == 0 && old == 0x80005000 && ot == P2M_HV, "unmap returns the old page");
    CHECK(p2m_unmap(&p, 0x101000, NULL, NULL) == -ENOENT, "second unmap -ENOENT");
    leaves = 0;
    p2m_teardown(&p, count_leaf, NULL);
    CHECK(leaves == 2 && harness_pages_live == before && p.root == 0, "teardown visits leaves, frees every table");
    return harness_finish("x86-npt");
}
