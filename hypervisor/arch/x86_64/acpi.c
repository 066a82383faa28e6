/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RSDP search and MADT parsing (layouts from the ACPI specification).
 * Tables are checksummed and their lengths bounded before any field is
 * read; only enabled local APIC (type 0) and local x2APIC (type 9)
 * entries are kept.
 */
#include <x86/acpi.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool checksum_ok(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

static uint64_t scan(uint64_t start, uint64_t end, bi_map_fn map, void *ctx)
{
    for (uint64_t a = start; a + 20 <= end; a += 16) {
        const uint8_t *p = map(a, 20, ctx);
        if (p && !memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20))
            return a;
    }
    return 0;
}

uint64_t acpi_find_rsdp(bi_map_fn map, void *ctx)
{
    const uint8_t *ebda_seg = map(0x40E, 2, ctx);
    if (ebda_seg) {
        uint64_t ebda = (uint64_t)(ebda_seg[0] | ebda_seg[1] << 8) << 4;
        if (ebda >= 0x80000 && ebda < 0xA0000) {
            uint64_t r = scan(ebda, ebda + 1024, map, ctx);
            if (r)
                return r;
        }
    }
    return scan(0xE0000, 0x100000, map, ctx);
}

/* Maps a whole table after checking its header, length and checksum. */
static const uint8_t *map_table(uint64_t pa, bi_map_fn map, void *ctx)
{
    const uint8_t *h = map(pa, 36, ctx);
    if (!h)
        return NULL;
    uint32_t len = rd32(h + 4);
    if (len < 36 || len > (1u << 20))
        return NULL;
    const uint8_t *t = map(pa, len, ctx);
    return t && checksum_ok(t, len) ? t : NULL;
}

static int parse_madt(const uint8_t *m, struct madt_info *out)
{
    uint32_t len = rd32(m + 4);
    if (len < 44)
        return -EINVAL;
    out->lapic_base = rd32(m + 36);
    for (uint32_t off = 44; off + 2 <= len;) {
        uint8_t type = m[off], elen = m[off + 1];
        if (elen < 2 || off + elen > len)
            return -EINVAL;
        uint32_t id = 0, flags = 0;
        bool cpu = false;
        if (type == 0 && elen >= 8) {
            id = m[off + 3];
            flags = rd32(m + off + 4);
            cpu = true;
        } else if (type == 9 && elen >= 16) {
            id = rd32(m + off + 4);
            flags = rd32(m + off + 8);
            cpu = true;
        }
        if (cpu && (flags & 1) && out->nr_cpus < ACPI_MAX_CPUS)
            out->apic_id[out->nr_cpus++] = id;
        off += elen;
    }
    return 0;
}

int acpi_parse_madt(uint64_t rsdp, bi_map_fn map, void *ctx, struct madt_info *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *r = map(rsdp, 20, ctx);
    if (!r || memcmp(r, "RSD PTR ", 8) || !checksum_ok(r, 20))
        return -EINVAL;
    uint64_t sdt;
    unsigned esize;
    if (r[15] >= 2) {
        const uint8_t *r2 = map(rsdp, 36, ctx);
        if (!r2 || !checksum_ok(r2, 36))
            return -EINVAL;
        sdt = rd64(r2 + 24);
        esize = 8;
    } else {
        sdt = rd32(r + 16);
        esize = 4;
    }
    const uint8_t *t = map_table(sdt, map, ctx);
    if (!t || memcmp(t, esize == 8 ? "XSDT" : "RSDT", 4))
        return -EINVAL;
    uint32_t len = rd32(t + 4);
    for (uint32_t off = 36; off + esize <= len; off += esize) {
        uint64_t pa = esize == 8 ? rd64(t + off) : rd32(t + off);
        const uint8_t *h = map(pa, 4, ctx);
        if (!h || memcmp(h, "APIC", 4))
            continue;
        const uint8_t *m = map_table(pa, map, ctx);
        return m ? parse_madt(m, out) : -EINVAL;
    }
    return -ENOENT;
}
