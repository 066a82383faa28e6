/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 stage-1 translation: an identity map of the low 4 GiB in 1 GiB blocks,
 * Normal write-back memory where the DTB says RAM is and Device-nGnRnE
 * elsewhere.  Built once on the boot CPU; every CPU loads the same tables.
 * Before the DTB is parsed, the GiB holding the image is mapped as RAM.
 */
#include <hv/lib.h>
#include <asm/arm64.h>
#include <asm/sysreg.h>

#define BLOCK_VALID (1ULL << 0)
#define ATTR_IDX(i) ((uint64_t)(i) << 2)
#define AP_RW_EL2   (0ULL << 6)
#define SH_INNER    (3ULL << 8)
#define AF          (1ULL << 10)
#define XN          (1ULL << 54)
#define MAIR_VAL    0xFF00ULL        /* attr0 = Device-nGnRnE, attr1 = Normal WB */

static uint64_t l1_table[512] __attribute__((aligned(4096)));
extern char _image_start[];

static uint64_t device_block(uint64_t gib)
{
    return (gib << 30) | BLOCK_VALID | ATTR_IDX(0) | AP_RW_EL2 | AF | XN;
}

static uint64_t ram_block(uint64_t gib)
{
    return (gib << 30) | BLOCK_VALID | ATTR_IDX(1) | AP_RW_EL2 | SH_INNER | AF;
}

void mmu_build_tables(void)
{
    for (uint64_t i = 0; i < 4; i++)
        l1_table[i] = device_block(i);
    uint64_t img = (uint64_t)(uintptr_t)_image_start >> 30;
    l1_table[img] = ram_block(img);
}

/* Marks [base, base+size) as RAM; called after the DTB is parsed. */
void mmu_map_ram(uint64_t base, uint64_t size)
{
    for (uint64_t g = base >> 30; g < ((base + size + (1ULL << 30) - 1) >> 30) && g < 4; g++)
        l1_table[g] = ram_block(g);
    dsb(ishst);
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
}

void mmu_enable(void)
{
    uint64_t pa_range = READ_SYSREG(id_aa64mmfr0_el1) & 7;
    /* T0SZ=25 (39-bit VA, walk from level 1), WBWA inner/outer, inner shareable, 4K. */
    uint64_t tcr = 25 | (1ULL << 8) | (1ULL << 10) | (3ULL << 12) | (pa_range << 16) |
                   (1ULL << 23) | (1ULL << 31);
    WRITE_SYSREG(mair_el2, MAIR_VAL);
    WRITE_SYSREG(tcr_el2, tcr);
    WRITE_SYSREG(ttbr0_el2, (uint64_t)(uintptr_t)l1_table);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(ish);
    isb();
    /* M, C, SA, I plus the RES1 bits of SCTLR_EL2. */
    WRITE_SYSREG(sctlr_el2, 0x30C50830ULL | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 12));
    isb();
}
