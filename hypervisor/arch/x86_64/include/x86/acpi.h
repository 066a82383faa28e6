/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACPI: finding the RSDP and reading the MADT's local APICs (acpi.c, pure
 * code: every table is read through the bounds-checking map callback of
 * x86/boot_info.h and checksummed, so host-side tests feed it buffers).
 */
#ifndef X86_ACPI_H
#define X86_ACPI_H

#include <x86/boot_info.h>

#define ACPI_MAX_CPUS 64

struct madt_info {
    uint32_t lapic_base;
    unsigned nr_cpus;                 /* enabled processors, in MADT order */
    uint32_t apic_id[ACPI_MAX_CPUS];
};

/* Scans the EBDA's first KiB and 0xE0000-0xFFFFF; returns the RSDP's address or 0. */
uint64_t acpi_find_rsdp(bi_map_fn map, void *ctx);
/* 0, -ENOENT without a MADT, -EINVAL for bad checksums or lengths. */
int acpi_parse_madt(uint64_t rsdp, bi_map_fn map, void *ctx, struct madt_info *out);

#endif
