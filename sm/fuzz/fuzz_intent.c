/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: what the crash recovery of a chain SR reads back from its
 * directory (intent.h): an intent file's bytes split into lines, and each
 * line taken as an image name. Checks that a name accepted is exactly
 * "<location>.<format>" with a 36-character uuid (".base" when hidden).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *lines[6];
	int n = sm_intent_split((const char *)data, size, lines, 6);
	if (n < 0 || n > 6)
		abort();
	for (int i = 0; i < n; i++) {
		if (strchr(lines[i], '\n'))
			abort();
		char *loc = NULL;
		const char *fmt = NULL;
		bool hidden = false;
		if (!sm_image_name_parse(lines[i], &loc, &fmt, &hidden))
			continue;
		size_t ll = strlen(loc);
		if (ll != (hidden ? 41u : 36u) || strlen(lines[i]) != ll + 1 + strlen(fmt) ||
		    strncmp(lines[i], loc, ll) || lines[i][ll] != '.' || strcmp(lines[i] + ll + 1, fmt))
			abort();
		free(loc);
	}
	sm_intent_lines_free(lines, n);
	return 0;
}
