/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal harness shared by the unit tests: CHECK() counts and reports
 * failures, OK() prints one line saying what a group of checks covered,
 * check_done() prints the totals and gives the exit status.
 */
#ifndef HALYARD_TESTS_CHECK_H
#define HALYARD_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_total, check_failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		check_total++;                                                 \
		if (!(cond)) {                                                 \
			check_failed++;                                        \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			fflush(stdout);                                        \
		}                                                              \
	} while (0)

#define OK(...)                         \
	do {                            \
		printf("checked: ");    \
		printf(__VA_ARGS__);    \
		printf("\n");           \
		fflush(stdout);         \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
	return check_failed ? 1 : 0;
}

#endif
