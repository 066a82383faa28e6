/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for xe's memory size parser (xe_parse_bytes, cmd_vm_ops.c),
 * used by vm-memory-*-set: plain bytes, binary units in any case, with or
 * without a space, and the inputs it must refuse (empty, negative, junk,
 * unknown units, overflow).
 */
#include <stdint.h>

#include "check.h"
#include "xe.h"

int main(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} good[] = {
		{ "0", 0 },
		{ "536870912", 536870912 },
		{ "512MiB", 512LL << 20 },
		{ "512 MiB", 512LL << 20 },
		{ "512mib", 512LL << 20 },
		{ "2G", 2LL << 30 },
		{ "2GiB", 2LL << 30 },
		{ "3k", 3LL << 10 },
		{ "1TiB", 1LL << 40 },
		{ "7b", 7 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t v = -1;
		bool ok = xe_parse_bytes(good[i].in, &v);
		CHECK(ok && v == good[i].want, "\"%s\" is %lld bytes (got %lld)", good[i].in,
		      (long long)good[i].want, (long long)v);
	}
	static const char *const bad[] = { "", "MiB", "-1", "12 MB", "1.5GiB", "12Mi", "lots",
					   "9223372036854775807K", "99999999999999999999",
					   "1 GiB x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 0;
		CHECK(!xe_parse_bytes(bad[i], &v), "\"%s\" is refused", bad[i]);
	}
	return check_summary();
}
