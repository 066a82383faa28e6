/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-and-set spinlock.  The hypervisor runs with interrupts masked except
 * in the idle loop and around VMRUN, neither of which holds a lock.
 */
#ifndef ASM_SPINLOCK_H
#define ASM_SPINLOCK_H

#include <stdint.h>

typedef struct {
    uint32_t v;
} spinlock_t;

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
            cpu_relax();
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#endif
