/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XAPI's filter expressions, as its lexer and grammar define them
 * (ocaml/database/db_filter_lex.mll, db_filter_parse.mly):
 *
 *   expr  := value ("=" | "<>") value | expr "and" expr | expr "or" expr
 *          | "not" expr | "true" | "false" | "(" expr ")"
 *   value := "field" STRING | STRING          STRING := '"' [^"]* '"'
 *
 * "and" and "or" have the SAME precedence and associate to the left, as in
 * XAPI (a or b and c is (a or b) and c); "not" binds tighter than both
 * (not a and b is (not a) and b). Keywords are matched as in XAPI's lexer,
 * without requiring a word boundary. Whitespace is space, tab, CR, LF.
 * "<>" is a Halyard extension (XAPI only has "="). Strings have no escapes.
 *
 * Evaluation compares strings: a field renders as its wire value in text
 * (bool "true"/"false", int decimal, float %.16g, datetime
 * "%Y%m%dT%H:%M:%SZ", refs/enums/strings as they are, sets as ('a' 'b')
 * and maps as (('k' 'v')) like XAPI's database, an absent field or nil as
 * ""). "__" in a field name stands for "_" (name__label); a name that is
 * not found that way is tried as written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../xapid/rpc/strbuf.h"
#include "where.h"

#define WHERE_MAX_DEPTH 512

enum wop { W_TRUE, W_FALSE, W_NOT, W_AND, W_OR, W_EQ, W_NE };

typedef struct wval {
	bool field;
	char *s;     /* literal, or the field name with "__" -> "_" */
	char *orig;  /* field: the name as written */
} wval;

struct where_expr {
	enum wop op;
	int depth;
	where_expr *a, *b; /* NOT: a; AND/OR: a, b */
	wval l, r;         /* EQ/NE */
};

enum tok { T_EOF, T_EQ, T_NE, T_TRUE, T_FALSE, T_LPAREN, T_RPAREN, T_FIELD, T_AND, T_OR,
	   T_NOT, T_STRING, T_BAD };

typedef struct parser {
	const char *text, *p;
	enum tok tok;
	const char *tok_start;
	char *str; /* T_STRING value (heap) */
	char *err;
} parser;

static const struct {
	const char *kw;
	enum tok t;
} keywords[] = {
	{ "true", T_TRUE }, { "false", T_FALSE }, { "field", T_FIELD },
	{ "and", T_AND },   { "or", T_OR },	  { "not", T_NOT },
};

static void next(parser *ps)
{
	free(ps->str);
	ps->str = NULL;
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
	ps->tok_start = ps->p;
	char c = *ps->p;
	if (!c) {
		ps->tok = T_EOF;
		return;
	}
	if (c == '=') {
		ps->p++;
		ps->tok = T_EQ;
		return;
	}
	if (c == '<' && ps->p[1] == '>') {
		ps->p += 2;
		ps->tok = T_NE;
		return;
	}
	if (c == '(' || c == ')') {
		ps->p++;
		ps->tok = c == '(' ? T_LPAREN : T_RPAREN;
		return;
	}
	if (c == '"') {
		const char *end = strchr(ps->p + 1, '"');
		if (!end) {
			ps->tok = T_BAD;
			return;
		}
		ps->str = hx_strndup(ps->p + 1, (size_t)(end - ps->p - 1));
		ps->p = end + 1;
		ps->tok = T_STRING;
		return;
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		size_t n = strlen(keywords[i].kw);
		if (strncmp(ps->p, keywords[i].kw, n) == 0) {
			ps->p += n;
			ps->tok = keywords[i].t;
			return;
		}
	}
	ps->tok = T_BAD;
}

static const char *tok_name(enum tok t)
{
	static const char *const names[] = {
		[T_EOF] = "end of input", [T_EQ] = "'='",	 [T_NE] = "'<>'",
		[T_TRUE] = "'true'",	  [T_FALSE] = "'false'", [T_LPAREN] = "'('",
		[T_RPAREN] = "')'",	  [T_FIELD] = "'field'", [T_AND] = "'and'",
		[T_OR] = "'or'",	  [T_NOT] = "'not'",	 [T_STRING] = "a string",
		[T_BAD] = "an invalid token",
	};
	return names[t];
}

static void fail(parser *ps, const char *expected)
{
	if (ps->err)
		return;
	if (ps->tok == T_BAD && *ps->tok_start == '"')
		ps->err = hx_asprintf("unterminated string at offset %zu",
				      (size_t)(ps->tok_start - ps->text));
	else
		ps->err = hx_asprintf("expected %s at offset %zu, found %s", expected,
				      (size_t)(ps->tok_start - ps->text), tok_name(ps->tok));
}

static where_expr *node(enum wop op, where_expr *a, where_expr *b)
{
	where_expr *e = hx_calloc(1, sizeof(*e));
	e->op = op;
	e->a = a;
	e->b = b;
	int da = a ? a->depth : 0, db = b ? b->depth : 0;
	e->depth = 1 + (da > db ? da : db);
	return e;
}

where_expr *where_free(where_expr *e)
{
	if (!e)
		return NULL;
	where_free(e->a);
	where_free(e->b);
	free(e->l.s);
	free(e->l.orig);
	free(e->r.s);
	free(e->r.orig);
	free(e);
	return NULL;
}

static char *unescape_field(const char *name)
{
	size_t n = strlen(name);
	char *o = hx_malloc(n + 1), *q = o;
	for (size_t i = 0; i < n; i++) {
		*q++ = name[i];
		if (name[i] == '_' && name[i + 1] == '_')
			i++;
	}
	*q = 0;
	return o;
}

static bool parse_value(parser *ps, wval *v)
{
	if (ps->tok == T_FIELD) {
		next(ps);
		if (ps->tok != T_STRING) {
			fail(ps, "a field name string");
			return false;
		}
		v->field = true;
		v->orig = ps->str;
		ps->str = NULL;
		v->s = unescape_field(v->orig);
		next(ps);
		return true;
	}
	if (ps->tok == T_STRING) {
		v->s = ps->str;
		ps->str = NULL;
		next(ps);
		return true;
	}
	fail(ps, "'field', a string, 'true', 'false', 'not' or '('");
	return false;
}

static where_expr *parse_expr(parser *ps, int depth);

static where_expr *parse_unary(parser *ps, int depth)
{
	if (depth > WHERE_MAX_DEPTH) {
		if (!ps->err)
			ps->err = hx_asprintf("expression nested deeper than %d", WHERE_MAX_DEPTH);
		return NULL;
	}
	switch (ps->tok) {
	case T_NOT: {
		next(ps);
		where_expr *a = parse_unary(ps, depth + 1);
		return a ? node(W_NOT, a, NULL) : NULL;
	}
	case T_TRUE:
	case T_FALSE: {
		enum wop op = ps->tok == T_TRUE ? W_TRUE : W_FALSE;
		next(ps);
		return node(op, NULL, NULL);
	}
	case T_LPAREN: {
		next(ps);
		where_expr *e = parse_expr(ps, depth + 1);
		if (!e)
			return NULL;
		if (ps->tok != T_RPAREN) {
			fail(ps, "')'");
			return where_free(e);
		}
		next(ps);
		return e;
	}
	default: {
		where_expr *e = node(W_EQ, NULL, NULL);
		if (!parse_value(ps, &e->l))
			return where_free(e);
		if (ps->tok != T_EQ && ps->tok != T_NE) {
			fail(ps, "'=' or '<>'");
			return where_free(e);
		}
		e->op = ps->tok == T_EQ ? W_EQ : W_NE;
		next(ps);
		if (!parse_value(ps, &e->r))
			return where_free(e);
		return e;
	}
	}
}

static where_expr *parse_expr(parser *ps, int depth)
{
	where_expr *left = parse_unary(ps, depth);
	while (left && (ps->tok == T_AND || ps->tok == T_OR)) {
		enum wop op = ps->tok == T_AND ? W_AND : W_OR;
		next(ps);
		where_expr *right = parse_unary(ps, depth);
		if (!right)
			return where_free(left);
		left = node(op, left, right);
		if (left->depth + depth > WHERE_MAX_DEPTH) {
			if (!ps->err)
				ps->err = hx_asprintf("expression nested deeper than %d",
						      WHERE_MAX_DEPTH);
			return where_free(left);
		}
	}
	return left;
}

where_expr *where_parse(const char *text, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	if (!text) {
		if (errmsg)
			*errmsg = hx_strdup("no expression");
		return NULL;
	}
	parser ps = { .text = text, .p = text };
	next(&ps);
	where_expr *e = parse_expr(&ps, 0);
	if (e && ps.tok != T_EOF) {
		fail(&ps, "'and', 'or' or the end");
		e = where_free(e);
	}
	free(ps.str);
	if (!e) {
		if (!ps.err)
			ps.err = hx_strdup("parse error");
		if (errmsg)
			*errmsg = ps.err;
		else
			free(ps.err);
		return NULL;
	}
	free(ps.err);
	return e;
}

/* ---- evaluation ---- */

static void render(strbuf *b, const xv *v, int depth);

static void render_quoted(strbuf *b, const xv *v, int depth)
{
	strbuf in = STRBUF_INIT;
	render(&in, v, depth + 1);
	sb_putc(b, '\'');
	for (size_t i = 0; i < in.len; i++) {
		if (in.s[i] == '\'' || in.s[i] == '\\')
			sb_putc(b, '\\');
		sb_putc(b, in.s[i]);
	}
	sb_putc(b, '\'');
	sb_free(&in);
}

static void render(strbuf *b, const xv *v, int depth)
{
	if (!v || depth > 64)
		return;
	switch (v->kind) {
	case XV_NIL:
		break;
	case XV_STRING:
		sb_putn(b, v->u.str.s, v->u.str.len);
		break;
	case XV_INT:
		sb_printf(b, "%lld", (long long)v->u.i);
		break;
	case XV_FLOAT:
		sb_printf(b, "%.16g", v->u.f);
		break;
	case XV_BOOL:
		sb_puts(b, v->u.b ? "true" : "false");
		break;
	case XV_DATETIME: {
		char buf[64];
		xv_datetime_format(v->u.dt, buf, sizeof(buf));
		sb_puts(b, buf);
		break;
	}
	case XV_ARRAY:
		sb_putc(b, '(');
		for (size_t i = 0; i < v->u.arr.n; i++) {
			if (i)
				sb_putc(b, ' ');
			render_quoted(b, v->u.arr.items[i], depth);
		}
		sb_putc(b, ')');
		break;
	case XV_STRUCT:
		sb_putc(b, '(');
		for (size_t i = 0; i < v->u.st.n; i++) {
			xv key = { .kind = XV_STRING };
			key.u.str.s = v->u.st.m[i].key;
			key.u.str.len = strlen(v->u.st.m[i].key);
			sb_puts(b, i ? " (" : "(");
			render_quoted(b, &key, depth);
			sb_putc(b, ' ');
			render_quoted(b, v->u.st.m[i].val, depth);
			sb_putc(b, ')');
		}
		sb_putc(b, ')');
		break;
	}
}

/* The string a value operand stands for (heap, or a borrowed literal). */
static const char *operand(const wval *w, const xv *record, char **heap)
{
	*heap = NULL;
	if (!w->field)
		return w->s;
	const xv *v = record && record->kind == XV_STRUCT ? xv_struct_get(record, w->s) : NULL;
	if (!v && record && record->kind == XV_STRUCT)
		v = xv_struct_get(record, w->orig);
	if (!v)
		return "";
	if (v->kind == XV_STRING)
		return v->u.str.s;
	strbuf b = STRBUF_INIT;
	render(&b, v, 0);
	*heap = sb_steal(&b, NULL);
	return *heap;
}

bool where_eval(const where_expr *e, const xv *record)
{
	if (!e)
		return false;
	switch (e->op) {
	case W_TRUE:
		return true;
	case W_FALSE:
		return false;
	case W_NOT:
		return !where_eval(e->a, record);
	case W_AND:
		return where_eval(e->a, record) && where_eval(e->b, record);
	case W_OR:
		return where_eval(e->a, record) || where_eval(e->b, record);
	case W_EQ:
	case W_NE: {
		char *h1, *h2;
		const char *a = operand(&e->l, record, &h1), *b = operand(&e->r, record, &h2);
		bool eq = strcmp(a, b) == 0;
		free(h1);
		free(h2);
		return e->op == W_EQ ? eq : !eq;
	}
	}
	return false;
}
