/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One timer thread with a binary heap of deadlines: long-poll timeouts,
 * periodic maintenance. Callbacks run on the timer thread and must be
 * short (queue real work elsewhere).
 */
#ifndef HALYARD_CORE_TIMERS_H
#define HALYARD_CORE_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

struct timers;
typedef uint64_t timer_id;

struct timers *timers_new(void);
struct timers *timers_free(struct timers *t);
/* Calls fn(arg) once at monotonic time deadline_ms (hx_mono_ms clock). */
timer_id timers_add(struct timers *t, int64_t deadline_ms, void (*fn)(void *), void *arg);
/* True when the timer was removed before it fired; false when it has
 * fired (or is firing: then this waits until its callback returned). */
bool timers_cancel(struct timers *t, timer_id id);

#endif
