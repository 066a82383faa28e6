/* SPDX-License-Identifier: Apache-2.0 */
/*
 * message.*: alerts attached to objects. The datamodel does not keep
 * messages in XAPI's database (XAPI writes them to files), so every
 * message of the class is custom; Halyard keeps them in the "message"
 * table that the generator emits anyway, which gives durability and
 * events (event.from delivers them to those who subscribe to "message")
 * for free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "where.h"
#include "xapid.h"

/* The body of one message is text for humans; a megabyte is plenty. */
#define MESSAGE_BODY_MAX (1024 * 1024)
/* XAPI's default message_limit: older messages are reaped beyond it. */
#define MESSAGE_LIMIT 10000

/* The class (index) that a cls enum value names, or -1. */
static int class_of_cls(const char *cls)
{
	int c = api_find_class_ci(cls);
	return c >= 0 && api_classes[c].sql_create && api_classes[c].uuid_field >= 0 ? c : -1;
}

static bool object_exists(txn *t, const char *cls, const char *uuid)
{
	int c = class_of_cls(cls);
	if (c < 0 || !uuid || !*uuid)
		return false;
	char *ref = store_ref_of_uuid(t, c, uuid);
	free(ref);
	return ref != NULL;
}

struct stamped {
	const char *ref;
	int64_t ts;
};

static int by_ts(const void *a, const void *b)
{
	const struct stamped *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/*
 * Keeps the table bounded: past MESSAGE_LIMIT, destroys the oldest ones
 * down to 90% of it, so that the scan runs once per many creations.
 */
static xerr *reap_old(txn *t)
{
	if (store_count(t, CLS_message) <= MESSAGE_LIMIT)
		return NULL;
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_message, &all);
	if (e)
		return e;
	size_t n = xv_len(all);
	struct stamped *v = hx_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		xv *ts = xv_struct_get(all->u.st.m[i].val, "timestamp");
		v[i].ref = all->u.st.m[i].key;
		v[i].ts = ts && ts->kind == XV_DATETIME ? ts->u.dt : 0;
	}
	qsort(v, n, sizeof(*v), by_ts);
	size_t keep = MESSAGE_LIMIT * 9 / 10;
	for (size_t i = 0; i + keep < n && !e; i++)
		e = store_destroy(t, CLS_message, v[i].ref);
	free(v);
	xv_free(all);
	return e;
}

xerr *op_message_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *cls = xv_s(args[2]), *obj_uuid = xv_s(args[3]);
	if (xv_len(args[4]) > MESSAGE_BODY_MAX)
		return xerr_new("INVALID_VALUE", "body", "longer than 1048576 bytes", NULL);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if (!object_exists(t, cls, obj_uuid)) {
		e = xerr_new("UUID_INVALID", cls, obj_uuid, NULL);
		goto fail;
	}
	xv *rec = xv_struct();
	xv_struct_set(rec, "name", xv_dup(args[0]));
	xv_struct_set(rec, "priority", xv_dup(args[1]));
	xv_struct_set(rec, "cls", xv_dup(args[2]));
	xv_struct_set(rec, "obj_uuid", xv_dup(args[3]));
	xv_struct_set(rec, "timestamp", xv_datetime(hx_now()));
	xv_struct_set(rec, "body", xv_dup(args[4]));
	char *ref = NULL;
	if ((e = obj_create(t, CLS_message, rec, &ref)))
		goto fail;
	if ((e = reap_old(t)) || (e = db_commit(t))) {
		if (e && t)
			store_rollback(t);
		free(ref);
		return e;
	}
	*result = xv_str_own(ref);
	return NULL;
fail:
	store_rollback(t);
	return e;
}

xerr *op_message_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_message, xv_s(args[0]))) ||
	    (e = store_destroy(t, CLS_message, xv_s(args[0])))) {
		store_rollback(t);
		return e;
	}
	return db_commit(t);
}

/* All or nothing: one missing message leaves every other one in place. */
xerr *op_message_destroy_many(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	for (size_t i = 0; i < xv_len(args[0]) && !e; i++) {
		const char *ref = xv_s(xv_array_get(args[0], i));
		if (!store_exists(t, CLS_message, ref))
			continue; /* a duplicate in the list, already gone */
		e = store_destroy(t, CLS_message, ref);
	}
	if (e) {
		store_rollback(t);
		return e;
	}
	return db_commit(t);
}

/* Records of messages for which keep(rec, arg) is true, as ref -> record. */
static xerr *select_messages(call_ctx *ctx, bool (*keep)(const xv *, const void *),
			     const void *arg, xv **result)
{
	txn *t;
	xv *all = NULL;
	xerr *e = db_begin(ctx, false, &t);
	if (!e)
		e = store_get_all_records(t, CLS_message, &all);
	store_rollback(t);
	if (e)
		return e;
	xv *out = xv_struct();
	for (size_t i = 0; i < all->u.st.n; i++) {
		if (keep && !keep(all->u.st.m[i].val, arg))
			continue;
		xv_struct_append(out, all->u.st.m[i].key, all->u.st.m[i].val);
		all->u.st.m[i].key = NULL;
		all->u.st.m[i].val = NULL;
	}
	xv_free(all); /* what was moved out is NULL there */
	*result = out;
	return NULL;
}

static int64_t ts_of(const xv *rec)
{
	xv *ts = xv_struct_get(rec, "timestamp");
	return ts && ts->kind == XV_DATETIME ? ts->u.dt : 0;
}

struct obj_filter {
	const char *cls, *uuid;
	int64_t since;
};

static bool keep_obj(const xv *rec, const void *arg)
{
	const struct obj_filter *f = arg;
	const char *c = xv_struct_str(rec, "cls"), *u = xv_struct_str(rec, "obj_uuid");
	return c && u && !strcmp(c, f->cls) && !strcmp(u, f->uuid) && ts_of(rec) > f->since;
}

static bool keep_since(const xv *rec, const void *arg)
{
	return ts_of(rec) > *(const int64_t *)arg;
}

xerr *op_message_get(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	struct obj_filter f = { xv_s(args[0]), xv_s(args[1]), args[2]->u.dt };
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	bool ok = object_exists(t, f.cls, f.uuid);
	store_rollback(t);
	if (!ok)
		return xerr_new("UUID_INVALID", NULL); /* XAPI gives no parameters here */
	return select_messages(ctx, keep_obj, &f, result);
}

xerr *op_message_get_since(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	int64_t since = args[0]->u.dt;
	return select_messages(ctx, keep_since, &since, result);
}

xerr *op_message_get_all_records(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return select_messages(ctx, NULL, NULL, result);
}

static bool keep_where(const xv *rec, const void *arg)
{
	return where_eval(arg, rec);
}

xerr *op_message_get_all_records_where(call_ctx *ctx, const api_msg *m, xv *const *args,
				       xv **result)
{
	char *msg = NULL;
	where_expr *w = where_parse(xv_s(args[0]), &msg);
	if (!w) {
		xerr *e = xerr_new("INVALID_VALUE", "expr", msg ? msg : xv_s(args[0]), NULL);
		free(msg);
		return e;
	}
	xerr *e = select_messages(ctx, keep_where, w, result);
	where_free(w);
	return e;
}

xerr *op_message_get_all(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (!e)
		e = store_get_all(t, CLS_message, result);
	store_rollback(t);
	return e;
}

xerr *op_message_get_record(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_message, xv_s(args[0]))))
		e = store_get_record(t, CLS_message, xv_s(args[0]), result);
	store_rollback(t);
	return e;
}

xerr *op_message_get_by_uuid(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	char *ref = store_ref_of_uuid(t, CLS_message, xv_s(args[0]));
	store_rollback(t);
	if (!ref)
		return xerr_new("UUID_INVALID", "message", xv_s(args[0]), NULL);
	*result = xv_str_own(ref);
	return NULL;
}

/*
 * message.destroy_all(filters): destroys every message matching all the
 * filters. Keys: "name", "priority", "cls", "obj_uuid" (equal to the
 * field's text) and "before"/"after" (a datetime the message's timestamp
 * is earlier/later than). No filters: every message. An unknown key or a
 * bad datetime changes nothing and is an INVALID_VALUE.
 */
xerr *op_message_destroy_all(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	static const char *const fields[] = { "name", "priority", "cls", "obj_uuid", NULL };
	const xv *f = args[0];
	int64_t before = INT64_MAX, after = INT64_MIN;
	for (size_t i = 0; i < f->u.st.n; i++) {
		const char *k = f->u.st.m[i].key, *v = xv_s(f->u.st.m[i].val);
		bool known = false;
		for (int j = 0; fields[j]; j++)
			known |= !strcmp(k, fields[j]);
		if (known)
			continue;
		int64_t ts;
		bool is_b = !strcmp(k, "before"), is_a = !strcmp(k, "after");
		if ((!is_b && !is_a) || xv_datetime_parse(v, &ts))
			return xerr_new("INVALID_VALUE", k, v, NULL);
		if (is_b)
			before = ts;
		else
			after = ts;
	}
	xv *all = NULL;
	xerr *e = select_messages(ctx, NULL, NULL, &all);
	if (e)
		return e;
	txn *t;
	if ((e = db_begin(ctx, true, &t))) {
		xv_free(all);
		return e;
	}
	for (size_t i = 0; i < all->u.st.n && !e; i++) {
		const xv *rec = all->u.st.m[i].val;
		bool match = ts_of(rec) < before && ts_of(rec) > after;
		for (size_t j = 0; j < f->u.st.n && match; j++) {
			const char *k = f->u.st.m[j].key;
			if (!strcmp(k, "before") || !strcmp(k, "after"))
				continue;
			char *have = api_value_to_string(xv_struct_get(rec, k));
			match = !strcmp(have, xv_s(f->u.st.m[j].val));
			free(have);
		}
		if (match && store_exists(t, CLS_message, all->u.st.m[i].key))
			e = store_destroy(t, CLS_message, all->u.st.m[i].key);
	}
	xv_free(all);
	if (e) {
		store_rollback(t);
		return e;
	}
	return db_commit(t);
}
