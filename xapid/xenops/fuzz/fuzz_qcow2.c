/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target of the qcow2 backing-reference parser (xenops/qcow2_hdr.c),
 * which reads the start of images a user may have uploaded. Checks that
 * a qcow2 with a backing file yields a NUL-free name of the size the
 * header gives and a short format name, and that nothing else yields one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = (char *)1, *fmt = (char *)1;
	const char *why = (const char *)1;
	int r = qcow2_hdr_backing(data, size, &name, &fmt, &why);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		size_t want = (size_t)data[16] << 24 | (size_t)data[17] << 16 | (size_t)data[18] << 8 | data[19];
		if (!name || strlen(name) != want || why || (fmt && strlen(fmt) > 31))
			abort();
	} else if (name || fmt || (r == -1) != (why != NULL)) {
		abort();
	}
	if (r == 1 && !qcow2_hdr_is_qcow2(data, size))
		abort();
	free(name);
	free(fmt);
	return 0;
}
