/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the fuzz targets: "wire equivalence" of two values, i.e. what
 * a trip through the XML-RPC encoder may legitimately change. An int goes
 * out as bare digits and comes back as that string (unless it is an <i4>),
 * and a double keeps 16 significant digits.
 */
#ifndef HALYARD_RPC_FUZZ_COMMON_H
#define HALYARD_RPC_FUZZ_COMMON_H

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline bool fuzz_float_close(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (isinf(a) || isinf(b))
		return a == b;
	return fabs(a - b) <= fabs(a) * 1e-15;
}

/* a: the value before an XML-RPC round trip; b: after it. */
static inline bool fuzz_wire_equiv(const xv *a, const xv *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind == XV_INT && !((a->flags & XVF_I32) && a->u.i >= INT32_MIN && a->u.i <= INT32_MAX)) {
		char digits[32];
		snprintf(digits, sizeof(digits), "%" PRId64, a->u.i);
		return b->kind == XV_STRING && strcmp(xv_s(b), digits) == 0;
	}
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case XV_FLOAT:
		return fuzz_float_close(a->u.f, b->u.f);
	case XV_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!fuzz_wire_equiv(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case XV_STRUCT:
		/* order is kept on the wire, so compare position by position */
		if (a->u.st.n != b->u.st.n)
			return false;
		for (size_t i = 0; i < a->u.st.n; i++)
			if (strcmp(a->u.st.m[i].key, b->u.st.m[i].key) ||
			    !fuzz_wire_equiv(a->u.st.m[i].val, b->u.st.m[i].val))
				return false;
		return true;
	default:
		return xv_equal(a, b);
	}
}

/* Fails the run loudly: libFuzzer and the replay driver both see a crash. */
#define FUZZ_ASSERT(cond)                                                            \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz assertion failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                 \
			abort();                                                     \
		}                                                                    \
	} while (0)

#endif
