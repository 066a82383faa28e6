/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The implicit messages every database class gets for free: getters,
 * setters, map/set add and remove, create/destroy, get_by_uuid,
 * get_by_name_label, get_record, get_all, get_all_records(_where).
 * Nothing here knows about any particular class.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "store.h"
#include "util.h"
#include "where.h"
#include "xapid.h"

int obj_fld(int cls, const char *name)
{
	int f = api_find_field(cls, name);
	if (f < 0) {
		fprintf(stderr, "xapid: internal: no field %s.%s\n", api_classes[cls].name, name);
		abort();
	}
	return f;
}

xv *obj_get(txn *t, int cls, const char *ref, const char *field)
{
	xv *v = NULL;
	xerr *e = store_get_field(t, cls, ref, obj_fld(cls, field), &v);
	if (e) {
		xerr_free(e);
		return NULL;
	}
	return v;
}

char *obj_get_str(txn *t, int cls, const char *ref, const char *field)
{
	xv *v = obj_get(t, cls, ref, field);
	char *s = api_value_to_string(v);
	xv_free(v);
	return s;
}

xerr *obj_set(txn *t, int cls, const char *ref, const char *field, xv *val)
{
	xerr *e = store_set_field(t, cls, ref, obj_fld(cls, field), val);
	xv_free(val);
	return e;
}

xerr *obj_create(txn *t, int cls, xv *rec, char **ref_out)
{
	const api_class *c = &api_classes[cls];
	xv *full = api_default_record(cls);
	for (size_t i = 0; rec && i < rec->u.st.n; i++) {
		xv_struct_set(full, rec->u.st.m[i].key, rec->u.st.m[i].val);
		rec->u.st.m[i].val = NULL;
	}
	xv_free(rec);
	if (c->uuid_field >= 0) {
		const char *u = xv_struct_str(full, "uuid");
		if (!u || !*u) {
			char uuid[37];
			hx_uuid(uuid);
			xv_struct_set(full, "uuid", xv_str(uuid));
		}
	}
	char *ref = hx_new_ref();
	xerr *e = store_create(t, cls, ref, full);
	xv_free(full);
	if (e || !ref_out)
		free(ref);
	else
		*ref_out = ref;
	return e;
}

/* A non-null ref stored into a field must name a live object. */
static xerr *check_ref_value(txn *t, const api_type *ty, const xv *v)
{
	if (ty->kind == AT_REF && v && v->kind == XV_STRING && !hx_is_null_ref(v->u.str.s) &&
	    api_classes[ty->cls].sql_create)
		return check_ref(t, ty->cls, v->u.str.s);
	if (ty->kind == AT_SET && ty->elem->kind == AT_REF && v && v->kind == XV_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++) {
			xerr *e = check_ref_value(t, ty->elem, v->u.arr.items[i]);
			if (e)
				return e;
		}
	}
	return NULL;
}

static xerr *do_constructor(call_ctx *ctx, xv *raw, xv **result)
{
	const api_msg *m = ctx->msg;
	const api_class *c = &api_classes[m->cls];
	xv *rec = xv_struct();
	xerr *e = NULL;
	txn *t = NULL;

	/* Only the creatable fields are read; everything else is ignored. */
	for (int i = 0; i < m->nctor_fields; i++) {
		const api_field *f = &c->fields[m->ctor_fields[i].field];
		xv *w = xv_struct_get(raw, f->name);
		if (!w)
			continue;
		xv *typed;
		if ((e = api_coerce(f->type, xv_dup(w), f->name, &typed)))
			goto out;
		xv_struct_set(rec, f->name, typed);
	}
	if ((e = db_begin(ctx, true, &t)))
		goto out;
	for (size_t i = 0; i < rec->u.st.n; i++) {
		int fi = api_find_field(m->cls, rec->u.st.m[i].key);
		if ((e = check_ref_value(t, c->fields[fi].type, rec->u.st.m[i].val)))
			goto out;
	}
	char *ref = NULL;
	e = obj_create(t, m->cls, rec, &ref);
	rec = NULL;
	if (e)
		goto out;
	e = db_commit(t);
	t = NULL;
	if (e)
		free(ref);
	else
		*result = xv_str_own(ref);
out:
	store_rollback(t);
	xv_free(rec);
	return e;
}

static xerr *map_dup_error(txn *t, int cls, const char *ref, const char *field, const char *key)
{
	char *uuid = api_classes[cls].uuid_field >= 0 ? obj_get_str(t, cls, ref, "uuid") :
							 hx_strdup(ref);
	xerr *e = xerr_new("MAP_DUPLICATE_KEY", api_classes[cls].name, field, uuid, key, NULL);
	free(uuid);
	return e;
}

/* add_to_/remove_from_ (maps) and add_/remove_ (sets). */
static xerr *do_collection(call_ctx *ctx, xv *const *args, bool add)
{
	const api_msg *m = ctx->msg;
	const api_field *f = &api_classes[m->cls].fields[m->field];
	const char *ref = xv_s(args[0]);
	txn *t = NULL;
	xv *cur = NULL;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, m->cls, ref)))
		goto out;
	if ((e = store_get_field(t, m->cls, ref, m->field, &cur)))
		goto out;
	if (f->type->kind == AT_MAP) {
		const char *key = xv_s(args[1]);
		if (add) {
			if (xv_struct_get(cur, key)) {
				e = map_dup_error(t, m->cls, ref, f->name, key);
				goto out;
			}
			xv_struct_set(cur, key, xv_dup(args[2]));
		} else if (!xv_struct_del(cur, key)) {
			goto out; /* removing a missing key succeeds, changes nothing */
		}
	} else {
		size_t i;
		for (i = 0; i < cur->u.arr.n; i++)
			if (xv_equal(cur->u.arr.items[i], args[1]))
				break;
		if (add) {
			if (i < cur->u.arr.n)
				goto out;
			if ((e = check_ref_value(t, f->type->elem, args[1])))
				goto out;
			xv_array_push(cur, xv_dup(args[1]));
		} else {
			if (i == cur->u.arr.n)
				goto out;
			xv_free(xv_array_take(cur, i));
		}
	}
	if ((e = store_set_field(t, m->cls, ref, m->field, cur)))
		goto out;
	e = db_commit(t);
	t = NULL;
out:
	xv_free(cur);
	store_rollback(t);
	return e;
}

static xerr *do_where(call_ctx *ctx, const char *expr, bool records, xv **result)
{
	char *msg = NULL;
	where_expr *w = where_parse(expr, &msg);
	if (!w) {
		xerr *e = xerr_new("INVALID_VALUE", "expr", msg ? msg : expr, NULL);
		free(msg);
		return e;
	}
	txn *t = NULL;
	xv *all = NULL;
	xerr *e = db_begin(ctx, false, &t);
	if (!e)
		e = store_get_all_records(t, ctx->msg->cls, &all);
	store_rollback(t);
	if (e) {
		where_free(w);
		return e;
	}
	xv *res = records ? xv_struct() : xv_array();
	for (size_t i = 0; i < all->u.st.n; i++) {
		if (!where_eval(w, all->u.st.m[i].val))
			continue;
		if (records) {
			xv_struct_set(res, all->u.st.m[i].key, all->u.st.m[i].val);
			all->u.st.m[i].val = NULL;
		} else {
			xv_array_push(res, xv_str(all->u.st.m[i].key));
		}
	}
	xv_free(all);
	where_free(w);
	*result = res;
	return NULL;
}

xerr *implicit_call(call_ctx *ctx, xv *const *args, xv **result)
{
	const api_msg *m = ctx->msg;
	const api_class *c = &api_classes[m->cls];
	txn *t = NULL;
	xerr *e = NULL;

	if (!c->sql_create)
		return xerr_new("NOT_IMPLEMENTED", m->wire_name, NULL);

	switch (m->kind) {
	case MK_CONSTRUCTOR:
		return do_constructor(ctx, args[0], result);
	case MK_FIELD_ADD:
		return do_collection(ctx, args, true);
	case MK_FIELD_REMOVE:
		return do_collection(ctx, args, false);
	case MK_GET_ALL_WHERE:
	case MK_GET_ALL_RECORDS_WHERE:
		return do_where(ctx, xv_s(args[0]), m->kind == MK_GET_ALL_RECORDS_WHERE, result);
	case MK_FIELD_SETTER:
	case MK_DESTRUCTOR:
		if ((e = db_begin(ctx, true, &t)))
			return e;
		if ((e = check_ref(t, m->cls, xv_s(args[0]))))
			break;
		if (m->kind == MK_DESTRUCTOR) {
			e = store_destroy(t, m->cls, xv_s(args[0]));
		} else {
			const api_field *f = &c->fields[m->field];
			if (!(e = check_ref_value(t, f->type, args[1])))
				e = store_set_field(t, m->cls, xv_s(args[0]), m->field, args[1]);
		}
		if (!e) {
			e = db_commit(t);
			t = NULL;
		}
		break;
	default:
		if ((e = db_begin(ctx, false, &t)))
			return e;
		switch (m->kind) {
		case MK_FIELD_GETTER:
			if (!(e = check_ref(t, m->cls, xv_s(args[0]))))
				e = store_get_field(t, m->cls, xv_s(args[0]), m->field, result);
			break;
		case MK_GET_RECORD:
			if (!(e = check_ref(t, m->cls, xv_s(args[0]))))
				e = store_get_record(t, m->cls, xv_s(args[0]), result);
			break;
		case MK_GET_BY_UUID: {
			char *ref = store_ref_of_uuid(t, m->cls, xv_s(args[0]));
			if (ref)
				*result = xv_str_own(ref);
			else
				e = xerr_new("UUID_INVALID", c->name, xv_s(args[0]), NULL);
			break;
		}
		case MK_GET_BY_NAME_LABEL:
			e = store_find(t, m->cls, c->name_label_field, args[0], result);
			break;
		case MK_GET_ALL:
			e = store_get_all(t, m->cls, result);
			break;
		case MK_GET_ALL_RECORDS:
			e = store_get_all_records(t, m->cls, result);
			break;
		default:
			e = xerr_new("NOT_IMPLEMENTED", m->wire_name, NULL);
		}
	}
	store_rollback(t);
	return e;
}
