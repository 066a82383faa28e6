/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PVH guest images: an ELF (32- or 64-bit) whose XEN_ELFNOTE_PHYS32_ENTRY
 * note gives the 32-bit protected-mode entry point, and the hvm_start_info
 * block the guest receives in EBX (layouts from Xen's public
 * arch-x86/hvm/start_info.h).
 */
#ifndef X86_PVH_H
#define X86_PVH_H

#include <hv/lib.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MAX_SEGS 8
#define HVM_START_MAGIC 0x336ec578u

struct pvh_seg {
    uint64_t offset, filesz, memsz, paddr;
};

struct pvh_image {
    uint32_t entry;
    unsigned nsegs;
    struct pvh_seg segs[PVH_MAX_SEGS];
    uint64_t lowest, highest;   /* guest-physical extent of the segments */
};

/*
 * Parses img[0..n): 0, or -EINVAL if it is not an ELF with loadable
 * segments inside the file and a PHYS32_ENTRY note inside a segment.
 */
int pvh_parse(const uint8_t *img, size_t n, struct pvh_image *out);

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

#endif
