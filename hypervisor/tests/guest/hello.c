/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "hello": hypercall round trips and the console.
 *   TEST hypercall: xen_version, memory_op, vcpu_op and an unknown
 *                   hypercall return what the ABI says.
 *   TEST console:   console_io accepts a write and rejects a bad buffer.
 *   TEST physmap:   shared_info mapped over a page of our own RAM replaces
 *                   it (Xen's semantics, which Linux relies on).
 * Also the control-domain test's child: it just reports and powers off.
 */
#include "guest.h"

void guest_main(void)
{
    bool ok = true;
    long v = HYPERVISOR_xen_version(XENVER_version, 0);
    gprintf("xen_version = %ld.%ld\n", v >> 16, v & 0xffff);
    ok &= check(v == ((4 << 16) | 17), "XENVER_version is 4.17");
    xen_extraversion_t extra;
    ok &= check(HYPERVISOR_xen_version(XENVER_extraversion, extra) == 0 &&
                    memcmp(extra, "-halyard", 9) == 0,
                "XENVER_extraversion is -halyard");
    ok &= check(HYPERVISOR_xen_version(XENVER_pagesize, 0) == 4096, "XENVER_pagesize is 4096");
    domid_t self = DOMID_SELF;
    long pages = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    long maxp = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self);
    gprintf("reservation: %ld pages of %ld\n", pages, maxp);
    ok &= check(pages > 0 && pages == maxp, "current == maximum reservation");
    struct hv_memory_range r;
    struct xen_memory_map mm = { 1, 0, (uint64_t)&r };
    ok &= check(HYPERVISOR_memory_op(XENMEM_memory_map, &mm) == 0 && mm.nr_entries == 1 &&
                    r.addr == GUEST_RAM0_BASE && r.size == (uint64_t)pages * 4096,
                "memory_map reports our RAM");
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, 0) == 1, "VCPUOP_is_up(0)");
    struct vcpu_runstate_info ri;
    ok &= check(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &ri) == 0 &&
                    ri.state == RUNSTATE_running,
                "runstate says running");
    ok &= check(hcall(63, 0, 0, 0, 0, 0) == -XEN_ENOSYS, "unknown hypercall -> -ENOSYS");
    ok &= check(hcall(1000000, 0, 0, 0, 0, 0) == -XEN_ENOSYS, "huge hypercall number -> -ENOSYS");
    struct hv_domctl op;
    long rc = domctl(&op, XEN_DOMCTL_getdomaininfo, 0);
    gprintf("domctl from this domain: %ld\n", rc);
    test_result("hypercall", ok);

    bool cok = true;
    static const char msg[] = "console line written by one hypercall\n";
    cok &= check(HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg) == 0, "console write");
    cok &= check(HYPERVISOR_console_io(CONSOLEIO_write, 16, 0x7000000000UL) == -XEN_EFAULT,
                 "console write from an unmapped buffer -> -EFAULT");
    cok &= check(HYPERVISOR_console_io(CONSOLEIO_write, 1UL << 40, msg) == -XEN_EINVAL,
                 "console write of 1 TiB -> -EINVAL");
    test_result("console", cok);

    static uint8_t victim_page[4096] __attribute__((aligned(4096)));
    bool pok = true;
    long before = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    victim_page[0] = 0x5a;
    struct xen_add_to_physmap x = { DOMID_SELF, 0, XENMAPSPACE_shared_info, 0, (uint64_t)victim_page >> 12 };
    pok &= check(HYPERVISOR_memory_op(XENMEM_add_to_physmap, &x) == 0, "shared_info over one of our RAM pages");
    const volatile struct shared_info *si = (const volatile struct shared_info *)victim_page;
    pok &= check(si->evtchn_mask[0] == ~0ULL, "the page now shows shared_info (all ports masked)");
    pok &= check(HYPERVISOR_memory_op(XENMEM_current_reservation, &self) == before - 1,
                 "the RAM page went back to the hypervisor");
    struct xen_remove_from_physmap rm = { DOMID_SELF, { 0 }, (uint64_t)victim_page >> 12 };
    pok &= check(HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &rm) == 0, "remove_from_physmap");
    unsigned faults = sync_faults;
    (void)*(volatile uint8_t *)victim_page;
    pok &= check(sync_faults == faults + 1, "the removed page is a hole now");
    test_result("physmap", pok);
}
