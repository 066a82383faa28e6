/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host-side unit-test harness: a CHECK macro that prints every check, and
 * the arch services common code needs, implemented over malloc'd "physical"
 * memory (physical address == host pointer) and a fake clock.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <hv/lib.h>

extern int harness_failures;
extern uint64_t harness_now;
extern unsigned harness_cpu;
extern unsigned harness_nr_cpus;
extern unsigned harness_kicks;
extern long harness_pages_live;

#define CHECK(cond, ...)                                                 \
    do {                                                                 \
        bool _ok = (cond);                                               \
        printf("  %s: ", _ok ? "ok  " : "FAIL");                         \
        printf(__VA_ARGS__);                                             \
        printf("\n");                                                    \
        if (!_ok)                                                        \
            harness_failures++;                                          \
    } while (0)

/* Lets copy_from_guest/copy_to_guest reach [base, base+len) of host memory. */
void harness_guest_window(void *base, size_t len);
int harness_finish(const char *suite);

#endif
