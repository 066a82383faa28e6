/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scheduler accounting on a simulated clock: weights, caps, hard affinity,
 * blocking and wake-up, and that a woken vCPU does not bank credit.
 */
#include "harness.h"
#include <hv/arch.h>
#include <hv/domain.h>

#define TICK 10000ULL
#define PERIOD 100000ULL

static struct vcpu *cur[2];

/* Runs both pCPUs for `ticks` ticks of the simulated clock. */
static void run(unsigned ticks)
{
    for (unsigned i = 0; i < ticks; i++) {
        for (unsigned c = 0; c < 2; c++) {
            harness_cpu = c;
            uint64_t end;
            cur[c] = sched_pick(c, cur[c], harness_now, &end);
        }
        harness_now += TICK;
    }
}

static void stop_all(void)
{
    for (unsigned c = 0; c < 2; c++) {
        uint64_t end;
        harness_cpu = c;
        if (cur[c]) {
            cur[c]->online = false;
        }
        sched_pick(c, cur[c], harness_now, &end);
        cur[c] = NULL;
    }
}

static struct domain *mk(int id, uint32_t weight, uint32_t cap, uint64_t affinity)
{
    struct domain *d = domain_create(id, 1, false);
    d->weight = weight;
    d->cap = cap;
    d->vcpus[0].affinity = affinity;
    d->pause_count = 0;
    sched_vcpu_start(&d->vcpus[0]);
    return d;
}

int main(void)
{
    printf("sched: credit scheduler accounting\n");
    sched_init(2, TICK, PERIOD);
    struct domain *a = mk(0, 256, 0, 0x2), *b = mk(1, 512, 0, 0x2);
    run(3000);
    uint64_t ta = a->vcpus[0].cpu_time, tb = b->vcpus[0].cpu_time;
    printf("  weights 256:512 on pCPU 1 for 3000 ticks: %lu vs %lu ticks\n", (unsigned long)(ta / TICK),
           (unsigned long)(tb / TICK));
    CHECK(tb * 100 / ta >= 195 && tb * 100 / ta <= 205, "CPU time splits 1:2 (%.2f)", (double)tb / ta);
    /* The slice in progress is charged at the next pick: allow that one tick. */
    CHECK(ta + tb >= 2999 * TICK, "pCPU 1 never idled (work conserving)");
    CHECK(a->vcpus[0].last_cpu == 1 && b->vcpus[0].last_cpu == 1, "pinned vCPUs only ran on pCPU 1");

    /* Blocking: a blocked vCPU is skipped; on wake it does not get banked credit. */
    sched_block(&a->vcpus[0]);
    uint64_t b0 = b->vcpus[0].cpu_time;
    run(1000);
    CHECK(b->vcpus[0].cpu_time - b0 >= 999 * TICK, "with a blocked, b gets all of pCPU 1");
    sched_wake(&a->vcpus[0]);
    uint64_t a1 = a->vcpus[0].cpu_time;
    b0 = b->vcpus[0].cpu_time;
    run(30);
    CHECK(a->vcpus[0].cpu_time - a1 <= 12 * TICK,
          "after waking, a gets its share, not 1000 ticks of back pay (%lu ticks)",
          (unsigned long)((a->vcpus[0].cpu_time - a1) / TICK));
    stop_all();
    a->in_use = b->in_use = false;

    /* Caps: 25% alone on a pCPU. */
    struct domain *c = mk(2, 256, 25, 0x1);
    uint64_t c0 = c->vcpus[0].cpu_time;
    run(1000);
    uint64_t pct = (c->vcpus[0].cpu_time - c0) * 100 / (1000 * TICK);
    CHECK(pct >= 24 && pct <= 26, "cap 25%% gives 25%% of an otherwise idle pCPU (%lu%%)", (unsigned long)pct);

    /* A paused or shut-down domain never runs. */
    c->pause_count = 1;
    c0 = c->vcpus[0].cpu_time;
    run(100);
    CHECK(c->vcpus[0].cpu_time == c0, "paused domain does not run");
    c->pause_count = 0;
    c->shutdown = true;
    run(100);
    CHECK(c->vcpus[0].cpu_time == c0, "shut-down domain does not run");
    stop_all();
    c->in_use = false;

    /* Unpinned domains spread over both pCPUs. */
    struct domain *d = mk(3, 256, 0, 0x3), *e = mk(4, 256, 0, 0x3), *f = mk(5, 256, 0, 0x3);
    run(3000);
    uint64_t td = d->vcpus[0].cpu_time, te = e->vcpus[0].cpu_time, tf = f->vcpus[0].cpu_time;
    CHECK(td + te + tf >= 5998 * TICK, "three vCPUs keep two pCPUs busy");
    CHECK(td > 1900 * TICK && te > 1900 * TICK && tf > 1900 * TICK, "each gets about 2/3 of a pCPU");
    return harness_finish("sched");
}
