/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credit scheduler.  Each vCPU carries a credit debt (vtime) that grows by
 * its run time scaled by DEFAULT_WEIGHT/weight; a pCPU runs the runnable
 * vCPU with the least debt among those whose hard affinity allows it, so
 * CPU-bound domains sharing pCPUs get time in proportion to their weights,
 * pinned or not.  A domain cap limits its run time per accounting period;
 * a capped domain is parked until the period ends.  Woken vCPUs are lifted
 * to the current minimum debt so sleeping earns no credit beyond one slice.
 *
 * One global lock guards all scheduler state: simple and adequate for the
 * handful of pCPUs this targets.  Times are in arch counter ticks.
 */
#include <hv/arch.h>
#include <hv/domain.h>

static spinlock_t sched_lock;
static struct vcpu *running[HV_MAX_PCPUS];
static unsigned int nr_pcpus;
static uint64_t tick_len, period_len, period_end;

void sched_init(unsigned int nr_cpus, uint64_t tick, uint64_t period)
{
    nr_pcpus = nr_cpus;
    tick_len = tick;
    period_len = period;
    period_end = 0;
}

bool sched_vcpu_runnable(const struct vcpu *v)
{
    const struct domain *d = v->domain;
    return d->in_use && v->online && !v->blocked && !d->pause_count && !d->shutdown &&
           !d->dying && !d->capped;
}

static uint64_t cap_budget(const struct domain *d)
{
    return period_len * d->cap / 100;
}

static void charge(struct vcpu *v, uint64_t now)
{
    struct domain *d = v->domain;
    uint64_t delta = now > v->slice_start ? now - v->slice_start : 0;
    v->slice_start = now;
    v->cpu_time += delta;
    v->vtime += (int64_t)(delta * HV_DEFAULT_WEIGHT / (d->weight ? d->weight : 1));
    d->period_used += delta;
    if (d->cap && d->period_used >= cap_budget(d))
        d->capped = true;
}

/* Lowest debt among runnable vCPUs other than v, or v's own if none. */
static int64_t min_vtime(const struct vcpu *v)
{
    int64_t m = v->vtime;
    bool found = false;
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        const struct domain *d = &domains[i];
        if (!d->in_use)
            continue;
        for (unsigned j = 0; j < d->max_vcpus; j++) {
            const struct vcpu *o = &d->vcpus[j];
            if (o == v || !(o->online && !o->blocked))
                continue;
            if (!found || o->vtime < m)
                m = o->vtime;
            found = true;
        }
    }
    return found ? m : v->vtime;
}

static void lift_credit(struct vcpu *v)
{
    int64_t floor = min_vtime(v) - (int64_t)tick_len;
    if (v->vtime < floor)
        v->vtime = floor;
}

/* Kick a pCPU that could run v now: an idle one, else one running a worse vCPU. */
static void kick_for(struct vcpu *v)
{
    int victim = -1;
    for (unsigned c = 0; c < nr_pcpus; c++) {
        if (!(v->affinity & (1ULL << c)))
            continue;
        if (!running[c]) {
            victim = (int)c;
            break;
        }
        if (running[c]->vtime > v->vtime && victim < 0)
            victim = (int)c;
    }
    if (victim >= 0)
        arch_kick_cpu((unsigned)victim);
}

/*
 * Periods sit on a fixed grid of counter time, so late ticks (a busy host
 * under TCG) neither stretch a period nor lose one: every period that has
 * ended refills each capped domain's budget once.
 */
static void roll_period(uint64_t now)
{
    if (now < period_end)
        return;
    uint64_t n = (now - period_end) / period_len + 1;
    period_end += n * period_len;
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        /* An overrun (a late timer interrupt) is paid back from the refill. */
        uint64_t refill = cap_budget(d) * n;
        d->period_used = (d->cap && d->period_used > refill) ? d->period_used - refill : 0;
        if (d->capped && !(d->cap && d->period_used >= cap_budget(d))) {
            d->capped = false;
            for (unsigned c = 0; c < nr_pcpus; c++)
                if (!running[c])
                    arch_kick_cpu(c);
        }
    }
}

void sched_vcpu_start(struct vcpu *v)
{
    spin_lock(&sched_lock);
    v->online = true;
    v->initialised = true;
    v->blocked = false;
    lift_credit(v);
    if (sched_vcpu_runnable(v))
        kick_for(v);
    spin_unlock(&sched_lock);
}

void sched_vcpu_stop(struct vcpu *v)
{
    spin_lock(&sched_lock);
    v->online = false;
    if (v->running_on >= 0)
        arch_kick_cpu((unsigned)v->running_on);
    spin_unlock(&sched_lock);
}

void sched_block(struct vcpu *v)
{
    spin_lock(&sched_lock);
    v->blocked = true;
    if (v->running_on >= 0)
        arch_kick_cpu((unsigned)v->running_on);
    spin_unlock(&sched_lock);
}

void sched_wake(struct vcpu *v)
{
    spin_lock(&sched_lock);
    if (v->blocked) {
        v->blocked = false;
        v->wake_deadline = 0;
        lift_credit(v);
    }
    if (sched_vcpu_runnable(v) && v->running_on < 0)
        kick_for(v);
    spin_unlock(&sched_lock);
}

void sched_yield_vcpu(struct vcpu *v)
{
    spin_lock(&sched_lock);
    /* Step behind every other runnable vCPU allowed on this pCPU. */
    int64_t m = v->vtime;
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        for (unsigned j = 0; d->in_use && j < d->max_vcpus; j++) {
            struct vcpu *o = &d->vcpus[j];
            if (o != v && sched_vcpu_runnable(o) && (o->affinity & v->affinity) && o->vtime >= m)
                m = o->vtime + 1;
        }
    }
    v->vtime = m;
    if (v->running_on >= 0)
        arch_kick_cpu((unsigned)v->running_on);
    spin_unlock(&sched_lock);
}

void sched_kick_domain(struct domain *d)
{
    spin_lock(&sched_lock);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i].running_on >= 0)
            arch_kick_cpu((unsigned)d->vcpus[i].running_on);
    spin_unlock(&sched_lock);
}

void sched_wait_descheduled(struct domain *d)
{
    for (;;) {
        bool busy = false;
        spin_lock(&sched_lock);
        for (unsigned i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i].running_on >= 0) {
                busy = true;
                arch_kick_cpu((unsigned)d->vcpus[i].running_on);
            }
        spin_unlock(&sched_lock);
        if (!busy)
            return;
        cpu_relax();
    }
}

struct vcpu *sched_pick(unsigned int cpu, struct vcpu *prev, uint64_t now, uint64_t *slice_end)
{
    spin_lock(&sched_lock);
    roll_period(now);
    if (prev) {
        charge(prev, now);
        prev->running_on = -1;
        prev->last_sched = now;
    }
    struct vcpu *best = NULL;
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        for (unsigned j = 0; d->in_use && j < d->max_vcpus; j++) {
            struct vcpu *v = &d->vcpus[j];
            if (!sched_vcpu_runnable(v) || v->running_on >= 0 || !(v->affinity & (1ULL << cpu)))
                continue;
            if (!best || v->vtime < best->vtime ||
                (v->vtime == best->vtime && v->last_sched < best->last_sched))
                best = v;
        }
    }
    uint64_t end = now + tick_len;
    if (best) {
        best->running_on = (int)cpu;
        best->last_cpu = cpu;
        best->slice_start = now;
        struct domain *d = best->domain;
        if (d->cap) {
            uint64_t budget = cap_budget(d);
            uint64_t left = budget > d->period_used ? budget - d->period_used : 0;
            end = MIN(end, now + left);
        }
    }
    end = MIN(end, period_end);
    running[cpu] = best;
    *slice_end = end;
    spin_unlock(&sched_lock);
    return best;
}

/*
 * Periodic accounting on each pCPU: charges the running vCPU, rolls the cap
 * period and wakes blocked vCPUs whose deadline passed.  Returns true when
 * this pCPU should pick again.
 */
bool sched_tick(unsigned int cpu, struct vcpu *cur, uint64_t now)
{
    bool resched = false;
    spin_lock(&sched_lock);
    if (cur) {
        charge(cur, now);
        resched = true;
    }
    roll_period(now);
    for (int i = 0; i < HV_MAX_DOMAINS; i++) {
        struct domain *d = &domains[i];
        for (unsigned j = 0; d->in_use && j < d->max_vcpus; j++) {
            struct vcpu *v = &d->vcpus[j];
            if (v->blocked && v->wake_deadline && now >= v->wake_deadline) {
                v->blocked = false;
                v->wake_deadline = 0;
                lift_credit(v);
                if (sched_vcpu_runnable(v))
                    kick_for(v);
            }
        }
    }
    if (!running[cpu])
        resched = true;
    spin_unlock(&sched_lock);
    return resched;
}
