/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON-RPC v1/v2 codec (jsonrpc.h). Our own JSON reader (jsonparse.c)
 * parses, straight into values; replies are written by hand (internal.h's
 * JSON emitter) so that member order and number forms are exactly ours.
 */
#include "jsonrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "strbuf.h"
#include "util.h"

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

/* A member of the envelope (the request's or reply's top-level object)
 * that the caller wants. */
typedef struct env_member {
	const char *name;
	int rule_base;    /* where nesting starts to count towards HX_MAX_DEPTH */
	xv *val;          /* of the last occurrence, as JSON parsers keep */
	const char *rule; /* the first value rule it breaches, if any */
	size_t start, end; /* its text */
} env_member;

/*
 * Reads buf as one JSON object, keeping the values of the members named
 * in m[0..nm) and dropping the others. The value rules only matter for
 * params or result, and only once the caller knows it uses them (a v1
 * error reply's result is ignored), so they are recorded per member
 * rather than enforced; everything else about the text is checked for
 * all of it. 0, or -EINVAL with *errmsg and every m[].val NULL.
 */
static int read_envelope(const char *buf, size_t len, env_member *m, size_t nm, const char *what,
			 char **errmsg)
{
	hx_jreader r;
	int rc = -EINVAL;

	hx_jr_init(&r, buf, len);
	if (hx_jr_peek(&r) != '{') {
		/* the wrong shape, if it is JSON at all */
		xv *v = hx_jr_value(&r, 0);
		if (v && hx_jr_end(&r))
			jfail(errmsg, "the %s is not a JSON object", what);
		xv_free(v);
		goto out;
	}
	hx_jr_object_open(&r);
	for (bool first = true;; first = false) {
		char *key;
		size_t klen;
		int more = hx_jr_member(&r, first, &key, &klen);
		if (more < 0)
			goto out;
		if (!more)
			break;
		env_member *em = NULL;
		for (size_t i = 0; i < nm && !em; i++)
			if (strlen(m[i].name) == klen && memcmp(m[i].name, key, klen) == 0)
				em = &m[i];
		free(key);
		r.rule = NULL;
		r.dropped = false;
		r.rule_base = em ? em->rule_base : 1;
		hx_jr_peek(&r);
		size_t start = r.pos;
		xv *v = hx_jr_value(&r, 1);
		if (!v)
			goto out;
		if (!em) {
			xv_free(v);
			continue;
		}
		xv_free(em->val);
		em->val = v;
		em->rule = hx_jr_rule(&r, v, 1);
		em->start = start;
		em->end = r.pos;
	}
	if (hx_jr_end(&r))
		rc = 0;
out:
	if (rc < 0) {
		if (errmsg && !*errmsg)
			*errmsg = hx_jr_message(&r);
		for (size_t i = 0; i < nm; i++)
			m[i].val = xv_free(m[i].val);
	}
	hx_jr_clear(&r);
	return rc;
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
	/* the params list itself is no nesting: its items count from 0 */
	env_member m[] = { { .name = "jsonrpc", .rule_base = 1 },
			   { .name = "id", .rule_base = 1 },
			   { .name = "method", .rule_base = 1 },
			   { .name = "params", .rule_base = 2 } };
	const xv *ver, *id, *meth;
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	if (errmsg)
		*errmsg = NULL;
	if (read_envelope(buf, len, m, 4, "request", errmsg) < 0)
		return -EINVAL;
	ver = m[0].val;
	id = m[1].val;
	meth = m[2].val;
	req->version = ver && ver->kind == XV_STRING && strcmp(ver->u.str.s, "2.0") == 0 ? 2 : 1;
	if (!id || id->kind == XV_NIL) {
		jfail(errmsg, "the request has no id (notifications are not supported)");
		goto out;
	}
	if (id->kind == XV_STRING) {
		strbuf b = STRBUF_INIT;
		hx_json_put_string(&b, id->u.str.s, id->u.str.len);
		req->id_json = sb_steal(&b, NULL);
	} else if (id->kind == XV_INT) {
		req->id_json = hx_asprintf("%" PRId64, id->u.i);
	} else if (id->kind == XV_FLOAT) {
		/* echoed as sent: a client matches "1.50" with "1.50" */
		req->id_json = hx_strndup(buf + m[1].start, m[1].end - m[1].start);
	} else {
		jfail(errmsg, "the request id must be a number or a string");
		goto out;
	}
	if (!meth || meth->kind != XV_STRING || meth->u.str.len == 0) {
		jfail(errmsg, "the request has no method name");
		goto out;
	}
	if (!hx_valid_xml_utf8(meth->u.str.s, meth->u.str.len)) {
		jfail(errmsg, "the method name is not valid UTF-8");
		goto out;
	}
	req->method = hx_strndup(meth->u.str.s, meth->u.str.len);
	if (!m[3].val || m[3].val->kind == XV_NIL) {
		req->params = xv_array();
	} else if (m[3].val->kind == XV_ARRAY) {
		if (m[3].rule) {
			jfail(errmsg, "%s", m[3].rule);
			goto out;
		}
		req->params = m[3].val;
		m[3].val = NULL;
	} else {
		jfail(errmsg, "params must be an array");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < 4; i++)
		xv_free(m[i].val);
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
	return hx_json_parse(buf, len, out, errmsg);
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

/* A JSON element of an error list as an xerr parameter string: strings
 * as they are, anything else as compact JSON. */
static char *err_param(const xv *v)
{
	if (v->kind == XV_STRING)
		return hx_strndup(v->u.str.s, v->u.str.len);
	return jsonrpc_value_to_json(v);
}

/* An xerr with code and list's items from the first on as parameters. */
static xerr *err_from(const xv *code, const xv *list, size_t first)
{
	char *c = err_param(code);
	xerr *e = xerr_new(c, NULL);
	free(c);
	for (size_t i = first; list && list->kind == XV_ARRAY && i < list->u.arr.n; i++) {
		char *p = err_param(list->u.arr.items[i]);
		xerr_add(e, p);
		free(p);
	}
	return e;
}

int jsonrpc_parse_reply(const char *buf, size_t len, xv **result, xerr **err, char **errmsg)
{
	env_member m[] = { { .name = "result", .rule_base = 1 }, { .name = "error", .rule_base = 1 } };
	const xv *e;
	int rc = -EINVAL;

	*result = NULL;
	*err = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (read_envelope(buf, len, m, 2, "reply", errmsg) < 0)
		return -EINVAL;
	e = m[1].val;
	if (e && e->kind != XV_NIL) {
		if (e->kind == XV_ARRAY && e->u.arr.n > 0) {
			*err = err_from(e->u.arr.items[0], e, 1);
		} else if (e->kind == XV_STRUCT) {
			const xv *msg = xv_struct_get(e, "message"), *data = xv_struct_get(e, "data");
			if (!msg || msg->kind == XV_NIL) {
				jfail(errmsg, "error object without a message");
				goto out;
			}
			*err = err_from(msg, data, 0); /* data counts only if a list */
		} else {
			jfail(errmsg, "the reply's error is neither a list nor an object");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (!m[0].val) {
		jfail(errmsg, "the reply has neither result nor error");
		goto out;
	}
	if (m[0].rule) {
		jfail(errmsg, "%s", m[0].rule);
		goto out;
	}
	*result = m[0].val;
	m[0].val = NULL;
	rc = 0;
out:
	xv_free(m[0].val);
	xv_free(m[1].val);
	return rc;
}
