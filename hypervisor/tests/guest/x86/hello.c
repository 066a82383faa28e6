/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "hello": PVH boot, Xen's CPUID leaves, hypercall round
 * trips (VMMCALL and the hypercall page), the console, and port I/O that
 * goes nowhere.
 *   TEST x86-pvh-boot:   start info magic, memory map and command line; long mode reached.
 *   TEST x86-cpuid:      0x40000000.. advertise Xen 4.17; SVM hidden, hypervisor bit set.
 *   TEST x86-hypercall:  xen_version, reservations, vcpu_op, -ENOSYS, hypercall page.
 *   TEST x86-console:    console_io write, -EFAULT for a bad buffer, -EINVAL for 1 TiB.
 *   TEST x86-ioport:     IN reads all ones, OUT to QEMU's debug-exit port (0x501) is dropped.
 */
#include "xguest.h"

static uint8_t hcall_page[4096] __attribute__((aligned(4096)));

static bool contains(const char *s, const char *w)
{
    for (; s && *s; s++) {
        size_t i = 0;
        while (w[i] && s[i] == w[i])
            i++;
        if (!w[i])
            return true;
    }
    return false;
}

struct memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

void guest_main(void)
{
    bool ok = true;
    ok &= check(start_info->magic == 0x336ec578 && start_info->version >= 1, "hvm_start_info magic");
    const struct memmap_entry *mm = (const struct memmap_entry *)start_info->memmap_paddr;
    ok &= check(start_info->memmap_entries == 1 && mm[0].addr == 0 && mm[0].type == 1 &&
                    mm[0].size >= (2u << 20),
                "one RAM entry in the memory map");
    const char *cmd = (const char *)start_info->cmdline_paddr;
    ok &= check(contains(cmd, "hello") && contains(cmd, "mem="), "our module command line");
    gprintf("memory %lu KiB, command line '%s'\n", mm[0].size >> 10, cmd);
    test_result("x86-pvh-boot", ok);

    bool cok = true;
    uint32_t r[4];
    xcpuid(0x40000000, r);
    char sig[13];
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    cok &= check(!memcmp(sig, "XenVMMXenVMM", 12) && r[0] >= 0x40000002, "Xen signature leaf");
    xcpuid(0x40000001, r);
    cok &= check(r[0] == ((4u << 16) | 17), "version leaf says 4.17");
    xcpuid(0x40000002, r);
    cok &= check(r[0] == 1 && r[1] == 0x40000000, "one hypercall page via MSR 0x40000000");
    xcpuid(0x40000003, r);
    cok &= check(r[2] > 0 && tsc_khz() == r[2], "time leaf gives the TSC rate");
    xcpuid(1, r);
    cok &= check(r[2] & (1u << 31), "hypervisor bit set");
    xcpuid(0x80000001, r);
    cok &= check(!(r[2] & (1u << 2)), "SVM hidden from the guest");
    test_result("x86-cpuid", cok);

    bool hok = true;
    long v = HYPERVISOR_xen_version(XENVER_version, 0);
    hok &= check(v == ((4 << 16) | 17), "XENVER_version is 4.17");
    domid_t self = DOMID_SELF;
    long pages = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    hok &= check(pages > 0 && pages == HYPERVISOR_memory_op(XENMEM_maximum_reservation, &self),
                 "current == maximum reservation");
    hok &= check(HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, 0) == 1, "VCPUOP_is_up(0)");
    hok &= check(hcall(63, 0, 0, 0, 0, 0) == -XEN_ENOSYS, "unknown hypercall -> -ENOSYS");
    /* Hypercall page: wrmsr(0x40000000, gpa), then call entry 17 (xen_version). */
    uint64_t gpa = (uint64_t)hcall_page;
    __asm__ volatile("wrmsr" ::"c"(0x40000000), "a"((uint32_t)gpa), "d"((uint32_t)(gpa >> 32)));
    long pv;
    unsigned long a0 = XENVER_version, a1 = 0;
    const uint8_t *entry = hcall_page + 32 * __HYPERVISOR_xen_version;
    __asm__ volatile("call *%[fn]"
                     : "=&a"(pv), "+D"(a0), "+S"(a1)
                     : [fn] "r"(entry)
                     : "memory", "rcx", "rdx", "r8", "r9", "r10", "r11");
    hok &= check(pv == ((4 << 16) | 17), "xen_version through the hypercall page");
    test_result("x86-hypercall", hok);

    bool kok = true;
    static const char msg[] = "console line written by one hypercall\n";
    kok &= check(HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg) == 0, "console write");
    kok &= check(HYPERVISOR_console_io(CONSOLEIO_write, 16, 0x7000000000UL) == -XEN_EFAULT,
                 "console write from an unmapped buffer -> -EFAULT");
    kok &= check(HYPERVISOR_console_io(CONSOLEIO_write, 1UL << 40, msg) == -XEN_EINVAL,
                 "console write of 1 TiB -> -EINVAL");
    test_result("x86-console", kok);

    bool iok = true;
    uint8_t b;
    __asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"((uint16_t)0x3F8 + 5));
    iok &= check(b == 0xFF, "IN from the host UART's port reads 0xFF");
    __asm__ volatile("outb %0, %1" ::"a"((uint8_t)1), "Nd"((uint16_t)0x501));
    iok &= check(true, "OUT to the debug-exit port did not end the machine");
    test_result("x86-ioport", iok);
}
