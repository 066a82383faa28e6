/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device tree a boot domain finds in x0: its memory, vCPUs (PSCI over
 * HVC), the virtual GICv3, the architected timer, and a Xen hypervisor
 * node (grant-table window, event PPI) - the nodes a Xen-aware arm64
 * kernel looks for, at the addresses Xen gives its guests.
 */
#include <hv/domain.h>
#include <hv/fdt.h>
#include <public/arch-arm.h>
#include <asm/arm64.h>

#define GIC_PHANDLE 1
#define GUEST_GNTTAB_BASE 0x38000000UL
#define GUEST_GNTTAB_SIZE 0x01000000UL
/* Interrupt specifiers: <type number flags>; type 1 = PPI, number = INTID - 16. */
#define PPI(intid) 1, (intid) - 16, 0xf08

int guest_dt_build(const struct domain *d, const char *bootargs, uint64_t initrd, uint64_t initrd_size,
                   void *buf, size_t size)
{
    struct fdt_writer w;
    char name[32];
    fdt_begin(&w, buf, size);
    fdt_begin_node(&w, "");
    fdt_prop_u32(&w, "#address-cells", 2);
    fdt_prop_u32(&w, "#size-cells", 2);
    fdt_prop_u32(&w, "interrupt-parent", GIC_PHANDLE);
    fdt_prop_str(&w, "model", "Halyard guest");
    fdt_prop(&w, "compatible", "halyard,guest\0xen,xenvm", 24);

    fdt_begin_node(&w, "chosen");
    if (bootargs)
        fdt_prop_str(&w, "bootargs", bootargs);
    if (initrd_size) {
        uint32_t start[2] = { (uint32_t)(initrd >> 32), (uint32_t)initrd };
        uint32_t end[2] = { (uint32_t)((initrd + initrd_size) >> 32), (uint32_t)(initrd + initrd_size) };
        fdt_prop_cells(&w, "linux,initrd-start", start, 2);
        fdt_prop_cells(&w, "linux,initrd-end", end, 2);
    }
    fdt_end_node(&w);

    uint64_t mem[2] = { GUEST_RAM0_BASE, d->tot_pages * PAGE_SIZE };
    hv_snprintf(name, sizeof(name), "memory@%lx", GUEST_RAM0_BASE);
    fdt_begin_node(&w, name);
    fdt_prop_str(&w, "device_type", "memory");
    fdt_prop_reg64(&w, mem, 1);
    fdt_end_node(&w);

    fdt_begin_node(&w, "cpus");
    fdt_prop_u32(&w, "#address-cells", 1);
    fdt_prop_u32(&w, "#size-cells", 0);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        hv_snprintf(name, sizeof(name), "cpu@%u", i);
        fdt_begin_node(&w, name);
        fdt_prop_str(&w, "device_type", "cpu");
        fdt_prop_str(&w, "compatible", "arm,armv8");
        fdt_prop_str(&w, "enable-method", "psci");
        fdt_prop_u32(&w, "reg", i);
        fdt_end_node(&w);
    }
    fdt_end_node(&w);

    fdt_begin_node(&w, "psci");
    fdt_prop(&w, "compatible", "arm,psci-1.0\0arm,psci-0.2", 26);
    fdt_prop_str(&w, "method", "hvc");
    fdt_end_node(&w);

    uint64_t gic[4] = { GUEST_GICV3_GICD_BASE, GUEST_GICV3_GICD_SIZE, GUEST_GICV3_GICR0_BASE,
                        GUEST_GICV3_GICR_STRIDE * d->max_vcpus };
    hv_snprintf(name, sizeof(name), "interrupt-controller@%lx", GUEST_GICV3_GICD_BASE);
    fdt_begin_node(&w, name);
    fdt_prop_str(&w, "compatible", "arm,gic-v3");
    fdt_prop_u32(&w, "#interrupt-cells", 3);
    fdt_prop_u32(&w, "#address-cells", 0);
    fdt_prop(&w, "interrupt-controller", NULL, 0);
    fdt_prop_u32(&w, "#redistributor-regions", 1);
    fdt_prop_reg64(&w, gic, 2);
    fdt_prop_u32(&w, "phandle", GIC_PHANDLE);
    fdt_end_node(&w);

    /* Secure phys, non-secure phys, virtual, hypervisor timers (PPIs 29, 30, 27, 26). */
    const uint32_t timer_irqs[] = { PPI(29), PPI(30), PPI(27), PPI(26) };
    fdt_begin_node(&w, "timer");
    fdt_prop(&w, "compatible", "arm,armv8-timer\0arm,armv7-timer", 32);
    fdt_prop_cells(&w, "interrupts", timer_irqs, 12);
    fdt_prop(&w, "always-on", NULL, 0);
    fdt_end_node(&w);

    const uint32_t evtchn_irq[] = { PPI(GUEST_EVTCHN_PPI) };
    uint64_t gnt[2] = { GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE };
    /* Linux looks for a top-level node called exactly "hypervisor". */
    fdt_begin_node(&w, "hypervisor");
    fdt_prop(&w, "compatible", "xen,xen-4.17\0xen,xen", 21);
    fdt_prop_reg64(&w, gnt, 1);
    fdt_prop_cells(&w, "interrupts", evtchn_irq, 3);
    fdt_end_node(&w);

    fdt_end_node(&w);
    return fdt_finish(&w);
}
