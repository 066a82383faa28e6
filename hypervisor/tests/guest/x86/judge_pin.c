/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 control-domain judge on pCPU 0 with a spinner pinned to pCPU 1.
 *   TEST x86-smp:       the spinner is seen running while we run (two pCPUs in use).
 *   TEST x86-sched-pin: it only ever runs on pCPU 1; setvcpuaffinity moves it
 *                       to pCPU 0 (an empty mask is refused) where it still
 *                       progresses, sharing our pCPU.
 */
#include "xguest.h"

static unsigned sample(unsigned want_cpu, unsigned n, unsigned *wrong)
{
    unsigned running = 0;
    *wrong = 0;
    for (unsigned i = 0; i < n; i++) {
        struct hv_domctl op;
        op.u.getvcpuinfo.vcpu = 0;
        if (domctl(&op, XEN_DOMCTL_getvcpuinfo, 1))
            continue;
        if (op.u.getvcpuinfo.running) {
            running++;
            if (op.u.getvcpuinfo.cpu != want_cpu)
                (*wrong)++;
        }
        yield();
    }
    return running;
}

void guest_main(void)
{
    bool ok = true, sok = true;
    wait_ns(200000000ULL);
    unsigned wrong;
    unsigned running = sample(1, 500, &wrong);
    gprintf("pinned to pCPU1: seen running %u/500 times, %u on another pCPU\n", running, wrong);
    sok &= check(running > 0, "d1 runs while this domain runs (two pCPUs in use)");
    test_result("x86-smp", sok);
    ok &= check(running > 0 && wrong == 0, "d1 only ran on pCPU 1");

    struct hv_domctl op;
    op.u.vcpuaffinity = (struct hv_domctl_vcpuaffinity){ 0, 0, 0 };
    ok &= check(domctl(&op, XEN_DOMCTL_setvcpuaffinity, 1) == -XEN_EINVAL, "empty affinity refused");
    op.u.vcpuaffinity = (struct hv_domctl_vcpuaffinity){ 0, 0, 1 };
    ok &= check(domctl(&op, XEN_DOMCTL_setvcpuaffinity, 1) == 0, "affinity set to pCPU 0");
    wait_ns(300000000ULL);
    op.u.getvcpuinfo.vcpu = 0;
    ok &= check(domctl(&op, XEN_DOMCTL_getvcpuinfo, 1) == 0 && op.u.getvcpuinfo.cpu == 0,
                "d1 last ran on pCPU 0");
    uint64_t t0 = dom_cpu_ns(1);
    wait_ns(300000000ULL);
    ok &= check(dom_cpu_ns(1) > t0, "d1 still makes progress on pCPU 0");
    ok &= check(destroy(1), "d1 destroyed");
    test_result("x86-sched-pin", ok);
}
