/* SPDX-License-Identifier: Apache-2.0 */
/* RSDP search and MADT parsing (arch/x86_64/acpi.c) on a built "BIOS area". */
#include "harness.h"
#include <x86/acpi.h>

static uint8_t mem[0x100000];   /* the first MiB: physical address == offset */

static const void *map(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (pa > sizeof(mem) || len > sizeof(mem) - pa)
        return NULL;
    return mem + pa;
}

static void w32(uint64_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }

static void fix_sum(uint64_t pa, size_t len, size_t sum_off)
{
    mem[pa + sum_off] = 0;
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + mem[pa + i]);
    mem[pa + sum_off] = (uint8_t)-s;
}

static void table(uint64_t pa, const char *sig, uint32_t len)
{
    memcpy(mem + pa, sig, 4);
    w32(pa + 4, len);
    fix_sum(pa, len, 9);
}

/* RSDP v1 at 0xF5A0 -> RSDT at 0x7000 -> [FACP-ish at 0x7100, MADT at 0x7200]. */
static void build(void)
{
    memset(mem, 0, sizeof(mem));
    uint64_t rsdp = 0xF5A0 + 0xE0000;
    memcpy(mem + rsdp, "RSD PTR ", 8);
    w32(rsdp + 16, 0x7000);
    fix_sum(rsdp, 20, 8);
    w32(0x7000 + 36, 0x7100);
    w32(0x7000 + 40, 0x7200);
    table(0x7100, "FACP", 36);
    uint64_t m = 0x7200, o = m + 44;
    w32(m + 36, 0xFEE00000);
    /* type 0: CPU (APIC 0, enabled), CPU (APIC 1, enabled), CPU (APIC 5, disabled) */
    uint8_t e0[8] = { 0, 8, 0, 0, 1, 0, 0, 0 }, e1[8] = { 0, 8, 1, 1, 1, 0, 0, 0 },
            e2[8] = { 0, 8, 2, 5, 0, 0, 0, 0 };
    memcpy(mem + o, e0, 8); o += 8;
    memcpy(mem + o, e1, 8); o += 8;
    memcpy(mem + o, e2, 8); o += 8;
    uint8_t ioapic[12] = { 1, 12 };
    memcpy(mem + o, ioapic, 12); o += 12;
    /* type 9: x2APIC 300, enabled */
    uint8_t x2[16] = { 9, 16, 0, 0 };
    memcpy(mem + o, x2, 16);
    w32(o + 4, 300); w32(o + 8, 1);
    o += 16;
    table(m, "APIC", (uint32_t)(o - m));
    table(0x7000, "RSDT", 44);
}

int main(void)
{
    struct madt_info mi;
    printf("x86-acpi: RSDP search and MADT parsing\n");
    build();
    uint64_t rsdp = acpi_find_rsdp(map, NULL);
    CHECK(rsdp == 0xF5A0 + 0xE0000, "RSDP found in the BIOS area");
    CHECK(acpi_parse_madt(rsdp, map, NULL, &mi) == 0, "MADT parses");
    CHECK(mi.lapic_base == 0xFEE00000 && mi.nr_cpus == 3 && mi.apic_id[0] == 0 && mi.apic_id[1] == 1 &&
              mi.apic_id[2] == 300,
          "enabled local APICs and x2APICs, the disabled one skipped");
    mem[0x7200 + 50]++;   /* corrupt the MADT: checksum fails */
    CHECK(acpi_parse_madt(rsdp, map, NULL, &mi) == -EINVAL, "bad MADT checksum refused");
    build();
    mem[0x7200 + 44 + 1] = 0;   /* zero-length entry would loop forever */
    fix_sum(0x7200, 44 + 8 * 3 + 12 + 16, 9);
    CHECK(acpi_parse_madt(rsdp, map, NULL, &mi) == -EINVAL, "zero-length MADT entry refused");
    build();
    w32(0x7200 + 4, 0x7FFFFFFF);   /* length past memory */
    CHECK(acpi_parse_madt(rsdp, map, NULL, &mi) == -EINVAL, "oversized table refused");
    build();
    w32(0x7000 + 40, 0x7100);   /* no APIC table listed */
    fix_sum(0x7000, 44, 9);
    CHECK(acpi_parse_madt(rsdp, map, NULL, &mi) == -ENOENT, "no MADT -> -ENOENT");
    memset(mem, 0, sizeof(mem));
    CHECK(acpi_find_rsdp(map, NULL) == 0, "no RSDP -> 0");
    return harness_finish("x86-acpi");
}
