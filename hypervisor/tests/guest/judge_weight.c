/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-guest "judge_weight" (control domain, pinned to pCPU 0): domains 1
 * and 2 spin on pCPU 1 with weights 256 and 512; over a few seconds their
 * CPU time must split about 1:2.
 *   TEST sched-weight
 */
#include "judge.h"

void guest_main(void)
{
    bool ok = true;
    wait_secs(1);   /* let both spinners start */
    uint64_t a0 = dom_cpu_ns(1), b0 = dom_cpu_ns(2);
    uint64_t elapsed = wait_secs(4);
    uint64_t a = dom_cpu_ns(1) - a0, b = dom_cpu_ns(2) - b0;
    uint64_t ratio = a ? b * 100 / a : 0;
    gprintf("over %lu ms: d1 (weight 256) ran %lu ms, d2 (weight 512) ran %lu ms, ratio %lu.%02lu\n",
            elapsed / 1000000, a / 1000000, b / 1000000, ratio / 100, ratio % 100);
    ok &= check(ratio >= 160 && ratio <= 240, "d2:d1 CPU time within 1.6..2.4 (weights 2:1)");
    ok &= check((a + b) * 100 / elapsed >= 80, "pCPU 1 was kept busy (work conserving)");
    ok &= check(destroy(1) && destroy(2), "spinners destroyed");
    test_result("sched-weight", ok);
}
