/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boot-time domains, dom0less style: every /chosen child compatible with
 * "xen,domain" becomes a domain, numbered from 0 in DTB order; domain 0 is
 * the control domain.  Its kernel is the child node compatible with
 * "multiboot,kernel" whose reg gives the image's address and size in RAM
 * (placed there by the boot loader, e.g. QEMU's -device loader).
 *
 *   domU0 {
 *       compatible = "xen,domain";
 *       #address-cells = <2>; #size-cells = <2>;
 *       memory = <0 8192>;                 // KiB
 *       cpus = <1>;
 *       halyard,weight = <256>;            // optional
 *       halyard,cap = <0>;                 // optional, percent
 *       halyard,affinity = <0x3>;          // optional pCPU mask
 *       module@44000000 { compatible = "multiboot,kernel", "multiboot,module";
 *                         reg = <0 0x44000000 0 0x10000>; bootargs = "..."; };
 *       module@46000000 { compatible = "multiboot,ramdisk", "multiboot,module";
 *                         reg = <0 0x46000000 0 0x8000>; };   // optional
 *   };
 *
 * The image is copied to the start of guest RAM (GUEST_RAM0_BASE) and
 * vCPU 0 starts there, Linux-Image style, with x0 = the guest-physical
 * address of a generated device tree (guest_dt.c) placed 2 MiB below the
 * end of its RAM (at the start of RAM's last page for domains under 4 MiB);
 * the module node's "bootargs" become its /chosen/bootargs.  A ramdisk
 * module is copied just below the DTB and named in /chosen as Linux's
 * initrd.
 */
#include <hv/arch.h>
#include <hv/domain.h>
#include <hv/fdt.h>
#include <hv/mm.h>
#include <public/arch-arm.h>
#include <asm/arm64.h>

static int find_module(const struct fdt *f, int dom, const char *kind, uint64_t *addr, uint64_t *size)
{
    for (int m = fdt_first_child(f, dom); m >= 0; m = fdt_next_sibling(f, m))
        if (fdt_is_compatible(f, m, kind))
            return fdt_get_reg(f, m, 0, addr, size) ? -ENOENT : m;
    return -ENOENT;
}

static int find_kernel(const struct fdt *f, int dom, uint64_t *addr, uint64_t *size)
{
    return find_module(f, dom, "multiboot,kernel", addr, size);
}

static uint8_t dtb_buf[8192];

/* Where the guest DTB goes: clear of the kernel image, inside RAM. */
static uint64_t dtb_address(uint64_t ram_bytes, uint64_t kernel_bytes)
{
    uint64_t end = GUEST_RAM0_BASE + ram_bytes;
    if (ram_bytes >= (4ULL << 20) && end - (2ULL << 20) >= GUEST_RAM0_BASE + kernel_bytes)
        return end - (2ULL << 20);
    return end - PAGE_SIZE;
}

/* Keeps the page pool away from the modules before anything is allocated. */
void dom0less_reserve(const struct fdt *f)
{
    int chosen = fdt_path_offset(f, "/chosen");
    for (int n = chosen >= 0 ? fdt_first_child(f, chosen) : -1; n >= 0; n = fdt_next_sibling(f, n)) {
        uint64_t a, s;
        if (!fdt_is_compatible(f, n, "xen,domain"))
            continue;
        if (find_kernel(f, n, &a, &s) >= 0)
            mm_reserve(&hv_pool, a, a + s);
        if (find_module(f, n, "multiboot,ramdisk", &a, &s) >= 0)
            mm_reserve(&hv_pool, a, a + s);
    }
}

void dom0less_build(const struct fdt *f)
{
    int chosen = fdt_path_offset(f, "/chosen");
    int next_id = 0;
    for (int n = chosen >= 0 ? fdt_first_child(f, chosen) : -1; n >= 0; n = fdt_next_sibling(f, n)) {
        if (!fdt_is_compatible(f, n, "xen,domain"))
            continue;
        const char *name = fdt_node_name(f, n);
        uint64_t addr, size;
        int mod = find_kernel(f, n, &addr, &size);
        if (mod < 0) {
            printk("%s: no multiboot,kernel module; skipped\n", name);
            continue;
        }
        uint64_t mem_kb = fdt_get_u(f, n, "memory", 0);
        unsigned vcpus = (unsigned)fdt_get_u(f, n, "cpus", 1);
        uint64_t pages = mem_kb / 4;
        if (!pages || size > pages * PAGE_SIZE) {
            printk("%s: memory %lu KiB cannot hold a %lu-byte kernel; skipped\n", name, mem_kb, size);
            continue;
        }
        spin_lock(&dom_lock);
        struct domain *d = domain_create(next_id, vcpus, next_id == 0);
        if (!d) {
            spin_unlock(&dom_lock);
            printk("%s: cannot create domain %d\n", name, next_id);
            continue;
        }
        d->weight = (uint32_t)fdt_get_u(f, n, "halyard,weight", HV_DEFAULT_WEIGHT);
        d->cap = (uint32_t)fdt_get_u(f, n, "halyard,cap", 0);
        if (!d->weight || d->weight > 65535 || d->cap > 100) {
            d->weight = HV_DEFAULT_WEIGHT;
            d->cap = 0;
        }
        uint64_t aff = fdt_get_u(f, n, "halyard,affinity", ~0ULL) & ((1ULL << arch_nr_cpus()) - 1);
        for (unsigned i = 0; i < vcpus; i++)
            d->vcpus[i].affinity = aff ? aff : (1ULL << arch_nr_cpus()) - 1;
        domain_set_max_pages(d, pages);
        int rc = domain_populate(d, GUEST_RAM0_BASE >> PAGE_SHIFT, pages);
        if (!rc)
            rc = domain_copy_to_gpa(d, GUEST_RAM0_BASE, pa_to_va(addr), size);
        uint64_t dtb_ipa = dtb_address(pages * PAGE_SIZE, size);
        if (!rc) {
            uint32_t blen;
            const char *args = fdt_getprop(f, mod, "bootargs", &blen);
            if (args && (blen == 0 || args[blen - 1] != '\0'))
                args = NULL;   /* not a terminated string: ignore it */
            uint64_t rd = 0, rd_size = 0, rd_ipa = 0;
            if (find_module(f, n, "multiboot,ramdisk", &rd, &rd_size) >= 0 && rd_size) {
                rd_ipa = ALIGN_DOWN(dtb_ipa - rd_size, PAGE_SIZE);
                if (rd_size >= dtb_ipa - GUEST_RAM0_BASE || rd_ipa < GUEST_RAM0_BASE + size)
                    rc = -ENOSPC;   /* would overlap the kernel */
                else
                    rc = domain_copy_to_gpa(d, rd_ipa, pa_to_va(rd), rd_size);
            }
            int len = rc ? rc : guest_dt_build(d, args, rd_ipa, rd_size, dtb_buf, sizeof(dtb_buf));
            rc = len < 0 ? len : dtb_ipa + (uint64_t)len > GUEST_RAM0_BASE + pages * PAGE_SIZE
                                     ? -ENOSPC
                                     : domain_copy_to_gpa(d, dtb_ipa, dtb_buf, (size_t)len);
        }
        spin_unlock(&dom_lock);
        if (rc) {
            printk("%s: building d%u failed (%d)\n", name, d->domid, rc);
            domain_destroy(d);
            continue;
        }
        arch_vcpu_set_entry(&d->vcpus[0], GUEST_RAM0_BASE, dtb_ipa, 0);
        sched_vcpu_start(&d->vcpus[0]);
        printk("%s: d%u%s, %lu KiB, %u vCPU(s), weight %u, cap %u, affinity %lx, kernel %lu bytes\n",
               name, d->domid, d->is_control ? " (control)" : "", mem_kb, vcpus, d->weight, d->cap,
               d->vcpus[0].affinity, size);
        next_id++;
        spin_lock(&dom_lock);
        domain_unpause(d);
        spin_unlock(&dom_lock);
    }
    if (next_id == 0)
        printk("no boot domains in /chosen\n");
}
