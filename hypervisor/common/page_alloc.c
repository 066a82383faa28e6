/* SPDX-License-Identifier: Apache-2.0 */
/* Bitmap page pool: one bit per 4 KiB page, 1 = used or reserved. */
#include <hv/mm.h>

int mm_pool_init(struct page_pool *p, uint64_t *bitmap, size_t bitmap_words, uint64_t base,
                 uint64_t size)
{
    if ((base & (PAGE_SIZE - 1)) || !size)
        return -EINVAL;
    uint64_t npages = size >> PAGE_SHIFT;
    if (npages > bitmap_words * 64)
        npages = bitmap_words * 64;   /* RAM beyond the bitmap stays unused */
    p->base = base;
    p->npages = npages;
    p->nfree = 0;
    p->hint = 0;
    p->bitmap = bitmap;
    for (size_t i = 0; i < (npages + 63) / 64; i++)
        bitmap[i] = ~0ULL;
    return 0;
}

static bool page_index(const struct page_pool *p, uint64_t pa, uint64_t *idx)
{
    if (pa < p->base || (pa & (PAGE_SIZE - 1)))
        return false;
    *idx = (pa - p->base) >> PAGE_SHIFT;
    return *idx < p->npages;
}

/* Pages wholly inside [start, end) become free. */
void mm_add_free(struct page_pool *p, uint64_t start, uint64_t end)
{
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    for (uint64_t pa = start; pa < end; pa += PAGE_SIZE) {
        uint64_t i;
        if (page_index(p, pa, &i) && (p->bitmap[i / 64] & (1ULL << (i % 64)))) {
            p->bitmap[i / 64] &= ~(1ULL << (i % 64));
            p->nfree++;
        }
    }
}

/* Pages touching [start, end) become used. */
void mm_reserve(struct page_pool *p, uint64_t start, uint64_t end)
{
    start = ALIGN_DOWN(start, PAGE_SIZE);
    end = ALIGN_UP(end, PAGE_SIZE);
    for (uint64_t pa = start; pa < end; pa += PAGE_SIZE) {
        uint64_t i;
        if (page_index(p, pa, &i) && !(p->bitmap[i / 64] & (1ULL << (i % 64)))) {
            p->bitmap[i / 64] |= 1ULL << (i % 64);
            p->nfree--;
        }
    }
}

uint64_t mm_alloc_page(struct page_pool *p)
{
    uint64_t words = (p->npages + 63) / 64;
    if (!p->nfree)
        return 0;
    for (uint64_t n = 0; n < words; n++) {
        uint64_t w = (p->hint + n) % words;
        uint64_t bits = p->bitmap[w];
        if (bits == ~0ULL)
            continue;
        unsigned bit = (unsigned)__builtin_ctzll(~bits);
        uint64_t idx = w * 64 + bit;
        if (idx >= p->npages)
            continue;
        p->bitmap[w] |= 1ULL << bit;
        p->nfree--;
        p->hint = w;
        return p->base + (idx << PAGE_SHIFT);
    }
    return 0;
}

void mm_free_page(struct page_pool *p, uint64_t pa)
{
    uint64_t i;
    if (!page_index(p, pa, &i) || !(p->bitmap[i / 64] & (1ULL << (i % 64))))
        return;   /* double free or foreign address: ignore, never corrupt */
    p->bitmap[i / 64] &= ~(1ULL << (i % 64));
    p->nfree++;
}

bool mm_page_is_free(const struct page_pool *p, uint64_t pa)
{
    uint64_t i;
    return page_index(p, pa, &i) && !(p->bitmap[i / 64] & (1ULL << (i % 64)));
}
