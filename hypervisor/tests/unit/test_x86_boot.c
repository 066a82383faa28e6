/* SPDX-License-Identifier: Apache-2.0 */
/* Multiboot1/2 information parsers (arch/x86_64/multiboot.c) on built buffers. */
#include "harness.h"
#include <x86/boot_info.h>

/* "Loader memory": a buffer whose offsets are the physical addresses. */
static uint8_t mem[8192];

static const void *map(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (pa < 16 || pa > sizeof(mem) || len > sizeof(mem) - pa)
        return NULL;
    return mem + pa;
}

static void w32(uint64_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }

static void build_mb1(void)
{
    memset(mem, 0, sizeof(mem));
    w32(0x100, (1u << 2) | (1u << 3) | (1u << 6));   /* cmdline, mods, mmap */
    w32(0x100 + 16, 0x400);
    strcpy((char *)mem + 0x400, "halyard console=com1");
    w32(0x100 + 20, 2);
    w32(0x100 + 24, 0x500);
    w32(0x500, 0x200000); w32(0x504, 0x209000); w32(0x508, 0x600);
    w32(0x510, 0x20a000); w32(0x514, 0x20b000); w32(0x518, 0);
    strcpy((char *)mem + 0x600, "hello.elf hello mem=8M");
    w32(0x100 + 44, 3 * 24);
    w32(0x100 + 48, 0x700);
    for (int i = 0; i < 3; i++) {
        uint64_t e = 0x700 + i * 24;
        w32(e, 20);
        w64(e + 4, i == 0 ? 0 : i == 1 ? 0x9fc00 : 0x100000);
        w64(e + 12, i == 0 ? 0x9fc00 : i == 1 ? 0x400 : 0xff00000);
        w32(e + 20, i == 1 ? 2 : 1);
    }
}

int main(void)
{
    struct boot_info bi;
    printf("x86-boot: multiboot information parsers\n");
    build_mb1();
    CHECK(boot_info_parse(MB1_BOOT_MAGIC, 0x100, map, NULL, &bi) == 0, "multiboot1 parses");
    CHECK(bi.nr_ram == 2 && bi.ram[0].start == 0 && bi.ram[0].end == 0x9fc00 && bi.ram[1].start == 0x100000 &&
              bi.ram[1].end == 0x10000000,
          "usable RAM only (the reserved entry is dropped)");
    CHECK(bi.nr_mods == 2 && bi.mods[0].start == 0x200000 && bi.mods[0].end == 0x209000 &&
              !strcmp(bi.mods[0].cmdline, "hello.elf hello mem=8M") && bi.mods[1].cmdline[0] == 0,
          "modules with their command lines");
    CHECK(!strcmp(bi.cmdline, "halyard console=com1"), "kernel command line");
    CHECK(boot_info_parse(0x12345678, 0x100, map, NULL, &bi) == -EINVAL, "unknown magic refused");
    w32(0x100 + 24, 0x3000);   /* module list outside loader memory */
    CHECK(boot_info_parse(MB1_BOOT_MAGIC, 0x100, map, NULL, &bi) == -EINVAL, "module list out of bounds refused");
    build_mb1();
    w32(0x100 + 20, 1000);
    CHECK(boot_info_parse(MB1_BOOT_MAGIC, 0x100, map, NULL, &bi) == -EINVAL, "too many modules refused");
    build_mb1();
    w32(0x700, 4);             /* entry size too small: would loop or misparse */
    CHECK(boot_info_parse(MB1_BOOT_MAGIC, 0x100, map, NULL, &bi) == -EINVAL, "bad mmap entry size refused");
    build_mb1();
    memset(mem + 0x1000, 'x', 1000);  /* a command line longer than we keep */
    w32(0x508, 0x1000);
    CHECK(boot_info_parse(MB1_BOOT_MAGIC, 0x100, map, NULL, &bi) == 0 &&
              strlen(bi.mods[0].cmdline) == BI_CMDLINE - 1,
          "long module command line truncated and terminated");

    /* Multiboot2: total size, reserved, then tags (8-byte aligned). */
    memset(mem, 0, sizeof(mem));
    uint64_t o = 0x1000 + 8;
    w32(o, 1); w32(o + 4, 8 + 8); strcpy((char *)mem + o + 8, "mb2 cmd"); o += 16;
    w32(o, 3); w32(o + 4, 16 + 10); w32(o + 8, 0x300000); w32(o + 12, 0x301000);
    strcpy((char *)mem + o + 16, "g mem=4M"); o += 32;
    w32(o, 6); w32(o + 4, 16 + 2 * 24); w32(o + 8, 24); w32(o + 12, 0);
    w64(o + 16, 0x100000); w64(o + 24, 0x1000000); w32(o + 32, 1);
    w64(o + 40, 0xfee00000); w64(o + 48, 0x1000); w32(o + 56, 2);
    o += 64;
    w32(o, 0); w32(o + 4, 8); o += 8;
    w32(0x1000, (uint32_t)(o - 0x1000));
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == 0, "multiboot2 parses");
    CHECK(bi.nr_ram == 1 && bi.ram[0].start == 0x100000 && bi.ram[0].end == 0x1100000, "mb2 memory map");
    CHECK(bi.nr_mods == 1 && bi.mods[0].start == 0x300000 && !strcmp(bi.mods[0].cmdline, "g mem=4M"),
          "mb2 module");
    CHECK(!strcmp(bi.cmdline, "mb2 cmd"), "mb2 command line");
    CHECK(bi.rsdp_len == 0, "mb2 without ACPI tags: no RSDP copy");

    /* ACPI RSDP copies: tag 14 (1.0, 20 bytes) then tag 15 (2.0+, 36 bytes). */
    uint64_t end_tag = o - 8;
    o = end_tag;
    w32(o, 14); w32(o + 4, 8 + 20); memcpy(mem + o + 8, "RSD PTR ", 8); mem[o + 8 + 15] = 0;
    o += 32;
    uint64_t t14 = o;
    w32(o, 0); w32(o + 4, 8); o += 8;
    w32(0x1000, (uint32_t)(o - 0x1000));
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == 0 && bi.rsdp_len == 20 &&
              !memcmp(bi.rsdp, "RSD PTR ", 8) && bi.rsdp[20] == 0,
          "mb2 tag 14: the 20-byte RSDP copied");
    o = t14;
    w32(o, 15); w32(o + 4, 8 + 36); memcpy(mem + o + 8, "RSD PTR ", 8); mem[o + 8 + 15] = 2;
    mem[o + 8 + 35] = 0x5a;
    o += 48;
    w32(o, 14); w32(o + 4, 8 + 20); memcpy(mem + o + 8, "RSD PTR ", 8); mem[o + 8 + 15] = 0;
    o += 32;
    w32(o, 0); w32(o + 4, 8); o += 8;
    w32(0x1000, (uint32_t)(o - 0x1000));
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == 0 && bi.rsdp_len == 36 &&
              bi.rsdp[15] == 2 && bi.rsdp[35] == 0x5a,
          "mb2 tag 15 kept over a later tag 14");
    o = end_tag;
    w32(o, 15); w32(o + 4, 8 + 200); memset(mem + o + 8, 0x77, 200);
    o += 208;
    w32(o, 0); w32(o + 4, 8); o += 8;
    w32(0x1000, (uint32_t)(o - 0x1000));
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == 0 && bi.rsdp_len == BI_RSDP_MAX,
          "oversized RSDP tag copied only up to its 36 bytes");
    w32(end_tag, 0); w32(end_tag + 4, 8);
    w32(0x1000, (uint32_t)(end_tag + 8 - 0x1000));
    w32(0x1000 + 8 + 4, 4);   /* tag size below the header */
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == -EINVAL, "bad tag size refused");
    w32(0x1000 + 8 + 4, 16);
    w32(0x1000, 1u << 30);
    CHECK(boot_info_parse(MB2_BOOT_MAGIC, 0x1000, map, NULL, &bi) == -EINVAL, "oversized info refused");
    return harness_finish("x86-boot");
}
