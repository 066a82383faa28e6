/* SPDX-License-Identifier: Apache-2.0 */
/* Growable NUL-terminated byte buffer (strbuf.h). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

/* Makes room for n more bytes plus the terminating NUL. */
static void sb_grow(strbuf *b, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len - 1)
		hx_oom();
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->s = hx_realloc(b->s, cap);
	b->cap = cap;
}

void sb_putn(strbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_putc(strbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[128];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		hx_oom(); /* only on an encoding error in fmt: a programming error */
	if ((size_t)n < sizeof(small)) {
		sb_putn(b, small, (size_t)n);
		return;
	}
	sb_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_put_xml_escaped(strbuf *b, const char *s, size_t n)
{
	size_t run = 0; /* start of the pending unescaped run */

	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\r': rep = "&#13;"; break;
		default: continue;
		}
		sb_putn(b, s + run, i - run);
		sb_puts(b, rep);
		run = i + 1;
	}
	sb_putn(b, s + run, n - run);
}

char *sb_steal(strbuf *b, size_t *len)
{
	char *s = b->s;
	size_t l = b->len;

	if (!s) {
		s = hx_strdup("");
		l = 0;
	}
	b->s = NULL;
	b->len = b->cap = 0;
	if (len)
		*len = l;
	return s;
}

void sb_free(strbuf *b)
{
	if (!b)
		return;
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
