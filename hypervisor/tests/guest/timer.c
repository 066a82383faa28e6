/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "timer": the two ways a guest sleeps on time.
 *   TEST vtimer:    the EL1 virtual timer, its PPI enabled through the
 *                   emulated redistributor, WFI in between: each interrupt
 *                   arrives no earlier than programmed, and while waiting
 *                   the vCPU is blocked, not spinning.
 *   TEST virq-timer: set_timer_op + VIRQ_TIMER bound to an event channel,
 *                   SCHEDOP_block until it fires.
 */
#include "guest.h"

#define PERIOD_MS 20
#define SHOTS 5

static volatile unsigned shots, early;
static volatile uint64_t deadline;

static uint64_t ms_to_ticks(uint64_t ms)
{
    return ticks_per_sec() * ms / 1000;
}

static void on_irq(unsigned intid)
{
    if (intid != GUEST_VTIMER_PPI)
        return;
    if (now_ticks() < deadline)
        early++;
    shots++;
    if (shots < SHOTS) {
        deadline = now_ticks() + ms_to_ticks(PERIOD_MS);
        __asm__ volatile("msr cntv_cval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(deadline), "r"(1UL));
    } else {
        __asm__ volatile("msr cntv_ctl_el0, %0\n isb" ::"r"(0UL));
    }
}

void guest_main(void)
{
    bool ok = true;
    volatile uint32_t *rd = (volatile uint32_t *)GUEST_GICV3_GICR0_BASE;
    ok &= check(rd[0xffe8 / 4] == 0x3b && (rd[0x8 / 4 + 1] & 0xff) == 0, "emulated GICR: GICv3, vCPU 0");
    volatile uint32_t *gicd = (volatile uint32_t *)GUEST_GICV3_GICD_BASE;
    ok &= check(gicd[0xffe8 / 4] == 0x3b, "emulated GICD says GICv3");
    irq_hook = on_irq;
    gic_enable_ppi(GUEST_VTIMER_PPI);
    ok &= check(rd[(0x10000 + 0x100) / 4] & (1U << GUEST_VTIMER_PPI), "vtimer PPI reads back enabled");
    irqs_enable();
    struct vcpu_runstate_info r0, r1;
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r0);
    uint64_t t0 = now_ticks();
    deadline = t0 + ms_to_ticks(PERIOD_MS);
    __asm__ volatile("msr cntv_cval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(deadline), "r"(1UL));
    while (shots < SHOTS)
        __asm__ volatile("wfi");
    uint64_t elapsed = now_ticks() - t0;
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r1);
    uint64_t ran_ns = r1.time[RUNSTATE_running] - r0.time[RUNSTATE_running];
    uint64_t elapsed_ns = elapsed * 1000000000ULL / ticks_per_sec();
    gprintf("%u timer interrupts over %lu ms; ran %lu ms of it\n", shots, elapsed_ns / 1000000, ran_ns / 1000000);
    ok &= check(shots == SHOTS && early == 0, "every interrupt at or after its deadline");
    ok &= check(ran_ns * 2 < elapsed_ns, "WFI blocked the vCPU (ran < half the time)");
    test_result("vtimer", ok);

    bool vok = true;
    events_init(0, false);
    struct evtchn_bind_virq bv = { VIRQ_TIMER, 0, 0 };
    vok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv) == 0, "bind VIRQ_TIMER");
    evtchn_unmask(bv.port);
    uint64_t now_ns = now_ticks() * 1000000000ULL / ticks_per_sec();
    uint64_t target = now_ns + 30 * 1000000ULL;
    vok &= check(hcall(__HYPERVISOR_set_timer_op, target, 0, 0, 0, 0) == 0, "set_timer_op(+30 ms)");
    unsigned wakeups = 0;
    while (!evtchn_test_and_clear(bv.port) && wakeups < 1000) {
        HYPERVISOR_sched_op(SCHEDOP_block, 0);
        shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
        wakeups++;
    }
    uint64_t after = now_ticks() * 1000000000ULL / ticks_per_sec();
    vok &= check(after >= target, "VIRQ_TIMER arrived no earlier than requested");
    vok &= check(wakeups < 1000, "SCHEDOP_block returned with the event pending");
    test_result("virq-timer", vok);
}
