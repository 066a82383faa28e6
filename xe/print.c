/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output layouts of xe. A record block: the first label is padded on the
 * right and the others on the left to 4 + the longest label of the block,
 * then ": value"; the block ends with its own newline plus two more (xe
 * prints each record followed by a blank line it adds itself, and the
 * client adds one more). --minimal joins values with ',' escaping ',' and
 * '\'.
 */
#include <stdlib.h>
#include <string.h>

#include "xe.h"

void xe_rec_add_own(xe_rec *r, char *key, char *val)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->keys = hx_realloc(r->keys, r->cap * sizeof(*r->keys));
		r->vals = hx_realloc(r->vals, r->cap * sizeof(*r->vals));
	}
	r->keys[r->n] = key;
	r->vals[r->n] = val;
	r->n++;
}

void xe_rec_add(xe_rec *r, const char *key, const char *val)
{
	xe_rec_add_own(r, hx_strdup(key), hx_strdup(val));
}

void xe_rec_clear(xe_rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->keys[i]);
		free(r->vals[i]);
	}
	free(r->keys);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

void xe_print_record(FILE *f, const xe_rec *r)
{
	size_t maxlen = 0;
	for (size_t i = 0; i < r->n; i++) {
		size_t l = strlen(r->keys[i]);
		if (l > maxlen)
			maxlen = l;
	}
	maxlen += 4;
	for (size_t i = 0; i < r->n; i++) {
		size_t l = strlen(r->keys[i]);
		if (i == 0) {
			fputs(r->keys[i], f);
			pad(f, maxlen - l);
		} else {
			pad(f, maxlen - l);
			fputs(r->keys[i], f);
		}
		fputs(": ", f);
		fputs(r->vals[i], f);
		fputc('\n', f);
	}
	/* xe ends a block with a newline, then two more; an empty block is
	 * just those three. */
	if (r->n == 0)
		fputc('\n', f);
	fputs("\n\n", f);
}

void xe_print_minimal_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == ',' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

char *xe_field_label(const xe_field_def *fd)
{
	static const char *const marks[] = {
		[XE_RO] = " ( RO)", [XE_RW] = " ( RW)", [XE_MRO] = " (MRO)",
		[XE_MRW] = " (MRW)", [XE_SRO] = " (SRO)", [XE_SRW] = " (SRW)",
	};
	return hx_asprintf("%s%s%s", fd->name, marks[fd->access],
			   fd->deprecated ? " [DEPRECATED]" : "");
}
