/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generic commands every CLI class has, driven only by the generated
 * class tables: <class>-list, -param-list, -param-get, -param-set,
 * -param-add, -param-remove and -param-clear. They map to the class's
 * get_all_records_where / get_by_uuid / get_record and to the implicit
 * set_<f>, add_to_<f>/remove_from_<f> (maps) and add_<f>/remove_<f>
 * (sets) messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "util.h"
#include "xe.h"

static const char *const stdparams[] = {
	"server", "password", "port", "username", "minimal", "force",
	"multiple", "all", "message-priority", "trace", NULL,
};

static bool is_std(const char *k)
{
	for (size_t i = 0; stdparams[i]; i++)
		if (!strcmp(stdparams[i], k))
			return true;
	return false;
}

static bool is_map(const xe_field_def *fd)
{
	return fd->access == XE_MRO || fd->access == XE_MRW;
}

static bool is_set(const xe_field_def *fd)
{
	return fd->access == XE_SRO || fd->access == XE_SRW;
}

/* ---- converting command-line text to API values ------------------------- */

static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
		return 0;
	return -1;
}

/* The kind to convert to: the table's, else what the current value is. */
static char value_kind(const xe_field_def *fd, const xv *cur)
{
	if (fd->kind && fd->kind != '?')
		return fd->kind;
	if (fd->ref_class)
		return 'r';
	if (!cur)
		return 's';
	switch (cur->kind) {
	case XV_INT:
		return 'i';
	case XV_FLOAT:
		return 'f';
	case XV_BOOL:
		return 'b';
	case XV_STRING:
		return strncmp(cur->u.str.s, "OpaqueRef:", 10) ? 's' : 'r';
	default:
		return 's';
	}
}

/*
 * Converts the text s for field fd (kind k; for sets and maps, the kind of
 * one element) into a value. Refs are given as uuids and looked up.
 */
static xerr *convert(xe_ctx *x, const xe_field_def *fd, char k, const char *s, xv **out)
{
	char *end;
	*out = NULL;
	switch (k) {
	case 'i': {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || end == s || *end)
			return xe_fail("Parameter %s must be an integer", fd->name);
		*out = xv_int(v);
		return NULL;
	}
	case 'f': {
		errno = 0;
		double v = strtod(s, &end);
		if (errno || end == s || *end)
			return xe_fail("Parameter %s must be a floating-point number",
				       fd->name);
		*out = xv_float(v);
		return NULL;
	}
	case 'b': {
		int b = parse_bool(s);
		if (b < 0)
			return xe_fail("Parameter %s must be a boolean (true or false)",
				       fd->name);
		*out = xv_bool(b == 1);
		return NULL;
	}
	case 'r': {
		if (!*s || hx_is_ref(s)) {
			*out = xv_str(*s ? s : HX_NULL_REF);
			return NULL;
		}
		if (!fd->ref_class)
			return xe_fail("Field '%s' refers to objects xe cannot look up by uuid",
				       fd->name);
		char *ref = NULL;
		xerr *e = xe_ref_of_uuid(x, fd->ref_class, s, &ref);
		if (e)
			return e;
		*out = xv_str_own(ref);
		return NULL;
	}
	default:
		*out = xv_str(s);
		return NULL;
	}
}

/* The element kind of a set or map field: refs when it holds refs. */
static char elem_kind(const xe_field_def *fd)
{
	return fd->ref_class ? 'r' : 's';
}

/* ---- records ------------------------------------------------------------- */

typedef struct target {
	const xe_class_def *cd;
	char *ref;
	xv *rec; /* owned by the ref cache once fetched */
} target;

/* Fetches the object of class cd with the given uuid. */
static xerr *fetch_by_uuid(xe_ctx *x, const xe_class_def *cd, const char *uuid, target *t)
{
	xv *rec = NULL;
	t->cd = cd;
	t->rec = NULL;
	xerr *e = xe_ref_of_uuid(x, cd->api, uuid, &t->ref);
	if (e)
		return e;
	char *m = hx_asprintf("%s.get_record", cd->api);
	e = xe_callv(x, m, &rec, xv_str(t->ref), NULL);
	free(m);
	if (e)
		return e;
	t->rec = rec;
	xe_refcache_keep(x->refs, rec);
	xe_refcache_put(x->refs, t->ref, rec);
	return NULL;
}

static const char *required(xe_ctx *x, const char *k, xerr **e)
{
	const char *v = xe_param_get(x->params, k);
	if (!v && !*e)
		*e = xe_usage_error("Required parameter not found", k);
	return v;
}

/* ---- <class>-list ------------------------------------------------------- */

typedef struct filter {
	const char *key, *val;
	const xe_field_def *fd;
	enum { F_NORMAL, F_MAP, F_SET } kind;
	const char *sub; /* map key */
} filter;

static bool filter_match(xe_ctx *x, const xe_class_def *cd, const filter *f, const char *ref,
			 const xv *rec)
{
	strbuf sb = STRBUF_INIT;
	bool ok = false;
	if (f->kind == F_NORMAL) {
		char *s = xe_format_field(x, cd, f->fd, ref, rec, true);
		ok = !strcmp(s, f->val);
		free(s);
		return ok;
	}
	const xv *v = xe_field_value(x, f->fd, rec);
	if (!v)
		return false;
	if (f->kind == F_MAP) {
		const xv *e = v->kind == XV_STRUCT ? xv_struct_get(v, f->sub) : NULL;
		if (!e)
			return false;
		xe_format_value(x, f->fd, e, &sb);
		ok = !strcmp(sb.s ? sb.s : "", f->val);
		sb_free(&sb);
		return ok;
	}
	if (v->kind != XV_ARRAY)
		return false;
	for (size_t i = 0; i < v->u.arr.n && !ok; i++) {
		sb.len = 0;
		if (sb.s)
			sb.s[0] = 0;
		xe_format_value(x, f->fd, v->u.arr.items[i], &sb);
		ok = !strcmp(sb.s ? sb.s : "", f->val);
	}
	sb_free(&sb);
	return ok;
}

/* Builds a filter from key=value; an error for unknown fields. */
static xerr *make_filter(const xe_class_def *cd, const char *k, const char *v, filter *f)
{
	memset(f, 0, sizeof(*f));
	f->key = k;
	f->val = v;
	if ((f->fd = xe_find_field(cd, k))) {
		f->kind = F_NORMAL;
		return NULL;
	}
	const char *colon = strchr(k, ':');
	if (colon) {
		char *name = hx_strndup(k, (size_t)(colon - k));
		f->fd = xe_find_field(cd, name);
		free(name);
		if (f->fd && is_set(f->fd)) {
			if (strcmp(colon + 1, "contains"))
				return xe_fail("Invalid syntax for set filtering (should be "
					       "set-param:contains=key)");
			f->kind = F_SET;
			return NULL;
		}
		if (f->fd && is_map(f->fd)) {
			f->kind = F_MAP;
			f->sub = colon + 1;
			return NULL;
		}
		if (f->fd)
			return xe_fail("Field '%s' is not a set or map", f->fd->name);
	}
	return xe_fail("Unknown field '%s'", k);
}

/* The fields to print: params=…, params=all, or the default columns. */
static const xe_field_def **select_fields(const xe_class_def *cd, const char *params, size_t *n)
{
	const xe_field_def **out = hx_calloc(cd->nfields + 1, sizeof(*out));
	char **names = NULL;
	size_t nnames = 0;
	*n = 0;
	if (params && strcmp(params, "all")) {
		char *dup = hx_strdup(params), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			names = hx_realloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = hx_strdup(t);
		}
		free(dup);
	} else if (!params) {
		for (size_t i = 0; i < cd->ndefault_columns; i++) {
			names = hx_realloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = hx_strdup(cd->default_columns[i]);
		}
	}
	for (size_t i = 0; i < cd->nfields; i++) {
		const xe_field_def *fd = &cd->fields[i];
		bool take = nnames == 0 && !fd->hidden;
		for (size_t j = 0; j < nnames && !take; j++)
			take = !strcmp(names[j], fd->name);
		if (take)
			out[(*n)++] = fd;
	}
	for (size_t j = 0; j < nnames; j++)
		free(names[j]);
	free(names);
	return out;
}

/* True when fd was named explicitly in params= (expensive fields then show). */
static bool named(const char *params, const char *name)
{
	if (!params)
		return false;
	size_t l = strlen(name);
	for (const char *p = params; p && *p;) {
		const char *c = strchr(p, ',');
		size_t tl = c ? (size_t)(c - p) : strlen(p);
		if (tl == l && !strncmp(p, name, l))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* Appends `field "api"="value"` terms for the filters xapid can evaluate. */
static void where_term(strbuf *sb, const xe_field_def *fd, const char *val)
{
	if (!fd || !fd->api || fd->via || fd->kind != 'b')
		return;
	if (strcmp(val, "true") && strcmp(val, "false"))
		return;
	if (sb->len)
		sb_puts(sb, " and ");
	sb_printf(sb, "field \"%s\"=\"%s\"", fd->api, val);
}

static int cmd_list(xe_ctx *x, const xe_class_def *cd)
{
	filter *filters = NULL;
	size_t nf = 0;
	xerr *e = NULL;
	xv *all = NULL;
	strbuf where = STRBUF_INIT;
	const xe_params *ps = x->params;

	/* implicit filters first, unless the user filters the same field */
	for (size_t i = 0; i < cd->nfilters; i++) {
		if (xe_param_get(ps, cd->filters[i].field))
			continue;
		filters = hx_realloc(filters, (nf + 1) * sizeof(*filters));
		if ((e = make_filter(cd, cd->filters[i].field, cd->filters[i].value,
				     &filters[nf])))
			goto out;
		where_term(&where, filters[nf].fd, filters[nf].val);
		nf++;
	}
	for (size_t i = 0; i < ps->n; i++) {
		const char *k = ps->p[i].key;
		if (!strcmp(k, "params") || is_std(k) || !strncmp(k, "database:", 9))
			continue;
		filters = hx_realloc(filters, (nf + 1) * sizeof(*filters));
		if ((e = make_filter(cd, k, ps->p[i].val, &filters[nf])))
			goto out;
		nf++;
	}

	char *m = hx_asprintf("%s.get_all_records_where", cd->api);
	e = xe_callv(x, m, &all, xv_str(where.len ? where.s : "true"), NULL);
	free(m);
	if (e)
		goto out;
	if (all->kind != XV_STRUCT) {
		e = xe_fail("%s.get_all_records_where returned no records map", cd->api);
		goto out;
	}
	for (size_t i = 0; i < all->u.st.n; i++)
		xe_refcache_put(x->refs, all->u.st.m[i].key, all->u.st.m[i].val);
	if (!where.len)
		xe_refcache_mark_class(x->refs, cd->api);

	const char *params = xe_param_get(ps, "params");
	size_t nsel;
	const xe_field_def **sel = select_fields(cd, params, &nsel);
	/* every field printed or filtered on may need other classes' records */
	const xe_field_def **need = hx_calloc(nsel + nf + 1, sizeof(*need));
	size_t nneed = 0;
	for (size_t i = 0; i < nsel; i++)
		if (!sel[i]->expensive || named(params, sel[i]->name))
			need[nneed++] = sel[i];
	for (size_t i = 0; i < nf; i++)
		need[nneed++] = filters[i].fd;
	e = xe_prefetch_refs(x, cd, need, nneed);
	free(need);
	if (e) {
		free(sel);
		goto out;
	}

	char **labels = hx_calloc(nsel + 1, sizeof(*labels));
	for (size_t i = 0; i < nsel; i++)
		labels[i] = xe_field_label(sel[i]);
	bool first = true;
	xe_rec r = { 0 };
	for (size_t i = 0; i < all->u.st.n; i++) {
		const char *ref = all->u.st.m[i].key;
		const xv *rec = all->u.st.m[i].val;
		bool ok = true;
		for (size_t j = 0; j < nf && ok; j++)
			ok = filter_match(x, cd, &filters[j], ref, rec);
		if (!ok)
			continue;
		if (x->minimal) {
			if (!nsel)
				continue;
			char *v = xe_format_field(x, cd, sel[0], ref, rec,
						  named(params, sel[0]->name));
			if (!first)
				fputc(',', x->out);
			xe_print_minimal_escaped(x->out, v);
			free(v);
			first = false;
			continue;
		}
		for (size_t j = 0; j < nsel; j++)
			xe_rec_add_own(&r, hx_strdup(labels[j]),
				       xe_format_field(x, cd, sel[j], ref, rec,
						       named(params, sel[j]->name)));
		xe_print_record(x->out, &r);
		xe_rec_clear(&r);
	}
	if (x->minimal)
		fputc('\n', x->out);
	for (size_t i = 0; i < nsel; i++)
		free(labels[i]);
	free(labels);
	free(sel);
out:
	if (all)
		xe_refcache_keep(x->refs, all);
	free(filters);
	sb_free(&where);
	return xe_finish(e);
}

/* ---- param-list / param-get --------------------------------------------- */

static int cmd_param_list(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	if (e)
		return xe_finish(e);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	size_t n = 0;
	const xe_field_def **sel = hx_calloc(cd->nfields + 1, sizeof(*sel));
	for (size_t i = 0; i < cd->nfields; i++)
		if (!cd->fields[i].hidden)
			sel[n++] = &cd->fields[i];
	if ((e = xe_prefetch_refs(x, cd, sel, n))) {
		free(sel);
		goto out;
	}
	xe_rec r = { 0 };
	for (size_t i = 0; i < n; i++)
		xe_rec_add_own(&r, xe_field_label(sel[i]),
			       xe_format_field(x, cd, sel[i], t.ref, t.rec, true));
	if (x->minimal) {
		if (r.n)
			xe_print_minimal_escaped(x->out, r.vals[0]);
		fputc('\n', x->out);
	} else {
		xe_print_record(x->out, &r);
	}
	xe_rec_clear(&r);
	free(sel);
out:
	free(t.ref);
	return xe_finish(e);
}

static void print_value(xe_ctx *x, const char *v)
{
	if (x->minimal)
		xe_print_minimal_escaped(x->out, v);
	else
		fputs(v, x->out);
	fputc('\n', x->out);
}

static int cmd_param_get(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	const char *name = required(x, "param-name", &e);
	const char *key = xe_param_get(x->params, "param-key");
	if (e)
		return xe_finish(e);
	const xe_field_def *fd = xe_find_field(cd, name);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	if (!fd) {
		e = xerr_new("Missing parameter", name, NULL);
		goto out;
	}
	if ((e = xe_prefetch_refs(x, cd, &fd, 1)))
		goto out;
	if (key && is_map(fd)) {
		const xv *v = xe_field_value(x, fd, t.rec);
		const xv *ent = v && v->kind == XV_STRUCT ? xv_struct_get(v, key) : NULL;
		if (!ent) {
			e = xe_fail("Key %s not found in map", key);
			goto out;
		}
		strbuf sb = STRBUF_INIT;
		xe_format_value(x, fd, ent, &sb);
		print_value(x, sb.s ? sb.s : "");
		sb_free(&sb);
		goto out;
	}
	char *s = xe_format_field(x, cd, fd, t.ref, t.rec, true);
	print_value(x, s);
	free(s);
out:
	free(t.ref);
	return xe_finish(e);
}

/* ---- modifications ------------------------------------------------------- */

static xerr *call_field(xe_ctx *x, const xe_class_def *cd, const char *prefix,
			const xe_field_def *fd, const char *ref, xv *a1, xv *a2)
{
	char *m = hx_asprintf("%s.%s%s", cd->api, prefix, fd->api);
	xv *args = xv_array();
	xv_array_push(args, xv_str(ref));
	if (a1)
		xv_array_push(args, a1);
	if (a2)
		xv_array_push(args, a2);
	xerr *e = xe_call_arr(x, m, args, NULL);
	free(m);
	return e;
}

/* Fields xe can modify: mapped directly onto this class's record. */
static xerr *check_writable(const xe_field_def *fd)
{
	if (!fd->api || fd->via)
		return xe_fail("Field '%s' cannot be changed by this version of xe",
			       fd->name);
	return NULL;
}

static xerr *set_one(xe_ctx *x, const target *t, const char *k, const char *v)
{
	const xe_class_def *cd = t->cd;
	const xe_field_def *fd = xe_find_field(cd, k);
	xv *val = NULL;
	xerr *e;

	if (fd) {
		if (is_set(fd) || is_map(fd)) {
			if (fd->access == XE_SRO || fd->access == XE_MRO)
				return xe_fail("Field '%s' is read-only.", k);
			return xe_fail("Field '%s' is a map or set. use the 'name:key=value' "
				       "syntax.", k);
		}
		if (fd->access != XE_RW)
			return xe_fail("Field '%s' is read-only.", k);
		if ((e = check_writable(fd)))
			return e;
		const xv *cur = xe_field_value(x, fd, t->rec);
		if ((e = convert(x, fd, value_kind(fd, cur), v, &val)))
			return e;
		return call_field(x, cd, "set_", fd, t->ref, val, NULL);
	}
	const char *colon = strchr(k, ':');
	if (colon) {
		char *name = hx_strndup(k, (size_t)(colon - k));
		fd = xe_find_field(cd, name);
		free(name);
	}
	if (!fd)
		return xe_fail("Unknown field '%s'", k);
	if (is_set(fd))
		return xe_fail("Cannot param-set on set fields");
	if (!is_map(fd))
		return xe_fail("Field '%s' is not a set or map", fd->name);
	if (fd->access != XE_MRW)
		return xe_fail("Map field '%s' is read-only.", fd->name);
	if ((e = check_writable(fd)))
		return e;
	const char *key = colon + 1;
	const xv *cur = xe_field_value(x, fd, t->rec);
	if (cur && cur->kind == XV_STRUCT && xv_struct_get(cur, key))
		if ((e = call_field(x, cd, "remove_from_", fd, t->ref, xv_str(key), NULL)))
			return e;
	return call_field(x, cd, "add_to_", fd, t->ref, xv_str(key), xv_str(v));
}

static int cmd_param_set(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	if (e)
		return xe_finish(e);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	for (size_t i = 0; i < x->params->n && !e; i++) {
		const xe_param *p = &x->params->p[i];
		if (!strcmp(p->key, "uuid") || is_std(p->key))
			continue;
		e = set_one(x, &t, p->key, p->val);
	}
out:
	free(t.ref);
	return xe_finish(e);
}

static int cmd_param_add(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	const char *name = required(x, "param-name", &e);
	const char *key = xe_param_get(x->params, "param-key");
	if (e)
		return xe_finish(e);
	const xe_field_def *fd = xe_find_field(cd, name);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	if (!fd) {
		e = xerr_new("Missing parameter", name, NULL);
	} else if (fd->access == XE_SRO || fd->access == XE_MRO) {
		e = xe_fail("Parameter is read-only");
	} else if (fd->access == XE_SRW) {
		xv *v = NULL;
		if (!key)
			e = xe_fail("When adding a key to a set, use the syntax: *-param-add "
				    "param-name=<name> param-key=<key>");
		else if (!(e = check_writable(fd)) &&
			 !(e = convert(x, fd, elem_kind(fd), key, &v)))
			e = call_field(x, cd, "add_", fd, t.ref, v, NULL);
	} else if (fd->access == XE_MRW) {
		if (!(e = check_writable(fd)))
			for (size_t i = 0; i < x->params->n && !e; i++) {
				const xe_param *p = &x->params->p[i];
				if (!strcmp(p->key, "uuid") || !strcmp(p->key, "param-name") ||
				    !strcmp(p->key, "param-key") || is_std(p->key))
					continue;
				e = call_field(x, cd, "add_to_", fd, t.ref, xv_str(p->key),
					       xv_str(p->val));
			}
	} else {
		e = xe_fail("Can only add to parameters of type Set or Map");
	}
out:
	free(t.ref);
	return xe_finish(e);
}

/* True when the set value v has a member shown as s (or equal to it). */
static const xv *set_member(xe_ctx *x, const xe_field_def *fd, const xv *v, const char *s)
{
	if (!v || v->kind != XV_ARRAY)
		return NULL;
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const xv *it = v->u.arr.items[i];
		strbuf sb = STRBUF_INIT;
		xe_format_value(x, fd, it, &sb);
		bool eq = !strcmp(sb.s ? sb.s : "", s) || (xv_s(it) && !strcmp(xv_s(it), s));
		sb_free(&sb);
		if (eq)
			return it;
	}
	return NULL;
}

static int cmd_param_remove(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	const char *name = required(x, "param-name", &e);
	const char *key = required(x, "param-key", &e);
	if (e)
		return xe_finish(e);
	const xe_field_def *fd = xe_find_field(cd, name);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	if (!fd) {
		e = xerr_new("Missing parameter", name, NULL);
		goto out;
	}
	if ((e = xe_prefetch_refs(x, cd, &fd, 1)))
		goto out;
	const xv *cur = xe_field_value(x, fd, t.rec);
	if (fd->access == XE_SRW) {
		const xv *m = set_member(x, fd, cur, key);
		if (!m)
			e = xe_fail("Key %s is not in the set", key);
		else if (!(e = check_writable(fd)))
			e = call_field(x, cd, "remove_", fd, t.ref, xv_dup(m), NULL);
	} else if (fd->access == XE_MRW) {
		if (!cur || cur->kind != XV_STRUCT || !xv_struct_get(cur, key))
			e = xe_fail("Key %s is not in map", key);
		else if (!(e = check_writable(fd)))
			e = call_field(x, cd, "remove_from_", fd, t.ref, xv_str(key), NULL);
	} else if (fd->access == XE_SRO || fd->access == XE_MRO) {
		e = xe_fail("Cannot remove parameters from read-only map");
	} else {
		e = xe_fail("Can only remove from parameters of type Set or Map");
	}
out:
	free(t.ref);
	return xe_finish(e);
}

static int cmd_param_clear(xe_ctx *x, const xe_class_def *cd)
{
	xerr *e = NULL;
	target t = { 0 };
	const char *uuid = required(x, "uuid", &e);
	const char *name = required(x, "param-name", &e);
	if (e)
		return xe_finish(e);
	const xe_field_def *fd = xe_find_field(cd, name);
	if ((e = fetch_by_uuid(x, cd, uuid, &t)))
		goto out;
	if (!fd) {
		e = xerr_new("Missing parameter", name, NULL);
		goto out;
	}
	const xv *cur = xe_field_value(x, fd, t.rec);
	if (fd->access == XE_SRW || fd->access == XE_MRW) {
		if ((e = check_writable(fd)))
			goto out;
		bool map = fd->access == XE_MRW;
		size_t n = cur ? (map ? (cur->kind == XV_STRUCT ? cur->u.st.n : 0)
				      : (cur->kind == XV_ARRAY ? cur->u.arr.n : 0))
			       : 0;
		for (size_t i = 0; i < n && !e; i++)
			e = map ? call_field(x, cd, "remove_from_", fd, t.ref,
					     xv_str(cur->u.st.m[i].key), NULL)
				: call_field(x, cd, "remove_", fd, t.ref,
					     xv_dup(cur->u.arr.items[i]), NULL);
	} else if (fd->access == XE_RW) {
		xv *v = NULL;
		if ((e = check_writable(fd)))
			goto out;
		char k = value_kind(fd, cur);
		if (k != 's' && k != 'e' && k != 'r') {
			e = xe_fail("Cannot clear this parameter");
			goto out;
		}
		if (!(e = convert(x, fd, k, "", &v)))
			e = call_field(x, cd, "set_", fd, t.ref, v, NULL);
	} else {
		e = xe_fail("Can only clear RW parameters");
	}
out:
	free(t.ref);
	return xe_finish(e);
}

int xe_cmd_class(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const xe_class_def *cd = xe_class_lookup(def->cli_class);
	if (!cd)
		return xe_finish(xe_fail("no record table for class '%s'", def->cli_class));
	const char *op = cmd + strlen(cd->cli) + 1;
	if (!strcmp(op, "list"))
		return cmd_list(x, cd);
	if (!strcmp(op, "param-list"))
		return cmd_param_list(x, cd);
	if (!strcmp(op, "param-get"))
		return cmd_param_get(x, cd);
	if (!strcmp(op, "param-set"))
		return cmd_param_set(x, cd);
	if (!strcmp(op, "param-add"))
		return cmd_param_add(x, cd);
	if (!strcmp(op, "param-remove"))
		return cmd_param_remove(x, cd);
	if (!strcmp(op, "param-clear"))
		return cmd_param_clear(x, cd);
	return xe_finish(xe_fail("The command '%s' is not available yet in this Halyard "
				 "release.", cmd));
}
