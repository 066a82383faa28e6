/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target of the saved-RRD loader (rrd_load in xenops/rrd.c): any
 * bytes either load or are refused; what loads must survive what the
 * sampler and the HTTP handlers do with it: saving it again (which must
 * give back the same bytes), more samples, and every export.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rrd *r = rrd_load(data, size);
	if (!r)
		return 0;
	rrd_buf b = { 0 };
	rrd_save(r, &b);
	if (b.len != size || memcmp(b.s, data, size))
		abort(); /* a loaded rrd saves back to the same bytes */
	int64_t t = rrd_last_updated(r);
	for (int i = 1; i <= 3; i++) {
		rrd_sample s[] = { { "cpu0", 0.5, 0, 1 }, { "memory", NAN, 0, INFINITY } };
		rrd_update(r, t + 5 * i, s, 2);
	}
	b.len = 0;
	rrd_dump_xml(r, &b);
	b.len = 0;
	rrd_dump_json(r, &b);
	const rrd *rs[] = { r };
	const char *px[] = { "vm:x:" };
	b.len = 0;
	rrd_xport(rs, px, 1, -60, 0, -1, false, &b);
	b.len = 0;
	rrd_xport(rs, px, 1, 0, 3600, RRD_AVERAGE, true, &b);
	free(b.s);
	rrd_free(r);
	return 0;
}
