/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "control" (domain 0, the control domain): builds a PVH
 * domain from the hello ELF it carries, the way a toolstack would -
 * createdomain, max_mem, populate_physmap, load_image of each PT_LOAD
 * segment and of an hvm_start_info, setvcpucontext at the PHYS32 entry,
 * unpause - then watches it run and power off, destroys it, and checks the
 * refusals and that the memory came back.
 *   TEST x86-control (the child reports x86-hypercall and x86-console)
 */
#include "xguest.h"

extern const uint8_t child_image[], child_image_end[];

#define CHILD_INFO 0x1000UL

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Loads every PT_LOAD of the ELF into the child; returns the PHYS32 entry or 0. */
static uint32_t load_elf(domid_t child)
{
    const uint8_t *e = child_image;
    uint64_t phoff = rd(e + 32, 8);
    unsigned phnum = (unsigned)rd(e + 56, 2), phsz = (unsigned)rd(e + 54, 2);
    uint32_t entry = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = e + phoff + i * phsz;
        uint32_t type = (uint32_t)rd(ph, 4);
        uint64_t off = rd(ph + 8, 8), paddr = rd(ph + 24, 8), filesz = rd(ph + 32, 8);
        if (type == 4 && rd(e + off + 8, 4) == 18)   /* PT_NOTE: XEN_ELFNOTE_PHYS32_ENTRY */
            entry = (uint32_t)rd(e + off + 16, 4);
        if (type != 1 || !filesz)
            continue;
        struct hv_domctl op;
        op.u.load_image = (struct hv_domctl_load_image){ (uint64_t)(e + off), filesz, paddr };
        if (domctl(&op, HV_DOMCTL_load_image, child))
            return 0;
    }
    return entry;
}

void guest_main(void)
{
    bool ok = true;
    struct hv_domctl op;
    uint64_t t0 = rdtsc_g();
    op.u.createdomain = (struct hv_domctl_createdomain){ 1, 256, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_createdomain, 0) == 0, "createdomain");
    domid_t child = op.domain;
    gprintf("created d%u\n", child);
    op.u.createdomain = (struct hv_domctl_createdomain){ 99, 256, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_createdomain, 0) == -XEN_EINVAL, "createdomain with 99 vCPUs refused");
    op.interface_version = 1;
    op.cmd = XEN_DOMCTL_getdomaininfo;
    op.domain = child;
    ok &= check(HYPERVISOR_domctl(&op) == -XEN_EACCES, "wrong interface version refused");

    op.u.max_mem.max_memkb = 4096;
    ok &= check(domctl(&op, XEN_DOMCTL_max_mem, child) == 0, "max_mem 4 MiB");
    uint64_t extents[2] = { 0, 512 };
    struct xen_memory_reservation r = { (uint64_t)extents, 2, 9, 0, child, { 0 } };
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == 2, "populate 2 x 2 MiB from gfn 0");
    uint64_t one = 1024;
    r = (struct xen_memory_reservation){ (uint64_t)&one, 1, 0, 0, child, { 0 } };
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == -XEN_ENOMEM,
                "populating past max_mem refused");
    uint32_t entry = load_elf(child);
    ok &= check(entry == 0x100000, "hello's segments loaded, PHYS32 entry found");

    /* hvm_start_info + one-entry memory map + command line, as the hypervisor builds them. */
    struct {
        struct hvm_start_info_g si;
        uint8_t pad[0x100 - sizeof(struct hvm_start_info_g)];
        uint64_t mm[3];
        uint8_t pad2[0x100 - 24];
        char cmd[32];
    } info;
    memset(&info, 0, sizeof(info));
    info.si = (struct hvm_start_info_g){ 0x336ec578, 1, 0, 0, 0, CHILD_INFO + 0x200, 0, CHILD_INFO + 0x100, 1, 0 };
    info.mm[0] = 0;
    info.mm[1] = 4 << 20;
    info.mm[2] = 1;
    memcpy(info.cmd, "hello mem=4M", 13);
    op.u.load_image = (struct hv_domctl_load_image){ (uint64_t)&info, sizeof(info), CHILD_INFO };
    ok &= check(domctl(&op, HV_DOMCTL_load_image, child) == 0, "start info loaded");
    op.u.load_image.dest_gpa = (4 << 20) - 16;
    ok &= check(domctl(&op, HV_DOMCTL_load_image, child) == -XEN_EFAULT, "loading past its RAM refused");
    op.u.vcpucontext = (struct hv_domctl_vcpucontext){ 0, 0, entry, CHILD_INFO, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_setvcpucontext, child) == 0, "setvcpucontext: PVH entry, EBX = start info");

    struct hv_domctl_getdomaininfo gi;
    ok &= check(dom_info(child, &gi) && (gi.flags & HV_DOMINF_paused) && gi.tot_pages == 1024,
                "child is paused with 1024 pages");
    ok &= check(domctl(&op, XEN_DOMCTL_unpausedomain, child) == 0, "unpause");
    uint64_t t1 = 0;
    for (int i = 0; i < 1000000 && dom_info(child, &gi) && !(gi.flags & HV_DOMINF_shutdown); i++) {
        if (!t1 && gi.cpu_time)
            t1 = rdtsc_g();
        yield();
    }
    if (!t1)
        t1 = rdtsc_g();
    gprintf("BENCH create_to_run_ns %lu\n", (unsigned long)((t1 - t0) * 1000000ULL / tsc_khz()));
    ok &= check((gi.flags & HV_DOMINF_shutdown) && gi.shutdown_reason == SHUTDOWN_poweroff,
                "child ran and powered off");
    ok &= check(domctl(&op, XEN_DOMCTL_destroydomain, 0) == -XEN_EINVAL, "destroying ourselves refused");
    ok &= check(destroy(child), "destroy the child; it is gone");
    ok &= check(domctl(&op, XEN_DOMCTL_destroydomain, child) == -XEN_ESRCH, "second destroy -> -ESRCH");

    op.u.createdomain = (struct hv_domctl_createdomain){ 1, 256, 0, 0 };
    bool again = domctl(&op, XEN_DOMCTL_createdomain, 0) == 0;
    domid_t c2 = op.domain;
    op.u.max_mem.max_memkb = 4096;
    again = again && domctl(&op, XEN_DOMCTL_max_mem, c2) == 0;
    r = (struct xen_memory_reservation){ (uint64_t)extents, 2, 9, 0, c2, { 0 } };
    again = again && HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == 2;
    ok &= check(again && destroy(c2), "create/populate/destroy again");
    test_result("x86-control", ok);
}
