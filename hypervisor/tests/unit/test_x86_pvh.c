/* SPDX-License-Identifier: Apache-2.0 */
/* PVH ELF parsing (arch/x86_64/pvh.c): segments and the PHYS32_ENTRY note. */
#include "harness.h"
#include <x86/pvh.h>

static uint8_t img[4096];

static void w16(size_t o, uint16_t v) { memcpy(img + o, &v, 2); }
static void w32(size_t o, uint32_t v) { memcpy(img + o, &v, 4); }
static void w64(size_t o, uint64_t v) { memcpy(img + o, &v, 8); }

/* ELF64 with a PT_LOAD at 1 MiB (file 0x200..0x400, memsz 0x1000) and a PT_NOTE. */
static void build(uint32_t entry)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = 2; img[5] = 1; img[6] = 1;
    w16(16, 2); w16(18, 62);
    w64(32, 64);                 /* phoff */
    w16(54, 56); w16(56, 2);     /* phentsize, phnum */
    size_t ph = 64;
    w32(ph, 1); w64(ph + 8, 0x200); w64(ph + 16, 0x100000); w64(ph + 24, 0x100000);
    w64(ph + 32, 0x200); w64(ph + 40, 0x1000);
    ph += 56;
    w32(ph, 4); w64(ph + 8, 0x180); w64(ph + 32, 20);
    w32(0x180, 4); w32(0x184, 4); w32(0x188, XEN_ELFNOTE_PHYS32_ENTRY);
    memcpy(img + 0x18c, "Xen", 4);
    w32(0x190, entry);
}

int main(void)
{
    struct pvh_image pi;
    printf("x86-pvh: PVH ELF parsing\n");
    build(0x100000);
    CHECK(pvh_parse(img, sizeof(img), &pi) == 0, "well-formed image parses");
    CHECK(pi.entry == 0x100000 && pi.nsegs == 1 && pi.segs[0].paddr == 0x100000 &&
              pi.segs[0].filesz == 0x200 && pi.segs[0].memsz == 0x1000 && pi.lowest == 0x100000 &&
              pi.highest == 0x101000,
          "entry from the note, one segment, extent");
    build(0x200000);
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "entry outside the segments refused");
    build(0x100000);
    w32(0x188, 1);
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "no PHYS32_ENTRY note refused");
    build(0x100000);
    w64(64 + 32, 0x100000);      /* filesz past the end of the file */
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "segment past the file refused");
    build(0x100000);
    w64(64 + 40, 0x10);          /* memsz < filesz */
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "memsz below filesz refused");
    build(0x100000);
    w64(32, 0xFFFFFFFFFFFFFF00ULL);
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "wild program-header offset refused");
    build(0x100000);
    w32(0x180, 0xFFFFFFF0u);     /* huge namesz */
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "huge note name refused");
    build(0x100000);
    CHECK(pvh_parse(img, 40, &pi) == -EINVAL, "truncated header refused");
    img[0] = 0;
    CHECK(pvh_parse(img, sizeof(img), &pi) == -EINVAL, "not an ELF refused");
    return harness_finish("x86-pvh");
}
