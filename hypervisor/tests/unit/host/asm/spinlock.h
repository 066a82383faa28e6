/* SPDX-License-Identifier: Apache-2.0 */
/* Host-side unit tests are single-threaded: locks only check pairing. */
#ifndef ASM_SPINLOCK_H
#define ASM_SPINLOCK_H

#include <assert.h>
#include <stdint.h>

typedef struct {
    uint32_t v;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    assert(l->v == 0 && "recursive lock");
    l->v = 1;
}

static inline void spin_unlock(spinlock_t *l)
{
    assert(l->v == 1 && "unlock of a free lock");
    l->v = 0;
}

static inline void cpu_relax(void)
{
}

#endif
