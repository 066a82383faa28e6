/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the control-domain "judge" micro-guests. */
#ifndef JUDGE_H
#define JUDGE_H

#include "guest.h"

static inline uint64_t dom_cpu_ns(domid_t d)
{
    struct hv_domctl op;
    if (domctl(&op, XEN_DOMCTL_getdomaininfo, d))
        return 0;
    return op.u.getdomaininfo.cpu_time;
}

static inline bool dom_info(domid_t d, struct hv_domctl_getdomaininfo *gi)
{
    struct hv_domctl op;
    if (domctl(&op, XEN_DOMCTL_getdomaininfo, d))
        return false;
    *gi = op.u.getdomaininfo;
    return true;
}

/* Yields until `secs` seconds of counter time passed; returns elapsed ns. */
static inline uint64_t wait_secs(uint64_t secs)
{
    uint64_t t0 = now_ticks(), f = ticks_per_sec();
    while (now_ticks() - t0 < secs * f)
        yield();
    return (now_ticks() - t0) * 1000000000ULL / f;
}

static inline bool destroy(domid_t d)
{
    struct hv_domctl op;
    return domctl(&op, XEN_DOMCTL_destroydomain, d) == 0 &&
           domctl(&op, XEN_DOMCTL_getdomaininfo, d) == -XEN_ESRCH;
}

#endif
