/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest page walks for guest-supplied pointers: translates a guest-linear
 * address to guest-physical through the guest's own page tables in every
 * x86 paging mode a PVH guest may be in: paging off, 32-bit (2-level, 4 KiB
 * and, with CR4.PSE, 4 MiB pages), PAE (3-level, 4 KiB and 2 MiB pages) and
 * 4-level long mode (4 KiB, 2 MiB and 1 GiB pages).  Writes need RW at
 * every level.  Pure code: table entries are read through a callback (the
 * hypervisor goes through the NPT; the unit test through a buffer).
 */
#ifndef X86_GWALK_H
#define X86_GWALK_H

#include <hv/lib.h>

struct gwalk_regs {
    uint64_t cr0, cr3, cr4, efer;
};

/* Reads the size-byte (4 or 8) table entry at guest-physical gpa; 0 or -EFAULT. */
typedef int (*gwalk_read_fn)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);

/* 0 and *gpa, or -EFAULT (not present, not writable, non-canonical, or unreadable tables). */
int gwalk(const struct gwalk_regs *r, uint64_t gva, bool write, gwalk_read_fn rd, void *ctx, uint64_t *gpa);

#endif
