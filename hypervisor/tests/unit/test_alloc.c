/* SPDX-License-Identifier: Apache-2.0 */
/* Page pool: free/reserved ranges, exhaustion, freeing, bad frees. */
#include "harness.h"
#include <hv/mm.h>

int main(void)
{
    static uint64_t bitmap[4];   /* room for 256 pages */
    struct page_pool p;
    const uint64_t base = 0x40000000;
    printf("alloc: bitmap page pool\n");
    CHECK(mm_pool_init(&p, bitmap, 4, base + 1, 1 << 20) == -EINVAL, "unaligned base refused");
    CHECK(mm_pool_init(&p, bitmap, 4, base, 512 * PAGE_SIZE) == 0 && p.npages == 256,
          "pool clamps to the bitmap's 256 pages");
    CHECK(p.nfree == 0 && mm_alloc_page(&p) == 0, "everything starts reserved");
    mm_add_free(&p, base, base + 256 * PAGE_SIZE);
    CHECK(p.nfree == 256, "256 pages freed");
    mm_reserve(&p, base + 10 * PAGE_SIZE + 5, base + 12 * PAGE_SIZE + 1);
    CHECK(p.nfree == 253, "reserving a partial range takes every page it touches (10, 11, 12)");
    mm_add_free(&p, base + 20 * PAGE_SIZE + 1, base + 22 * PAGE_SIZE);
    CHECK(p.nfree == 253, "freeing only returns whole pages (page 20 is partial, 21 already free)");
    bool seen_reserved = false, unique = true;
    uint64_t got[256];
    unsigned n = 0;
    for (uint64_t pa; (pa = mm_alloc_page(&p)) != 0;) {
        if (pa >= base + 10 * PAGE_SIZE && pa < base + 13 * PAGE_SIZE)
            seen_reserved = true;
        for (unsigned i = 0; i < n; i++)
            unique &= got[i] != pa;
        got[n++] = pa;
    }
    CHECK(n == 253 && !seen_reserved && unique, "253 distinct pages handed out, none reserved");
    CHECK(p.nfree == 0 && mm_alloc_page(&p) == 0, "an empty pool returns 0");
    mm_free_page(&p, got[100]);
    CHECK(p.nfree == 1 && mm_page_is_free(&p, got[100]), "freed page is free again");
    mm_free_page(&p, got[100]);
    CHECK(p.nfree == 1, "double free ignored");
    mm_free_page(&p, base + 10 * PAGE_SIZE);
    CHECK(p.nfree == 2, "a reserved page may be released explicitly");
    mm_free_page(&p, base - PAGE_SIZE);
    mm_free_page(&p, base + 1000 * PAGE_SIZE);
    mm_free_page(&p, got[5] + 8);
    CHECK(p.nfree == 2, "frees outside the pool or unaligned ignored");
    CHECK(mm_alloc_page(&p) != 0 && mm_alloc_page(&p) != 0 && mm_alloc_page(&p) == 0,
          "exactly the two free pages come back");
    return harness_finish("alloc");
}
