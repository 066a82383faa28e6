/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nested page tables (AMD64 long-mode format, 4 levels, 4 KiB leaves) behind
 * the common p2m interface.  SVM's nested walk is a user-mode access, so
 * every level carries the U bit as well as P and RW; the p2m type lives in
 * software-available bits 9-10.  Guest-physical space is limited to
 * P2M_IPA_BITS (39), so only PML4 slot 0 is ever used.  Pure code: the
 * host-side unit tests run it on malloc'd pages.  TLB maintenance after
 * unmaps is the caller's (arch_domain_flush_tlb).
 */
#include <hv/p2m.h>

#define NPT_P    (1ULL << 0)
#define NPT_RW   (1ULL << 1)
#define NPT_US   (1ULL << 2)
#define NPT_PS   (1ULL << 7)
#define NPT_SW_SHIFT 9
#define NPT_SW_MASK (3ULL << NPT_SW_SHIFT)
#define NPT_ADDR 0x000FFFFFFFFFF000ULL

static uint64_t *table_va(const struct p2m *p, uint64_t pa)
{
    return p->ops->pa_to_va(pa);
}

static unsigned idx(uint64_t gpa, int level)
{
    return (unsigned)((gpa >> (12 + 9 * (level - 1))) & 511);
}

int p2m_init(struct p2m *p, const struct p2m_ops *ops)
{
    p->ops = ops;
    p->root = ops->alloc_table();
    return p->root ? 0 : -ENOMEM;
}

/* Returns the level-1 table for gpa, creating intermediate tables if asked. */
static uint64_t *walk(const struct p2m *p, uint64_t gpa, bool create)
{
    uint64_t *t = table_va(p, p->root);
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[idx(gpa, level)];
        if (!(*e & NPT_P)) {
            if (!create)
                return NULL;
            uint64_t pa = p->ops->alloc_table();
            if (!pa)
                return NULL;
            *e = (pa & NPT_ADDR) | NPT_P | NPT_RW | NPT_US;
        }
        t = table_va(p, *e & NPT_ADDR);
    }
    return t;
}

int p2m_map(struct p2m *p, uint64_t gpa, uint64_t pa, enum p2m_type t, bool writable)
{
    if ((gpa | pa) & (PAGE_SIZE - 1) || gpa >> P2M_IPA_BITS || pa & ~NPT_ADDR)
        return -EINVAL;
    uint64_t *l1 = walk(p, gpa, true);
    if (!l1)
        return -ENOMEM;
    uint64_t *e = &l1[idx(gpa, 1)];
    if (*e & NPT_P)
        return -EEXIST;
    uint64_t d = pa | NPT_P | NPT_US | ((uint64_t)t << NPT_SW_SHIFT);
    if (writable)
        d |= NPT_RW;
    __atomic_store_n(e, d, __ATOMIC_RELEASE);
    return 0;
}

int p2m_lookup(const struct p2m *p, uint64_t gpa, uint64_t *pa, enum p2m_type *t, bool *writable)
{
    if (gpa >> P2M_IPA_BITS)
        return -EINVAL;
    uint64_t *l1 = walk(p, gpa, false);
    if (!l1)
        return -ENOENT;
    uint64_t e = l1[idx(gpa, 1)];
    if (!(e & NPT_P))
        return -ENOENT;
    if (pa)
        *pa = (e & NPT_ADDR) | (gpa & (PAGE_SIZE - 1));
    if (t)
        *t = (enum p2m_type)((e & NPT_SW_MASK) >> NPT_SW_SHIFT);
    if (writable)
        *writable = !!(e & NPT_RW);
    return 0;
}

int p2m_unmap(struct p2m *p, uint64_t gpa, uint64_t *old_pa, enum p2m_type *old_t)
{
    if (gpa & (PAGE_SIZE - 1) || gpa >> P2M_IPA_BITS)
        return -EINVAL;
    uint64_t *l1 = walk(p, gpa, false);
    if (!l1)
        return -ENOENT;
    uint64_t *e = &l1[idx(gpa, 1)];
    if (!(*e & NPT_P))
        return -ENOENT;
    if (old_pa)
        *old_pa = *e & NPT_ADDR;
    if (old_t)
        *old_t = (enum p2m_type)((*e & NPT_SW_MASK) >> NPT_SW_SHIFT);
    __atomic_store_n(e, 0, __ATOMIC_RELEASE);
    return 0;
}

static void teardown_level(struct p2m *p, uint64_t table_pa, int level, uint64_t base,
                           void (*fn)(uint64_t, uint64_t, enum p2m_type, void *), void *arg)
{
    uint64_t *t = table_va(p, table_pa);
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = t[i];
        if (!(e & NPT_P))
            continue;
        uint64_t gpa = base | ((uint64_t)i << (12 + 9 * (level - 1)));
        if (level > 1)
            teardown_level(p, e & NPT_ADDR, level - 1, gpa, fn, arg);
        else if (fn)
            fn(gpa, e & NPT_ADDR, (enum p2m_type)((e & NPT_SW_MASK) >> NPT_SW_SHIFT), arg);
        t[i] = 0;
    }
    p->ops->free_table(table_pa);
}

void p2m_teardown(struct p2m *p, void (*fn)(uint64_t, uint64_t, enum p2m_type, void *), void *arg)
{
    if (!p->root)
        return;
    teardown_level(p, p->root, 4, 0, fn, arg);
    p->root = 0;
}
