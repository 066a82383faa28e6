/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ELF parsing for PVH guests (see x86/pvh.h).  Every offset and size read
 * from the image is checked against the image's length before use; pure
 * code, unit-tested on the host.
 */
#include <x86/pvh.h>

#define PT_LOAD 1
#define PT_NOTE 4

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool in_file(uint64_t off, uint64_t len, size_t n)
{
    return off <= n && len <= n - off;
}

/* Looks through one PT_NOTE segment for the Xen PHYS32_ENTRY note. */
static bool find_entry(const uint8_t *img, uint64_t off, uint64_t len, uint32_t *entry)
{
    uint64_t end = off + len;
    while (off + 12 <= end) {
        uint64_t namesz = rd(img + off, 4), descsz = rd(img + off + 4, 4), type = rd(img + off + 8, 4);
        uint64_t name = off + 12, desc = name + ALIGN_UP(namesz, 4);
        uint64_t next = desc + ALIGN_UP(descsz, 4);
        if (namesz > len || descsz > len || next > end)
            return false;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(img + name, "Xen", 4) &&
            (descsz == 4 || descsz == 8)) {
            *entry = (uint32_t)rd(img + desc, 4);
            return true;
        }
        off = next;
    }
    return false;
}

int pvh_parse(const uint8_t *img, size_t n, struct pvh_image *out)
{
    memset(out, 0, sizeof(*out));
    if (n < 52 || memcmp(img, "\177ELF", 4) || img[5] != 1 /* little-endian */)
        return -EINVAL;
    bool is64 = img[4] == 2;
    if (!is64 && img[4] != 1)
        return -EINVAL;
    if (is64 && n < 64)
        return -EINVAL;
    uint64_t phoff = is64 ? rd(img + 32, 8) : rd(img + 28, 4);
    unsigned phentsize = (unsigned)rd(img + (is64 ? 54 : 42), 2);
    unsigned phnum = (unsigned)rd(img + (is64 ? 56 : 44), 2);
    if (phentsize < (is64 ? 56u : 32u) || !in_file(phoff, (uint64_t)phentsize * phnum, n))
        return -EINVAL;
    bool have_entry = false;
    out->lowest = ~0ULL;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
        uint32_t type = (uint32_t)rd(ph, 4);
        uint64_t off, paddr, filesz, memsz;
        if (is64) {
            off = rd(ph + 8, 8); paddr = rd(ph + 24, 8); filesz = rd(ph + 32, 8); memsz = rd(ph + 40, 8);
        } else {
            off = rd(ph + 4, 4); paddr = rd(ph + 12, 4); filesz = rd(ph + 16, 4); memsz = rd(ph + 20, 4);
        }
        if (!in_file(off, filesz, n))
            return -EINVAL;
        if (type == PT_NOTE && !have_entry)
            have_entry = find_entry(img, off, filesz, &out->entry);
        if (type != PT_LOAD || !memsz)
            continue;
        if (filesz > memsz || paddr + memsz < paddr || out->nsegs >= PVH_MAX_SEGS)
            return -EINVAL;
        out->segs[out->nsegs++] = (struct pvh_seg){ off, filesz, memsz, paddr };
        out->lowest = MIN(out->lowest, paddr);
        out->highest = MAX(out->highest, paddr + memsz);
    }
    if (!have_entry || !out->nsegs || out->entry < out->lowest || out->entry >= out->highest)
        return -EINVAL;
    return 0;
}
