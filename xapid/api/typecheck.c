/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire values → API-typed values, following what XAPI's unmarshallers
 * accept (WIRE.md §2): ints from strings, floats from ints, enums in any
 * case, "" as the null ref, datetimes with or without dashes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "jsonrpc.h"
#include "util.h"

static xerr *type_error(const char *what)
{
	return xerr_new("FIELD_TYPE_ERROR", what ? what : "", NULL);
}

static bool parse_int(const char *s, int64_t *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_float(const char *s, double *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* Map keys arrive as struct member names (strings); canonicalise them. */
static xerr *coerce_key(const api_type *t, const char *k, const char *what, char **out)
{
	switch (t->kind) {
	case AT_STRING:
	case AT_REF:
		*out = hx_strdup(k);
		return NULL;
	case AT_ENUM: {
		int i = api_enum_value(t->enm, k);
		if (i < 0)
			return type_error(what);
		*out = hx_strdup(api_enums[t->enm].values[i]);
		return NULL;
	}
	case AT_INT: {
		int64_t v;
		if (!parse_int(k, &v))
			return type_error(what);
		*out = hx_asprintf("%" PRId64, v);
		return NULL;
	}
	default:
		*out = hx_strdup(k);
		return NULL;
	}
}

xerr *api_coerce(const api_type *t, xv *v, const char *what, xv **out)
{
	xerr *e = NULL;
	*out = NULL;
	if (!v)
		return type_error(what);
	switch (t->kind) {
	case AT_VOID:
		xv_free(v);
		*out = xv_str("");
		return NULL;
	case AT_STRING:
		if (v->kind != XV_STRING)
			goto bad;
		*out = v;
		return NULL;
	case AT_INT:
		if (v->kind == XV_INT) {
			v->flags = 0;
			*out = v;
			return NULL;
		}
		if (v->kind == XV_STRING) {
			int64_t i;
			if (!parse_int(v->u.str.s, &i))
				goto bad;
			xv_free(v);
			*out = xv_int(i);
			return NULL;
		}
		if (v->kind == XV_FLOAT && v->u.f == floor(v->u.f) && fabs(v->u.f) < 9.2e18) {
			*out = xv_int((int64_t)v->u.f);
			xv_free(v);
			return NULL;
		}
		goto bad;
	case AT_FLOAT:
		if (v->kind == XV_FLOAT) {
			*out = v;
			return NULL;
		}
		if (v->kind == XV_INT) {
			*out = xv_float((double)v->u.i);
			xv_free(v);
			return NULL;
		}
		if (v->kind == XV_STRING) {
			double f;
			if (!parse_float(v->u.str.s, &f))
				goto bad;
			xv_free(v);
			*out = xv_float(f);
			return NULL;
		}
		goto bad;
	case AT_BOOL:
		if (v->kind != XV_BOOL)
			goto bad;
		*out = v;
		return NULL;
	case AT_DATETIME:
		if (v->kind == XV_DATETIME) {
			*out = v;
			return NULL;
		}
		if (v->kind == XV_STRING) {
			int64_t ts;
			double f;
			if (xv_datetime_parse(v->u.str.s, &ts) == 0) {
			} else if (parse_float(v->u.str.s, &f)) {
				ts = (int64_t)f; /* the Java SDK's float fallback */
			} else {
				goto bad;
			}
			xv_free(v);
			*out = xv_datetime(ts);
			return NULL;
		}
		if (v->kind == XV_INT || v->kind == XV_FLOAT) {
			int64_t ts = v->kind == XV_INT ? v->u.i : (int64_t)v->u.f;
			xv_free(v);
			*out = xv_datetime(ts);
			return NULL;
		}
		goto bad;
	case AT_ENUM: {
		if (v->kind != XV_STRING)
			goto bad;
		int i = api_enum_value(t->enm, v->u.str.s);
		if (i < 0) {
			e = xerr_new("INVALID_VALUE", what ? what : "", v->u.str.s, NULL);
			xv_free(v);
			return e;
		}
		xv_free(v);
		*out = xv_str(api_enums[t->enm].values[i]);
		return NULL;
	}
	case AT_REF:
		if (v->kind == XV_NIL) {
			xv_free(v);
			*out = xv_str(HX_NULL_REF);
			return NULL;
		}
		if (v->kind != XV_STRING)
			goto bad;
		if (v->u.str.len == 0) {
			xv_free(v);
			*out = xv_str(HX_NULL_REF);
			return NULL;
		}
		*out = v;
		return NULL;
	case AT_SET: {
		if (v->kind != XV_ARRAY)
			goto bad;
		xv *res = xv_array();
		for (size_t i = 0; i < v->u.arr.n; i++) {
			xv *item;
			e = api_coerce(t->elem, v->u.arr.items[i], what, &item);
			v->u.arr.items[i] = NULL;
			if (e) {
				xv_free(res);
				xv_free(v);
				return e;
			}
			/* Sets have no duplicates. */
			bool dup = false;
			for (size_t j = 0; j < res->u.arr.n && !dup; j++)
				dup = xv_equal(res->u.arr.items[j], item);
			if (dup)
				xv_free(item);
			else
				xv_array_push(res, item);
		}
		xv_free(v);
		*out = res;
		return NULL;
	}
	case AT_MAP: {
		if (v->kind == XV_ARRAY && v->u.arr.n == 0) { /* {} sent as [] */
			xv_free(v);
			*out = xv_struct();
			return NULL;
		}
		if (v->kind != XV_STRUCT)
			goto bad;
		xv *res = xv_struct();
		for (size_t i = 0; i < v->u.st.n; i++) {
			char *k = NULL;
			xv *val = NULL;
			e = coerce_key(t->key, v->u.st.m[i].key, what, &k);
			if (e)
				goto map_fail;
			e = api_coerce(t->elem, v->u.st.m[i].val, what, &val);
			v->u.st.m[i].val = NULL;
			if (e) {
				free(k);
				goto map_fail;
			}
			xv_struct_set(res, k, val);
			free(k);
			continue;
map_fail:
			xv_free(res);
			xv_free(v);
			return e;
		}
		xv_free(v);
		*out = res;
		return NULL;
	}
	case AT_RECORD: {
		if (v->kind != XV_STRUCT)
			goto bad;
		const api_class *c = &api_classes[t->cls];
		xv *res = xv_struct();
		for (int f = 0; f < c->nfields; f++) {
			xv *fv = xv_struct_get(v, c->fields[f].name);
			if (!fv)
				continue;
			xv *typed;
			e = api_coerce(c->fields[f].type, xv_dup(fv), c->fields[f].name, &typed);
			if (e) {
				xv_free(res);
				xv_free(v);
				return e;
			}
			xv_struct_set(res, c->fields[f].name, typed);
		}
		xv_free(v);
		*out = res;
		return NULL;
	}
	case AT_OPTION:
		if (v->kind == XV_NIL) {
			*out = v;
			return NULL;
		}
		return api_coerce(t->elem, v, what, out);
	}
bad:
	xv_free(v);
	return type_error(what);
}

static xv *zero_value(const api_type *t)
{
	switch (t->kind) {
	case AT_VOID:
	case AT_STRING:
		return xv_str("");
	case AT_INT:
		return xv_int(0);
	case AT_FLOAT:
		return xv_float(0.0);
	case AT_BOOL:
		return xv_bool(false);
	case AT_DATETIME:
		return xv_datetime(0);
	case AT_ENUM:
		return xv_str(api_enums[t->enm].nvalues ? api_enums[t->enm].values[0] : "");
	case AT_REF:
		return xv_str(HX_NULL_REF);
	case AT_SET:
		return xv_array();
	case AT_MAP:
		return xv_struct();
	case AT_RECORD:
		return api_default_record(t->cls);
	case AT_OPTION:
		return xv_nil();
	}
	return xv_nil();
}

xv *api_default_value(const api_type *t, const char *default_json)
{
	if (default_json) {
		xv *raw = NULL, *typed = NULL;
		char *msg = NULL;
		if (jsonrpc_value_from_json(default_json, strlen(default_json), &raw, &msg) == 0) {
			xerr *e = api_coerce(t, raw, "default", &typed);
			if (!e)
				return typed;
			xerr_free(e);
		}
		free(msg);
	}
	return zero_value(t);
}

xv *api_default_record(int cls)
{
	const api_class *c = &api_classes[cls];
	xv *r = xv_struct();
	for (int f = 0; f < c->nfields; f++) {
		const api_field *fd = &c->fields[f];
		if (fd->internal_only)
			continue;
		xv_struct_set(r, fd->name, api_default_value(fd->type, fd->default_json));
	}
	return r;
}

char *api_value_to_string(const xv *v)
{
	char buf[64];
	if (!v)
		return hx_strdup("");
	switch (v->kind) {
	case XV_STRING:
		return hx_strdup(v->u.str.s);
	case XV_INT:
		return hx_asprintf("%" PRId64, v->u.i);
	case XV_FLOAT:
		return hx_asprintf("%.16g", v->u.f);
	case XV_BOOL:
		return hx_strdup(v->u.b ? "true" : "false");
	case XV_DATETIME:
		xv_datetime_format(v->u.dt, buf, sizeof(buf));
		return hx_strdup(buf);
	case XV_NIL:
		return hx_strdup("");
	default:
		return jsonrpc_value_to_json(v);
	}
}
