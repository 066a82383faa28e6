/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "guest_dtb" (two vCPUs): parses the device tree it was
 * booted with (x0) using the hypervisor's own FDT reader, and checks it
 * describes this domain: RAM, vCPUs, PSCI over HVC, the virtual GICv3 and
 * timer, the Xen hypervisor node and the boot arguments from its module.
 *   TEST guest-dtb
 */
#include "guest.h"
#include <hv/fdt.h>

void guest_main(void)
{
    bool ok = true;
    struct fdt f;
    gprintf("booted with x0 = %lx\n", guest_boot_dtb);
    if (!check(guest_boot_dtb != 0 && fdt_init(&f, (const void *)guest_boot_dtb, 65536) == 0,
               "x0 points at a valid device tree")) {
        test_result("guest-dtb", false);
        return;
    }
    domid_t self = DOMID_SELF;
    uint64_t pages = (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    uint64_t a = 0, s = 0;
    int mem = fdt_path_offset(&f, "/memory");
    ok &= check(mem >= 0 && fdt_get_reg(&f, mem, 0, &a, &s) == 0 && a == GUEST_RAM0_BASE &&
                    s == pages * 4096,
                "/memory matches our reservation");
    ok &= check(guest_boot_dtb >= a && guest_boot_dtb < a + s, "the DTB itself is inside our RAM");
    int cpus = fdt_path_offset(&f, "/cpus"), n = 0;
    for (int c = fdt_first_child(&f, cpus); c >= 0; c = fdt_next_sibling(&f, c)) {
        const char *m = fdt_getprop(&f, c, "enable-method", NULL);
        n += m && !strcmp(m, "psci");
    }
    ok &= check(n == 2, "two cpu nodes with enable-method psci");
    int psci_node = fdt_node_by_compatible(&f, -1, "arm,psci-0.2");
    const char *method = psci_node >= 0 ? fdt_getprop(&f, psci_node, "method", NULL) : NULL;
    ok &= check(method && !strcmp(method, "hvc"), "PSCI method is hvc");
    int gic = fdt_node_by_compatible(&f, -1, "arm,gic-v3");
    uint64_t d0 = 0, r0 = 0, rs = 0;
    ok &= check(gic >= 0 && fdt_get_reg(&f, gic, 0, &d0, &s) == 0 && fdt_get_reg(&f, gic, 1, &r0, &rs) == 0 &&
                    d0 == GUEST_GICV3_GICD_BASE && r0 == GUEST_GICV3_GICR0_BASE &&
                    rs == 2 * GUEST_GICV3_GICR_STRIDE,
                "GICv3 node: distributor and two redistributors");
    ok &= check(fdt_node_by_compatible(&f, -1, "arm,armv8-timer") >= 0, "architected timer node");
    int hyp = fdt_node_by_compatible(&f, -1, "xen,xen");
    uint32_t len = 0;
    const uint8_t *irq = hyp >= 0 ? fdt_getprop(&f, hyp, "interrupts", &len) : NULL;
    ok &= check(irq && len == 12 && fdt32(irq) == 1 && fdt32(irq + 4) == GUEST_EVTCHN_PPI - 16,
                "hypervisor node: xen,xen with the event PPI");
    const char *args = fdt_getprop(&f, fdt_path_offset(&f, "/chosen"), "bootargs", NULL);
    gprintf("bootargs: %s\n", args ? args : "(none)");
    ok &= check(args && !strcmp(args, "console=hvc0 answer=42"), "bootargs from the module node");
    test_result("guest-dtb", ok);
}
