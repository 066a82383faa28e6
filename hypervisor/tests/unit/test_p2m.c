/* SPDX-License-Identifier: Apache-2.0 */
/* Stage-2 builder: the real arch/arm64/p2m.c over malloc'd tables. */
#include "harness.h"
#include <hv/arch.h>
#include <hv/p2m.h>

static unsigned leaves;
static void count_leaf(uint64_t ipa, uint64_t pa, enum p2m_type t, void *arg)
{
    (void)ipa; (void)pa; (void)arg;
    if (t == P2M_RAM)
        leaves++;
}

int main(void)
{
    struct p2m p;
    printf("p2m: stage-2 table builder\n");
    long before = harness_pages_live;
    CHECK(p2m_init(&p, &hv_p2m_ops) == 0 && harness_pages_live == before + 1, "root table allocated");
    CHECK(p2m_map(&p, 0x40000000, 0x80001000, P2M_RAM, true) == 0, "map one RAM page");
    long after_first = harness_pages_live;
    CHECK(after_first == before + 3, "a first mapping adds an L2 and an L3 table");
    CHECK(p2m_map(&p, 0x40001000, 0x80005000, P2M_RAM, false) == 0 && harness_pages_live == after_first,
          "a neighbour reuses the same tables");
    uint64_t pa;
    enum p2m_type t;
    bool w;
    CHECK(p2m_lookup(&p, 0x40000abc, &pa, &t, &w) == 0 && pa == 0x80001abc && t == P2M_RAM && w,
          "lookup keeps the page offset, type and write permission");
    CHECK(p2m_lookup(&p, 0x40001000, NULL, NULL, &w) == 0 && !w, "read-only mapping reported");
    CHECK(p2m_map(&p, 0x40000000, 0x90000000, P2M_RAM, true) == -EEXIST, "double map -> -EEXIST");
    CHECK(p2m_map(&p, 0x40000010, 0x90000000, P2M_RAM, true) == -EINVAL, "unaligned IPA -> -EINVAL");
    CHECK(p2m_map(&p, 0x40002000, 0x90000010, P2M_RAM, true) == -EINVAL, "unaligned PA -> -EINVAL");
    CHECK(p2m_map(&p, 1ULL << 39, 0x90000000, P2M_RAM, true) == -EINVAL, "IPA beyond 39 bits -> -EINVAL");
    CHECK(p2m_map(&p, 0x40002000, 1ULL << 50, P2M_RAM, true) == -EINVAL, "PA beyond 48 bits -> -EINVAL");
    CHECK(p2m_lookup(&p, 0x40002000, &pa, NULL, NULL) == -ENOENT, "hole -> -ENOENT");
    CHECK(p2m_lookup(&p, 0x7f00000000, &pa, NULL, NULL) == -ENOENT, "unpopulated L1 slot -> -ENOENT");
    CHECK(p2m_lookup(&p, ~0ULL, &pa, NULL, NULL) == -EINVAL, "IPA 2^64-1 -> -EINVAL");
    CHECK(p2m_map(&p, 0x39000000, 0xa0000000, P2M_HV, true) == 0 &&
              p2m_map(&p, 0x39100000, 0xa0001000, P2M_FOREIGN, true) == 0,
          "hypervisor and foreign pages mapped");
    CHECK(p2m_lookup(&p, 0x39100000, NULL, &t, NULL) == 0 && t == P2M_FOREIGN, "foreign type kept");
    enum p2m_type ot;
    CHECK(p2m_unmap(&p, 0x39100000, &pa, &ot) == 0 && pa == 0xa0001000 && ot == P2M_FOREIGN,
          "unmap returns what was there");
    CHECK(p2m_unmap(&p, 0x39100000, NULL, NULL) == -ENOENT, "second unmap -> -ENOENT");
    CHECK(p2m_lookup(&p, 0x39100000, NULL, NULL, NULL) == -ENOENT, "unmapped page is gone");
    for (uint64_t i = 0; i < 1024; i++)
        p2m_map(&p, 0x41000000 + i * PAGE_SIZE, 0x88000000 + i * PAGE_SIZE, P2M_RAM, true);
    leaves = 0;
    p2m_teardown(&p, count_leaf, NULL);
    CHECK(leaves == 1026, "teardown visits every RAM leaf (2 + 1024)");
    CHECK(harness_pages_live == before && p.root == 0, "teardown frees every table page");
    return harness_finish("p2m");
}
