/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 side of the arch-neutral micro-guests (../common/): the PVH
 * runtime plus the few knobs a shared program needs (see ../guest_arch.h).
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include "xguest.h"
#include <public/arch-x86.h>

/* Test names carry an "x86-" prefix ("x86-grant-map"). */
#define TEST_NAME(n) "x86-" n

/* A bounded wait: a million polls. */
typedef uint64_t gwait_t;
static inline gwait_t gwait_start(void)
{
    return 0;
}
static inline bool gwait_more(gwait_t *w)
{
    return (*w)++ < 1000000;
}

/* A stray access is an NPT violation, which crashes an x86 domain. */
#define GUEST_SKIPS_DATA_ABORTS 0

#endif
