/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "isolation" (domain 0): probes guest-physical addresses
 * outside its own RAM - just past its end, where the other domain's RAM and
 * the hypervisor sit in host-physical space, the real GIC and UART - and
 * checks that every read and write takes an injected data abort instead of
 * reaching memory.  The victim (domain 1) checks its own data stayed intact.
 *   TEST isolation
 *   TEST fault-survival (an undefined system register access is injected as
 *                        an undefined-instruction exception and we go on)
 */
#include "guest.h"

static volatile uint64_t sink;

static bool probe(uint64_t addr, bool write)
{
    unsigned before = sync_faults;
    if (write)
        *(volatile uint64_t *)addr = 0xbad0bad0bad0bad0ULL;
    else
        sink = *(volatile uint64_t *)addr;
    return sync_faults == before + 1;
}

void guest_main(void)
{
    domid_t self = DOMID_SELF;
    uint64_t pages = (uint64_t)HYPERVISOR_memory_op(XENMEM_current_reservation, &self);
    uint64_t ram_end = GUEST_RAM0_BASE + pages * 4096;
    static const uint64_t targets[] = {
        0x0,          /* flash in host-physical space */
        0x08000000,   /* the real GIC distributor */
        0x09000000,   /* the real UART */
        0x40200000,   /* hypervisor image (host-physical) - beyond our 8 MiB */
        0x44000000,   /* boot modules */
        0x48000000,   /* the DTB */
        0x4f000000,   /* top of host RAM */
        0x7fff0000,
        0x100000000,  /* above 4 GiB */
        0x7ffffff000, /* last page of the IPA space */
    };
    bool ok = true;
    unsigned probes = 0, faults = 0;
    for (uint64_t a = ram_end; a < ram_end + (64 << 20); a += (1 << 20)) {
        probes += 2;
        faults += probe(a, false) + probe(a, true);
    }
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        if (targets[i] >= GUEST_RAM0_BASE && targets[i] < ram_end)
            continue;
        probes += 2;
        faults += probe(targets[i], false) + probe(targets[i], true);
    }
    gprintf("%u probes outside our RAM, %u took a data abort\n", probes, faults);
    ok &= check(probes == faults, "every probe outside our RAM faulted");
    ok &= check(!probe(ram_end - 8, false), "our own last word reads fine");
    test_result("isolation", ok);

    bool fok = true;
    unsigned before = sync_faults;
    uint64_t v = 1;
    __asm__ volatile("msr S3_3_C14_C2_1, xzr\n mrs %0, S3_3_C14_C2_1" : "=r"(v));   /* CNTP_CTL_EL0 */
    fok &= check(v == 0 && sync_faults == before, "physical timer is trapped and reads as zero");
    /* ICC_ASGI1R_EL1 traps to EL2, which does not emulate it: undef injected. */
    __asm__ volatile("msr S3_0_C12_C11_6, %0" ::"r"(1UL));
    fok &= check(sync_faults == before + 1, "unemulated trapped register -> undef injected");
    test_result("fault-survival", fok);

    /* Let the victim finish its checks; it powers off through PSCI. */
    struct hv_domctl op;
    bool off = false;
    for (int i = 0; i < 1000000; i++) {
        if (domctl(&op, XEN_DOMCTL_getdomaininfo, 1) != 0)
            break;
        if (op.u.getdomaininfo.flags & HV_DOMINF_shutdown) {
            off = op.u.getdomaininfo.shutdown_reason == SHUTDOWN_poweroff;
            break;
        }
        yield();
    }
    test_result("psci-system-off", check(off, "victim's PSCI SYSTEM_OFF shut it down (poweroff)"));
}
