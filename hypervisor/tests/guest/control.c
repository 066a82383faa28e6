/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "control" (the control domain): builds a domain from scratch
 * through the control hypercalls - create, set max memory, populate its
 * RAM, load the "hello" micro-guest (embedded in this image), set its vCPU
 * context, unpause - waits for it to power off, and destroys it.  Measures
 * create-to-first-instruction time on the way.
 *   TEST control
 */
#include "judge.h"

extern const char child_image[], child_image_end[];

void guest_main(void)
{
    bool ok = true;
    struct hv_domctl op;
    uint64_t t0 = now_ticks();
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
    uint64_t extents[2] = { GUEST_RAM0_BASE >> 12, (GUEST_RAM0_BASE >> 12) + 512 };
    struct xen_memory_reservation r = { (uint64_t)extents, 2, 9, 0, child, { 0 } };
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == 2, "populate 2 x 2 MiB");
    uint64_t one = (GUEST_RAM0_BASE >> 12) + 1024;
    r = (struct xen_memory_reservation){ (uint64_t)&one, 1, 0, 0, child, { 0 } };
    ok &= check(HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == -XEN_ENOMEM,
                "populating past max_mem refused");
    op.u.load_image = (struct hv_domctl_load_image){ (uint64_t)child_image,
                                                     (uint64_t)(child_image_end - child_image),
                                                     GUEST_RAM0_BASE };
    ok &= check(domctl(&op, HV_DOMCTL_load_image, child) == 0, "load the hello image");
    op.u.load_image.dest_gpa = GUEST_RAM0_BASE + (4 << 20) - 16;
    ok &= check(domctl(&op, HV_DOMCTL_load_image, child) == -XEN_EFAULT, "loading past its RAM refused");
    op.u.vcpucontext = (struct hv_domctl_vcpucontext){ 0, 0, GUEST_RAM0_BASE, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_setvcpucontext, child) == 0, "setvcpucontext pc = RAM base");

    struct hv_domctl_getdomaininfo gi;
    ok &= check(dom_info(child, &gi) && (gi.flags & HV_DOMINF_paused) && gi.tot_pages == 1024,
                "child is paused with 1024 pages");
    ok &= check(domctl(&op, XEN_DOMCTL_unpausedomain, child) == 0, "unpause");
    uint64_t t1 = 0;
    uint64_t start = now_ticks();
    while (dom_info(child, &gi) && !(gi.flags & HV_DOMINF_shutdown) &&
           now_ticks() - start < 60 * ticks_per_sec()) {
        if (!t1 && gi.cpu_time)
            t1 = now_ticks();
        yield();
    }
    if (!t1)
        t1 = now_ticks();
    gprintf("BENCH create_to_run_ns %lu\n", (unsigned long)((t1 - t0) * 1000000000ULL / ticks_per_sec()));
    ok &= check((gi.flags & HV_DOMINF_shutdown) && gi.shutdown_reason == SHUTDOWN_poweroff,
                "child ran and powered off");
    ok &= check(domctl(&op, XEN_DOMCTL_destroydomain, 0) == -XEN_EINVAL, "destroying ourselves refused");
    ok &= check(destroy(child), "destroy the child; it is gone");
    ok &= check(domctl(&op, XEN_DOMCTL_destroydomain, child) == -XEN_ESRCH, "second destroy -> -ESRCH");

    /* Memory comes back: the same build succeeds again. */
    op.u.createdomain = (struct hv_domctl_createdomain){ 1, 256, 0, 0 };
    bool again = domctl(&op, XEN_DOMCTL_createdomain, 0) == 0;
    domid_t c2 = op.domain;
    op.u.max_mem.max_memkb = 4096;
    again = again && domctl(&op, XEN_DOMCTL_max_mem, c2) == 0;
    r = (struct xen_memory_reservation){ (uint64_t)extents, 2, 9, 0, c2, { 0 } };
    again = again && HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) == 2;
    ok &= check(again && destroy(c2), "create/populate/destroy again");
    test_result("control", ok);
}
