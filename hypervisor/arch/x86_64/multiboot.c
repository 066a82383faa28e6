/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multiboot1 and multiboot2 information parsers (layouts from the Multiboot
 * specifications).  Every read goes through the map callback, which refuses
 * anything outside memory the caller trusts; strings are copied bounded.
 */
#include <x86/boot_info.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Copies a NUL-terminated string of loader memory, truncating at BI_CMDLINE-1. */
static void copy_str(char *dst, uint64_t pa, bi_map_fn map, void *ctx)
{
    dst[0] = '\0';
    if (!pa)
        return;
    for (unsigned i = 0; i < BI_CMDLINE - 1; i++) {
        const char *c = map(pa + i, 1, ctx);
        if (!c || !*c) {
            dst[i] = '\0';
            return;
        }
        dst[i] = *c;
        dst[i + 1] = '\0';
    }
}

static void add_ram(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (type != 1 || !len || base + len < base || bi->nr_ram >= BI_MAX_RAM)
        return;
    bi->ram[bi->nr_ram].start = base;
    bi->ram[bi->nr_ram].end = base + len;
    bi->nr_ram++;
}

static int add_mod(struct boot_info *bi, uint64_t start, uint64_t end)
{
    if (end < start || bi->nr_mods >= BI_MAX_MODS)
        return -EINVAL;
    bi->mods[bi->nr_mods].start = start;
    bi->mods[bi->nr_mods].end = end;
    return (int)bi->nr_mods++;
}

static int parse_mb1(uint64_t info, bi_map_fn map, void *ctx, struct boot_info *bi)
{
    const uint8_t *mi = map(info, 52, ctx);
    if (!mi)
        return -EINVAL;
    bi->info_start = info;
    bi->info_end = info + 52;
    uint32_t flags = rd32(mi);
    if (flags & (1u << 2))
        copy_str(bi->cmdline, rd32(mi + 16), map, ctx);
    if (flags & (1u << 3)) {
        uint32_t count = rd32(mi + 20), addr = rd32(mi + 24);
        if (count > BI_MAX_MODS)
            return -EINVAL;
        for (uint32_t i = 0; i < count; i++) {
            const uint8_t *m = map((uint64_t)addr + i * 16, 16, ctx);
            if (!m)
                return -EINVAL;
            int n = add_mod(bi, rd32(m), rd32(m + 4));
            if (n < 0)
                return n;
            copy_str(bi->mods[n].cmdline, rd32(m + 8), map, ctx);
        }
    }
    if (flags & (1u << 6)) {
        /* Entries: size (excluding itself), base, length, type. */
        uint32_t len = rd32(mi + 44), addr = rd32(mi + 48);
        for (uint32_t off = 0; off + 24 <= len;) {
            const uint8_t *e = map((uint64_t)addr + off, 24, ctx);
            if (!e)
                return -EINVAL;
            uint32_t size = rd32(e);
            if (size < 20)
                return -EINVAL;
            add_ram(bi, rd64(e + 4), rd64(e + 12), rd32(e + 20));
            off += size + 4;
        }
    } else if (flags & 1u) {
        /* Only mem_lower/mem_upper (KiB): RAM from 1 MiB up. */
        add_ram(bi, 0x100000, (uint64_t)rd32(mi + 8) * 1024, 1);
    }
    return bi->nr_ram ? 0 : -EINVAL;
}

static int parse_mb2(uint64_t info, bi_map_fn map, void *ctx, struct boot_info *bi)
{
    const uint8_t *hdr = map(info, 8, ctx);
    if (!hdr)
        return -EINVAL;
    uint32_t total = rd32(hdr);
    if (total < 16 || !map(info, total, ctx))
        return -EINVAL;
    bi->info_start = info;
    bi->info_end = info + total;
    bool have15 = false;
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint8_t *t = map(info + off, 8, ctx);
        uint32_t type = rd32(t), size = rd32(t + 4);
        if (size < 8 || off + size > total)
            return -EINVAL;
        if (type == 0)
            break;
        if (type == 1) {
            copy_str(bi->cmdline, info + off + 8, map, ctx);
        } else if (type == 3 && size >= 17) {
            const uint8_t *m = map(info + off + 8, 8, ctx);
            int n = add_mod(bi, rd32(m), rd32(m + 4));
            if (n < 0)
                return n;
            copy_str(bi->mods[n].cmdline, info + off + 16, map, ctx);
        } else if (type == 6 && size >= 16) {
            const uint8_t *mm = map(info + off + 8, 8, ctx);
            uint32_t esize = rd32(mm);
            if (esize < 24)
                return -EINVAL;
            for (uint32_t e = 16; e + esize <= size; e += esize) {
                const uint8_t *ent = map(info + off + e, 24, ctx);
                add_ram(bi, rd64(ent), rd64(ent + 8), rd32(ent + 16));
            }
        } else if ((type == 14 || type == 15) && size > 8) {
            /* A copy of the RSDP; tag 15 (ACPI 2.0+) wins over tag 14. */
            uint32_t n = MIN(size - 8, (uint32_t)BI_RSDP_MAX);
            if (type == 15 || !have15) {
                const uint8_t *r = map(info + off + 8, n, ctx);
                memset(bi->rsdp, 0, sizeof(bi->rsdp));
                memcpy(bi->rsdp, r, n);
                bi->rsdp_len = n;
                have15 = type == 15;
            }
        }
        off += (size + 7) & ~7u;
    }
    return bi->nr_ram ? 0 : -EINVAL;
}

int boot_info_parse(uint32_t magic, uint64_t info_pa, bi_map_fn map, void *ctx, struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    if (magic == MB1_BOOT_MAGIC)
        return parse_mb1(info_pa, map, ctx, bi);
    if (magic == MB2_BOOT_MAGIC)
        return parse_mb2(info_pa, map, ctx, bi);
    return -EINVAL;
}
