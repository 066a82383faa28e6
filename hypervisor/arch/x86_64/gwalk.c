/* SPDX-License-Identifier: Apache-2.0 */
/* Guest page walks in every paging mode (see x86/gwalk.h). */
#include <x86/gwalk.h>

#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define EFER_LMA (1ULL << 10)
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)
#define ADDR_MASK 0x000FFFFFFFFFF000ULL

/* Walks `levels` levels of 8-byte entries (PAE below the PDPT, or long mode) from table. */
static int walk64(uint64_t table, uint64_t gva, int levels, bool write, gwalk_read_fn rd, void *ctx,
                  uint64_t *gpa)
{
    for (int level = levels; level >= 1; level--) {
        uint64_t e;
        if (rd(ctx, table + ((gva >> (12 + 9 * (level - 1))) & 511) * 8, 8, &e))
            return -EFAULT;
        if (!(e & PTE_P) || (write && !(e & PTE_RW)))
            return -EFAULT;
        /* Large pages: 1 GiB (level 3, long mode only) and 2 MiB (level 2). */
        if (level == 1 || ((level == 2 || (level == 3 && levels == 4)) && (e & PTE_PS))) {
            uint64_t size = 1ULL << (12 + 9 * (level - 1));
            *gpa = (e & ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
            return 0;
        }
        table = e & ADDR_MASK;
    }
    return -EFAULT;
}

int gwalk(const struct gwalk_regs *r, uint64_t gva, bool write, gwalk_read_fn rd, void *ctx, uint64_t *gpa)
{
    if (!(r->cr0 & CR0_PG)) {
        if (gva >> 32)
            return -EFAULT;
        *gpa = gva;
        return 0;
    }
    if (r->efer & EFER_LMA) {
        if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
            return -EFAULT;   /* non-canonical */
        return walk64(r->cr3 & ADDR_MASK, gva, 4, write, rd, ctx, gpa);
    }
    if (gva >> 32)
        return -EFAULT;
    if (r->cr4 & CR4_PAE) {
        /* PAE: CR3 points at four 8-byte PDPTEs (32-byte aligned); PDPTEs have no RW bit. */
        uint64_t pdpte;
        if (rd(ctx, (r->cr3 & 0xFFFFFFE0ULL) + (gva >> 30) * 8, 8, &pdpte) || !(pdpte & PTE_P))
            return -EFAULT;
        return walk64(pdpte & ADDR_MASK, gva, 2, write, rd, ctx, gpa);
    }
    /* 32-bit paging: 4-byte entries, 4 MiB pages with CR4.PSE (PSE-36: PDE bits 20:13 = PA 39:32). */
    uint64_t pde, pte;
    if (rd(ctx, (r->cr3 & 0xFFFFF000ULL) + (gva >> 22) * 4, 4, &pde))
        return -EFAULT;
    if (!(pde & PTE_P) || (write && !(pde & PTE_RW)))
        return -EFAULT;
    if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
        *gpa = (pde & 0xFFC00000ULL) | (((pde >> 13) & 0xFF) << 32) | (gva & 0x3FFFFF);
        return 0;
    }
    if (rd(ctx, (pde & 0xFFFFF000ULL) + ((gva >> 12) & 1023) * 4, 4, &pte))
        return -EFAULT;
    if (!(pte & PTE_P) || (write && !(pte & PTE_RW)))
        return -EFAULT;
    *gpa = (pte & 0xFFFFF000ULL) | (gva & 0xFFF);
    return 0;
}
