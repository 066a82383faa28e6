/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows <-> records: the column encoding of every API type, defaults, and
 * the reads and writes of store.h.
 *
 * Columns: string/enum/ref as TEXT, int and bool as INTEGER, float REAL,
 * datetime INTEGER (epoch seconds; TEXT in an old row is parsed), and
 * set/map/record/option as JSON text. JSON has no datetime and only
 * string keys, so reading JSON back walks the field's api_type: strings
 * become XV_DATETIME where the type says datetime, integers become
 * floats where it says float, and so on. A NULL column reads as the
 * field's default.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../xapid/rpc/jsonrpc.h"
#include "store_int.h"

#define MAX_VALUE_DEPTH 64

bool rec_is_derived(const api_field *f)
{
	return f->rel_class >= 0;
}

/* Appends a member without the duplicate-key scan of xv_struct_set
 * (the caller knows keys are unique): get_all_records builds ~1M. */
static void push_member(xv *st, const char *key, xv *val)
{
	if (st->u.st.n == st->u.st.cap) {
		size_t cap = st->u.st.cap ? st->u.st.cap * 2 : 16;
		st->u.st.m = hx_realloc(st->u.st.m, cap * sizeof(xv_member));
		st->u.st.cap = cap;
	}
	st->u.st.m[st->u.st.n].key = hx_strdup(key);
	st->u.st.m[st->u.st.n].val = val;
	st->u.st.n++;
}

/* The value a field without a default starts with. */
static xv *zero_value(const store *s, const api_type *t)
{
	switch (t->kind) {
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
	case AT_ENUM: {
		const api_enum *e = s && t->enm >= 0 && t->enm < s->sc.nenums && s->sc.enums
					    ? &s->sc.enums[t->enm]
					    : NULL;
		return xv_str(e && e->nvalues > 0 ? e->values[0] : "");
	}
	case AT_REF:
		return xv_str("OpaqueRef:NULL");
	case AT_RECORD:
	case AT_MAP:
		return xv_struct();
	case AT_SET:
		return xv_array();
	case AT_OPTION:
	case AT_VOID:
		break;
	}
	return xv_nil();
}

/*
 * Converts a value decoded from JSON into the API-typed form of t.
 * Takes v; returns the converted value (never NULL).
 */
static xv *typed(const store *s, const api_type *t, xv *v, int depth)
{
	if (!t || depth > MAX_VALUE_DEPTH)
		return v ? v : xv_nil();
	switch (t->kind) {
	case AT_STRING:
	case AT_ENUM:
	case AT_REF:
		if (v->kind == XV_STRING)
			return v;
		if (v->kind == XV_INT) {
			xv *r = xv_strf("%lld", (long long)v->u.i);
			xv_free(v);
			return r;
		}
		break;
	case AT_INT:
		if (v->kind == XV_INT)
			return v;
		if (v->kind == XV_FLOAT) {
			double f = v->u.f;
			xv_free(v);
			return xv_int(f >= -9.2e18 && f <= 9.2e18 ? (int64_t)f : 0);
		}
		if (v->kind == XV_STRING) {
			char *end;
			errno = 0;
			long long i = strtoll(v->u.str.s, &end, 10);
			bool ok = !errno && end != v->u.str.s && !*end;
			xv_free(v);
			return xv_int(ok ? i : 0);
		}
		break;
	case AT_FLOAT:
		if (v->kind == XV_FLOAT)
			return v;
		if (v->kind == XV_INT) {
			double f = (double)v->u.i;
			xv_free(v);
			return xv_float(f);
		}
		if (v->kind == XV_STRING) {
			char *end;
			double f = strtod(v->u.str.s, &end);
			bool ok = end != v->u.str.s && !*end;
			xv_free(v);
			return xv_float(ok ? f : 0.0);
		}
		break;
	case AT_BOOL:
		if (v->kind == XV_BOOL)
			return v;
		if (v->kind == XV_STRING) {
			bool b = strcmp(v->u.str.s, "true") == 0;
			xv_free(v);
			return xv_bool(b);
		}
		if (v->kind == XV_INT) {
			bool b = v->u.i != 0;
			xv_free(v);
			return xv_bool(b);
		}
		break;
	case AT_DATETIME:
		if (v->kind == XV_DATETIME)
			return v;
		if (v->kind == XV_STRING) {
			int64_t dt = 0;
			if (xv_datetime_parse(v->u.str.s, &dt) < 0)
				dt = 0;
			xv_free(v);
			return xv_datetime(dt);
		}
		if (v->kind == XV_INT) {
			int64_t dt = v->u.i;
			xv_free(v);
			return xv_datetime(dt);
		}
		break;
	case AT_SET:
		if (v->kind == XV_ARRAY) {
			for (size_t i = 0; i < v->u.arr.n; i++)
				v->u.arr.items[i] = typed(s, t->elem, v->u.arr.items[i], depth + 1);
			return v;
		}
		break;
	case AT_MAP:
		if (v->kind == XV_STRUCT) {
			for (size_t i = 0; i < v->u.st.n; i++)
				v->u.st.m[i].val = typed(s, t->elem, v->u.st.m[i].val, depth + 1);
			return v;
		}
		break;
	case AT_OPTION:
		if (v->kind == XV_NIL)
			return v;
		return typed(s, t->elem, v, depth + 1);
	case AT_RECORD:
		if (v->kind == XV_STRUCT) {
			const api_class *c = s && t->cls >= 0 && t->cls < s->sc.nclasses
						     ? &s->sc.classes[t->cls]
						     : NULL;
			for (size_t i = 0; c && i < v->u.st.n; i++)
				for (int f = 0; f < c->nfields; f++)
					if (strcmp(c->fields[f].name, v->u.st.m[i].key) == 0) {
						v->u.st.m[i].val = typed(s, c->fields[f].type,
									 v->u.st.m[i].val,
									 depth + 1);
						break;
					}
			return v;
		}
		break;
	case AT_VOID:
		return v;
	}
	/* Wrong shape (a corrupted column): the zero value of the type. */
	xv_free(v);
	return zero_value(s, t);
}

xv *rec_default(const store *s, const api_field *f)
{
	if (f->default_json) {
		xv *v = NULL;
		char *m = NULL;
		if (jsonrpc_value_from_json(f->default_json, strlen(f->default_json), &v, &m) == 0 &&
		    v)
			return typed(s, f->type, v, 0);
		free(m);
		xv_free(v);
	}
	return zero_value(s, f->type);
}

/* True when v has the shape of type t (containers checked recursively). */
static bool shape_ok(const api_type *t, const xv *v, int depth)
{
	if (!v || depth > MAX_VALUE_DEPTH)
		return false;
	switch (t->kind) {
	case AT_STRING:
	case AT_ENUM:
	case AT_REF:
		return v->kind == XV_STRING;
	case AT_INT:
		return v->kind == XV_INT;
	case AT_FLOAT:
		return v->kind == XV_FLOAT || v->kind == XV_INT;
	case AT_BOOL:
		return v->kind == XV_BOOL;
	case AT_DATETIME: {
		int64_t dt;
		return v->kind == XV_DATETIME || v->kind == XV_INT ||
		       (v->kind == XV_STRING && xv_datetime_parse(v->u.str.s, &dt) == 0);
	}
	case AT_SET:
		if (v->kind != XV_ARRAY)
			return false;
		for (size_t i = 0; i < v->u.arr.n; i++)
			if (!shape_ok(t->elem, v->u.arr.items[i], depth + 1))
				return false;
		return true;
	case AT_MAP:
		if (v->kind != XV_STRUCT)
			return false;
		for (size_t i = 0; i < v->u.st.n; i++)
			if (!shape_ok(t->elem, v->u.st.m[i].val, depth + 1))
				return false;
		return true;
	case AT_OPTION:
		return v->kind == XV_NIL || shape_ok(t->elem, v, depth + 1);
	case AT_RECORD:
		return v->kind == XV_STRUCT;
	case AT_VOID:
		return true;
	}
	return false;
}

/*
 * Binds v as the column value of field f at parameter idx. v NULL binds
 * NULL (reads back as the default). FIELD_TYPE_ERROR when v does not
 * have the field's type.
 */
xerr *rec_bind(sqlite3_stmt *st, int idx, const api_class *c, const api_field *f, const xv *v)
{
	const api_type *t = f->type;
	int rc = SQLITE_OK;
	if (!v)
		return sqlite3_bind_null(st, idx) == SQLITE_OK
			       ? NULL
			       : xerr_new("INTERNAL_ERROR", "store: bind", NULL);
	if (!shape_ok(t, v, 0))
		return xerr_newf("FIELD_TYPE_ERROR", "%s", f->name);
	switch (t->kind) {
	case AT_STRING:
	case AT_ENUM:
	case AT_REF:
		rc = sqlite3_bind_text64(st, idx, v->u.str.s, v->u.str.len, SQLITE_TRANSIENT,
					 SQLITE_UTF8);
		break;
	case AT_INT:
		rc = sqlite3_bind_int64(st, idx, v->u.i);
		break;
	case AT_FLOAT:
		rc = sqlite3_bind_double(st, idx, v->kind == XV_INT ? (double)v->u.i : v->u.f);
		break;
	case AT_BOOL:
		rc = sqlite3_bind_int(st, idx, v->u.b ? 1 : 0);
		break;
	case AT_DATETIME: {
		int64_t dt = v->kind == XV_DATETIME ? v->u.dt : v->kind == XV_INT ? v->u.i : 0;
		if (v->kind == XV_STRING)
			xv_datetime_parse(v->u.str.s, &dt);
		rc = sqlite3_bind_int64(st, idx, dt);
		break;
	}
	default: {
		const char *fast = NULL;
		if ((v->kind == XV_ARRAY || v->kind == XV_STRUCT) && xv_len(v) == 0)
			fast = v->kind == XV_ARRAY ? "[]" : "{}";
		else if (v->kind == XV_NIL)
			fast = "null";
		if (fast) {
			rc = sqlite3_bind_text(st, idx, fast, -1, SQLITE_STATIC);
			break;
		}
		char *json = jsonrpc_value_to_json(v);
		if (!json)
			return xerr_newf("FIELD_TYPE_ERROR", "%s", f->name);
		rc = sqlite3_bind_text(st, idx, json, -1, free);
		break;
	}
	}
	(void)c;
	return rc == SQLITE_OK ? NULL : xerr_new("INTERNAL_ERROR", "store: bind", NULL);
}

/* The API-typed value of column idx for field f (new value). */
xv *rec_column(const store *s, sqlite3_stmt *st, int idx, const api_field *f, const xv *dflt)
{
	const api_type *t = f->type;
	int ct = sqlite3_column_type(st, idx);
	if (ct == SQLITE_NULL)
		return dflt ? xv_dup(dflt) : zero_value(s, t);
	switch (t->kind) {
	case AT_STRING:
	case AT_ENUM:
	case AT_REF: {
		const unsigned char *p = sqlite3_column_text(st, idx);
		return xv_strn(p ? (const char *)p : "", (size_t)sqlite3_column_bytes(st, idx));
	}
	case AT_INT:
		return xv_int(sqlite3_column_int64(st, idx));
	case AT_BOOL:
		return xv_bool(sqlite3_column_int64(st, idx) != 0);
	case AT_FLOAT:
		return xv_float(sqlite3_column_double(st, idx));
	case AT_DATETIME: {
		if (ct == SQLITE_TEXT) {
			int64_t dt = 0;
			const unsigned char *p = sqlite3_column_text(st, idx);
			if (!p || xv_datetime_parse((const char *)p, &dt) < 0)
				dt = 0;
			return xv_datetime(dt);
		}
		return xv_datetime(sqlite3_column_int64(st, idx));
	}
	default:
		break;
	}
	const char *p = (const char *)sqlite3_column_text(st, idx);
	size_t n = (size_t)sqlite3_column_bytes(st, idx);
	if (!p)
		return dflt ? xv_dup(dflt) : zero_value(s, t);
	if (n == 2 && p[0] == '[' && p[1] == ']')
		return typed(s, t, xv_array(), 0);
	if (n == 2 && p[0] == '{' && p[1] == '}')
		return typed(s, t, xv_struct(), 0);
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return typed(s, t, xv_nil(), 0);
	xv *v = NULL;
	char *m = NULL;
	if (jsonrpc_value_from_json(p, n, &v, &m) < 0 || !v) {
		free(m);
		xv_free(v);
		return dflt ? xv_dup(dflt) : zero_value(s, t);
	}
	return typed(s, t, v, 0);
}

/* ---- checks shared by the operations ---- */

static xerr *check_cls(txn *t, int cls)
{
	if (!t)
		return xerr_new("INTERNAL_ERROR", "store: no txn", NULL);
	if (cls < 0 || cls >= t->s->sc.nclasses || !t->s->ci[cls].table)
		return st_bad_class(t->s, cls);
	return NULL;
}

static xerr *check_write(txn *t, int cls, const char *ref)
{
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	if (!t->write)
		return xerr_new("INTERNAL_ERROR", "store: write in a read-only txn", NULL);
	if (!ref)
		return xerr_new("HANDLE_INVALID", t->s->sc.classes[cls].name, "", NULL);
	return NULL;
}

static xerr *handle_invalid(txn *t, int cls, const char *ref)
{
	return xerr_new("HANDLE_INVALID", t->s->sc.classes[cls].name, ref ? ref : "", NULL);
}

/* ---- writes ---- */

xerr *store_create(txn *t, int cls, const char *ref, const xv *record)
{
	xerr *e = check_write(t, cls, ref);
	if (e)
		return e;
	if (record && record->kind != XV_STRUCT)
		return xerr_new("FIELD_TYPE_ERROR", "record", NULL);
	const cls_info *ci = &t->s->ci[cls];
	sqlite3_stmt *st = st_cstmt(t, cls, CS_INSERT, &e);
	if (!st)
		return e;
	int64_t gen = st_txn_gen(t);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, gen);
	sqlite3_bind_int64(st, 3, gen);
	for (int k = 0; k < ci->nstored && !e; k++) {
		int fi = ci->stored[k];
		const api_field *f = &ci->c->fields[fi];
		const xv *v = record ? xv_struct_get(record, f->name) : NULL;
		e = rec_bind(st, 4 + k, ci->c, f, v ? v : ci->defaults[fi]);
	}
	if (!e) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			e = xerr_new("DB_UNIQUENESS_CONSTRAINT_VIOLATION", ci->c->name, "_ref",
				     ref, NULL);
		else if (rc != SQLITE_DONE)
			e = st_sqlerr(t->c->db, "create");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return e;
}

xerr *store_destroy(txn *t, int cls, const char *ref)
{
	xerr *e = check_write(t, cls, ref);
	if (e)
		return e;
	sqlite3_stmt *st = st_cstmt(t, cls, CS_EXISTS, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t cgen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return handle_invalid(t, cls, ref);
	if (rc != SQLITE_ROW)
		return st_sqlerr(t->c->db, "destroy");
	st = st_cstmt(t, cls, CS_DELETE, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_sqlerr(t->c->db, "destroy");
	st_txn_gen(t);
	if (t->s->sc.classes[cls].gen_events)
		e = ev_tomb_add(t, cls, ref, cgen);
	return e;
}

xerr *store_set_field(txn *t, int cls, const char *ref, int field, const xv *val)
{
	xerr *e = check_write(t, cls, ref);
	if (e)
		return e;
	sqlite3_stmt *st = st_fstmt(t, cls, field, FS_UPDATE, &e);
	if (!st)
		return e;
	const api_class *c = t->s->ci[cls].c;
	if (!val)
		val = t->s->ci[cls].defaults[field];
	e = rec_bind(st, 2, c, &c->fields[field], val);
	if (e) {
		sqlite3_clear_bindings(st);
		return e;
	}
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, st_txn_gen(t));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return st_sqlerr(t->c->db, "set field");
	if (sqlite3_changes(t->c->db) == 0)
		return handle_invalid(t, cls, ref);
	return NULL;
}

xerr *store_touch(txn *t, int cls, const char *ref)
{
	xerr *e = check_write(t, cls, ref);
	if (e)
		return e;
	sqlite3_stmt *st = st_cstmt(t, cls, CS_TOUCH, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, st_txn_gen(t));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return st_sqlerr(t->c->db, "touch");
	if (sqlite3_changes(t->c->db) == 0)
		return handle_invalid(t, cls, ref);
	return NULL;
}

/* ---- reads ---- */

bool store_exists(txn *t, int cls, const char *ref)
{
	xerr *e = check_cls(t, cls);
	if (e || !ref) {
		xerr_free(e);
		return false;
	}
	sqlite3_stmt *st = st_cstmt(t, cls, CS_EXISTS, &e);
	if (!st) {
		xerr_free(e);
		return false;
	}
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* Refs of the objects whose relation field points at ref (derived field). */
static xerr *relation_refs(txn *t, int cls, int field, const char *ref, xv **out)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_fstmt(t, cls, field, FS_REL, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	xv *arr = xv_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		xv_array_push(arr, xv_strn((const char *)sqlite3_column_text(st, 0),
					   (size_t)sqlite3_column_bytes(st, 0)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		xv_free(arr);
		return st_sqlerr(t->c->db, "relation");
	}
	*out = arr;
	return NULL;
}

/* ref -> xv array of refs, for the bulk computation of one relation. */
typedef struct relent {
	char *key;
	uint64_t h;
	xv *refs;
} relent;

typedef struct relmap {
	relent *e;
	size_t cap, n;
} relmap;

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static relent *relmap_slot(relmap *m, const char *key, size_t n, uint64_t h)
{
	size_t i = h & (m->cap - 1);
	while (m->e[i].key && (m->e[i].h != h || strcmp(m->e[i].key, key) != 0 ||
			       strlen(m->e[i].key) != n))
		i = (i + 1) & (m->cap - 1);
	return &m->e[i];
}

static void relmap_add(relmap *m, const char *key, size_t n, const char *ref, size_t rn)
{
	if ((m->n + 1) * 2 > m->cap) {
		relmap old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->e = hx_calloc(m->cap, sizeof(relent));
		for (size_t i = 0; i < old.cap; i++)
			if (old.e[i].key)
				*relmap_slot(m, old.e[i].key, strlen(old.e[i].key), old.e[i].h) =
					old.e[i];
		free(old.e);
	}
	uint64_t h = hash_str(key, n);
	relent *e = relmap_slot(m, key, n, h);
	if (!e->key) {
		e->key = hx_strndup(key, n);
		e->h = h;
		e->refs = xv_array();
		m->n++;
	}
	xv_array_push(e->refs, xv_strn(ref, rn));
}

static const xv *relmap_get(const relmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t n = strlen(key);
	relent *e = relmap_slot((relmap *)m, key, n, hash_str(key, n));
	return e->key ? e->refs : NULL;
}

static void relmap_clear(relmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->e[i].key);
		xv_free(m->e[i].refs);
	}
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}

static xerr *relmap_load(txn *t, int cls, int field, relmap *m)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_fstmt(t, cls, field, FS_RELALL, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		if (!k)
			continue;
		size_t kn = (size_t)sqlite3_column_bytes(st, 0);
		const char *r = (const char *)sqlite3_column_text(st, 1);
		relmap_add(m, k, kn, r ? r : "", (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? NULL : st_sqlerr(t->c->db, "relation");
}

/*
 * Builds the record from the current row of a CS_GET_ROW/CS_ALL_ROWS
 * statement. maps (per field, may be NULL) holds bulk relations;
 * otherwise derived fields are queried. wire: leave out internal_only.
 */
static xerr *build_record(txn *t, int cls, sqlite3_stmt *row, const relmap *maps, xv **out)
{
	const cls_info *ci = &t->s->ci[cls];
	const char *ref = (const char *)sqlite3_column_text(row, 0);
	xv *rec = xv_struct();
	rec->u.st.cap = (size_t)ci->c->nfields;
	rec->u.st.m = hx_malloc(rec->u.st.cap * sizeof(xv_member) + 1);
	for (int f = 0; f < ci->c->nfields; f++) {
		const api_field *fd = &ci->c->fields[f];
		if (fd->internal_only)
			continue;
		xv *v = NULL;
		if (ci->col[f] >= 0) {
			v = rec_column(t->s, row, ci->col[f], fd, ci->defaults[f]);
		} else if (maps) {
			const xv *r = relmap_get(&maps[f], ref ? ref : "");
			v = r ? xv_dup(r) : xv_array();
		} else {
			xerr *e = relation_refs(t, cls, f, ref ? ref : "", &v);
			if (e) {
				xv_free(rec);
				return e;
			}
		}
		push_member(rec, fd->name, v);
	}
	*out = rec;
	return NULL;
}

xerr *store_get_record(txn *t, int cls, const char *ref, xv **out)
{
	*out = NULL;
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	if (!ref)
		return handle_invalid(t, cls, ref);
	sqlite3_stmt *st = st_cstmt(t, cls, CS_GET_ROW, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = build_record(t, cls, st, NULL, out);
	else if (rc == SQLITE_DONE)
		e = handle_invalid(t, cls, ref);
	else
		e = st_sqlerr(t->c->db, "get_record");
	sqlite3_reset(st);
	return e;
}

xerr *store_get_field(txn *t, int cls, const char *ref, int field, xv **out)
{
	*out = NULL;
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	const cls_info *ci = &t->s->ci[cls];
	if (field < 0 || field >= ci->c->nfields)
		return xerr_newf("INTERNAL_ERROR", "store: bad field index %d of %s", field,
				 ci->c->name);
	if (!ref)
		return handle_invalid(t, cls, ref);
	if (ci->col[field] < 0) {
		if (!store_exists(t, cls, ref))
			return handle_invalid(t, cls, ref);
		return relation_refs(t, cls, field, ref, out);
	}
	sqlite3_stmt *st = st_fstmt(t, cls, field, FS_GET, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = rec_column(t->s, st, 0, &ci->c->fields[field], ci->defaults[field]);
	else if (rc == SQLITE_DONE)
		e = handle_invalid(t, cls, ref);
	else
		e = st_sqlerr(t->c->db, "get_field");
	sqlite3_reset(st);
	return e;
}

/* Runs a one-text-column statement (already bound) into an array. */
static xerr *collect_refs(txn *t, sqlite3_stmt *st, xv **out)
{
	xv *arr = xv_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		xv_array_push(arr, xv_strn((const char *)sqlite3_column_text(st, 0),
					   (size_t)sqlite3_column_bytes(st, 0)));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		xv_free(arr);
		return st_sqlerr(t->c->db, "query");
	}
	*out = arr;
	return NULL;
}

xerr *store_get_all(txn *t, int cls, xv **out)
{
	*out = NULL;
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	sqlite3_stmt *st = st_cstmt(t, cls, CS_ALL_REFS, &e);
	return st ? collect_refs(t, st, out) : e;
}

xerr *store_get_all_records(txn *t, int cls, xv **out)
{
	*out = NULL;
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	const cls_info *ci = &t->s->ci[cls];
	relmap *maps = hx_calloc((size_t)ci->c->nfields + 1, sizeof(relmap));
	for (int f = 0; f < ci->c->nfields && !e; f++)
		if (ci->col[f] < 0 && !ci->c->fields[f].internal_only)
			e = relmap_load(t, cls, f, &maps[f]);
	sqlite3_stmt *st = e ? NULL : st_cstmt(t, cls, CS_ALL_ROWS, &e);
	xv *all = xv_struct();
	int rc = SQLITE_DONE;
	while (st && !e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		xv *rec = NULL;
		e = build_record(t, cls, st, maps, &rec);
		if (!e)
			push_member(all, (const char *)sqlite3_column_text(st, 0), rec);
	}
	if (st) {
		if (!e && rc != SQLITE_DONE)
			e = st_sqlerr(t->c->db, "get_all_records");
		sqlite3_reset(st);
	}
	for (int f = 0; f < ci->c->nfields; f++)
		relmap_clear(&maps[f]);
	free(maps);
	if (e) {
		xv_free(all);
		return e;
	}
	*out = all;
	return NULL;
}

xerr *store_find(txn *t, int cls, int field, const xv *val, xv **refs)
{
	*refs = NULL;
	xerr *e = check_cls(t, cls);
	if (e)
		return e;
	sqlite3_stmt *st = st_fstmt(t, cls, field, FS_FIND, &e);
	if (!st)
		return e;
	const api_class *c = t->s->ci[cls].c;
	if (!val)
		return xerr_new("INTERNAL_ERROR", "store: find without a value", NULL);
	e = rec_bind(st, 1, c, &c->fields[field], val);
	if (e) {
		sqlite3_clear_bindings(st);
		return e;
	}
	return collect_refs(t, st, refs);
}

char *store_ref_of_uuid(txn *t, int cls, const char *uuid)
{
	xerr *e = check_cls(t, cls);
	if (e || !uuid || t->s->sc.classes[cls].uuid_field < 0) {
		xerr_free(e);
		return NULL;
	}
	sqlite3_stmt *st = st_fstmt(t, cls, t->s->sc.classes[cls].uuid_field, FS_FIND, &e);
	if (!st) {
		xerr_free(e);
		return NULL;
	}
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	char *ref = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		ref = hx_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ref;
}

int store_class_of_ref(txn *t, const char *ref)
{
	if (!t || !ref)
		return -1;
	for (int i = 0; i < t->s->sc.nclasses; i++)
		if (t->s->ci[i].table && store_exists(t, i, ref))
			return i;
	return -1;
}

int64_t store_count(txn *t, int cls)
{
	xerr *e = check_cls(t, cls);
	sqlite3_stmt *st = e ? NULL : st_cstmt(t, cls, CS_COUNT, &e);
	if (!st) {
		xerr_free(e);
		return -1;
	}
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return n;
}
