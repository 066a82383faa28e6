/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XML-RPC codec (xmlrpc.h). Output is built by hand so the bytes are
 * exactly XAPI's; input goes through libxml2 with DTDs refused outright,
 * no entity substitution, no network, and its diagnostics kept off stderr.
 */
#include "xmlrpc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "internal.h"
#include "util.h"

#define XML_PROLOG "<?xml version=\"1.0\"?>"

/* ---- encoding -------------------------------------------------------- */

/*
 * Escaped text. Text that is not XML-legal UTF-8 never comes out of the
 * parsers, but internal strings (say a backend's stderr) might carry it:
 * each offending byte becomes U+FFFD so that the document stays
 * well-formed for the client.
 */
static void put_text(strbuf *b, const char *s, size_t n)
{
	if (hx_valid_xml_utf8(s, n)) {
		sb_put_xml_escaped(b, s, n);
		return;
	}
	size_t l;
	char *clean = hx_utf8_sanitize(s, n, true, &l);
	sb_put_xml_escaped(b, clean, l);
	free(clean);
}

static void put_inner(strbuf *b, const xv *v)
{
	char buf[40];

	switch (v->kind) {
	case XV_NIL:
		sb_puts(b, "<nil/>");
		break;
	case XV_STRING:
		put_text(b, v->u.str.s, v->u.str.len);
		break;
	case XV_INT:
		if ((v->flags & XVF_I32) && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX)
			sb_printf(b, "<i4>%" PRId64 "</i4>", v->u.i);
		else
			sb_printf(b, "%" PRId64, v->u.i);
		break;
	case XV_FLOAT: {
		/* XAPI's %.16g, except where 16 digits round a finite value past
		 * DBL_MAX (1.797693134862316e+308 reads back as inf). */
		double back;
		hx_fmt_double(buf, sizeof(buf), 16, v->u.f);
		if (isfinite(v->u.f) && hx_parse_double(buf, strlen(buf), &back) && !isfinite(back))
			hx_fmt_double(buf, sizeof(buf), 17, v->u.f);
		sb_puts(b, "<double>");
		sb_puts(b, buf);
		sb_puts(b, "</double>");
		break;
	}
	case XV_BOOL:
		sb_puts(b, v->u.b ? "<boolean>1</boolean>" : "<boolean>0</boolean>");
		break;
	case XV_DATETIME:
		xv_datetime_format(v->u.dt, buf, sizeof(buf));
		sb_puts(b, "<dateTime.iso8601>");
		sb_puts(b, buf);
		sb_puts(b, "</dateTime.iso8601>");
		break;
	case XV_ARRAY:
		sb_puts(b, "<array><data>");
		for (size_t i = 0; i < v->u.arr.n; i++)
			xmlrpc_put_value(b, v->u.arr.items[i]);
		sb_puts(b, "</data></array>");
		break;
	case XV_STRUCT:
		sb_puts(b, "<struct>");
		for (size_t i = 0; i < v->u.st.n; i++) {
			const char *k = v->u.st.m[i].key;
			sb_puts(b, "<member><name>");
			put_text(b, k, strlen(k));
			sb_puts(b, "</name>");
			xmlrpc_put_value(b, v->u.st.m[i].val);
			sb_puts(b, "</member>");
		}
		sb_puts(b, "</struct>");
		break;
	}
}

void xmlrpc_put_value(strbuf *b, const xv *v)
{
	sb_puts(b, "<value>");
	if (v)
		put_inner(b, v);
	else
		sb_puts(b, "<nil/>");
	sb_puts(b, "</value>");
}

char *xmlrpc_value_string(const xv *v)
{
	strbuf b = STRBUF_INIT;
	xmlrpc_put_value(&b, v);
	return sb_steal(&b, NULL);
}

char *xmlrpc_response_raw(const xv *v, size_t *len)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, XML_PROLOG "<methodResponse><params><param>");
	xmlrpc_put_value(&b, v);
	sb_puts(&b, "</param></params></methodResponse>");
	return sb_steal(&b, len);
}

char *xmlrpc_response_success(const xv *v, size_t *len)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, XML_PROLOG "<methodResponse><params><param><value><struct>"
		    "<member><name>Status</name><value>Success</value></member>"
		    "<member><name>Value</name>");
	if (v)
		xmlrpc_put_value(&b, v);
	else
		sb_puts(&b, "<value></value>"); /* void */
	sb_puts(&b, "</member></struct></value></param></params></methodResponse>");
	return sb_steal(&b, len);
}

char *xmlrpc_response_failure(const xerr *e, size_t *len)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, XML_PROLOG "<methodResponse><params><param><value><struct>"
		    "<member><name>Status</name><value>Failure</value></member>"
		    "<member><name>ErrorDescription</name><value><array><data>");
	sb_puts(&b, "<value>");
	put_text(&b, e->code, strlen(e->code));
	sb_puts(&b, "</value>");
	for (size_t i = 0; i < e->nparams; i++) {
		sb_puts(&b, "<value>");
		put_text(&b, e->params[i], strlen(e->params[i]));
		sb_puts(&b, "</value>");
	}
	sb_puts(&b, "</data></array></value></member></struct></value></param></params>"
		    "</methodResponse>");
	return sb_steal(&b, len);
}

char *xmlrpc_build_call(const char *method, const xv *params, size_t *len)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, XML_PROLOG "<methodCall><methodName>");
	put_text(&b, method, strlen(method));
	sb_puts(&b, "</methodName><params>");
	for (size_t i = 0; params && i < xv_len(params) && params->kind == XV_ARRAY; i++) {
		sb_puts(&b, "<param>");
		xmlrpc_put_value(&b, params->u.arr.items[i]);
		sb_puts(&b, "</param>");
	}
	sb_puts(&b, "</params></methodCall>");
	return sb_steal(&b, len);
}

/* ---- parsing: libxml2 front end -------------------------------------- */

struct xp {
	char *err;    /* first error, heap */
	bool doctype; /* a DOCTYPE was seen: the document is refused */
};

static int fail(struct xp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct xp *p, const char *fmt, ...)
{
	if (!p->err) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&p->err, fmt, ap) < 0)
			hx_oom();
		va_end(ap);
	}
	return -EINVAL;
}

/* SAX hook: any DOCTYPE stops the parse before its declarations are read. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xp *p = ctxt->_private;

	p->doctype = true;
	xmlStopParser(ctxt);
}

/* Structured error sink: keeps libxml2 quiet; the message is read back later. */
static void on_error(void *ctx, xmlErrorPtr e)
{
}

/* libxml2 also prints some encoding diagnostics through its (per-thread)
 * generic handler; this one drops them. */
static void on_generic_error(void *ctx, const char *fmt, ...)
{
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* xmlInitParser is not safe to race from several threads: run it once. */
static void xml_init(void)
{
	xmlInitParser();
}

/* Parses buf into a DOM, or returns NULL with p->err set. */
static xmlDocPtr read_doc(struct xp *p, const char *buf, size_t len)
{
	if (len > INT_MAX) {
		fail(p, "document too large");
		return NULL;
	}
	pthread_once(&xml_once, xml_init);
	xmlGenericErrorFunc old_handler = xmlGenericError;
	void *old_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, on_generic_error);
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		hx_oom();
	ctxt->_private = p;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->serror = on_error;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf ? buf : "", (int)len, NULL, NULL,
					  XML_PARSE_NONET | XML_PARSE_NOCDATA |
					  XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (p->doctype) {
		xmlFreeDoc(doc);
		doc = NULL;
		fail(p, "DOCTYPE declarations are not accepted");
	} else if (!doc || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		if (e && e->message) {
			size_t l = strlen(e->message);
			while (l && (e->message[l - 1] == '\n' || e->message[l - 1] == ' '))
				l--;
			fail(p, "XML error at line %d: %.*s", e->line, (int)l, e->message);
			for (char *c = p->err; c && *c; c++)
				if (*c == '\n')
					*c = ' '; /* libxml2 messages may span lines */
		} else {
			fail(p, "malformed XML");
		}
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	xmlSetGenericErrorFunc(old_ctx, old_handler);
	return doc;
}

/* ---- parsing: the tree walk ------------------------------------------ */

static bool name_is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

static bool blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/*
 * Moves *n to the first element at or after it, skipping comments,
 * processing instructions and whitespace-only text. Text with content
 * where an element belongs is an error.
 */
static int skip_to_elem(struct xp *p, xmlNodePtr *n)
{
	for (; *n; *n = (*n)->next) {
		switch ((*n)->type) {
		case XML_ELEMENT_NODE:
			return 0;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (!blank((*n)->content))
				return fail(p, "unexpected text in <%s>",
					    (*n)->parent ? (const char *)(*n)->parent->name : "?");
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return fail(p, "unexpected XML node");
		}
	}
	return 0;
}

/* The one element child of parent named want, with nothing else beside it. */
static int only_child(struct xp *p, xmlNodePtr parent, const char *want, xmlNodePtr *out)
{
	xmlNodePtr n = parent->children;

	if (skip_to_elem(p, &n) < 0)
		return -EINVAL;
	if (!n || !name_is(n, want))
		return fail(p, "<%s> must hold one <%s>", (const char *)parent->name, want);
	*out = n;
	n = n->next;
	if (skip_to_elem(p, &n) < 0)
		return -EINVAL;
	if (n)
		return fail(p, "unexpected <%s> in <%s>", (const char *)n->name,
			    (const char *)parent->name);
	return 0;
}

/* Concatenated text of el (which must have no element children) into b. */
static int text_of(struct xp *p, xmlNodePtr el, strbuf *b)
{
	for (xmlNodePtr n = el->children; n; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content)
				sb_puts(b, (const char *)n->content);
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return fail(p, "unexpected markup in <%s>", (const char *)el->name);
		}
	}
	if (!hx_valid_xml_utf8(b->s, b->len))
		return fail(p, "text in <%s> is not valid XML UTF-8", (const char *)el->name);
	return 0;
}

/* Trimmed view of b's text: [*start, *start + *n). */
static void trim(const strbuf *b, const char **start, size_t *n)
{
	const char *s = b->s ? b->s : "";
	size_t l = b->len;

	while (l && strchr(" \t\r\n", s[0]))
		s++, l--;
	while (l && strchr(" \t\r\n", s[l - 1]))
		l--;
	*start = s;
	*n = l;
}

/* Decodes base64 text (whitespace ignored, '=' padding optional). */
static int b64_decode(struct xp *p, const char *s, size_t n, strbuf *out)
{
	return hx_base64_decode(s, n, out) ? fail(p, "bad base64") : 0;
}

static xv *parse_value(struct xp *p, xmlNodePtr val, int depth);

static xv *parse_array(struct xp *p, xmlNodePtr arr, int depth)
{
	xmlNodePtr data;

	if (only_child(p, arr, "data", &data) < 0)
		return NULL;
	xv *a = xv_array();
	xmlNodePtr n = data->children;
	for (;;) {
		if (skip_to_elem(p, &n) < 0)
			goto err;
		if (!n)
			break;
		if (!name_is(n, "value")) {
			fail(p, "unexpected <%s> in <data>", (const char *)n->name);
			goto err;
		}
		xv *item = parse_value(p, n, depth);
		if (!item)
			goto err;
		xv_array_push(a, item);
		n = n->next;
	}
	return a;
err:
	return xv_free(a);
}

/* One <member>: exactly one <name> and one <value>, in either order. */
static int parse_member(struct xp *p, xmlNodePtr mem, xv *st, int depth)
{
	xmlNodePtr name = NULL, val = NULL;
	strbuf k = STRBUF_INIT;

	for (xmlNodePtr n = mem->children;; n = n->next) {
		if (skip_to_elem(p, &n) < 0)
			return -EINVAL;
		if (!n)
			break;
		xmlNodePtr *slot = name_is(n, "name") ? &name : name_is(n, "value") ? &val : NULL;
		if (!slot || *slot)
			return fail(p, "unexpected <%s> in <member>", (const char *)n->name);
		*slot = n;
	}
	if (!name || !val)
		return fail(p, "<member> needs a <name> and a <value>");
	if (text_of(p, name, &k) < 0)
		goto err_free_k;
	xv *v = parse_value(p, val, depth);
	if (!v)
		goto err_free_k;
	xv_struct_append(st, sb_steal(&k, NULL), v);
	return 0;
err_free_k:
	sb_free(&k);
	return fail(p, "bad struct member");
}

static xv *parse_struct(struct xp *p, xmlNodePtr el, int depth)
{
	xv *st = xv_struct();
	xmlNodePtr n = el->children;

	for (;;) {
		if (skip_to_elem(p, &n) < 0)
			goto err;
		if (!n)
			break;
		if (!name_is(n, "member")) {
			fail(p, "unexpected <%s> in <struct>", (const char *)n->name);
			goto err;
		}
		if (parse_member(p, n, st, depth) < 0)
			goto err;
		n = n->next;
	}
	hx_struct_dedupe(st);
	return st;
err:
	return xv_free(st);
}

/* A scalar type element's value. */
static xv *parse_scalar(struct xp *p, xmlNodePtr el)
{
	strbuf b = STRBUF_INIT;
	const char *s;
	size_t n;
	xv *v = NULL;

	if (text_of(p, el, &b) < 0)
		goto out;
	trim(&b, &s, &n);
	if (name_is(el, "string")) {
		v = xv_strn(b.s ? b.s : "", b.len);
	} else if (name_is(el, "i4") || name_is(el, "i8") || name_is(el, "int")) {
		int64_t i;
		if (!hx_parse_int64(s, n, &i)) {
			fail(p, "bad integer in <%s>", (const char *)el->name);
			goto out;
		}
		v = xv_int(i);
		if (name_is(el, "i4") && i >= INT32_MIN && i <= INT32_MAX)
			v->flags |= XVF_I32;
	} else if (name_is(el, "double")) {
		double f;
		if (!hx_parse_double(s, n, &f)) {
			fail(p, "bad <double>");
			goto out;
		}
		v = xv_float(f);
	} else if (name_is(el, "boolean")) {
		if ((n == 1 && s[0] == '1') || (n == 4 && !memcmp(s, "true", 4)))
			v = xv_bool(true);
		else if ((n == 1 && s[0] == '0') || (n == 5 && !memcmp(s, "false", 5)))
			v = xv_bool(false);
		else
			fail(p, "bad <boolean>");
	} else if (name_is(el, "dateTime.iso8601")) {
		char *t = hx_strndup(s, n);
		int64_t dt;
		if (strlen(t) == n && xv_datetime_parse(t, &dt) == 0)
			v = xv_datetime(dt);
		else
			fail(p, "bad <dateTime.iso8601>");
		free(t);
	} else if (name_is(el, "base64")) {
		strbuf d = STRBUF_INIT;
		if (b64_decode(p, s, n, &d) == 0) {
			if (hx_valid_xml_utf8(d.s, d.len)) {
				size_t dl;
				char *ds = sb_steal(&d, &dl);
				v = xv_strn(ds, dl);
				free(ds);
			} else {
				fail(p, "<base64> does not decode to valid XML UTF-8");
			}
		}
		sb_free(&d);
	} else if (name_is(el, "nil")) {
		if (n)
			fail(p, "<nil> must be empty");
		else
			v = xv_nil();
	} else {
		fail(p, "unknown type <%s>", (const char *)el->name);
	}
out:
	sb_free(&b);
	return v;
}

/* A <value> element; depth counts enclosing arrays/structs. */
static xv *parse_value(struct xp *p, xmlNodePtr val, int depth)
{
	xmlNodePtr el = val->children;

	if (skip_to_elem(p, &el) < 0) {
		/* Text with content: a bare string, provided no element follows. */
		free(p->err);
		p->err = NULL;
		strbuf b = STRBUF_INIT;
		if (text_of(p, val, &b) < 0) {
			sb_free(&b);
			return NULL;
		}
		size_t l;
		char *s = sb_steal(&b, &l);
		xv *v = xv_strn(s, l);
		free(s);
		return v;
	}
	if (!el) {
		/* Only blanks (or nothing): the blanks are the string. */
		strbuf b = STRBUF_INIT;
		if (text_of(p, val, &b) < 0) {
			sb_free(&b);
			return NULL;
		}
		xv *v = xv_strn(b.s ? b.s : "", b.len);
		sb_free(&b);
		return v;
	}
	xmlNodePtr rest = el->next;
	if (skip_to_elem(p, &rest) < 0)
		return NULL;
	if (rest) {
		fail(p, "<value> holds more than one element");
		return NULL;
	}
	if (name_is(el, "array") || name_is(el, "struct")) {
		if (depth >= HX_MAX_DEPTH) {
			fail(p, "values nested deeper than %d", HX_MAX_DEPTH);
			return NULL;
		}
		return name_is(el, "array") ? parse_array(p, el, depth + 1)
					    : parse_struct(p, el, depth + 1);
	}
	return parse_scalar(p, el);
}

/* Hands the outcome to the caller: *errmsg (heap) on failure, else NULL. */
static int finish(struct xp *p, int rc, char **errmsg)
{
	if (rc < 0 && !p->err)
		fail(p, "invalid XML-RPC");
	if (errmsg) {
		*errmsg = rc < 0 ? p->err : NULL;
		if (rc < 0)
			p->err = NULL;
	}
	free(p->err);
	return rc;
}

int xmlrpc_parse_call(const char *buf, size_t len, char **method, xv **params, char **errmsg)
{
	struct xp p = { 0 };
	xmlNodePtr root, n, name = NULL, ps = NULL;
	strbuf m = STRBUF_INIT;
	xv *args = NULL;
	int rc = -EINVAL;

	*method = NULL;
	*params = NULL;
	xmlDocPtr doc = read_doc(&p, buf, len);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (!root || !name_is(root, "methodCall")) {
		fail(&p, "the root element is not <methodCall>");
		goto err_free_doc;
	}
	for (n = root->children;; n = n->next) {
		if (skip_to_elem(&p, &n) < 0)
			goto err_free_doc;
		if (!n)
			break;
		xmlNodePtr *slot = name_is(n, "methodName") ? &name : name_is(n, "params") ? &ps : NULL;
		if (!slot || *slot) {
			fail(&p, "unexpected <%s> in <methodCall>", (const char *)n->name);
			goto err_free_doc;
		}
		*slot = n;
	}
	if (!name) {
		fail(&p, "no <methodName>");
		goto err_free_doc;
	}
	if (text_of(&p, name, &m) < 0)
		goto err_free_doc;
	if (m.len == 0) {
		fail(&p, "empty <methodName>");
		goto err_free_doc;
	}
	args = xv_array();
	for (n = ps ? ps->children : NULL;; n = n->next) {
		xmlNodePtr v;
		if (skip_to_elem(&p, &n) < 0)
			goto err_free_doc;
		if (!n)
			break;
		if (!name_is(n, "param")) {
			fail(&p, "unexpected <%s> in <params>", (const char *)n->name);
			goto err_free_doc;
		}
		if (only_child(&p, n, "value", &v) < 0)
			goto err_free_doc;
		xv *item = parse_value(&p, v, 0);
		if (!item)
			goto err_free_doc;
		xv_array_push(args, item);
	}
	*method = sb_steal(&m, NULL);
	*params = args;
	args = NULL;
	rc = 0;
err_free_doc:
	xmlFreeDoc(doc);
out:
	xv_free(args);
	sb_free(&m);
	return finish(&p, rc, errmsg);
}

int xmlrpc_parse_value_string(const char *buf, size_t len, xv **out, char **errmsg)
{
	struct xp p = { 0 };
	int rc = -EINVAL;

	*out = NULL;
	xmlDocPtr doc = read_doc(&p, buf, len);
	if (!doc)
		goto out;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || !name_is(root, "value")) {
		fail(&p, "the root element is not <value>");
		goto err_free_doc;
	}
	*out = parse_value(&p, root, 0);
	rc = *out ? 0 : -EINVAL;
err_free_doc:
	xmlFreeDoc(doc);
out:
	return finish(&p, rc, errmsg);
}

/* Turns a <fault> value into a Failure struct: ["XMLRPC_FAULT", code, text]. */
static xv *fault_to_failure(xv *fault)
{
	xv *ed = xv_array();
	xv_array_push(ed, xv_str("XMLRPC_FAULT"));
	const xv *code = xv_struct_get(fault, "faultCode");
	const xv *text = xv_struct_get(fault, "faultString");
	if (code && code->kind == XV_INT)
		xv_array_push(ed, xv_strf("%" PRId64, code->u.i));
	else
		xv_array_push(ed, xv_str(xv_s(code) ? xv_s(code) : ""));
	xv_array_push(ed, xv_str(xv_s(text) ? xv_s(text) : ""));
	xv *st = xv_struct();
	xv_struct_set(st, "Status", xv_str("Failure"));
	xv_struct_set(st, "ErrorDescription", ed);
	xv_free(fault);
	return st;
}

int xmlrpc_parse_response(const char *buf, size_t len, xv **out, char **errmsg)
{
	struct xp p = { 0 };
	xmlNodePtr root, body, param, val;
	int rc = -EINVAL;

	*out = NULL;
	xmlDocPtr doc = read_doc(&p, buf, len);
	if (!doc)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (!root || !name_is(root, "methodResponse")) {
		fail(&p, "the root element is not <methodResponse>");
		goto err_free_doc;
	}
	body = root->children;
	if (skip_to_elem(&p, &body) < 0 || !body) {
		fail(&p, "empty <methodResponse>");
		goto err_free_doc;
	}
	if (name_is(body, "fault")) {
		if (only_child(&p, root, "fault", &body) < 0 || only_child(&p, body, "value", &val) < 0)
			goto err_free_doc;
		xv *f = parse_value(&p, val, 0);
		if (!f)
			goto err_free_doc;
		*out = fault_to_failure(f);
	} else {
		if (only_child(&p, root, "params", &body) < 0 ||
		    only_child(&p, body, "param", &param) < 0 ||
		    only_child(&p, param, "value", &val) < 0)
			goto err_free_doc;
		*out = parse_value(&p, val, 0);
		if (!*out)
			goto err_free_doc;
	}
	rc = 0;
err_free_doc:
	xmlFreeDoc(doc);
out:
	return finish(&p, rc, errmsg);
}

int xmlrpc_result_of(const xv *reply, xv **value, xerr **err)
{
	*value = NULL;
	*err = NULL;
	const char *status = xv_struct_str(reply, "Status");
	if (!status)
		return -EINVAL;
	if (strcmp(status, "Success") == 0) {
		const xv *v = xv_struct_get(reply, "Value");
		if (!v)
			return -EINVAL;
		*value = xv_dup(v);
		return 0;
	}
	if (strcmp(status, "Failure") != 0)
		return -EINVAL;
	const xv *ed = xv_struct_get(reply, "ErrorDescription");
	if (!ed || ed->kind != XV_ARRAY || ed->u.arr.n == 0 || !xv_s(ed->u.arr.items[0]))
		return -EINVAL;
	*err = xerr_new(xv_s(ed->u.arr.items[0]), NULL);
	for (size_t i = 1; i < ed->u.arr.n; i++) {
		const xv *it = ed->u.arr.items[i];
		if (xv_s(it)) {
			xerr_add(*err, xv_s(it));
		} else {
			char *s = xv_to_debug(it);
			xerr_add(*err, s);
			free(s);
		}
	}
	return 0;
}
