/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 micro-guest "evtchn_upcall" (domain 0): registers an event-channel
 * callback vector with HVMOP_set_param, offers port 1 to d1 (evtchn_pong)
 * and answers each event from its interrupt handler, halting in between.
 *   TEST x86-evtchn-upcall: 200 events arrive as interrupts on the vector;
 *                           the refusals of hvm_op.
 */
#include "xguest.h"

#define ROUNDS 200
#define VECTOR 0x2A

static volatile unsigned received, spurious;
static evtchn_port_t port;

/* Xen's 2-level scan: clear the upcall flag, then each selected word's pending & ~mask. */
static void on_upcall(unsigned vector)
{
    if (vector != VECTOR) {
        spurious++;
        return;
    }
    volatile struct vcpu_info *vi = &shinfo->vcpu_info[0];
    vi->evtchn_upcall_pending = 0;
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t bits = shinfo->evtchn_pending[w] & ~shinfo->evtchn_mask[w];
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            evtchn_port_t p = w * 64 + b;
            if (!evtchn_test_and_clear(p) || p != port)
                continue;
            received++;
            struct evtchn_send s = { port };
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
        }
    }
}

void guest_main(void)
{
    bool ok = check(events_map(), "shared_info mapped");
    ok &= check(set_callback_vector(5) == -XEN_EINVAL, "callback vector 5 (an exception) refused");
    struct {
        domid_t domid;
        uint16_t pad;
        uint32_t index;
        uint64_t value;
    } p = { DOMID_SELF, 0, 77, 0 };
    ok &= check(hcall(34, 0, (unsigned long)&p, 0, 0, 0) == -XEN_EINVAL, "unknown HVM param refused");
    ok &= check(hcall(34, 0, 0x7000000000UL, 0, 0, 0) == -XEN_EFAULT, "hvm_op from a bad pointer");
    ok &= check(hcall(34, 99, (unsigned long)&p, 0, 0, 0) == -XEN_ENOSYS, "unknown hvm_op");
    irq_hook = on_upcall;
    ok &= check(set_callback_vector(VECTOR) == 0, "callback vector 0x2A registered");
    struct evtchn_alloc_unbound au = { DOMID_SELF, 1, 0 };
    ok &= check(HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au) == 0 && au.port == 1,
                "alloc_unbound for d1 gives port 1");
    port = au.port;
    struct evtchn_unmask um = { port };
    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um);
    __atomic_and_fetch(&shinfo->evtchn_mask[0], ~(1ULL << port), __ATOMIC_SEQ_CST);
    /*
     * Check with interrupts off, then "sti; hlt": STI's one-instruction
     * shadow keeps the upcall from landing between the check and the HLT
     * (which would then sleep with nothing left to wake it).  The
     * hypervisor blocks us on HLT until an event is pending.
     */
    for (;;) {
        __asm__ volatile("cli" ::: "memory");
        if (received >= ROUNDS)
            break;
        __asm__ volatile("sti; hlt" ::: "memory");
    }
    gprintf("%u events received by upcall (%u spurious)\n", received, spurious);
    ok &= check(received == ROUNDS && spurious == 0, "every event arrived on the callback vector");
    test_result("x86-evtchn-upcall", ok);
    struct hv_domctl_getdomaininfo gi;
    wait_shutdown(1, &gi);
}
