/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Differential fuzz target: our JSON reader (jsonparse.c, through the
 * public jsonrpc_* entry points) against the json-c based implementation
 * it replaced, kept below verbatim as the reference (ref_*). For every
 * input, as a plain value, a request and a reply: both accept or both
 * reject, and what both accept reads the same (values exactly: kinds,
 * member order, float bits).
 *
 * The documented differences are where json-c is laxer than RFC 8259 and
 * our reader refuses: "1.", "-01", "00", NaN/Infinity, raw control
 * characters in strings, and UTF-8 that json-c's validator lets through
 * (overlongs, surrogates, > U+10FFFF). rfc_strict() finds those in the raw
 * text independently of both parsers; an input that has one must be
 * refused by ours. (The other differences the old code already handled
 * with pre-scans and its value conversion — the int64 range, surrogate
 * escapes, \u0000, XML-legality, depth — are part of the reference.)
 * Non-string error parameters, which json-c and our emitter render as
 * JSON differently ("\/" and float text), are compared by count only.
 *
 * json-c is a dependency of this target only.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "internal.h"
#include "jsonrpc.h"
#include "strbuf.h"
#include "util.h"

/* ---- the reference: the json-c based parser as it was ---------------- */

static bool ref_nonstring; /* some error parameter was not a string */

/* Room for the envelope (object, params array) above HX_MAX_DEPTH values;
 * the exact value limit is enforced while converting. */
#define TOKENER_DEPTH (HX_MAX_DEPTH + 3)

static int jfail(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jfail(char **errmsg, const char *fmt, ...)
{
	if (errmsg && !*errmsg) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(errmsg, fmt, ap) < 0)
			hx_oom();
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * json-c clamps integer literals beyond int64 to INT64_MIN/INT64_MAX
 * without saying so. Find such literals in the raw text first: outside
 * strings, every -?digits token without '.', 'e' or 'E' must fit in int64.
 */
static int check_int_literals(const char *s, size_t n, char **errmsg)
{
	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (c != '-' && (c < '0' || c > '9')) {
			i++;
			continue;
		}
		size_t start = i;
		bool integral = true;
		for (i++; i < n && strchr("0123456789+-.eE", s[i]) && s[i]; i++)
			if (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-')
				integral = false;
		int64_t v;
		if (integral && (i - start > 1 || c != '-') && !hx_parse_int64(s + start, i - start, &v))
			return jfail(errmsg, "integer out of int64 range");
	}
	return 0;
}

static int hex4(const char *s, size_t n, size_t i)
{
	if (i + 4 > n)
		return -1;
	int v = 0;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Escapes json-c would get wrong, found in the raw text: an unpaired
 * surrogate ("\\ud800", which json-c quietly turns into U+FFFD; XAPI refuses
 * it) and \\u0000 (not legal in XML; json-c cuts object keys there).
 */
static int check_surrogates(const char *s, size_t n, char **errmsg)
{
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			in_str = !in_str;
			continue;
		}
		if (!in_str || s[i] != '\\')
			continue;
		if (i + 1 < n && s[i + 1] != 'u') {
			i++;
			continue;
		}
		int u = hex4(s, n, i + 2);
		if (u == 0) /* not legal in XML; json-c would also cut keys there */
			return jfail(errmsg, "NUL character in a string");
		if (u >= 0xdc00 && u <= 0xdfff)
			return jfail(errmsg, "unpaired surrogate in a string");
		if (u >= 0xd800 && u <= 0xdbff) {
			int lo = i + 7 < n && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s, n, i + 8) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return jfail(errmsg, "unpaired surrogate in a string");
			i += 6; /* the low half is checked here, skip it */
		}
		i += 5;
	}
	return 0;
}

/*
 * Parses a whole JSON text (nothing but blanks after it) into *out; the
 * literal null gives 0 with *out NULL, as json-c represents it.
 */
static int parse_json(const char *buf, size_t len, json_object **out, char **errmsg)
{
	int rc = -EINVAL;

	*out = NULL;
	if (len >= INT_MAX)
		return jfail(errmsg, "JSON text too large");
	if (check_int_literals(buf, len, errmsg) < 0 || check_surrogates(buf, len, errmsg) < 0)
		return -EINVAL;
	char *copy = hx_malloc(len + 1);
	if (len)
		memcpy(copy, buf, len);
	copy[len] = '\0';
	struct json_tokener *tok = json_tokener_new_ex(TOKENER_DEPTH);
	if (!tok)
		hx_oom();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, copy, (int)len + 1);
	enum json_tokener_error e = json_tokener_get_error(tok);
	if (e != json_tokener_success) {
		jfail(errmsg, "JSON error at offset %zu: %s", json_tokener_get_parse_end(tok),
		      json_tokener_error_desc(e));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!copy[i] || !strchr(" \t\r\n", copy[i])) {
			jfail(errmsg, "trailing data after JSON at offset %zu", i);
			goto out;
		}
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	free(copy);
	return rc;
}

/* Converts a json-c tree (NULL is JSON null) into a value. depth counts
 * the arrays/objects around o. */
static xv *from_json(json_object *o, int depth, char **errmsg)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return xv_nil();
	case json_type_boolean:
		return xv_bool(json_object_get_boolean(o));
	case json_type_int:
		return xv_int(json_object_get_int64(o));
	case json_type_double: {
		double f = json_object_get_double(o);
		if (!isfinite(f)) {
			jfail(errmsg, "non-finite number");
			return NULL;
		}
		return xv_float(f);
	}
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t l = (size_t)json_object_get_string_len(o);
		if (!hx_valid_xml_utf8(s, l)) {
			jfail(errmsg, "string is not valid XML UTF-8");
			return NULL;
		}
		return xv_strn(s, l);
	}
	case json_type_array: {
		if (depth >= HX_MAX_DEPTH) {
			jfail(errmsg, "values nested deeper than %d", HX_MAX_DEPTH);
			return NULL;
		}
		xv *a = xv_array();
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++) {
			xv *item = from_json(json_object_array_get_idx(o, i), depth + 1, errmsg);
			if (!item)
				return xv_free(a);
			xv_array_push(a, item);
		}
		return a;
	}
	case json_type_object: {
		if (depth >= HX_MAX_DEPTH) {
			jfail(errmsg, "values nested deeper than %d", HX_MAX_DEPTH);
			return NULL;
		}
		xv *st = xv_struct();
		json_object_object_foreach(o, key, val) {
			if (!hx_valid_xml_utf8(key, strlen(key))) {
				jfail(errmsg, "object key is not valid XML UTF-8");
				return xv_free(st);
			}
			xv *item = from_json(val, depth + 1, errmsg);
			if (!item)
				return xv_free(st);
			xv_struct_append(st, hx_strdup(key), item);
		}
		/* Keys are unique: json-c keeps the last of duplicates, and a key
		 * can't be cut short at a NUL (\u0000 is refused up front). */
		return st;
	}
	}
	jfail(errmsg, "unknown JSON type");
	return NULL;
}

static int ref_parse_request(const char *buf, size_t len, jsonrpc_req *req, char **errmsg)
{
	json_object *root, *m, *ps, *id, *ver;
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	if (errmsg)
		*errmsg = NULL;
	if (parse_json(buf, len, &root, errmsg) < 0)
		return -EINVAL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		jfail(errmsg, "the request is not a JSON object");
		goto out;
	}
	req->version = json_object_object_get_ex(root, "jsonrpc", &ver) &&
				       json_object_is_type(ver, json_type_string) &&
				       strcmp(json_object_get_string(ver), "2.0") == 0
			       ? 2
			       : 1;
	if (!json_object_object_get_ex(root, "id", &id) || !id) {
		jfail(errmsg, "the request has no id (notifications are not supported)");
		goto out;
	}
	if (json_object_is_type(id, json_type_string)) {
		const char *s = json_object_get_string(id);
		size_t l = (size_t)json_object_get_string_len(id);
		strbuf b = STRBUF_INIT;
		hx_json_put_string(&b, s, l);
		req->id_json = sb_steal(&b, NULL);
	} else if (json_object_is_type(id, json_type_int) || json_object_is_type(id, json_type_double)) {
		req->id_json = hx_strdup(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	} else {
		jfail(errmsg, "the request id must be a number or a string");
		goto out;
	}
	if (!json_object_object_get_ex(root, "method", &m) ||
	    !json_object_is_type(m, json_type_string) || json_object_get_string_len(m) == 0) {
		jfail(errmsg, "the request has no method name");
		goto out;
	}
	const char *ms = json_object_get_string(m);
	size_t ml = (size_t)json_object_get_string_len(m);
	if (!hx_valid_xml_utf8(ms, ml) || strlen(ms) != ml) {
		jfail(errmsg, "the method name is not valid UTF-8");
		goto out;
	}
	req->method = hx_strndup(ms, ml);
	if (!json_object_object_get_ex(root, "params", &ps) || !ps) {
		req->params = xv_array();
	} else if (json_object_is_type(ps, json_type_array)) {
		req->params = from_json(ps, -1, errmsg); /* the list itself is no nesting */
		if (!req->params)
			goto out;
	} else {
		jfail(errmsg, "params must be an array");
		goto out;
	}
	rc = 0;
out:
	json_object_put(root);
	if (rc < 0) {
		char *keep_id = req->id_json; /* lets callers answer with the id */
		req->id_json = NULL;
		jsonrpc_req_clear(req);
		req->id_json = keep_id;
		if (errmsg && !*errmsg)
			jfail(errmsg, "invalid JSON-RPC request");
	}
	return rc;
}

/* A JSON element of an error list as an xerr parameter string. */
static char *err_param(json_object *o, bool *nonstring)
{
	if (json_object_is_type(o, json_type_string))
		return hx_strndup(json_object_get_string(o), (size_t)json_object_get_string_len(o));
	*nonstring = true;
	return hx_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static int ref_parse_reply(const char *buf, size_t len, xv **result, xerr **err, char **errmsg)
{
	json_object *root, *e, *r;
	int rc = -EINVAL;

	*result = NULL;
	*err = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (parse_json(buf, len, &root, errmsg) < 0)
		return -EINVAL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		jfail(errmsg, "the reply is not a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(root, "error", &e) && e) {
		if (json_object_is_type(e, json_type_array) && json_object_array_length(e) > 0) {
			char *code = err_param(json_object_array_get_idx(e, 0), &ref_nonstring);
			*err = xerr_new(code, NULL);
			free(code);
			for (size_t i = 1; i < json_object_array_length(e); i++) {
				char *p = err_param(json_object_array_get_idx(e, i), &ref_nonstring);
				xerr_add(*err, p);
				free(p);
			}
		} else if (json_object_is_type(e, json_type_object)) {
			json_object *msg, *data;
			if (!json_object_object_get_ex(e, "message", &msg) || !msg) {
				jfail(errmsg, "error object without a message");
				goto out;
			}
			char *code = err_param(msg, &ref_nonstring);
			*err = xerr_new(code, NULL);
			free(code);
			if (json_object_object_get_ex(e, "data", &data) &&
			    json_object_is_type(data, json_type_array)) {
				for (size_t i = 0; i < json_object_array_length(data); i++) {
					char *p = err_param(json_object_array_get_idx(data, i), &ref_nonstring);
					xerr_add(*err, p);
					free(p);
				}
			}
		} else {
			jfail(errmsg, "the reply's error is neither a list nor an object");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!json_object_object_get_ex(root, "result", &r)) {
		jfail(errmsg, "the reply has neither result nor error");
		goto out;
	}
	*result = from_json(r, 0, errmsg);
	rc = *result ? 0 : -EINVAL;
out:
	json_object_put(root);
	return rc;
}

/* ---- the documented differences, from the raw text -------------------- */

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s[0..n) is an RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool rfc_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && digit(s[i]))
		while (i < n && digit(s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && digit(s[i]))
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && digit(s[i]))
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

/*
 * False when the text has something json-c accepts that RFC 8259 (and our
 * reader) does not: a number token outside strings that is not an RFC
 * number, a bare word other than true/false/null (NaN, Infinity), a raw
 * byte < 0x20 inside a string, or a string that is not strict UTF-8.
 * Strings are delimited as json-c does (a backslash escapes the next byte).
 */
static bool rfc_strict(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"';) {
				unsigned char b = (unsigned char)s[i];
				if (b < 0x20)
					return false;
				if (b == '\\') {
					i += 2;
				} else if (b >= 0x80) {
					size_t l = hx_utf8_next(s + i, n - i, false);
					if (!l)
						return false;
					i += l;
				} else {
					i++;
				}
			}
			i++;
			continue;
		}
		if (c == '-' || digit(c)) {
			size_t st = i;
			while (i < n && (digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
					 s[i] == '+' || s[i] == '-'))
				i++;
			if (!rfc_number(s + st, i - st))
				return false;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			size_t st = i;
			while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
				i++;
			size_t l = i - st;
			if (!((l == 4 && !memcmp(s + st, "true", 4)) || (l == 5 && !memcmp(s + st, "false", 5)) ||
			      (l == 4 && !memcmp(s + st, "null", 4))))
				return false;
			continue;
		}
		i++;
	}
	return true;
}

/* ---- comparison ------------------------------------------------------- */

/* Exactly the same value: kinds, bytes, member order, float bits. */
static bool same(const xv *a, const xv *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case XV_STRING:
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case XV_FLOAT:
		return !memcmp(&a->u.f, &b->u.f, sizeof(double));
	case XV_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!same(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case XV_STRUCT:
		if (a->u.st.n != b->u.st.n)
			return false;
		for (size_t i = 0; i < a->u.st.n; i++)
			if (strcmp(a->u.st.m[i].key, b->u.st.m[i].key) ||
			    !same(a->u.st.m[i].val, b->u.st.m[i].val))
				return false;
		return true;
	default:
		return xv_equal(a, b);
	}
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void report(const char *what, const char *buf, size_t size, int rc_new, const char *err_new,
		   int rc_ref, const char *err_ref)
{
	fprintf(stderr, "%s differs on %zu bytes: ours %d (%s), json-c %d (%s)\n", what, size, rc_new,
		err_new ? err_new : "-", rc_ref, err_ref ? err_ref : "-");
	fprintf(stderr, "input: %.*s\n", (int)(size < 400 ? size : 400), buf);
}

static void diff_value(const char *buf, size_t size, bool strict)
{
	xv *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL;
	int ra = jsonrpc_value_from_json(buf, size, &a, &ea);
	json_object *o;
	int rb = parse_json(buf, size, &o, &eb);
	if (rb == 0) {
		b = from_json(o, 0, &eb);
		json_object_put(o);
		rb = b ? 0 : -EINVAL;
	}
	bool want_ok = rb == 0 && strict;
	if ((ra == 0) != want_ok || (ra == 0 && !same(a, b)) || (ra != 0 && !ea) || (ra == 0 && ea)) {
		report("value", buf, size, ra, ea, rb, eb);
		abort();
	}
	xv_free(a);
	xv_free(b);
	free(ea);
	free(eb);
}

static void diff_request(const char *buf, size_t size, bool strict)
{
	jsonrpc_req a, b;
	char *ea = NULL, *eb = NULL;
	int ra = jsonrpc_parse_request(buf, size, &a, &ea);
	int rb = ref_parse_request(buf, size, &b, &eb);
	bool want_ok = rb == 0 && strict;
	bool ok = (ra == 0) == want_ok && (ra == 0 || ea);
	if (ok && ra == 0)
		ok = a.version == b.version && same_str(a.method, b.method) && same_str(a.id_json, b.id_json) &&
		     same(a.params, b.params);
	if (ok && ra != 0 && strict) /* the id an error answer carries */
		ok = same_str(a.id_json, b.id_json);
	if (!ok) {
		report("request", buf, size, ra, ea, rb, eb);
		fprintf(stderr, "ids: %s / %s\n", a.id_json ? a.id_json : "-", b.id_json ? b.id_json : "-");
		abort();
	}
	jsonrpc_req_clear(&a);
	jsonrpc_req_clear(&b);
	free(ea);
	free(eb);
}

static void diff_reply(const char *buf, size_t size, bool strict)
{
	xv *va = NULL, *vb = NULL;
	xerr *xa = NULL, *xb = NULL;
	char *ea = NULL, *eb = NULL;
	ref_nonstring = false;
	int ra = jsonrpc_parse_reply(buf, size, &va, &xa, &ea);
	int rb = ref_parse_reply(buf, size, &vb, &xb, &eb);
	bool want_ok = rb == 0 && strict;
	bool ok = (ra == 0) == want_ok && (ra == 0 || ea);
	if (ok && ra == 0) {
		ok = same(va, vb) && !xa == !xb;
		/* A code or parameter that is not a JSON string is compared only by
		 * count: json-c spells numbers and '/' differently from us. */
		if (ok && xa)
			ok = xa->nparams == xb->nparams && (ref_nonstring || !strcmp(xa->code, xb->code));
		for (size_t i = 0; ok && xa && !ref_nonstring && i < xa->nparams; i++)
			ok = !strcmp(xa->params[i], xb->params[i]);
	}
	if (!ok) {
		report("reply", buf, size, ra, ea, rb, eb);
		abort();
	}
	xv_free(va);
	xv_free(vb);
	xerr_free(xa);
	xerr_free(xb);
	free(ea);
	free(eb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	bool strict = rfc_strict(buf, size);

	diff_value(buf, size, strict);
	diff_request(buf, size, strict);
	diff_reply(buf, size, strict);
	return 0;
}
