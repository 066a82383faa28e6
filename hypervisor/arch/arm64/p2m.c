/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage-2 table builder for a 4 KiB granule and a 39-bit IPA space: three
 * levels (1, 2, 3) of 512 entries, 4 KiB leaves only.  Pure code: no system
 * registers, so the host-side unit tests exercise exactly this file.  TLB
 * maintenance after unmaps is the caller's job (arch_domain_flush_tlb).
 */
#include <hv/p2m.h>

#define DESC_VALID   (1ULL << 0)
#define DESC_TABLE   (1ULL << 1)   /* table at L1/L2, page at L3 */
#define S2_MEMATTR_NORMAL_WB (0xFULL << 2)
#define S2_AP_R      (1ULL << 6)
#define S2_AP_W      (1ULL << 7)
#define S2_SH_INNER  (3ULL << 8)
#define S2_AF        (1ULL << 10)
#define S2_SW_SHIFT  55            /* bits 55..58 are ignored by the walker */
#define S2_SW_MASK   (0xFULL << S2_SW_SHIFT)
#define ADDR_MASK    0x0000FFFFFFFFF000ULL

static uint64_t *table_va(const struct p2m *p, uint64_t pa)
{
    return p->ops->pa_to_va(pa);
}

static unsigned idx(uint64_t ipa, int level)
{
    return (unsigned)((ipa >> (12 + 9 * (3 - level))) & 511);
}

int p2m_init(struct p2m *p, const struct p2m_ops *ops)
{
    p->ops = ops;
    p->root = ops->alloc_table();
    return p->root ? 0 : -ENOMEM;
}

/* Returns the L3 table for ipa, creating intermediate tables if asked. */
static uint64_t *walk(const struct p2m *p, uint64_t ipa, bool create)
{
    uint64_t *t = table_va(p, p->root);
    for (int level = 1; level < 3; level++) {
        uint64_t *e = &t[idx(ipa, level)];
        if (!(*e & DESC_VALID)) {
            if (!create)
                return NULL;
            uint64_t pa = p->ops->alloc_table();
            if (!pa)
                return NULL;
            *e = (pa & ADDR_MASK) | DESC_VALID | DESC_TABLE;
        }
        t = table_va(p, *e & ADDR_MASK);
    }
    return t;
}

int p2m_map(struct p2m *p, uint64_t ipa, uint64_t pa, enum p2m_type t, bool writable)
{
    if ((ipa | pa) & (PAGE_SIZE - 1) || ipa >> P2M_IPA_BITS || pa & ~ADDR_MASK)
        return -EINVAL;
    uint64_t *l3 = walk(p, ipa, true);
    if (!l3)
        return -ENOMEM;
    uint64_t *e = &l3[idx(ipa, 3)];
    if (*e & DESC_VALID)
        return -EEXIST;
    uint64_t d = pa | DESC_VALID | DESC_TABLE | S2_MEMATTR_NORMAL_WB | S2_AP_R | S2_SH_INNER |
                 S2_AF | ((uint64_t)t << S2_SW_SHIFT);
    if (writable)
        d |= S2_AP_W;
    __atomic_store_n(e, d, __ATOMIC_RELEASE);
    return 0;
}

int p2m_lookup(const struct p2m *p, uint64_t ipa, uint64_t *pa, enum p2m_type *t, bool *writable)
{
    if (ipa >> P2M_IPA_BITS)
        return -EINVAL;
    uint64_t *l3 = walk(p, ipa, false);
    if (!l3)
        return -ENOENT;
    uint64_t e = l3[idx(ipa, 3)];
    if (!(e & DESC_VALID))
        return -ENOENT;
    if (pa)
        *pa = (e & ADDR_MASK) | (ipa & (PAGE_SIZE - 1));
    if (t)
        *t = (enum p2m_type)((e & S2_SW_MASK) >> S2_SW_SHIFT);
    if (writable)
        *writable = !!(e & S2_AP_W);
    return 0;
}

int p2m_unmap(struct p2m *p, uint64_t ipa, uint64_t *old_pa, enum p2m_type *old_t)
{
    if (ipa & (PAGE_SIZE - 1) || ipa >> P2M_IPA_BITS)
        return -EINVAL;
    uint64_t *l3 = walk(p, ipa, false);
    if (!l3)
        return -ENOENT;
    uint64_t *e = &l3[idx(ipa, 3)];
    if (!(*e & DESC_VALID))
        return -ENOENT;
    if (old_pa)
        *old_pa = *e & ADDR_MASK;
    if (old_t)
        *old_t = (enum p2m_type)((*e & S2_SW_MASK) >> S2_SW_SHIFT);
    __atomic_store_n(e, 0, __ATOMIC_RELEASE);
    return 0;
}

static void teardown_level(struct p2m *p, uint64_t table_pa, int level, uint64_t base,
                           void (*fn)(uint64_t, uint64_t, enum p2m_type, void *), void *arg)
{
    uint64_t *t = table_va(p, table_pa);
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = t[i];
        if (!(e & DESC_VALID))
            continue;
        uint64_t ipa = base | ((uint64_t)i << (12 + 9 * (3 - level)));
        if (level < 3)
            teardown_level(p, e & ADDR_MASK, level + 1, ipa, fn, arg);
        else if (fn)
            fn(ipa, e & ADDR_MASK, (enum p2m_type)((e & S2_SW_MASK) >> S2_SW_SHIFT), arg);
        t[i] = 0;
    }
    p->ops->free_table(table_pa);
}

void p2m_teardown(struct p2m *p, void (*fn)(uint64_t, uint64_t, enum p2m_type, void *), void *arg)
{
    if (!p->root)
        return;
    teardown_level(p, p->root, 1, 0, fn, arg);
    p->root = 0;
}
