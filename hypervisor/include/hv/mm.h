/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot-time page pool.  All memory the hypervisor hands out after boot
 * (guest RAM, stage-2 tables, shared_info and grant frames) comes from one
 * bitmap over the RAM the DTB describes, minus reserved ranges.  The bitmap
 * itself is static; nothing else is allocated.
 */
#ifndef HV_MM_H
#define HV_MM_H

#include <hv/lib.h>

#define MM_MAX_PAGES (1UL << 19)   /* 2 GiB of RAM in 4 KiB pages */

struct page_pool {
    uint64_t base;                 /* physical address of page 0 */
    uint64_t npages;
    uint64_t nfree;
    uint64_t hint;                 /* where the next search starts */
    uint64_t *bitmap;              /* 1 = used */
};

/* Covers [base, base+size); everything starts used until mm_add_free. */
int mm_pool_init(struct page_pool *p, uint64_t *bitmap, size_t bitmap_words,
                 uint64_t base, uint64_t size);
void mm_add_free(struct page_pool *p, uint64_t start, uint64_t end);
void mm_reserve(struct page_pool *p, uint64_t start, uint64_t end);
/* One page; returns its physical address or 0 when the pool is empty. */
uint64_t mm_alloc_page(struct page_pool *p);
void mm_free_page(struct page_pool *p, uint64_t pa);
bool mm_page_is_free(const struct page_pool *p, uint64_t pa);

/* The hypervisor's pool and helpers that also zero the page. */
extern struct page_pool hv_pool;
uint64_t alloc_zeroed_page(void);
void free_page(uint64_t pa);

#endif
