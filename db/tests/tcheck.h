/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal harness for the db tests: CHECK() counts and reports failures,
 * OK() prints what a group of checks covered, tcheck_done() prints the
 * totals and gives the exit status.
 */
#ifndef HALYARD_DB_TESTS_TCHECK_H
#define HALYARD_DB_TESTS_TCHECK_H

#include "check.h"
#include "value.h"

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

#define tcheck_done check_done

#endif
