/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image names and intent lines of a chain SR (intent.h).
 */
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "util.h"
#include "value.h"

bool sm_image_name_parse(const char *name, char **loc, const char **fmt, bool *hidden)
{
	size_t n = strlen(name);
	const char *f = NULL;
	size_t stem;
	if (n > 6 && strcmp(name + n - 6, ".qcow2") == 0) {
		f = "qcow2";
		stem = n - 6;
	} else if (n > 4 && strcmp(name + n - 4, ".raw") == 0) {
		f = "raw";
		stem = n - 4;
	} else {
		return false;
	}
	bool base = stem == 36 + 5 && memcmp(name + 36, ".base", 5) == 0;
	if (stem != 36 && !base)
		return false;
	char uuid[37];
	memcpy(uuid, name, 36);
	uuid[36] = 0;
	if (!hx_is_uuid(uuid))
		return false;
	if (loc)
		*loc = hx_strndup(name, stem);
	if (fmt)
		*fmt = f;
	if (hidden)
		*hidden = base;
	return true;
}

int sm_intent_split(const char *buf, size_t len, char **lines, int max)
{
	int n = 0;
	const char *p = buf, *end = buf + len;
	const char *nul = memchr(buf, 0, len);
	if (nul)
		end = nul;
	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lines[n++] = hx_strndup(p, l);
		p += l;
		if (p < end)
			p++;
	}
	return n;
}

void sm_intent_lines_free(char **lines, int n)
{
	for (int i = 0; i < n; i++)
		free(lines[i]);
}
