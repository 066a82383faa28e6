/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON text emitter shared by jsonrpc.c and xv_to_debug(). */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static bool utf8_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = hx_utf8_next(s + i, n - i, false);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* Invalid UTF-8 (which no parser here produces) goes out as U+FFFD so that
 * the text stays valid JSON; control characters are escaped. */
void hx_json_put_string(strbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (!utf8_ok(s, n)) {
		size_t l;
		char *clean = hx_utf8_sanitize(s, n, false, &l);
		hx_json_put_string(b, clean, l);
		free(clean);
		return;
	}

	sb_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		const char *rep = esc;

		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\t')
			rep = "\\t";
		else if (c == '\r')
			rep = "\\r";
		else if (c < 0x20 || c == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
		} else
			continue;
		sb_putn(b, s + run, i - run);
		sb_puts(b, rep);
		run = i + 1;
	}
	sb_putn(b, s + run, n - run);
	sb_putc(b, '"');
}

/* Shortest %.*g text that parses back to exactly f, with a '.' or 'e'. */
static void put_json_double(strbuf *b, double f)
{
	char buf[40];

	if (!isfinite(f)) {
		sb_puts(b, "null");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		double back;
		hx_fmt_double(buf, sizeof(buf), prec, f);
		if (hx_parse_double(buf, strlen(buf), &back) && back == f)
			break;
	}
	sb_puts(b, buf);
	if (!strpbrk(buf, ".eE"))
		sb_puts(b, ".0");
}

void hx_json_put_value(strbuf *b, const xv *v, bool debug)
{
	char dt[32];

	if (!v) {
		sb_puts(b, "null");
		return;
	}
	switch (v->kind) {
	case XV_NIL:
		sb_puts(b, "null");
		break;
	case XV_STRING:
		hx_json_put_string(b, v->u.str.s, v->u.str.len);
		break;
	case XV_INT:
		sb_printf(b, "%" PRId64, v->u.i);
		break;
	case XV_FLOAT:
		put_json_double(b, v->u.f);
		break;
	case XV_BOOL:
		sb_puts(b, v->u.b ? "true" : "false");
		break;
	case XV_DATETIME:
		xv_datetime_format(v->u.dt, dt, sizeof(dt));
		if (debug)
			sb_puts(b, "dt");
		hx_json_put_string(b, dt, strlen(dt));
		break;
	case XV_ARRAY:
		sb_putc(b, '[');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				sb_putc(b, ',');
			hx_json_put_value(b, v->u.arr.items[i], debug);
		}
		sb_putc(b, ']');
		break;
	case XV_STRUCT:
		sb_putc(b, '{');
		for (size_t i = 0; i < v->u.st.n; i++) {
			if (i)
				sb_putc(b, ',');
			hx_json_put_string(b, v->u.st.m[i].key, strlen(v->u.st.m[i].key));
			sb_putc(b, ':');
			hx_json_put_value(b, v->u.st.m[i].val, debug);
		}
		sb_putc(b, '}');
		break;
	}
}

/* ---- locale-independent numbers ------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!c_locale)
		hx_oom();
}

static locale_t get_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

void hx_fmt_double(char *buf, size_t size, int prec, double f)
{
	locale_t old = uselocale(get_c_locale());
	snprintf(buf, size, "%.*g", prec, f);
	uselocale(old);
}

bool hx_parse_double(const char *s, size_t n, double *out)
{
	char small[64];
	char *tmp = n < sizeof(small) ? small : hx_malloc(n + 1);
	size_t i = 0;
	bool ok = false;

	if (n == 0 || memchr(s, '\0', n))
		goto out;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (tmp[i] == '+' || tmp[i] == '-')
		i++;
	if (strcasecmp(tmp + i, "nan") && strcasecmp(tmp + i, "inf") &&
	    strcasecmp(tmp + i, "infinity")) {
		/* digits [. digits] [e [+-] digits], at least one mantissa digit */
		size_t nd = 0;
		while (tmp[i] >= '0' && tmp[i] <= '9')
			i++, nd++;
		if (tmp[i] == '.') {
			i++;
			while (tmp[i] >= '0' && tmp[i] <= '9')
				i++, nd++;
		}
		if (!nd)
			goto out;
		if (tmp[i] == 'e' || tmp[i] == 'E') {
			i++;
			if (tmp[i] == '+' || tmp[i] == '-')
				i++;
			if (tmp[i] < '0' || tmp[i] > '9')
				goto out;
			while (tmp[i] >= '0' && tmp[i] <= '9')
				i++;
		}
		if (tmp[i])
			goto out;
	}
	char *end;
	*out = strtod_l(tmp, &end, get_c_locale());
	ok = *end == '\0';
out:
	if (tmp != small)
		free(tmp);
	return ok;
}

bool hx_parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;
	const uint64_t lim = (uint64_t)INT64_MAX + 1; /* |INT64_MIN| */

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (!neg && v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}
