/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arm64 side of the arch-neutral micro-guests (common/): the arm64 runtime
 * plus the few knobs a shared program needs.  x86/guest_arch.h is its twin;
 * each arch's build puts only its own directory on the include path.
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include "guest.h"

/* Test names are reported as-is on arm64 ("grant-map"). */
#define TEST_NAME(n) n

/* A bounded wait: about 30 s of the virtual counter. */
typedef uint64_t gwait_t;
static inline gwait_t gwait_start(void)
{
    return now_ticks();
}
static inline bool gwait_more(gwait_t *w)
{
    return now_ticks() - *w < 30 * ticks_per_sec();
}

/* Data aborts are counted in sync_faults and stepped over. */
#define GUEST_SKIPS_DATA_ABORTS 1

#endif
