/* SPDX-License-Identifier: Apache-2.0 */
/* Tiny test helpers for xe's unit tests: each check prints what it checked. */
#ifndef HALYARD_XE_TESTS_CHECK_H
#define HALYARD_XE_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			check_passed++;                                    \
			printf("ok - ");                                   \
		} else {                                                   \
			check_failed++;                                    \
			printf("FAIL (%s:%d: %s) - ", __FILE__, __LINE__, #cond); \
		}                                                          \
		printf(__VA_ARGS__);                                       \
		putchar('\n');                                             \
	} while (0)

/* Compares strings, showing both on failure. */
#define CHECK_STR(got, want, ...)                                          \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		int eq_ = g_ && w_ && !strcmp(g_, w_);                     \
		CHECK(eq_, __VA_ARGS__);                                   \
		if (!eq_)                                                  \
			printf("  got:  [%s]\n  want: [%s]\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                        \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
