/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal harness for the db tests: CHECK() counts and reports failures,
 * OK() prints what a group of checks covered, tcheck_done() prints the
 * totals and gives the exit status.
 */
#ifndef HALYARD_DB_TESTS_TCHECK_H
#define HALYARD_DB_TESTS_TCHECK_H

#include <stdio.h>
#include <stdlib.h>

static int tc_total, tc_failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		tc_total++;                                                    \
		if (!(cond)) {                                                 \
			tc_failed++;                                           \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			fflush(stdout);                                        \
		}                                                              \
	} while (0)

/* e must be NULL (success); frees it otherwise. */
#define CHECK_OK(e)                                                                 \
	do {                                                                        \
		xerr *ce_ = (e);                                                    \
		CHECK(ce_ == NULL, "error %s %s", ce_ ? ce_->code : "",             \
		      ce_ && ce_->nparams ? ce_->params[0] : "");                   \
		xerr_free(ce_);                                                     \
	} while (0)

/* e must be the error code; frees it. */
#define CHECK_ERR(e, want)                                                          \
	do {                                                                        \
		xerr *ce_ = (e);                                                    \
		CHECK(ce_ && strcmp(ce_->code, (want)) == 0, "want %s, got %s", (want), \
		      ce_ ? ce_->code : "success");                                 \
		xerr_free(ce_);                                                     \
	} while (0)

#define OK(...)                      \
	do {                         \
		printf("checked: "); \
		printf(__VA_ARGS__); \
		printf("\n");        \
		fflush(stdout);      \
	} while (0)

static inline int tcheck_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tc_total, tc_failed);
	return tc_failed ? 1 : 0;
}

#endif
