/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boot-time PVH domains from multiboot modules, numbered from 0 in module
 * order; domain 0 is the control domain.  Each module is a PVH ELF image
 * whose command line configures it:
 *
 *   <name> [mem=<KiB>|<n>M] [cpus=<n>] [weight=<w>] [cap=<pct>] [affinity=<mask>]
 *
 * Guest RAM starts at guest-physical 0.  The segments are copied where the
 * ELF says, the hvm_start_info (with a one-entry memory map and the command
 * line) goes at PVH_INFO_GPA, and vCPU 0 starts at the PHYS32 entry in
 * flat 32-bit protected mode with EBX pointing at the start info.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/mm.h>
#include <asm/x86.h>
#include <x86/boot_info.h>
#include <x86/pvh.h>

#define PVH_INFO_GPA   0x1000UL
#define PVH_MEMMAP_GPA (PVH_INFO_GPA + 0x100)
#define PVH_CMDLINE_GPA (PVH_INFO_GPA + 0x200)

void domains_build(const struct boot_info *bi);

static uint64_t parse_num(const char *s, const char **end)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
        else break;
        v = v * base + d;
    }
    *end = s;
    return v;
}

struct dom_cfg {
    uint64_t mem_kb;
    unsigned cpus, weight, cap;
    uint64_t affinity;
};

/*
 * Reads the key=value words; other words (the image's file name, which
 * QEMU puts first, and the domain's name) are ignored.
 */
static void parse_cmdline(const char *s, struct dom_cfg *c)
{
    while (*s) {
        while (*s == ' ')
            s++;
        const char *e;
        if (!strncmp(s, "mem=", 4)) {
            c->mem_kb = parse_num(s + 4, &e);
            if (*e == 'M') { c->mem_kb *= 1024; e++; }
        } else if (!strncmp(s, "cpus=", 5)) {
            c->cpus = (unsigned)parse_num(s + 5, &e);
        } else if (!strncmp(s, "weight=", 7)) {
            c->weight = (unsigned)parse_num(s + 7, &e);
        } else if (!strncmp(s, "cap=", 4)) {
            c->cap = (unsigned)parse_num(s + 4, &e);
        } else if (!strncmp(s, "affinity=", 9)) {
            c->affinity = parse_num(s + 9, &e);
        } else {
            e = s;
        }
        s = e;
        while (*s && *s != ' ')
            s++;
    }
}

static int load_pvh(struct domain *d, const struct bi_module *m, uint64_t ram_bytes, uint32_t *entry)
{
    const uint8_t *img = pa_to_va(m->start);
    size_t n = (size_t)(m->end - m->start);
    struct pvh_image pi;
    int rc = pvh_parse(img, n, &pi);
    if (rc)
        return rc;
    if (pi.lowest < PVH_INFO_GPA + PAGE_SIZE || pi.highest > ram_bytes)
        return -ENOSPC;   /* segments must clear the start-info page and fit in RAM */
    for (unsigned i = 0; i < pi.nsegs; i++) {
        const struct pvh_seg *s = &pi.segs[i];
        rc = domain_copy_to_gpa(d, s->paddr, img + s->offset, s->filesz);
        if (rc)
            return rc;
        /* The rest of memsz is .bss: guest RAM is zeroed when populated. */
    }
    struct hvm_start_info si = {
        .magic = HVM_START_MAGIC,
        .version = 1,
        .cmdline_paddr = PVH_CMDLINE_GPA,
        .memmap_paddr = PVH_MEMMAP_GPA,
        .memmap_entries = 1,
    };
    struct hvm_memmap_table_entry mm = { 0, ram_bytes, 1, 0 };
    rc = domain_copy_to_gpa(d, PVH_INFO_GPA, &si, sizeof(si));
    if (!rc)
        rc = domain_copy_to_gpa(d, PVH_MEMMAP_GPA, &mm, sizeof(mm));
    if (!rc)
        rc = domain_copy_to_gpa(d, PVH_CMDLINE_GPA, m->cmdline, strlen(m->cmdline) + 1);
    *entry = pi.entry;
    return rc;
}

void domains_build(const struct boot_info *bi)
{
    int next_id = 0;
    for (unsigned i = 0; i < bi->nr_mods; i++) {
        const struct bi_module *m = &bi->mods[i];
        struct dom_cfg c = { 8192, 1, HV_DEFAULT_WEIGHT, 0, ~0ULL };
        parse_cmdline(m->cmdline, &c);
        uint64_t pages = c.mem_kb / 4;
        if (pages < 512 || c.cpus == 0 || c.cpus > HV_MAX_VCPUS) {
            printk("module %u: bad memory (%lu KiB, 2 MiB minimum) or vCPU count; skipped\n", i, c.mem_kb);
            continue;
        }
        spin_lock(&dom_lock);
        struct domain *d = domain_create(next_id, c.cpus, next_id == 0);
        if (!d) {
            spin_unlock(&dom_lock);
            printk("module %u: cannot create domain %d\n", i, next_id);
            continue;
        }
        d->weight = c.weight;
        d->cap = c.cap;
        if (!d->weight || d->weight > 65535 || d->cap > 100) {
            d->weight = HV_DEFAULT_WEIGHT;
            d->cap = 0;
        }
        uint64_t all = (1ULL << arch_nr_cpus()) - 1, aff = c.affinity & all;
        for (unsigned k = 0; k < c.cpus; k++)
            d->vcpus[k].affinity = aff ? aff : all;
        domain_set_max_pages(d, pages);
        uint32_t entry = 0;
        int rc = domain_populate(d, 0, pages);
        if (!rc)
            rc = load_pvh(d, m, pages * PAGE_SIZE, &entry);
        spin_unlock(&dom_lock);
        if (rc) {
            printk("module %u: building d%u failed (%d)\n", i, d->domid, rc);
            domain_destroy(d);
            continue;
        }
        arch_vcpu_set_entry(&d->vcpus[0], entry, PVH_INFO_GPA, 0);
        sched_vcpu_start(&d->vcpus[0]);
        printk("module %u: d%u%s, %lu KiB, %u vCPU(s), weight %u, cap %u, affinity %lx, entry %x\n", i,
               d->domid, d->is_control ? " (control)" : "", c.mem_kb, c.cpus, d->weight, d->cap,
               d->vcpus[0].affinity, entry);
        next_id++;
        spin_lock(&dom_lock);
        domain_unpause(d);
        spin_unlock(&dom_lock);
    }
    if (next_id == 0)
        printk("no boot domains among the modules\n");
}
