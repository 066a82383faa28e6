/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stage-2 (guest-physical to host-physical) tables.  The builder is pure:
 * it allocates table pages and converts addresses through p2m_ops, so the
 * host-side unit tests run it on malloc'd memory.
 */
#ifndef HV_P2M_H
#define HV_P2M_H

#include <hv/lib.h>

#define P2M_IPA_BITS 39            /* T0SZ = 25, walk starts at level 1 */

/* Mapping types, kept in the descriptors' software bits. */
enum p2m_type {
    P2M_RAM = 1,                   /* owned by the domain, freed with it */
    P2M_FOREIGN = 2,               /* another domain's page (grant map) */
    P2M_HV = 3,                    /* a hypervisor page (shared_info, grant frame) */
};

struct p2m_ops {
    uint64_t (*alloc_table)(void);         /* zeroed page, PA; 0 = none */
    void (*free_table)(uint64_t pa);
    void *(*pa_to_va)(uint64_t pa);
};

struct p2m {
    uint64_t root;                 /* PA of the level-1 table */
    const struct p2m_ops *ops;
};

int p2m_init(struct p2m *p, const struct p2m_ops *ops);
/* Maps one 4 KiB page; -EEXIST if already mapped, -EINVAL if misaligned or out of range. */
int p2m_map(struct p2m *p, uint64_t ipa, uint64_t pa, enum p2m_type t, bool writable);
/* Unmaps one page; returns -ENOENT if nothing was there. */
int p2m_unmap(struct p2m *p, uint64_t ipa, uint64_t *old_pa, enum p2m_type *old_t);
int p2m_lookup(const struct p2m *p, uint64_t ipa, uint64_t *pa, enum p2m_type *t, bool *writable);
/* Calls fn for every leaf, then frees all table pages. */
void p2m_teardown(struct p2m *p, void (*fn)(uint64_t ipa, uint64_t pa, enum p2m_type t, void *arg),
                  void *arg);

#endif
