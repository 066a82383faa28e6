/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest page walks (arch/x86_64/gwalk.c) over page tables built in a fake
 * guest-physical memory: paging off, 32-bit (4 KiB and PSE 4 MiB pages),
 * PAE (4 KiB and 2 MiB) and long mode (4 KiB, 2 MiB, 1 GiB), with
 * not-present entries, read-only levels and unreadable tables.
 */
#include "harness.h"
#include <x86/gwalk.h>

#define MEM (64 * 1024)
static uint8_t mem[MEM] __attribute__((aligned(4096)));
static unsigned reads;

static int rd(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    (void)ctx;
    reads++;
    if (gpa + size > MEM)
        return -EFAULT;   /* "not RAM": a table in a hole */
    *val = 0;
    memcpy(val, mem + gpa, size);
    return 0;
}

static void put32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static void put64(uint64_t at, uint64_t v) { memcpy(mem + at, &v, 8); }

static bool xl(const struct gwalk_regs *r, uint64_t gva, bool write, uint64_t want)
{
    uint64_t gpa = 0;
    return gwalk(r, gva, write, rd, NULL, &gpa) == 0 && gpa == want;
}

static bool fails(const struct gwalk_regs *r, uint64_t gva, bool write)
{
    uint64_t gpa;
    return gwalk(r, gva, write, rd, NULL, &gpa) == -EFAULT;
}

#define PG (1ULL << 31)
#define PE 1ULL
#define PSE (1ULL << 4)
#define PAE (1ULL << 5)
#define LME_LMA ((1ULL << 8) | (1ULL << 10))

int main(void)
{
    printf("x86-gwalk: guest page walks in every paging mode\n");
    struct gwalk_regs off = { PE, 0, 0, 0 };
    CHECK(xl(&off, 0x12345678, true, 0x12345678), "paging off: linear = physical");
    CHECK(fails(&off, 0x100000000ULL, false), "paging off: above 4 GiB refused");

    /* 32-bit paging: PD at 0x1000, PT at 0x2000. */
    memset(mem, 0, sizeof(mem));
    put32(0x1000 + 1 * 4, 0x2000 | 3);                   /* 4-8 MiB -> PT */
    put32(0x2000 + 5 * 4, 0xABCDE000 | 3);              /* 0x405000 -> 0xABCDE000, RW */
    put32(0x2000 + 6 * 4, 0x00077000 | 1);              /* 0x406000 -> 0x77000, read-only */
    put32(0x1000 + 2 * 4, 0x12C00000 | 0x83 | (0x5 << 13));   /* 8-12 MiB: 4 MiB page, PSE-36 bits */
    put32(0x1000 + 3 * 4, 0x00400000 | 0x81);           /* 12-16 MiB: read-only 4 MiB page */
    struct gwalk_regs p32 = { PG | PE, 0x1000, 0, 0 };
    CHECK(xl(&p32, 0x405123, true, 0xABCDE123), "32-bit: 4 KiB page");
    CHECK(xl(&p32, 0x406FFF, false, 0x77FFF) && fails(&p32, 0x406000, true), "32-bit: read-only PTE");
    CHECK(fails(&p32, 0x407000, false), "32-bit: not-present PTE");
    CHECK(fails(&p32, 0x0, false), "32-bit: not-present PDE");
    CHECK(fails(&p32, 0x812345, false), "32-bit: PS without CR4.PSE points at a PT in a hole");
    p32.cr4 = PSE;
    CHECK(xl(&p32, 0x812345, true, 0x512C12345ULL), "32-bit: 4 MiB page (PSE, PSE-36 high bits)");
    CHECK(xl(&p32, 0xC00010, false, 0x400010) && fails(&p32, 0xC00010, true), "32-bit: read-only 4 MiB page");
    CHECK(fails(&p32, 0x100000000ULL, false), "32-bit: above 4 GiB refused");

    /* PAE: PDPT at 0x3020 (32-byte aligned), PD at 0x4000, PT at 0x5000. */
    memset(mem, 0, sizeof(mem));
    put64(0x3020 + 1 * 8, 0x4000 | 1);                   /* 1-2 GiB -> PD */
    put64(0x4000 + 0 * 8, 0x5000 | 3);                   /* 1 GiB + 0..2 MiB -> PT */
    put64(0x5000 + 3 * 8, 0x123456000ULL | 3 | (1ULL << 63));   /* NX set, above 4 GiB */
    put64(0x4000 + 1 * 8, 0x7FE00000ULL | 0x83);         /* 2 MiB page */
    put64(0x4000 + 2 * 8, 0x5000 | 1);                   /* read-only PDE over the same PT */
    struct gwalk_regs pae = { PG | PE, 0x3020, PAE, 0 };
    CHECK(xl(&pae, 0x40003ABC, true, 0x123456ABCULL), "PAE: 4 KiB page above 4 GiB, NX ignored");
    CHECK(xl(&pae, 0x40212345, true, 0x7FE12345), "PAE: 2 MiB page");
    CHECK(xl(&pae, 0x40403000, false, 0x123456000ULL) && fails(&pae, 0x40403000, true),
          "PAE: read-only PDE refuses writes");
    CHECK(fails(&pae, 0x00003000, false), "PAE: not-present PDPTE");
    CHECK(fails(&pae, 0x40004000, false), "PAE: not-present PTE");
    pae.cr3 = 0xFFF0;
    CHECK(fails(&pae, 0xC0000000, false), "PAE: PDPT beyond RAM -> -EFAULT");

    /* Long mode: PML4 0x6000, PDPT 0x7000, PD 0x8000, PT 0x9000. */
    memset(mem, 0, sizeof(mem));
    put64(0x6000 + 0 * 8, 0x7000 | 3);
    put64(0x6000 + 511 * 8, 0x7000 | 1);                 /* top half: read-only PML4E */
    put64(0x7000 + 0 * 8, 0x8000 | 3);
    put64(0x7000 + 1 * 8, 0x40000000ULL | 0x83);         /* 1 GiB page */
    put64(0x8000 + 0 * 8, 0x9000 | 3);
    put64(0x8000 + 1 * 8, 0x00200000ULL | 0x83);         /* 2 MiB page */
    put64(0x9000 + 1 * 8, 0xFEDCB000ULL | 3);
    put64(0x8000 + 2 * 8, 0x1000000 | 3);                /* a PT in a hole */
    struct gwalk_regs lm = { PG | PE, 0x6000, PAE, LME_LMA };
    CHECK(xl(&lm, 0x1234, true, 0xFEDCB234ULL), "long mode: 4 KiB page");
    CHECK(xl(&lm, 0x2FFFFF, true, 0x2FFFFF), "long mode: 2 MiB page");
    CHECK(xl(&lm, 0x7FFFFFFF, true, 0x7FFFFFFF), "long mode: 1 GiB page");
    CHECK(xl(&lm, 0xFFFFFF8000001234ULL, false, 0xFEDCB234ULL) && fails(&lm, 0xFFFFFF8000001234ULL, true),
          "long mode: read-only upper level refuses writes");
    CHECK(fails(&lm, 0x0000800000000000ULL, false), "long mode: non-canonical refused");
    CHECK(fails(&lm, 0x400000, false), "long mode: table in a hole -> -EFAULT");
    CHECK(fails(&lm, 0x2000, false), "long mode: not-present PTE");
    reads = 0;
    (void)xl(&lm, 0x1234, false, 0);
    CHECK(reads == 4, "long mode: four table reads for a 4 KiB page");
    return harness_finish("x86-gwalk");
}
