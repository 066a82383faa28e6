/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the boot loader told us, parsed from a multiboot1 or multiboot2
 * information structure (multiboot.c, pure code: it reads loader memory only
 * through a bounds-checking callback, so host-side tests feed it buffers).
 */
#ifndef X86_BOOT_INFO_H
#define X86_BOOT_INFO_H

#include <hv/lib.h>

#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36d76289u
#define BI_MAX_RAM 32
#define BI_MAX_MODS 16
#define BI_CMDLINE 128
#define BI_RSDP_MAX 36                 /* an ACPI 2.0 RSDP */

struct bi_range {
    uint64_t start, end;          /* [start, end) */
};

struct bi_module {
    uint64_t start, end;
    char cmdline[BI_CMDLINE];     /* truncated, always terminated */
};

struct boot_info {
    unsigned nr_ram;
    struct bi_range ram[BI_MAX_RAM];   /* usable RAM (type 1) only */
    unsigned nr_mods;
    struct bi_module mods[BI_MAX_MODS];
    char cmdline[BI_CMDLINE];
    uint64_t info_start, info_end;     /* the info block itself */
    /*
     * Multiboot2 only: the loader's copy of the ACPI RSDP (tag 15, the
     * ACPI 2.0+ one, preferred over tag 14's 1.0 copy), for firmware
     * (UEFI) whose RSDP is not in the BIOS areas acpi_find_rsdp scans.
     */
    uint32_t rsdp_len;                 /* 0: none given */
    uint8_t rsdp[BI_RSDP_MAX];
};

/* Returns a pointer to [pa, pa+len) of loader memory, or NULL if out of bounds. */
typedef const void *(*bi_map_fn)(uint64_t pa, size_t len, void *ctx);

/* 0 on success; -EINVAL for an unknown magic or a malformed structure. */
int boot_info_parse(uint32_t magic, uint64_t info_pa, bi_map_fn map, void *ctx, struct boot_info *bi);

#endif
