/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON reader (internal.h): strict RFC 8259 text straight into values
 * in one pass, with no intermediate tree. It replaced json-c, whose tree,
 * hash tables and conversion cost xe most of its CPU on big replies.
 *
 * Two classes of error (see internal.h): hard errors (the text is not
 * JSON we accept at all) stop reading; breaches of the value rules (what
 * the value model and XML-RPC can't carry) are only recorded, because the
 * JSON-RPC envelope applies them to some members and not to others.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * Values deeper than this are a hard error: the limit json-c's tokener
 * had here (depth HX_MAX_DEPTH + 3), kept so that members the value rules
 * don't apply to (an error's data, unknown members) are accepted as before.
 * It also bounds the recursion.
 */
#define HARD_DEPTH (HX_MAX_DEPTH + 2)

#define DEPTH_MSG ("values nested deeper than " STR(HX_MAX_DEPTH))

/* Bytes that stand for themselves inside a string: printable ASCII
 * except '"' and '\\'. Everything else takes the slow path. */
static const bool plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

static void *fail(hx_jreader *r, size_t at, const char *what)
{
	if (!r->err) {
		r->err = what;
		r->err_at = at;
	}
	return NULL;
}

static void breach(hx_jreader *r, size_t at, const char *what)
{
	if (!r->rule) {
		r->rule = what;
		r->rule_at = at;
	}
}

void hx_jr_init(hx_jreader *r, const char *s, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->n = n;
}

void hx_jr_clear(hx_jreader *r)
{
	/* after a hard error the containers being read left their items here */
	for (size_t i = 0; i < r->nvals; i++)
		xv_free(r->vals[i]);
	for (size_t i = 0; i < r->nmems; i++) {
		free(r->mems[i].key);
		xv_free(r->mems[i].val);
	}
	free(r->vals);
	free(r->mems);
	free(r->klen);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

static inline void skip_ws(hx_jreader *r)
{
	const char *s = r->s;
	size_t i = r->pos, n = r->n;
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	r->pos = i;
}

int hx_jr_peek(hx_jreader *r)
{
	skip_ws(r);
	return r->pos < r->n ? (unsigned char)r->s[r->pos] : -1;
}

bool hx_jr_end(hx_jreader *r)
{
	skip_ws(r);
	if (r->pos < r->n) {
		fail(r, r->pos, "trailing data after the JSON text");
		return false;
	}
	return true;
}

char *hx_jr_message(const hx_jreader *r)
{
	if (r->err)
		return hx_asprintf("JSON error at offset %zu: %s", r->err_at, r->err);
	if (r->rule)
		return hx_strdup(r->rule);
	return hx_strdup("invalid JSON");
}

/* ---- strings ---------------------------------------------------------- */

static int hex4(const unsigned char *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		unsigned char c = s[k];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static char *put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * The string whose opening quote is at r->pos, decoded into one heap
 * allocation (*len bytes, NUL-terminated); r->pos moves past the closing
 * quote. NULL on a hard error: raw control characters, bad escapes,
 * unpaired surrogates, \u0000 (which would cut keys and C strings short),
 * invalid UTF-8. Characters XML can't carry (escaped controls, U+FFFE,
 * U+FFFF) are a breach of the value rules, checked as they are decoded.
 */
static char *read_string(hx_jreader *r, size_t *len, bool key)
{
	const unsigned char *s = (const unsigned char *)r->s;
	size_t start = r->pos + 1, i = start, n = r->n;

	while (i < n && plain[s[i]])
		i++;
	if (i < n && s[i] == '"') { /* the common case: nothing to decode */
		size_t l = i - start;
		char *out = hx_malloc(l + 1);
		memcpy(out, s + start, l);
		out[l] = '\0';
		*len = l;
		r->pos = i + 1;
		return out;
	}

	/* Find the end first so that one allocation fits: decoding never
	 * makes a string longer than its text. A '"' is never part of a
	 * multi-byte character, so this can't cut one. */
	size_t end = i;
	while (end < n && s[end] != '"')
		end += s[end] == '\\' ? 2 : 1;
	if (end >= n)
		return fail(r, n, "unterminated string");
	char *out = hx_malloc(end - start + 1), *o = out;
	memcpy(o, s + start, i - start);
	o += i - start;
	const char *xml = key ? "object key is not valid XML UTF-8" : "string is not valid XML UTF-8";
	while (i < end) {
		unsigned char c = s[i];
		if (plain[c]) {
			*o++ = (char)c;
			i++;
		} else if (c >= 0x80) {
			size_t l = hx_utf8_next((const char *)s + i, end - i, true);
			if (!l) {
				l = hx_utf8_next((const char *)s + i, end - i, false);
				if (!l) {
					fail(r, i, "invalid UTF-8 in a string");
					goto err;
				}
				breach(r, i, xml); /* U+FFFE, U+FFFF */
			}
			memcpy(o, s + i, l);
			o += l;
			i += l;
		} else if (c != '\\') {
			fail(r, i, "control character in a string");
			goto err;
		} else {
			/* the end scan skipped escaped bytes, so s[i + 1] is inside */
			uint32_t cp;
			switch (s[i + 1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				int u = i + 6 <= end ? hex4(s + i + 2) : -1;
				if (u < 0) {
					fail(r, i, "bad \\u escape");
					goto err;
				}
				cp = (uint32_t)u;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					int lo = i + 12 <= end && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s + i + 8) : -1;
					if (lo < 0xdc00 || lo > 0xdfff) {
						fail(r, i, "unpaired surrogate in a string");
						goto err;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
					i += 6;
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(r, i, "unpaired surrogate in a string");
					goto err;
				} else if (cp == 0) {
					fail(r, i, "NUL character in a string");
					goto err;
				}
				i += 4;
				break;
			}
			default:
				fail(r, i, "bad escape in a string");
				goto err;
			}
			if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff)
				breach(r, i, xml);
			o = put_utf8(o, cp);
			i += 2;
		}
	}
	*o = '\0';
	*len = (size_t)(o - out);
	r->pos = end + 1;
	return out;
err:
	free(out);
	return NULL;
}

/* A string value taking s (heap, len bytes): one allocation fewer than
 * xv_strn, and no strlen as in xv_str_own. */
static xv *str_value(char *s, size_t len)
{
	xv *v = xv_nil();
	v->kind = XV_STRING;
	v->u.str.s = s;
	v->u.str.len = len;
	return v;
}

/* ---- numbers ---------------------------------------------------------- */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The number at r->pos. Integers (no fraction, no exponent) must fit
 * int64; the rest are doubles as strtod reads them in the C locale
 * (hx_parse_double) whatever the process locale, with the exact fast path
 * below for short ones. Non-finite results breach the value rules.
 */
static xv *read_number(hx_jreader *r)
{
	const char *s = r->s;
	size_t n = r->n, start = r->pos, i = start;
	bool neg = false, ovf = false;
	uint64_t mant = 0;

	if (s[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= n || !is_digit(s[i]))
		return fail(r, i, "digit expected");
	if (s[i] == '0') {
		i++;
		if (i < n && is_digit(s[i]))
			return fail(r, i, "leading zero in a number");
	} else {
		for (; i < n && is_digit(s[i]); i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (mant > (UINT64_MAX - d) / 10)
				ovf = true;
			else
				mant = mant * 10 + d;
		}
	}
	if (i == n || (s[i] != '.' && s[i] != 'e' && s[i] != 'E')) {
		r->pos = i;
		if (ovf || mant > (uint64_t)INT64_MAX + neg)
			return fail(r, start, "integer out of int64 range");
		/* 0 - 2^63 converts to INT64_MIN (GCC and Clang define this) */
		return xv_int(neg ? (int64_t)(0 - mant) : (int64_t)mant);
	}

	long nfrac = 0, exp = 0;
	if (s[i] == '.') {
		size_t fs = ++i;
		for (; i < n && is_digit(s[i]); i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (mant > (UINT64_MAX - d) / 10)
				ovf = true;
			else if (!ovf)
				mant = mant * 10 + d, nfrac++;
		}
		if (i == fs)
			return fail(r, i, "digit expected after '.'");
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		size_t es = i;
		for (; i < n && is_digit(s[i]); i++)
			if (exp < 100000) /* far beyond any double; stops overflow */
				exp = exp * 10 + (s[i] - '0');
		if (i == es)
			return fail(r, i, "digit expected in the exponent");
		if (eneg)
			exp = -exp;
	}
	r->pos = i;

	double f;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	/* Clinger's fast path: an integer mantissa below 2^53 and a power of
	 * ten up to 1e22 are both exact doubles, so one IEEE multiply or
	 * divide rounds correctly, giving what strtod would. */
	static const double p10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	long e10 = exp - nfrac;
	if (!ovf && mant <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
		f = e10 >= 0 ? (double)mant * p10[e10] : (double)mant / p10[-e10];
		if (neg)
			f = -f;
		return xv_float(f);
	}
#endif
	if (!hx_parse_double(s + start, i - start, &f))
		return fail(r, start, "bad number"); /* not reached: the text was checked */
	if (!isfinite(f))
		breach(r, start, "non-finite number");
	return xv_float(f);
}

/* ---- containers ------------------------------------------------------- */

static void push_val(hx_jreader *r, xv *v)
{
	if (r->nvals == r->capvals) {
		size_t cap = r->capvals ? r->capvals * 2 : 64;
		r->vals = hx_realloc(r->vals, cap * sizeof(*r->vals));
		r->capvals = cap;
	}
	r->vals[r->nvals++] = v;
}

/* Pushes a member whose value comes later; returns its index (the stack
 * may move while the value is read). */
static size_t push_member(hx_jreader *r, char *key, size_t klen)
{
	if (r->nmems == r->capmems) {
		size_t cap = r->capmems ? r->capmems * 2 : 64;
		r->mems = hx_realloc(r->mems, cap * sizeof(*r->mems));
		r->klen = hx_realloc(r->klen, cap * sizeof(*r->klen));
		r->capmems = cap;
	}
	r->mems[r->nmems].key = key;
	r->mems[r->nmems].val = NULL;
	r->klen[r->nmems] = klen;
	return r->nmems++;
}

static xv *read_value(hx_jreader *r, int depth);

static xv *read_array(hx_jreader *r, int depth)
{
	size_t base = r->nvals;

	r->pos++; /* '[' */
	if (hx_jr_peek(r) == ']') {
		r->pos++;
		return xv_array();
	}
	for (;;) {
		xv *v = read_value(r, depth + 1);
		if (!v)
			return NULL;
		push_val(r, v);
		int c = hx_jr_peek(r);
		if (c == ',') {
			r->pos++;
			continue;
		}
		if (c == ']')
			break;
		return fail(r, r->pos, c < 0 ? "unexpected end of data" : "',' or ']' expected");
	}
	r->pos++;
	/* one exact allocation per array, whatever its length */
	size_t cnt = r->nvals - base;
	xv *a = xv_array();
	a->u.arr.items = hx_malloc(cnt * sizeof(xv *));
	memcpy(a->u.arr.items, r->vals + base, cnt * sizeof(xv *));
	a->u.arr.n = a->u.arr.cap = cnt;
	r->nvals = base;
	return a;
}

static inline bool same_key(const hx_jreader *r, size_t a, size_t b)
{
	return r->klen[a] == r->klen[b] && memcmp(r->mems[a].key, r->mems[b].key, r->klen[a]) == 0;
}

/* Member j duplicates live member i: i keeps its position and takes j's
 * value, which is what xv_struct_set() and json-c do. */
static void merge_dup(hx_jreader *r, size_t i, size_t j)
{
	r->dropped = true;
	xv_free(r->mems[i].val);
	r->mems[i].val = r->mems[j].val;
	r->mems[j].val = NULL;
	free(r->mems[j].key);
	r->mems[j].key = NULL;
}

static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15u, w;

	for (; n >= 8; k += 8, n -= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, k, n);
	h = (h ^ w) * 0xff51afd7ed558ccdu;
	return h ^ (h >> 29);
}

/*
 * Merges duplicate keys among members [base, base + cnt) of the stack
 * (marking the dropped ones with a NULL key); true if there were any.
 * Small objects compare pairwise; bigger ones use a hash of the keys,
 * which for the usual no-duplicate record costs one hash per key. Keys
 * crafted to collide could make probing quadratic, so past a probe budget
 * *bail is set and the caller finishes with the O(n log n) sort.
 */
static bool dedupe(hx_jreader *r, size_t base, size_t cnt, bool *bail)
{
	bool any = false;

	*bail = false;
	if (cnt <= 8) {
		for (size_t j = base + 1; j < base + cnt; j++)
			for (size_t i = base; i < j; i++)
				if (r->mems[i].key && same_key(r, i, j)) {
					merge_dup(r, i, j);
					any = true;
					break;
				}
		return any;
	}
	size_t size = 16, budget = 8 * cnt;
	if (cnt >= UINT32_MAX / 2) { /* not from any text we could hold */
		*bail = true;
		return false;
	}
	while (size < cnt * 2)
		size *= 2;
	if (size > r->caphash) {
		free(r->hash);
		r->hash = hx_malloc(size * sizeof(*r->hash));
		r->caphash = size;
	}
	memset(r->hash, 0, size * sizeof(*r->hash));
	for (size_t j = base; j < base + cnt; j++) {
		uint64_t hv = key_hash(r->mems[j].key, r->klen[j]);
		for (size_t h = (size_t)hv & (size - 1);; h = (h + 1) & (size - 1)) {
			size_t slot = r->hash[h].idx;
			if (!slot) {
				r->hash[h].idx = (uint32_t)(j - base + 1);
				r->hash[h].hv = (uint32_t)(hv >> 32);
				break;
			}
			/* the full hash first: keys of one length collide often */
			if (r->hash[h].hv == (uint32_t)(hv >> 32) && same_key(r, base + slot - 1, j)) {
				merge_dup(r, base + slot - 1, j);
				any = true;
				break;
			}
			if (!budget--) {
				*bail = true;
				return any;
			}
		}
	}
	return any;
}

static xv *read_object(hx_jreader *r, int depth)
{
	size_t base = r->nmems;

	r->pos++; /* '{' */
	if (hx_jr_peek(r) == '}') {
		r->pos++;
		return xv_struct();
	}
	for (;;) {
		if (hx_jr_peek(r) != '"')
			return fail(r, r->pos, r->pos < r->n ? "object key expected" : "unexpected end of data");
		size_t klen;
		char *key = read_string(r, &klen, true);
		if (!key)
			return NULL;
		size_t m = push_member(r, key, klen);
		if (hx_jr_peek(r) != ':')
			return fail(r, r->pos, r->pos < r->n ? "':' expected" : "unexpected end of data");
		r->pos++;
		xv *v = read_value(r, depth + 1);
		if (!v)
			return NULL;
		r->mems[m].val = v;
		int c = hx_jr_peek(r);
		if (c == ',') {
			r->pos++;
			continue;
		}
		if (c == '}')
			break;
		return fail(r, r->pos, c < 0 ? "unexpected end of data" : "',' or '}' expected");
	}
	r->pos++;
	size_t cnt = r->nmems - base;
	xv *st = xv_struct();
	bool bail = false;
	/* one exact allocation per struct (a few slots spare after duplicates) */
	st->u.st.m = hx_malloc(cnt * sizeof(xv_member));
	st->u.st.cap = cnt;
	if (cnt < 2 || !dedupe(r, base, cnt, &bail)) {
		memcpy(st->u.st.m, r->mems + base, cnt * sizeof(xv_member));
		st->u.st.n = cnt;
	} else {
		for (size_t i = base; i < base + cnt; i++)
			if (r->mems[i].key)
				st->u.st.m[st->u.st.n++] = r->mems[i];
	}
	r->nmems = base;
	if (bail) { /* merges done so far kept first positions: still right */
		hx_struct_dedupe(st);
		r->dropped = true; /* perhaps */
	}
	return st;
}

static xv *read_value(hx_jreader *r, int depth)
{
	if (depth > HARD_DEPTH)
		return fail(r, r->pos, "nesting too deep");
	int c = hx_jr_peek(r);
	const char *s = r->s + r->pos;
	size_t left = r->n - r->pos;

	switch (c) {
	case '"': {
		size_t len;
		char *str = read_string(r, &len, false);
		return str ? str_value(str, len) : NULL;
	}
	case '{':
	case '[':
		if (depth - r->rule_base >= HX_MAX_DEPTH)
			breach(r, r->pos, DEPTH_MSG);
		return c == '{' ? read_object(r, depth) : read_array(r, depth);
	case 't':
		if (left >= 4 && memcmp(s, "true", 4) == 0) {
			r->pos += 4;
			return xv_bool(true);
		}
		break;
	case 'f':
		if (left >= 5 && memcmp(s, "false", 5) == 0) {
			r->pos += 5;
			return xv_bool(false);
		}
		break;
	case 'n':
		if (left >= 4 && memcmp(s, "null", 4) == 0) {
			r->pos += 4;
			return xv_nil();
		}
		break;
	case -1:
		return fail(r, r->pos, "unexpected end of data");
	default:
		if (c == '-' || is_digit((char)c))
			return read_number(r);
		break;
	}
	return fail(r, r->pos, "unexpected character");
}

xv *hx_jr_value(hx_jreader *r, int depth)
{
	return r->err ? NULL : read_value(r, depth);
}

bool hx_jr_object_open(hx_jreader *r)
{
	if (hx_jr_peek(r) != '{') {
		fail(r, r->pos, "'{' expected");
		return false;
	}
	r->pos++;
	return true;
}

int hx_jr_member(hx_jreader *r, bool first, char **key, size_t *klen)
{
	int c = hx_jr_peek(r);
	if (c == '}') {
		r->pos++;
		return 0;
	}
	if (!first) {
		if (c != ',') {
			fail(r, r->pos, c < 0 ? "unexpected end of data" : "',' or '}' expected");
			return -1;
		}
		r->pos++;
		c = hx_jr_peek(r);
	}
	if (c != '"') {
		fail(r, r->pos, c < 0 ? "unexpected end of data" : "object key expected");
		return -1;
	}
	*key = read_string(r, klen, true);
	if (!*key)
		return -1;
	if (hx_jr_peek(r) != ':') {
		*key = (free(*key), NULL);
		fail(r, r->pos, r->pos < r->n ? "':' expected" : "unexpected end of data");
		return -1;
	}
	r->pos++;
	return 1;
}

/* The first value rule that v (at depth) or anything in it breaches. */
static const char *check_rules(const xv *v, int depth, int base)
{
	const char *why = NULL;

	switch (v->kind) {
	case XV_STRING:
		return hx_valid_xml_utf8(v->u.str.s, v->u.str.len) ? NULL : "string is not valid XML UTF-8";
	case XV_FLOAT:
		return isfinite(v->u.f) ? NULL : "non-finite number";
	case XV_ARRAY:
		if (depth - base >= HX_MAX_DEPTH)
			return DEPTH_MSG;
		for (size_t i = 0; i < v->u.arr.n && !why; i++)
			why = check_rules(v->u.arr.items[i], depth + 1, base);
		return why;
	case XV_STRUCT:
		if (depth - base >= HX_MAX_DEPTH)
			return DEPTH_MSG;
		for (size_t i = 0; i < v->u.st.n && !why; i++) {
			const char *k = v->u.st.m[i].key;
			if (!hx_valid_xml_utf8(k, strlen(k)))
				return "object key is not valid XML UTF-8";
			why = check_rules(v->u.st.m[i].val, depth + 1, base);
		}
		return why;
	default:
		return NULL;
	}
}

const char *hx_jr_rule(const hx_jreader *r, const xv *v, int depth)
{
	/* Rare (a breach and duplicate keys): the value dropped for a later
	 * duplicate may have been the one in breach, as json-c never saw. */
	if (r->rule && r->dropped)
		return check_rules(v, depth, r->rule_base);
	return r->rule;
}

int hx_json_parse(const char *s, size_t n, xv **out, char **errmsg)
{
	hx_jreader r;

	hx_jr_init(&r, s, n);
	xv *v = hx_jr_value(&r, 0);
	if (v && hx_jr_end(&r) && !(r.rule = hx_jr_rule(&r, v, 0))) {
		*out = v;
		hx_jr_clear(&r);
		return 0;
	}
	xv_free(v);
	*out = NULL;
	if (errmsg)
		*errmsg = hx_jr_message(&r);
	hx_jr_clear(&r);
	return -EINVAL;
}
