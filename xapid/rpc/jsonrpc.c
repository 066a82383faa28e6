/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON-RPC v1/v2 codec (jsonrpc.h). json-c parses (strict mode, bounded
 * depth, UTF-8 checked); replies are written by hand (internal.h's JSON
 * emitter) so that member order and number forms are exactly ours.
 */
#include "jsonrpc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"
#include "strbuf.h"
#include "util.h"

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

void jsonrpc_req_clear(jsonrpc_req *req)
{
	if (!req)
		return;
	free(req->method);
	xv_free(req->params);
	free(req->id_json);
	memset(req, 0, sizeof(*req));
}

int jsonrpc_parse_request(const char *buf, size_t len, jsonrpc_req *req, char **errmsg)
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

/* "[p1,p2…]" of an error's parameters. */
static void put_params(strbuf *b, const xerr *e)
{
	sb_putc(b, '[');
	for (size_t i = 0; i < e->nparams; i++) {
		if (i)
			sb_putc(b, ',');
		hx_json_put_string(b, e->params[i], strlen(e->params[i]));
	}
	sb_putc(b, ']');
}

char *jsonrpc_success(int version, const char *id_json, const xv *result, size_t *len)
{
	strbuf b = STRBUF_INIT;

	sb_puts(&b, version == 2 ? "{\"jsonrpc\":\"2.0\",\"result\":" : "{\"result\":");
	if (result)
		hx_json_put_value(&b, result, false);
	else
		sb_puts(&b, "\"\""); /* void */
	if (version != 2)
		sb_puts(&b, ",\"error\":null");
	sb_puts(&b, ",\"id\":");
	sb_puts(&b, id_json ? id_json : "null");
	sb_putc(&b, '}');
	return sb_steal(&b, len);
}

char *jsonrpc_error(int version, const char *id_json, const xerr *e, size_t *len)
{
	strbuf b = STRBUF_INIT;

	if (version == 2) {
		sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":");
		hx_json_put_string(&b, e->code, strlen(e->code));
		sb_puts(&b, ",\"data\":");
		put_params(&b, e);
		sb_putc(&b, '}');
	} else {
		sb_puts(&b, "{\"result\":null,\"error\":[");
		hx_json_put_string(&b, e->code, strlen(e->code));
		for (size_t i = 0; i < e->nparams; i++) {
			sb_putc(&b, ',');
			hx_json_put_string(&b, e->params[i], strlen(e->params[i]));
		}
		sb_putc(&b, ']');
	}
	sb_puts(&b, ",\"id\":");
	sb_puts(&b, id_json ? id_json : "null");
	sb_putc(&b, '}');
	return sb_steal(&b, len);
}

char *jsonrpc_value_to_json(const xv *v)
{
	strbuf b = STRBUF_INIT;
	hx_json_put_value(&b, v, false);
	return sb_steal(&b, NULL);
}

int jsonrpc_value_from_json(const char *buf, size_t len, xv **out, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	*out = NULL;
	json_object *o;
	if (parse_json(buf, len, &o, errmsg) < 0)
		return -EINVAL;
	*out = from_json(o, 0, errmsg);
	json_object_put(o);
	return *out ? 0 : -EINVAL;
}

char *jsonrpc_build_request(const char *method, const xv *params, size_t *len)
{
	strbuf b = STRBUF_INIT;

	sb_puts(&b, "{\"jsonrpc\":\"2.0\",\"method\":");
	hx_json_put_string(&b, method, strlen(method));
	sb_puts(&b, ",\"params\":");
	if (params && params->kind == XV_ARRAY)
		hx_json_put_value(&b, params, false);
	else
		sb_puts(&b, "[]");
	sb_puts(&b, ",\"id\":0}");
	return sb_steal(&b, len);
}

/* A JSON element of an error list as an xerr parameter string. */
static char *err_param(json_object *o)
{
	if (json_object_is_type(o, json_type_string))
		return hx_strndup(json_object_get_string(o), (size_t)json_object_get_string_len(o));
	return hx_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

int jsonrpc_parse_reply(const char *buf, size_t len, xv **result, xerr **err, char **errmsg)
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
			char *code = err_param(json_object_array_get_idx(e, 0));
			*err = xerr_new(code, NULL);
			free(code);
			for (size_t i = 1; i < json_object_array_length(e); i++) {
				char *p = err_param(json_object_array_get_idx(e, i));
				xerr_add(*err, p);
				free(p);
			}
		} else if (json_object_is_type(e, json_type_object)) {
			json_object *msg, *data;
			if (!json_object_object_get_ex(e, "message", &msg) || !msg) {
				jfail(errmsg, "error object without a message");
				goto out;
			}
			char *code = err_param(msg);
			*err = xerr_new(code, NULL);
			free(code);
			if (json_object_object_get_ex(e, "data", &data) &&
			    json_object_is_type(data, json_type_array)) {
				for (size_t i = 0; i < json_object_array_length(data); i++) {
					char *p = err_param(json_object_array_get_idx(data, i));
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
