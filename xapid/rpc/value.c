/* SPDX-License-Identifier: Apache-2.0 */
/* The value model, XenAPI errors and the allocation helpers (value.h). */
#include "value.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "strbuf.h"

/* ---- memory ---------------------------------------------------------- */

_Noreturn void hx_oom(void)
{
	abort();
}

void *hx_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		hx_oom();
	return p;
}

void *hx_calloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		hx_oom();
	return p;
}

void *hx_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		hx_oom();
	return q;
}

char *hx_strdup(const char *s)
{
	return hx_strndup(s, strlen(s));
}

char *hx_strndup(const char *s, size_t n)
{
	size_t l = strnlen(s, n);
	char *p = hx_malloc(l + 1);
	memcpy(p, s, l);
	p[l] = '\0';
	return p;
}

static char *hx_vasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		hx_oom();
	return s;
}

char *hx_asprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = hx_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* ---- constructors ---------------------------------------------------- */

static xv *xv_new(xv_kind kind)
{
	xv *v = hx_calloc(1, sizeof(*v));
	v->kind = kind;
	return v;
}

xv *xv_nil(void)
{
	return xv_new(XV_NIL);
}

xv *xv_strn(const char *s, size_t len)
{
	xv *v = xv_new(XV_STRING);
	if (len == SIZE_MAX)
		hx_oom();
	v->u.str.s = hx_malloc(len + 1);
	if (len)
		memcpy(v->u.str.s, s, len);
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
	return v;
}

xv *xv_str(const char *s)
{
	return s ? xv_strn(s, strlen(s)) : xv_strn("", 0);
}

xv *xv_str_own(char *s)
{
	if (!s)
		return xv_str("");
	xv *v = xv_new(XV_STRING);
	v->u.str.s = s;
	v->u.str.len = strlen(s);
	return v;
}

xv *xv_strf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = hx_vasprintf(fmt, ap);
	va_end(ap);
	return xv_str_own(s);
}

xv *xv_int(int64_t i)
{
	xv *v = xv_new(XV_INT);
	v->u.i = i;
	return v;
}

xv *xv_i32(int32_t i)
{
	xv *v = xv_int(i);
	v->flags |= XVF_I32;
	return v;
}

xv *xv_float(double f)
{
	xv *v = xv_new(XV_FLOAT);
	v->u.f = f;
	return v;
}

xv *xv_bool(bool b)
{
	xv *v = xv_new(XV_BOOL);
	v->u.b = b;
	return v;
}

xv *xv_datetime(int64_t t)
{
	xv *v = xv_new(XV_DATETIME);
	v->u.dt = t;
	return v;
}

xv *xv_array(void)
{
	return xv_new(XV_ARRAY);
}

xv *xv_struct(void)
{
	return xv_new(XV_STRUCT);
}

xv *xv_free(xv *v)
{
	if (!v)
		return NULL;
	switch (v->kind) {
	case XV_STRING:
		free(v->u.str.s);
		break;
	case XV_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			xv_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case XV_STRUCT:
		for (size_t i = 0; i < v->u.st.n; i++) {
			free(v->u.st.m[i].key);
			xv_free(v->u.st.m[i].val);
		}
		free(v->u.st.m);
		break;
	default:
		break;
	}
	free(v);
	return NULL;
}

xv *xv_dup(const xv *v)
{
	if (!v)
		return NULL;
	xv *d;
	switch (v->kind) {
	case XV_STRING:
		d = xv_strn(v->u.str.s, v->u.str.len);
		break;
	case XV_ARRAY:
		d = xv_array();
		d->u.arr.cap = v->u.arr.n;
		d->u.arr.items = hx_calloc(v->u.arr.n, sizeof(xv *));
		for (size_t i = 0; i < v->u.arr.n; i++)
			d->u.arr.items[i] = xv_dup(v->u.arr.items[i]);
		d->u.arr.n = v->u.arr.n;
		break;
	case XV_STRUCT:
		d = xv_struct();
		d->u.st.cap = v->u.st.n;
		d->u.st.m = hx_calloc(v->u.st.n, sizeof(xv_member));
		for (size_t i = 0; i < v->u.st.n; i++) {
			d->u.st.m[i].key = hx_strdup(v->u.st.m[i].key);
			d->u.st.m[i].val = xv_dup(v->u.st.m[i].val);
		}
		d->u.st.n = v->u.st.n;
		break;
	default:
		d = xv_new(v->kind);
		d->u = v->u;
		break;
	}
	d->flags = v->flags;
	return d;
}

/* ---- equality -------------------------------------------------------- */

static int member_cmp(const void *a, const void *b)
{
	const xv_member *const *x = a, *const *y = b;
	return strcmp((*x)->key, (*y)->key);
}

/* Order-insensitive struct comparison; sorts member pointers when large. */
static bool struct_equal(const xv *a, const xv *b)
{
	size_t n = a->u.st.n;

	if (n != b->u.st.n)
		return false;
	if (n <= 16) {
		for (size_t i = 0; i < n; i++) {
			const xv *bv = xv_struct_get(b, a->u.st.m[i].key);
			if (!bv || !xv_equal(a->u.st.m[i].val, bv))
				return false;
		}
		return true;
	}
	const xv_member **sa = hx_calloc(n, sizeof(*sa));
	const xv_member **sb = hx_calloc(n, sizeof(*sb));
	for (size_t i = 0; i < n; i++) {
		sa[i] = &a->u.st.m[i];
		sb[i] = &b->u.st.m[i];
	}
	qsort(sa, n, sizeof(*sa), member_cmp);
	qsort(sb, n, sizeof(*sb), member_cmp);
	bool eq = true;
	for (size_t i = 0; eq && i < n; i++)
		eq = strcmp(sa[i]->key, sb[i]->key) == 0 && xv_equal(sa[i]->val, sb[i]->val);
	free(sa);
	free(sb);
	return eq;
}

bool xv_equal(const xv *a, const xv *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind)
		return false;
	switch (a->kind) {
	case XV_NIL:
		return true;
	case XV_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case XV_INT:
		return a->u.i == b->u.i;
	case XV_FLOAT:
		return a->u.f == b->u.f || (isnan(a->u.f) && isnan(b->u.f));
	case XV_BOOL:
		return a->u.b == b->u.b;
	case XV_DATETIME:
		return a->u.dt == b->u.dt;
	case XV_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!xv_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case XV_STRUCT:
		return struct_equal(a, b);
	}
	return false;
}

/* ---- arrays ---------------------------------------------------------- */

void xv_array_push(xv *arr, xv *item)
{
	if (arr->u.arr.n == arr->u.arr.cap) {
		size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
		if (cap > SIZE_MAX / sizeof(xv *))
			hx_oom();
		arr->u.arr.items = hx_realloc(arr->u.arr.items, cap * sizeof(xv *));
		arr->u.arr.cap = cap;
	}
	arr->u.arr.items[arr->u.arr.n++] = item;
}

size_t xv_len(const xv *v)
{
	if (!v)
		return 0;
	switch (v->kind) {
	case XV_STRING:
		return v->u.str.len;
	case XV_ARRAY:
		return v->u.arr.n;
	case XV_STRUCT:
		return v->u.st.n;
	default:
		return 0;
	}
}

xv *xv_array_get(const xv *arr, size_t i)
{
	if (!arr || arr->kind != XV_ARRAY || i >= arr->u.arr.n)
		return NULL;
	return arr->u.arr.items[i];
}

xv *xv_array_take(xv *arr, size_t i)
{
	if (!arr || arr->kind != XV_ARRAY || i >= arr->u.arr.n)
		return NULL;
	xv *item = arr->u.arr.items[i];
	memmove(&arr->u.arr.items[i], &arr->u.arr.items[i + 1],
		(arr->u.arr.n - i - 1) * sizeof(xv *));
	arr->u.arr.n--;
	return item;
}

/* ---- structs --------------------------------------------------------- */

static xv_member *struct_find(const xv *st, const char *key)
{
	if (!st || st->kind != XV_STRUCT || !key)
		return NULL;
	for (size_t i = 0; i < st->u.st.n; i++)
		if (strcmp(st->u.st.m[i].key, key) == 0)
			return &st->u.st.m[i];
	return NULL;
}

void xv_struct_append(xv *st, char *key, xv *val)
{
	if (st->u.st.n == st->u.st.cap) {
		size_t cap = st->u.st.cap ? st->u.st.cap * 2 : 4;
		if (cap > SIZE_MAX / sizeof(xv_member))
			hx_oom();
		st->u.st.m = hx_realloc(st->u.st.m, cap * sizeof(xv_member));
		st->u.st.cap = cap;
	}
	st->u.st.m[st->u.st.n].key = key;
	st->u.st.m[st->u.st.n].val = val;
	st->u.st.n++;
}

void xv_struct_set(xv *st, const char *key, xv *val)
{
	xv_member *m = struct_find(st, key);
	if (m) {
		xv_free(m->val);
		m->val = val;
		return;
	}
	xv_struct_append(st, hx_strdup(key), val);
}

xv *xv_struct_get(const xv *st, const char *key)
{
	xv_member *m = struct_find(st, key);
	return m ? m->val : NULL;
}

bool xv_struct_del(xv *st, const char *key)
{
	xv_member *m = struct_find(st, key);
	if (!m)
		return false;
	size_t i = (size_t)(m - st->u.st.m);
	free(m->key);
	xv_free(m->val);
	memmove(&st->u.st.m[i], &st->u.st.m[i + 1], (st->u.st.n - i - 1) * sizeof(xv_member));
	st->u.st.n--;
	return true;
}

const char *xv_struct_str(const xv *st, const char *key)
{
	return xv_s(xv_struct_get(st, key));
}

/* Sort key for hx_struct_dedupe: key, then position. */
static int pos_member_cmp(const void *a, const void *b)
{
	const xv_member *const *x = a, *const *y = b;
	int c = strcmp((*x)->key, (*y)->key);
	if (c)
		return c;
	return *x < *y ? -1 : (*x > *y);
}

void hx_struct_dedupe(xv *st)
{
	size_t n = st->u.st.n;
	if (n < 2)
		return;
	xv_member *m = st->u.st.m;
	xv_member **s = hx_calloc(n, sizeof(*s));
	for (size_t i = 0; i < n; i++)
		s[i] = &m[i];
	qsort(s, n, sizeof(*s), pos_member_cmp);
	bool any = false;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(s[i]->key, s[j]->key) == 0)
			j++;
		if (j - i > 1) {
			/* First position keeps the last value; the rest go. */
			xv_free(s[i]->val);
			s[i]->val = s[j - 1]->val;
			s[j - 1]->val = NULL;
			for (size_t k = i + 1; k < j; k++) {
				free(s[k]->key);
				s[k]->key = NULL;
				s[k]->val = xv_free(s[k]->val);
			}
			any = true;
		}
		i = j;
	}
	free(s);
	if (!any)
		return;
	size_t w = 0;
	for (size_t r = 0; r < n; r++)
		if (m[r].key)
			m[w++] = m[r];
	st->u.st.n = w;
}

const char *xv_s(const xv *v)
{
	return v && v->kind == XV_STRING ? v->u.str.s : NULL;
}

/* ---- datetimes ------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what 4-digit years hold. */
#define DT_MIN INT64_C(-62167219200)
#define DT_MAX INT64_C(253402300799)

void xv_datetime_format(int64_t t, char *buf, size_t size)
{
	int64_t y;
	int mo, d;

	if (t < DT_MIN)
		t = DT_MIN;
	if (t > DT_MAX)
		t = DT_MAX;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	civil_from_days(days, &y, &mo, &d);
	snprintf(buf, size, "%04d%02d%02dT%02d:%02d:%02dZ", (int)y, mo, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Reads exactly n decimal digits at *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int xv_datetime_parse(const char *s, int64_t *t)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;

	if (!s)
		return -EINVAL;
	if (!digits(&p, 4, &y))
		return -EINVAL;
	bool dash = *p == '-';
	p += dash;
	if (!digits(&p, 2, &mo))
		return -EINVAL;
	if (dash && *p++ != '-')
		return -EINVAL;
	if (!digits(&p, 2, &d) || *p++ != 'T')
		return -EINVAL;
	if (!digits(&p, 2, &h))
		return -EINVAL;
	bool colon = *p == ':';
	p += colon;
	if (!digits(&p, 2, &mi))
		return -EINVAL;
	if (colon && *p++ != ':')
		return -EINVAL;
	if (!digits(&p, 2, &se))
		return -EINVAL;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++; /* sub-second precision is not kept */
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &om))
				return -EINVAL;
		} else if (*p) {
			if (!digits(&p, 2, &om))
				return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60 || oh > 23 || om > 59)
		return -EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -EINVAL;
	int64_t v = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		    sign * (oh * 3600 + om * 60);
	if (v < DT_MIN || v > DT_MAX)
		return -EINVAL; /* an offset pushed it out of 4-digit years */
	*t = v;
	return 0;
}

char *xv_to_debug(const xv *v)
{
	strbuf b = STRBUF_INIT;
	hx_json_put_value(&b, v, true);
	return sb_steal(&b, NULL);
}

/* ---- XenAPI errors --------------------------------------------------- */

xerr *xerr_newv(const char *code, const char *const *params, size_t n)
{
	xerr *e = hx_calloc(1, sizeof(*e));
	e->code = hx_strdup(code ? code : "");
	for (size_t i = 0; i < n; i++)
		xerr_add(e, params[i]);
	return e;
}

xerr *xerr_new(const char *code, ...)
{
	va_list ap;
	xerr *e = xerr_newv(code, NULL, 0);

	va_start(ap, code);
	for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *))
		xerr_add(e, p);
	va_end(ap);
	return e;
}

xerr *xerr_newf(const char *code, const char *fmt, ...)
{
	va_list ap;
	xerr *e = xerr_newv(code, NULL, 0);

	va_start(ap, fmt);
	char *s = hx_vasprintf(fmt, ap);
	va_end(ap);
	xerr_add(e, s);
	free(s);
	return e;
}

void xerr_add(xerr *e, const char *param)
{
	e->params = hx_realloc(e->params, (e->nparams + 1) * sizeof(char *));
	e->params[e->nparams++] = hx_strdup(param ? param : "");
}

xerr *xerr_free(xerr *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->nparams; i++)
		free(e->params[i]);
	free(e->params);
	free(e->code);
	free(e);
	return NULL;
}

xerr *xerr_dup(const xerr *e)
{
	if (!e)
		return NULL;
	return xerr_newv(e->code, (const char *const *)e->params, e->nparams);
}

xv *xerr_to_xv(const xerr *e)
{
	xv *a = xv_array();
	xv_array_push(a, xv_str(e->code));
	for (size_t i = 0; i < e->nparams; i++)
		xv_array_push(a, xv_str(e->params[i]));
	return a;
}
