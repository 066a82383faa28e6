/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the object store over the fixture schema (fixture_meta.c):
 * CRUD, defaults, the column encoding of every type, derived relations,
 * bulk reads, lookups, events and tombstones, waiters, concurrent readers,
 * the reset at open, schema upgrade, dump and restore.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store.h"
#include "fixture.h"
#include "tcheck.h"

static char tmpdir[64];

static char *dbpath(const char *name)
{
	return hx_asprintf("%s/%s", tmpdir, name);
}

static store *open_db(const char *path)
{
	store *s = NULL;
	char *m = NULL;
	int rc = store_open(&s, path, &m);
	CHECK(rc == 0 && s, "store_open %s: %d %s", path, rc, m ? m : "");
	free(m);
	if (!s) {
		printf("cannot continue\n");
		exit(1);
	}
	return s;
}

static txn *begin(store *s, bool write)
{
	txn *t = NULL;
	xerr *e = store_begin(s, write, &t);
	CHECK(e == NULL && t, "store_begin(%d): %s", write, e ? e->code : "");
	xerr_free(e);
	if (!t)
		exit(1);
	return t;
}

static void commit(txn *t)
{
	CHECK_OK(store_commit(t));
}

static xv *vm_rec(const char *uuid, const char *label)
{
	xv *r = xv_struct();
	xv_struct_set(r, "uuid", xv_str(uuid));
	xv_struct_set(r, "name_label", xv_str(label));
	return r;
}

static void create(store *s, int cls, const char *ref, xv *rec /* taken */)
{
	txn *t = begin(s, true);
	CHECK_OK(store_create(t, cls, ref, rec));
	commit(t);
	xv_free(rec);
}

static xv *get_field(store *s, int cls, const char *ref, int f)
{
	txn *t = begin(s, false);
	xv *v = NULL;
	CHECK_OK(store_get_field(t, cls, ref, f, &v));
	commit(t);
	return v;
}

static bool same_set(const xv *a, const xv *b)
{
	if (!a || !b || a->kind != XV_ARRAY || b->kind != XV_ARRAY || xv_len(a) != xv_len(b))
		return false;
	for (size_t i = 0; i < xv_len(a); i++) {
		bool found = false;
		for (size_t j = 0; j < xv_len(b) && !found; j++)
			found = xv_equal(xv_array_get(a, i), xv_array_get(b, j));
		if (!found)
			return false;
	}
	return true;
}

static xv *strs(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	xv *a = xv_array();
	for (int i = 0; i < n; i++)
		xv_array_push(a, xv_str(va_arg(ap, const char *)));
	va_end(ap);
	return a;
}

static void test_crud(void)
{
	char *p = dbpath("crud.db");
	store *s = open_db(p);
	xv *r = vm_rec("u-1", "one");
	xv_struct_set(r, "power_state", xv_str("Running"));
	xv_struct_set(r, "memory_static_max", xv_int(2147483648));
	xv_struct_set(r, "is_a_template", xv_bool(true));
	xv_struct_set(r, "VBDs", xv_str("ignored: derived")); /* derived: ignored */
	xv_struct_set(r, "bogus", xv_int(1));                /* unknown: ignored */
	create(s, FX_VM, "OpaqueRef:vm1", r);

	txn *t = begin(s, false);
	xv *rec = NULL;
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:vm1", &rec));
	CHECK(rec && !strcmp(xv_struct_str(rec, "name_label"), "one"), "name_label");
	CHECK(rec && !strcmp(xv_struct_str(rec, "power_state"), "Running"), "power_state");
	CHECK(rec && xv_struct_get(rec, "memory_static_max")->u.i == 2147483648, "memory");
	CHECK(rec && xv_struct_get(rec, "is_a_template")->u.b, "is_a_template");
	CHECK(rec && !xv_struct_get(rec, "secret"), "internal_only field in get_record");
	CHECK(rec && !xv_struct_get(rec, "bogus"), "unknown key stored");
	CHECK(rec && xv_len(xv_struct_get(rec, "VBDs")) == 0, "derived VBDs empty");
	xv_free(rec);
	xv *v = NULL;
	CHECK_OK(store_get_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_secret, &v));
	CHECK(v && !strcmp(xv_s(v), "hidden"), "internal_only field via get_field");
	xv_free(v);
	CHECK(store_exists(t, FX_VM, "OpaqueRef:vm1"), "exists");
	CHECK(!store_exists(t, FX_VM, "OpaqueRef:nope"), "not exists");
	CHECK(!store_exists(t, FX_VBD, "OpaqueRef:vm1"), "exists in other class");
	CHECK(!store_exists(t, 99, "OpaqueRef:vm1") && !store_exists(t, FX_VM, NULL), "bad args");
	xerr *e = store_get_record(t, FX_VM, "OpaqueRef:nope", &rec);
	CHECK(e && !strcmp(e->code, "HANDLE_INVALID") && e->nparams == 2 &&
		      !strcmp(e->params[0], "VM") && !strcmp(e->params[1], "OpaqueRef:nope"),
	      "HANDLE_INVALID [VM, ref]");
	xerr_free(e);
	CHECK_ERR(store_get_field(t, FX_VM, "OpaqueRef:nope", FX_VM_name_label, &v),
		  "HANDLE_INVALID");
	CHECK_ERR(store_get_field(t, FX_VM, "OpaqueRef:nope", FX_VM_VBDs, &v), "HANDLE_INVALID");
	CHECK_ERR(store_get_field(t, FX_VM, "OpaqueRef:vm1", 1000, &v), "INTERNAL_ERROR");
	CHECK_ERR(store_get_record(t, -1, "x", &rec), "INTERNAL_ERROR");
	CHECK_ERR(store_get_record(t, 77, "x", &rec), "INTERNAL_ERROR");
	CHECK_ERR(store_get_record(t, FX_VM, NULL, &rec), "HANDLE_INVALID");
	CHECK_ERR(store_set_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_name_label, v),
		  "INTERNAL_ERROR"); /* read txn */
	CHECK(store_count(t, FX_VM) == 1, "count");
	commit(t);

	t = begin(s, true);
	xv *nl = xv_str("renamed");
	CHECK_OK(store_set_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_name_label, nl));
	CHECK_ERR(store_set_field(t, FX_VM, "OpaqueRef:nope", FX_VM_name_label, nl),
		  "HANDLE_INVALID");
	xv_free(nl);
	xv *bad = xv_int(3);
	CHECK_ERR(store_set_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_name_label, bad),
		  "FIELD_TYPE_ERROR");
	xv_free(bad);
	bad = xv_array();
	xv_array_push(bad, xv_int(1));
	CHECK_ERR(store_set_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_tags, bad),
		  "FIELD_TYPE_ERROR");
	xv_free(bad);
	bad = xv_array();
	CHECK_ERR(store_set_field(t, FX_VM, "OpaqueRef:vm1", FX_VM_VBDs, bad), "INTERNAL_ERROR");
	xv_free(bad);
	r = vm_rec("u-dup", "dup");
	CHECK_ERR(store_create(t, FX_VM, "OpaqueRef:vm1", r), "DB_UNIQUENESS_CONSTRAINT_VIOLATION");
	bad = xv_str("not a struct");
	CHECK_ERR(store_create(t, FX_VM, "OpaqueRef:vm2", bad), "FIELD_TYPE_ERROR");
	xv_free(bad);
	xv_struct_set(r, "memory_static_max", xv_str("12"));
	CHECK_ERR(store_create(t, FX_VM, "OpaqueRef:vm2", r), "FIELD_TYPE_ERROR");
	xv_free(r);
	CHECK_ERR(store_destroy(t, FX_VM, "OpaqueRef:nope"), "HANDLE_INVALID");
	CHECK_ERR(store_touch(t, FX_VM, "OpaqueRef:nope"), "HANDLE_INVALID");
	CHECK_ERR(store_create(t, FX_VM, NULL, NULL), "HANDLE_INVALID");
	CHECK_ERR(store_create(t, 4242, "OpaqueRef:x", NULL), "INTERNAL_ERROR");
	CHECK(!store_exists(t, FX_VM, "OpaqueRef:vm2"), "failed create left a row");
	commit(t);

	v = get_field(s, FX_VM, "OpaqueRef:vm1", FX_VM_name_label);
	CHECK(v && !strcmp(xv_s(v), "renamed"), "set_field stored");
	xv_free(v);

	t = begin(s, true);
	CHECK_OK(store_destroy(t, FX_VM, "OpaqueRef:vm1"));
	CHECK(!store_exists(t, FX_VM, "OpaqueRef:vm1"), "destroyed (same txn)");
	commit(t);
	t = begin(s, false);
	CHECK(!store_exists(t, FX_VM, "OpaqueRef:vm1"), "destroyed");
	CHECK(store_count(t, FX_VM) == 0, "count 0");
	commit(t);

	/* rollback discards */
	t = begin(s, true);
	r = vm_rec("u-rb", "rb");
	CHECK_OK(store_create(t, FX_VM, "OpaqueRef:rb", r));
	xv_free(r);
	int64_t g = store_generation(s);
	CHECK(store_rollback(t) == NULL, "rollback returns NULL");
	CHECK(store_rollback(NULL) == NULL, "rollback(NULL)");
	t = begin(s, false);
	CHECK(!store_exists(t, FX_VM, "OpaqueRef:rb"), "rolled back");
	commit(t);
	CHECK(store_generation(s) == g, "rollback does not bump the generation");
	CHECK(store_close(s) == NULL && store_close(NULL) == NULL, "close returns NULL");
	OK("create/get/set/destroy/touch, HANDLE_INVALID [class, ref], internal_only only via "
	   "get_field, type errors, duplicate refs, rollback");
	free(p);
}

static void test_defaults(void)
{
	char *p = dbpath("defaults.db");
	store *s = open_db(p);
	create(s, FX_VM, "OpaqueRef:d", NULL);
	txn *t = begin(s, false);
	xv *r = NULL;
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:d", &r));
	commit(t);
	struct {
		const char *f;
		const char *want;
	} cases[] = {
		{ "uuid", "\"\"" },
		{ "name_label", "\"\"" },
		{ "power_state", "\"Halted\"" },
		{ "memory_static_max", "1073741824" },
		{ "is_a_template", "false" },
		{ "other_config", "{}" },
		{ "VBDs", "[]" },
		{ "resident_on", "\"OpaqueRef:NULL\"" },
		{ "snapshot_times", "[]" },
		{ "suspend_label", "null" },
		{ "domid", "-1" },
		{ "last_seen", "null" },
		{ "affinity", "\"OpaqueRef:NULL\"" },
		{ "first_vbd", "null" },
		{ "notes", "\"none\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = xv_to_debug(xv_struct_get(r, cases[i].f));
		CHECK(d && strstr(d, cases[i].want) == d, "%s: got %s want %s", cases[i].f, d,
		      cases[i].want);
		free(d);
	}
	xv *v = xv_struct_get(r, "HVM_shadow_multiplier");
	CHECK(v && v->kind == XV_FLOAT && v->u.f == 1.0, "float default");
	v = xv_struct_get(r, "last_booted");
	CHECK(v && v->kind == XV_DATETIME && v->u.dt == 0, "datetime without default: epoch");
	v = xv_struct_get(r, "created");
	CHECK(v && v->kind == XV_DATETIME && v->u.dt == 1577836800, "datetime default");
	v = xv_struct_get(r, "tags");
	CHECK(v && v->kind == XV_ARRAY && xv_len(v) == 1 &&
		      !strcmp(xv_s(xv_array_get(v, 0)), "default-tag"),
	      "set default");
	v = xv_struct_get(r, "blocked");
	CHECK(v && v->kind == XV_STRUCT && !strcmp(xv_struct_str(v, "start"), "no"),
	      "map default");
	xv_free(r);
	create(s, FX_task, "OpaqueRef:t", NULL);
	v = get_field(s, FX_task, "OpaqueRef:t", FX_task_status);
	CHECK(v && !strcmp(xv_s(v), "pending"), "enum default");
	xv_free(v);
	store_close(s);

	/* A NULL column (e.g. written by something else) reads as the default. */
	sqlite3 *db = NULL;
	sqlite3_open(p, &db);
	CHECK(sqlite3_exec(db, "UPDATE VM SET notes=NULL, tags=NULL, created=NULL", NULL, NULL,
			   NULL) == SQLITE_OK,
	      "raw update");
	sqlite3_close(db);
	s = open_db(p);
	v = get_field(s, FX_VM, "OpaqueRef:d", FX_VM_notes);
	CHECK(v && !strcmp(xv_s(v), "none"), "NULL string column -> default");
	xv_free(v);
	v = get_field(s, FX_VM, "OpaqueRef:d", FX_VM_tags);
	CHECK(v && xv_len(v) == 1, "NULL set column -> default");
	xv_free(v);
	v = get_field(s, FX_VM, "OpaqueRef:d", FX_VM_created);
	CHECK(v && v->kind == XV_DATETIME && v->u.dt == 1577836800, "NULL datetime -> default");
	xv_free(v);
	store_close(s);
	OK("defaults of every kind (default_json parsed per type; none: \"\"/0/false/epoch/"
	   "OpaqueRef:NULL/empty/nil/first enum value); NULL columns read as defaults");
	free(p);
}

static xv *dt_map(void)
{
	xv *m = xv_struct();
	xv_struct_set(m, "boot", xv_datetime(1700000000));
	xv_struct_set(m, "zero", xv_datetime(0));
	xv_struct_set(m, "neg", xv_datetime(-86400));
	return m;
}

static void test_types(void)
{
	char *p = dbpath("types.db");
	store *s = open_db(p);
	xv *r = vm_rec("u-types", "héllo \"quoted\" 'single' \\ \t tab ☃");
	xv_struct_set(r, "memory_static_max", xv_int(INT64_MAX));
	xv_struct_set(r, "domid", xv_int(INT64_MIN));
	xv_struct_set(r, "HVM_shadow_multiplier", xv_float(-2.5e-7));
	xv_struct_set(r, "is_a_template", xv_bool(true));
	xv *oc = xv_struct();
	xv_struct_set(oc, "key with spaces", xv_str("v"));
	xv_struct_set(oc, "", xv_str("empty key"));
	xv_struct_set(oc, "unicode ☃", xv_str("\"json\" {special} [chars]"));
	xv_struct_set(r, "other_config", oc);
	xv_struct_set(r, "last_booted", xv_datetime(1742357784));
	xv_struct_set(r, "boot_times", dt_map());
	xv *dts = xv_array();
	xv_array_push(dts, xv_datetime(1));
	xv_array_push(dts, xv_datetime(2000000000));
	xv_struct_set(r, "snapshot_times", dts);
	xv_struct_set(r, "suspend_label", xv_str("suspended here"));
	xv *fs = xv_struct();
	xv *fl = xv_array();
	xv_array_push(fl, xv_float(1.5));
	xv_array_push(fl, xv_float(2.0));
	xv_array_push(fl, xv_float(-3.25));
	xv_struct_set(fs, "x", fl);
	xv_struct_set(fs, "empty", xv_array());
	xv_struct_set(r, "float_sets", fs);
	xv_struct_set(r, "last_seen", xv_datetime(1600000000));
	xv *ik = xv_struct();
	xv_struct_set(ik, "1", xv_str("one"));
	xv_struct_set(ik, "-42", xv_str("minus"));
	xv_struct_set(r, "int_keys", ik);
	xv *bl = xv_struct();
	xv_struct_set(bl, "clean_shutdown", xv_str("because"));
	xv_struct_set(r, "blocked", bl);
	xv_struct_set(r, "affinity", xv_str("OpaqueRef:h"));
	xv *vbd = xv_struct();
	xv_struct_set(vbd, "uuid", xv_str("vbd-u"));
	xv_struct_set(vbd, "bootable", xv_bool(true));
	xv_struct_set(vbd, "mode", xv_str("RO"));
	xv_struct_set(vbd, "other_config", xv_struct());
	xv_struct_set(r, "first_vbd", vbd);
	xv_struct_set(r, "tags", strs(3, "a", "b", ""));
	xv_struct_set(r, "created", xv_datetime(253402300799)); /* 9999-12-31 */
	xv *cur = xv_struct();
	xv_struct_set(cur, "task1", xv_str("start"));
	xv_struct_set(r, "current_operations", cur);
	create(s, FX_VM, "OpaqueRef:types", xv_dup(r));

	txn *t = begin(s, false);
	xv *got = NULL;
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:types", &got));
	commit(t);
	size_t compared = 0;
	for (size_t i = 0; got && i < r->u.st.n; i++) {
		const char *k = r->u.st.m[i].key;
		xv *g = xv_struct_get(got, k);
		char *a = xv_to_debug(r->u.st.m[i].val), *b = xv_to_debug(g);
		CHECK(xv_equal(r->u.st.m[i].val, g), "%s: wrote %s read %s", k, a, b);
		free(a);
		free(b);
		compared++;
	}
	xv *bt = got ? xv_struct_get(got, "boot_times") : NULL;
	CHECK(bt && xv_struct_get(bt, "boot") && xv_struct_get(bt, "boot")->kind == XV_DATETIME,
	      "datetime inside a map reads back as XV_DATETIME");
	xv_free(got);

	/* float given as int; datetime given as string; option back to nil */
	t = begin(s, true);
	xv *v = xv_int(3);
	CHECK_OK(store_set_field(t, FX_VM, "OpaqueRef:types", FX_VM_HVM_shadow_multiplier, v));
	xv_free(v);
	v = xv_str("2025-03-19T04:16:24Z");
	CHECK_OK(store_set_field(t, FX_VM, "OpaqueRef:types", FX_VM_last_booted, v));
	xv_free(v);
	v = xv_nil();
	CHECK_OK(store_set_field(t, FX_VM, "OpaqueRef:types", FX_VM_suspend_label, v));
	CHECK_OK(store_set_field(t, FX_VM, "OpaqueRef:types", FX_VM_first_vbd, v));
	xv_free(v);
	commit(t);
	v = get_field(s, FX_VM, "OpaqueRef:types", FX_VM_HVM_shadow_multiplier);
	CHECK(v && v->kind == XV_FLOAT && v->u.f == 3.0, "int written to float reads as float");
	xv_free(v);
	v = get_field(s, FX_VM, "OpaqueRef:types", FX_VM_last_booted);
	CHECK(v && v->kind == XV_DATETIME && v->u.dt == 1742357784, "datetime from text");
	xv_free(v);
	v = get_field(s, FX_VM, "OpaqueRef:types", FX_VM_suspend_label);
	CHECK(v && v->kind == XV_NIL, "option set to nil");
	xv_free(v);
	v = get_field(s, FX_VM, "OpaqueRef:types", FX_VM_first_vbd);
	CHECK(v && v->kind == XV_NIL, "record option set to nil");
	xv_free(v);
	store_close(s);

	/* Garbage in a JSON column reads as the default, never crashes. */
	sqlite3 *db = NULL;
	sqlite3_open(p, &db);
	sqlite3_exec(db,
		     "UPDATE VM SET other_config='{not json', tags='42', boot_times='[1,2]',"
		     " float_sets='{\"x\": \"nope\"}', last_booted='garbage', domid='12abc'",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	s = open_db(p);
	t = begin(s, false);
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:types", &got));
	commit(t);
	CHECK(got && xv_len(xv_struct_get(got, "other_config")) == 0, "bad JSON -> default");
	CHECK(got && xv_struct_get(got, "tags")->kind == XV_ARRAY, "wrong JSON shape -> set");
	CHECK(got && xv_struct_get(got, "boot_times")->kind == XV_STRUCT, "array for map -> map");
	xv_free(got);
	store_close(s);
	xv_free(r);
	OK("round trip of %zu fields: string (unicode, quotes), int64 extremes, float, bool, "
	   "enum, ref, datetime, sets, maps with datetime/float-set/int/enum keys, string and "
	   "datetime options, record option; coercions; corrupted columns",
	   compared);
	free(p);
}

static void test_relations(void)
{
	char *p = dbpath("rel.db");
	store *s = open_db(p);
	create(s, FX_host, "OpaqueRef:h1", NULL);
	for (int i = 1; i <= 3; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "OpaqueRef:v%d", i);
		xv *r = vm_rec("", "vm");
		xv_struct_set(r, "resident_on", xv_str(i < 3 ? "OpaqueRef:h1" : "OpaqueRef:NULL"));
		create(s, FX_VM, ref, r);
	}
	struct {
		const char *vbd, *vm;
	} vbds[] = { { "OpaqueRef:b1", "OpaqueRef:v1" },
		     { "OpaqueRef:b2", "OpaqueRef:v1" },
		     { "OpaqueRef:b3", "OpaqueRef:v2" } };
	for (size_t i = 0; i < 3; i++) {
		xv *r = xv_struct();
		xv_struct_set(r, "VM", xv_str(vbds[i].vm));
		create(s, FX_VBD, vbds[i].vbd, r);
	}
	xv *v = get_field(s, FX_VM, "OpaqueRef:v1", FX_VM_VBDs);
	xv *want = strs(2, "OpaqueRef:b1", "OpaqueRef:b2");
	CHECK(same_set(v, want), "VM.VBDs of v1");
	xv_free(v);
	xv_free(want);
	v = get_field(s, FX_host, "OpaqueRef:h1", FX_host_resident_VMs);
	want = strs(2, "OpaqueRef:v1", "OpaqueRef:v2");
	CHECK(same_set(v, want), "host.resident_VMs");
	xv_free(v);
	xv_free(want);

	/* move b2 to v3; record and bulk views agree */
	txn *t = begin(s, true);
	v = xv_str("OpaqueRef:v3");
	CHECK_OK(store_set_field(t, FX_VBD, "OpaqueRef:b2", FX_VBD_VM, v));
	xv_free(v);
	commit(t);
	t = begin(s, false);
	xv *all = NULL, *rec = NULL;
	CHECK_OK(store_get_all_records(t, FX_VM, &all));
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:v3", &rec));
	want = strs(1, "OpaqueRef:b2");
	CHECK(rec && same_set(xv_struct_get(rec, "VBDs"), want), "v3.VBDs after move");
	CHECK(all && same_set(xv_struct_get(xv_struct_get(all, "OpaqueRef:v3"), "VBDs"), want),
	      "bulk v3.VBDs");
	xv_free(want);
	want = strs(1, "OpaqueRef:b1");
	CHECK(all && same_set(xv_struct_get(xv_struct_get(all, "OpaqueRef:v1"), "VBDs"), want),
	      "bulk v1.VBDs");
	xv_free(want);
	xv_free(rec);
	xv_free(all);
	CHECK_OK(store_get_all_records(t, FX_host, &all));
	want = strs(2, "OpaqueRef:v1", "OpaqueRef:v2");
	CHECK(all && same_set(xv_struct_get(xv_struct_get(all, "OpaqueRef:h1"), "resident_VMs"),
			      want),
	      "bulk host.resident_VMs");
	xv_free(want);
	xv_free(all);
	commit(t);

	/* self relation: task.subtasks */
	create(s, FX_task, "OpaqueRef:t0", NULL);
	for (int i = 1; i <= 2; i++) {
		xv *r = xv_struct();
		xv_struct_set(r, "subtask_of", xv_str("OpaqueRef:t0"));
		create(s, FX_task, i == 1 ? "OpaqueRef:t1" : "OpaqueRef:t2", r);
	}
	v = get_field(s, FX_task, "OpaqueRef:t0", FX_task_subtasks);
	want = strs(2, "OpaqueRef:t1", "OpaqueRef:t2");
	CHECK(same_set(v, want), "task.subtasks");
	xv_free(v);
	xv_free(want);
	store_close(s);
	OK("derived relations VM.VBDs, host.resident_VMs, task.subtasks: per record, per field "
	   "and in bulk, after a move");
	free(p);
}

static void test_bulk_and_find(void)
{
	char *p = dbpath("bulk.db");
	store *s = open_db(p);
	enum { NVM = 400 };
	txn *t = begin(s, true);
	for (int i = 0; i < NVM; i++) {
		char ref[48], uuid[48], label[32];
		snprintf(ref, sizeof(ref), "OpaqueRef:vm-%d", i);
		snprintf(uuid, sizeof(uuid), "uuid-%d", i);
		snprintf(label, sizeof(label), "label-%d", i % 10);
		xv *r = vm_rec(uuid, label);
		xv_struct_set(r, "is_a_template", xv_bool(i % 4 == 0));
		xv *oc = xv_struct();
		xv_struct_set(oc, "i", xv_strf("%d", i));
		xv_struct_set(r, "other_config", oc);
		xv_struct_set(r, "boot_times", dt_map());
		CHECK_OK(store_create(t, FX_VM, ref, r));
		xv_free(r);
		for (int j = 0; j < 2; j++) {
			char vref[48];
			snprintf(vref, sizeof(vref), "OpaqueRef:vbd-%d-%d", i, j);
			r = xv_struct();
			xv_struct_set(r, "VM", xv_str(ref));
			CHECK_OK(store_create(t, FX_VBD, vref, r));
			xv_free(r);
		}
	}
	commit(t);
	t = begin(s, false);
	xv *all = NULL, *refs = NULL;
	CHECK_OK(store_get_all_records(t, FX_VM, &all));
	CHECK_OK(store_get_all(t, FX_VM, &refs));
	CHECK(all && xv_len(all) == NVM && refs && xv_len(refs) == NVM, "sizes");
	CHECK(store_count(t, FX_VM) == NVM && store_count(t, FX_VBD) == 2 * NVM, "counts");
	int mismatches = 0;
	for (size_t i = 0; refs && i < xv_len(refs); i++) {
		const char *ref = xv_s(xv_array_get(refs, i));
		xv *one = NULL;
		CHECK_OK(store_get_record(t, FX_VM, ref, &one));
		xv *b = xv_struct_get(all, ref);
		if (!one || !b || !xv_equal(one, b))
			mismatches++;
		CHECK(b && xv_len(xv_struct_get(b, "VBDs")) == 2, "VBDs of %s", ref);
		xv_free(one);
	}
	CHECK(mismatches == 0, "%d bulk records differ from get_record", mismatches);
	xv_free(all);
	xv_free(refs);

	xv *key = xv_str("label-3");
	CHECK_OK(store_find(t, FX_VM, FX_VM_name_label, key, &refs));
	CHECK(refs && xv_len(refs) == NVM / 10, "find by name_label: %zu", xv_len(refs));
	xv_free(refs);
	xv_free(key);
	key = xv_bool(true);
	CHECK_OK(store_find(t, FX_VM, FX_VM_is_a_template, key, &refs));
	CHECK(refs && xv_len(refs) == NVM / 4, "find by bool");
	xv_free(refs);
	xv_free(key);
	key = xv_str("OpaqueRef:vm-7");
	CHECK_OK(store_find(t, FX_VBD, FX_VBD_VM, key, &refs));
	CHECK(refs && xv_len(refs) == 2, "find by ref");
	xv_free(refs);
	CHECK_ERR(store_find(t, FX_VM, FX_VM_VBDs, key, &refs), "INTERNAL_ERROR");
	xv_free(key);
	key = xv_int(1);
	CHECK_ERR(store_find(t, FX_VM, FX_VM_name_label, key, &refs), "FIELD_TYPE_ERROR");
	xv_free(key);
	char *ref = store_ref_of_uuid(t, FX_VM, "uuid-123");
	CHECK(ref && !strcmp(ref, "OpaqueRef:vm-123"), "ref_of_uuid");
	free(ref);
	CHECK(store_ref_of_uuid(t, FX_VM, "nope") == NULL, "ref_of_uuid miss");
	CHECK(store_ref_of_uuid(t, FX_VM, NULL) == NULL, "ref_of_uuid NULL");
	CHECK(store_class_of_ref(t, "OpaqueRef:vbd-3-1") == FX_VBD, "class_of_ref VBD");
	CHECK(store_class_of_ref(t, "OpaqueRef:vm-3") == FX_VM, "class_of_ref VM");
	CHECK(store_class_of_ref(t, "OpaqueRef:none") == -1, "class_of_ref miss");
	commit(t);
	store_close(s);
	OK("get_all_records of %d VMs equals get_record of each (incl. derived VBDs); get_all, "
	   "count, find (string, bool, ref), ref_of_uuid, class_of_ref",
	   NVM);
	free(p);
}

typedef struct evlog {
	int n;
	int cls[64];
	char ref[64][48];
	store_op op[64];
	int64_t gen[64];
	int stop_after;
} evlog;

static bool log_change(void *arg, int cls, const char *ref, store_op op, int64_t gen)
{
	evlog *l = arg;
	if (l->n < 64) {
		l->cls[l->n] = cls;
		snprintf(l->ref[l->n], sizeof(l->ref[0]), "%s", ref);
		l->op[l->n] = op;
		l->gen[l->n] = gen;
		l->n++;
	}
	return !(l->stop_after && l->n >= l->stop_after);
}

static void changes(store *s, int cls, int64_t since, evlog *l, const char *want_err)
{
	memset(l, 0, sizeof(*l));
	txn *t = begin(s, false);
	xerr *e = store_changes_since(t, cls, since, log_change, l);
	if (want_err)
		CHECK_ERR(e, want_err);
	else
		CHECK_OK(e);
	commit(t);
}

static void write_one(store *s, int op, int cls, const char *ref)
{
	txn *t = begin(s, true);
	if (op == 0) {
		CHECK_OK(store_create(t, cls, ref, NULL));
	} else if (op == 1) {
		xv *v = xv_str("modified");
		CHECK_OK(store_set_field(t, cls, ref, 1, v));
		xv_free(v);
	} else if (op == 2) {
		CHECK_OK(store_destroy(t, cls, ref));
	} else {
		CHECK_OK(store_touch(t, cls, ref));
	}
	commit(t);
}

static void test_events(void)
{
	char *p = dbpath("events.db");
	store *s = open_db(p);
	write_one(s, 0, FX_VM, "OpaqueRef:X");
	write_one(s, 0, FX_VM, "OpaqueRef:Y");
	write_one(s, 0, FX_VBD, "OpaqueRef:V");
	int64_t since = store_generation(s);
	txn *t = begin(s, false);
	CHECK(store_txn_generation(t) == since, "txn generation of a read txn");
	commit(t);
	t = begin(s, true);
	commit(t);
	CHECK(store_generation(s) == since, "an empty write txn does not bump");

	write_one(s, 1, FX_VM, "OpaqueRef:X");      /* MOD X   since+1 */
	write_one(s, 0, FX_VM, "OpaqueRef:Z");      /* ADD Z   since+2 */
	write_one(s, 2, FX_VM, "OpaqueRef:Y");      /* DEL Y   since+3 */
	write_one(s, 0, FX_VM, "OpaqueRef:W");      /* created and ... */
	write_one(s, 2, FX_VM, "OpaqueRef:W");      /* ... deleted: not reported */
	write_one(s, 0, FX_session, "OpaqueRef:S"); /* no events for session */
	write_one(s, 3, FX_VBD, "OpaqueRef:V");     /* touch: MOD V since+7 */
	write_one(s, 1, FX_VM, "OpaqueRef:Z");      /* MOD Z: reported once, as ADD at +8 */
	CHECK(store_generation(s) == since + 8, "one generation per write txn: %lld",
	      (long long)store_generation(s));

	evlog l;
	changes(s, -1, since, &l, NULL);
	CHECK(l.n == 4, "4 changes, got %d", l.n);
	if (l.n == 4) {
		CHECK(!strcmp(l.ref[0], "OpaqueRef:X") && l.op[0] == STORE_MOD &&
			      l.gen[0] == since + 1,
		      "MOD X first");
		CHECK(!strcmp(l.ref[1], "OpaqueRef:Y") && l.op[1] == STORE_DEL &&
			      l.gen[1] == since + 3 && l.cls[1] == FX_VM,
		      "DEL Y second");
		CHECK(!strcmp(l.ref[2], "OpaqueRef:V") && l.op[2] == STORE_MOD &&
			      l.cls[2] == FX_VBD && l.gen[2] == since + 7,
		      "MOD V (touch) third");
		CHECK(!strcmp(l.ref[3], "OpaqueRef:Z") && l.op[3] == STORE_ADD &&
			      l.gen[3] == since + 8,
		      "ADD Z last (latest generation)");
	}
	changes(s, FX_VBD, since, &l, NULL);
	CHECK(l.n == 1 && l.cls[0] == FX_VBD, "class filter");
	changes(s, FX_session, since, &l, NULL);
	CHECK(l.n == 0, "gen_events=false class never reported");
	changes(s, -1, since + 3, &l, NULL);
	CHECK(l.n == 2, "since+3: V and Z only (%d)", l.n);
	changes(s, -1, store_generation(s), &l, NULL);
	CHECK(l.n == 0, "nothing after the current generation");
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	t = begin(s, false);
	CHECK_OK(store_changes_since(t, -1, since, log_change, &l));
	commit(t);
	CHECK(l.n == 2, "fn returning false stops");
	t = begin(s, false);
	CHECK_ERR(store_changes_since(t, 99, since, log_change, &l), "INTERNAL_ERROR");
	commit(t);

	/* pruning: keep 3 tombstones */
	store_set_tombstone_limit(s, 3);
	int64_t before_prune = store_generation(s);
	for (int i = 0; i < 6; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "OpaqueRef:P%d", i);
		write_one(s, 0, FX_VM, ref);
	}
	int64_t created = store_generation(s);
	for (int i = 0; i < 6; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "OpaqueRef:P%d", i);
		write_one(s, 2, FX_VM, ref);
	}
	changes(s, -1, before_prune, &l, "EVENTS_LOST");
	changes(s, -1, created, &l, "EVENTS_LOST");
	/* the 3 newest tombstones are kept: generations created+4..created+6 */
	changes(s, -1, created + 3, &l, NULL);
	CHECK(l.n == 3 && l.op[0] == STORE_DEL && !strcmp(l.ref[0], "OpaqueRef:P3"),
	      "kept tombstones reported (%d)", l.n);
	changes(s, -1, created + 2, &l, "EVENTS_LOST");
	store_close(s);
	/* generation and horizon survive a reopen */
	s = open_db(p);
	/* +1: the reopen deleted the session row (non-persistent) */
	CHECK(store_generation(s) == created + 7, "generation persisted: %lld",
	      (long long)(store_generation(s) - created));
	changes(s, -1, created + 2, &l, "EVENTS_LOST");
	changes(s, -1, created + 3, &l, NULL);
	CHECK(l.n == 3, "after reopen");
	store_close(s);
	OK("generations per write txn, ADD/MOD/DEL in generation order, created-then-deleted "
	   "not reported, class filter, gen_events=false, stop, EVENTS_LOST after pruning, "
	   "persisted generation and horizon");
	free(p);
}

/* ---- waiters ---- */

typedef struct wstate {
	sem_t sem;
	atomic_int calls;
	store *s;
	store_waiter *self;
	bool unwait_self;
} wstate;

static void wake_post(void *arg)
{
	wstate *w = arg;
	atomic_fetch_add(&w->calls, 1);
	if (w->unwait_self)
		store_unwait(w->s, w->self);
	sem_post(&w->sem);
}

static void *commit_thread(void *arg)
{
	store *s = arg;
	write_one(s, 0, FX_host, "OpaqueRef:wakeup");
	return NULL;
}

typedef struct racer {
	store *s;
	atomic_bool stop;
	atomic_int commits;
} racer;

static void *race_writer(void *arg)
{
	racer *r = arg;
	char ref[48];
	snprintf(ref, sizeof(ref), "OpaqueRef:race");
	write_one(r->s, 0, FX_host, ref);
	while (!atomic_load(&r->stop)) {
		write_one(r->s, 3, FX_host, ref);
		atomic_fetch_add(&r->commits, 1);
	}
	return NULL;
}

static void poison_wake(void *arg)
{
	/* Reads and writes the waiter's memory: ASan flags it if freed. */
	int *p = arg;
	(*p)++;
}

static void test_waiters(void)
{
	char *p = dbpath("wait.db");
	store *s = open_db(p);
	wstate w = { .s = s };
	sem_init(&w.sem, 0, 0);

	/* already exceeded: called at once */
	write_one(s, 0, FX_host, "OpaqueRef:h0");
	store_waiter *h = store_wait(s, store_generation(s) - 1, wake_post, &w);
	CHECK(atomic_load(&w.calls) == 1, "wake at once when already exceeded");
	store_unwait(s, h);

	/* woken by a commit from another thread */
	h = store_wait(s, store_generation(s), wake_post, &w);
	CHECK(atomic_load(&w.calls) == 1, "not woken before a commit");
	pthread_t th;
	pthread_create(&th, NULL, commit_thread, s);
	sem_wait(&w.sem); /* the first post */
	sem_wait(&w.sem); /* the commit's */
	pthread_join(th, NULL);
	CHECK(atomic_load(&w.calls) == 2, "woken exactly once by the commit");
	store_unwait(s, h);

	/* unwait before a commit: never called */
	h = store_wait(s, store_generation(s), wake_post, &w);
	store_unwait(s, h);
	write_one(s, 3, FX_host, "OpaqueRef:h0");
	CHECK(atomic_load(&w.calls) == 2, "unwaited waiter not called");

	/* unwait from inside wake() */
	w.unwait_self = true;
	w.self = store_wait(s, store_generation(s), wake_post, &w);
	write_one(s, 3, FX_host, "OpaqueRef:h0");
	sem_wait(&w.sem);
	CHECK(atomic_load(&w.calls) == 3, "wake that unwaits itself");
	w.unwait_self = false;

	/* race: wait/unwait/free against a stream of commits */
	racer r = { .s = s };
	pthread_create(&th, NULL, race_writer, &r);
	int n = 0;
	int iters = 0;
	for (int i = 0; i < 20000 || atomic_load(&r.commits) < 300; i++, iters++) {
		int *cell = hx_calloc(1, sizeof(int));
		store_waiter *x = store_wait(s, store_generation(s), poison_wake, cell);
		if (i % 3 == 0)
			sched_yield();
		store_unwait(s, x);
		n += *cell;
		free(cell); /* wake must never touch it again */
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	sem_destroy(&w.sem);
	store_close(s);
	OK("waiters: immediate wake, woken by another thread's commit exactly once, unwait "
	   "before commit, unwait from inside wake, %d wait/unwait/free races against %d "
	   "commits (%d woken)",
	   iters, atomic_load(&r.commits), n);
	free(p);
}

/* ---- concurrency ---- */

typedef struct conc {
	store *s;
	atomic_bool stop;
	atomic_int reads, bad;
} conc;

static void *reader_thread(void *arg)
{
	conc *c = arg;
	while (!atomic_load(&c->stop)) {
		txn *t = NULL;
		xerr *e = store_begin(c->s, false, &t);
		if (e) {
			xerr_free(e);
			atomic_fetch_add(&c->bad, 1);
			break;
		}
		int64_t n1 = store_count(t, FX_VM);
		xv *all = NULL;
		e = store_get_all(t, FX_VM, &all);
		int64_t n2 = store_count(t, FX_VM);
		if (e || n1 != n2 || n1 % 2 != 0 || (int64_t)xv_len(all) != n1)
			atomic_fetch_add(&c->bad, 1);
		xerr_free(e);
		xv_free(all);
		xerr_free(store_commit(t));
		atomic_fetch_add(&c->reads, 1);
	}
	return NULL;
}

typedef struct held {
	store *s;
	int64_t count;
	int done;
} held;

static void *read_during_write(void *arg)
{
	held *h = arg;
	txn *t = begin(h->s, false);
	h->count = store_count(t, FX_VM);
	commit(t);
	h->done = 1;
	return NULL;
}

static void test_concurrency(void)
{
	char *p = dbpath("conc.db");
	store *s = open_db(p);
	/* a read txn completes while a write txn is open (no blocking) */
	txn *w = begin(s, true);
	CHECK_OK(store_create(w, FX_VM, "OpaqueRef:c0", NULL));
	CHECK_OK(store_create(w, FX_VM, "OpaqueRef:c1", NULL));
	held h = { .s = s };
	pthread_t th;
	pthread_create(&th, NULL, read_during_write, &h);
	pthread_join(th, NULL);
	CHECK(h.done && h.count == 0, "reader ran during the write txn and saw the old state");
	commit(w);

	conc c = { .s = s };
	pthread_t rd[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&rd[i], NULL, reader_thread, &c);
	for (int i = 0; i < 200; i++) {
		char a[48], b[48];
		snprintf(a, sizeof(a), "OpaqueRef:ca%d", i);
		snprintf(b, sizeof(b), "OpaqueRef:cb%d", i);
		txn *t = begin(s, true);
		CHECK_OK(store_create(t, FX_VM, a, NULL));
		sched_yield();
		CHECK_OK(store_create(t, FX_VM, b, NULL));
		commit(t);
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(rd[i], NULL);
	CHECK(atomic_load(&c.bad) == 0, "%d inconsistent snapshots", atomic_load(&c.bad));
	store_close(s);
	OK("read txn during an open write txn; 4 readers (%d read txns) never saw half a "
	   "write txn and kept a stable snapshot while 200 write txns committed",
	   atomic_load(&c.reads));
	free(p);
}

static void test_reset(void)
{
	char *p = dbpath("reset.db");
	store *s = open_db(p);
	xv *r = vm_rec("u", "keep");
	xv_struct_set(r, "domid", xv_int(5));
	xv *co = xv_struct();
	xv_struct_set(co, "op", xv_str("start"));
	xv_struct_set(r, "current_operations", co);
	create(s, FX_VM, "OpaqueRef:vm", r);
	r = xv_struct();
	xv_struct_set(r, "currently_attached", xv_bool(true));
	create(s, FX_VBD, "OpaqueRef:vbd", r);
	create(s, FX_VBD, "OpaqueRef:vbd-plain", NULL);
	create(s, FX_task, "OpaqueRef:task", NULL);
	create(s, FX_session, "OpaqueRef:sess", NULL);
	int64_t since = store_generation(s);
	store_close(s);

	s = open_db(p);
	txn *t = begin(s, false);
	CHECK(store_exists(t, FX_task, "OpaqueRef:task"),
	      "task rows kept (xapid fails the interrupted ones itself)");
	CHECK(!store_exists(t, FX_session, "OpaqueRef:sess"), "session rows deleted");
	xv *v = NULL;
	CHECK_OK(store_get_field(t, FX_VM, "OpaqueRef:vm", FX_VM_domid, &v));
	CHECK(v && v->u.i == -1, "non-persistent int reset");
	xv_free(v);
	CHECK_OK(store_get_field(t, FX_VM, "OpaqueRef:vm", FX_VM_current_operations, &v));
	CHECK(v && xv_len(v) == 0, "non-persistent map reset");
	xv_free(v);
	CHECK_OK(store_get_field(t, FX_VM, "OpaqueRef:vm", FX_VM_name_label, &v));
	CHECK(v && !strcmp(xv_s(v), "keep"), "persistent field kept");
	xv_free(v);
	CHECK_OK(store_get_field(t, FX_VBD, "OpaqueRef:vbd", FX_VBD_currently_attached, &v));
	CHECK(v && !v->u.b, "non-persistent bool reset");
	xv_free(v);
	commit(t);
	CHECK(store_generation(s) == since + 1, "the reset is one txn (one generation)");
	evlog l;
	changes(s, -1, since, &l, NULL);
	int del_task = 0, mod_vm = 0, mod_vbd = 0, other = 0;
	for (int i = 0; i < l.n; i++) {
		if (l.op[i] == STORE_DEL && !strcmp(l.ref[i], "OpaqueRef:task"))
			del_task++;
		else if (l.op[i] == STORE_MOD && !strcmp(l.ref[i], "OpaqueRef:vm"))
			mod_vm++;
		else if (l.op[i] == STORE_MOD && !strcmp(l.ref[i], "OpaqueRef:vbd"))
			mod_vbd++;
		else
			other++;
	}
	CHECK(del_task == 0 && mod_vm == 1 && mod_vbd == 1 && other == 0,
	      "reset events: VM and VBD MOD, no task DEL, nothing else (%d %d %d %d)", del_task,
	      mod_vm, mod_vbd, other);
	store_close(s);
	s = open_db(p);
	CHECK(store_generation(s) == since + 1, "a reopen with nothing to reset does not bump");
	store_close(s);
	OK("reopen deletes non-persistent rows (with tombstones when the class has events) "
	   "except tasks, resets non-persistent fields in one txn, keeps the rest");
	free(p);
}

static int open_with(const char *path, const store_schema *sc, store **out)
{
	char *m = NULL;
	int rc = store_open_schema(out, path, sc, &m);
	free(m);
	return rc;
}

static char *meta_value(const char *path, const char *key)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *r = NULL;
	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, "SELECT value FROM _meta WHERE key=?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = hx_strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

static void test_upgrade(void)
{
	char *p = dbpath("upgrade.db");
	store *s = NULL;
	CHECK(open_with(p, &fixture_v1, &s) == 0, "open with v1");
	xv *r = vm_rec("u-old", "old");
	xv_struct_set(r, "tags", strs(1, "ignored: not in v1"));
	create(s, FX_VM, "OpaqueRef:old", r);
	txn *t = begin(s, true);
	CHECK_ERR(store_create(t, FX_host, "OpaqueRef:h", NULL), "INTERNAL_ERROR");
	store_rollback(t);
	store_close(s);
	char *h = meta_value(p, "schema_hash");
	CHECK(h && !strcmp(h, "fixture-v1"), "v1 hash recorded");
	free(h);

	s = open_db(p); /* fixture v2 */
	xv *rec = NULL;
	t = begin(s, false);
	CHECK_OK(store_get_record(t, FX_VM, "OpaqueRef:old", &rec));
	commit(t);
	CHECK(rec && !strcmp(xv_struct_str(rec, "name_label"), "old"), "data kept");
	xv *tags = rec ? xv_struct_get(rec, "tags") : NULL;
	CHECK(tags && xv_len(tags) == 1 && !strcmp(xv_s(xv_array_get(tags, 0)), "default-tag"),
	      "new set column has its default");
	CHECK(rec && !strcmp(xv_struct_str(rec, "notes"), "none"), "new string column default");
	CHECK(rec && xv_struct_get(rec, "created")->u.dt == 1577836800, "new datetime default");
	xv_free(rec);
	t = begin(s, false);
	xv *key = xv_str("none");
	xv *refs = NULL;
	CHECK_OK(store_find(t, FX_VM, FX_VM_notes, key, &refs));
	CHECK(refs && xv_len(refs) == 1, "new column filled (find matches the default)");
	xv_free(refs);
	xv_free(key);
	commit(t);
	create(s, FX_host, "OpaqueRef:h", NULL);
	store_close(s);
	h = meta_value(p, "schema_hash");
	CHECK(h && !strcmp(h, "fixture-v2"), "new hash recorded");
	free(h);
	h = meta_value(p, "schema_version");
	CHECK(h && !strcmp(h, "1.1"), "new version recorded");
	free(h);

	/* older code refuses a newer database */
	s = NULL;
	CHECK(open_with(p, &fixture_v1, &s) == -EPROTO && !s, "v1 refuses a v2 database");

	/* foreign files */
	char *f = dbpath("foreign.db");
	sqlite3 *db = NULL;
	sqlite3_open(f, &db);
	sqlite3_exec(db, "CREATE TABLE foo(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	char *m = NULL;
	CHECK(store_open(&s, f, &m) == -EINVAL && !s && m, "foreign sqlite file refused");
	free(m);
	char *txt = dbpath("text.db");
	FILE *fp = fopen(txt, "w");
	fputs("this is not a database, not at all, no sqlite header here....\n", fp);
	fclose(fp);
	m = NULL;
	CHECK(store_open(&s, txt, &m) < 0 && !s && m, "text file refused");
	free(m);
	m = NULL;
	CHECK(store_open(&s, "/nonexistent-dir/x.db", &m) < 0 && !s && m, "bad path refused");
	free(m);
	OK("upgrade v1->v2 adds columns with defaults and missing tables, keeps rows, records "
	   "hash/version; newer database refused; foreign/text files refused");
	free(f);
	free(txt);
	free(p);
}

static void test_dump_restore(void)
{
	char *p = dbpath("live.db"), *d = dbpath("dump.db");
	store *s = open_db(p);
	create(s, FX_VM, "OpaqueRef:a1", vm_rec("u1", "a1"));
	create(s, FX_VM, "OpaqueRef:a2", vm_rec("u2", "a2"));
	create(s, FX_task, "OpaqueRef:t1", NULL);
	xv *before = NULL;
	txn *t = begin(s, false);
	CHECK_OK(store_get_all_records(t, FX_VM, &before));
	commit(t);
	CHECK_OK(store_dump(s, d));
	CHECK(access(d, F_OK) == 0, "dump file exists");

	write_one(s, 2, FX_VM, "OpaqueRef:a1");
	create(s, FX_VM, "OpaqueRef:a3", vm_rec("u3", "a3"));
	write_one(s, 1, FX_VM, "OpaqueRef:a2");
	create(s, FX_task, "OpaqueRef:t2", NULL);
	int64_t pre = store_generation(s);
	txn *reader = begin(s, false); /* a snapshot held across the restore */

	CHECK_OK(store_restore(s, d));
	CHECK(store_generation(s) == pre + 1, "restore is one generation");
	CHECK(store_count(reader, FX_VM) == 2 && store_exists(reader, FX_VM, "OpaqueRef:a3"),
	      "an open snapshot keeps seeing the old data");
	commit(reader);
	t = begin(s, false);
	xv *after = NULL;
	CHECK_OK(store_get_all_records(t, FX_VM, &after));
	CHECK(after && xv_equal(before, after), "VMs as at the dump");
	CHECK(store_exists(t, FX_task, "OpaqueRef:t1") && store_exists(t, FX_task, "OpaqueRef:t2"),
	      "non-persistent rows are the live ones");
	commit(t);
	xv_free(before);
	xv_free(after);
	evlog l;
	changes(s, -1, pre, &l, "EVENTS_LOST");
	changes(s, -1, pre + 1, &l, NULL);
	CHECK(l.n == 0, "clean after the restore generation");
	write_one(s, 1, FX_VM, "OpaqueRef:a1");
	changes(s, FX_VM, pre + 1, &l, NULL);
	CHECK(l.n == 1 && l.op[0] == STORE_MOD, "events work after restore");

	/* rejected files */
	char *txt = dbpath("garbage.db");
	FILE *fp = fopen(txt, "w");
	fputs("garbage garbage garbage garbage garbage garbage garbage garbage\n", fp);
	fclose(fp);
	CHECK_ERR(store_restore(s, txt), "RESTORE_INCOMPATIBLE_VERSION");
	char *f = dbpath("foreign2.db");
	sqlite3 *db = NULL;
	sqlite3_open(f, &db);
	sqlite3_exec(db, "CREATE TABLE foo(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK_ERR(store_restore(s, f), "RESTORE_INCOMPATIBLE_VERSION");
	CHECK_ERR(store_restore(s, p), "INTERNAL_ERROR");
	CHECK_ERR(store_restore(s, "/nonexistent/file"), "INTERNAL_ERROR");

	/* a newer schema's dump is refused; an older one's is upgraded */
	char *n3 = dbpath("v3.db"), *n3d = dbpath("v3dump.db");
	store *s3 = NULL;
	CHECK(open_with(n3, &fixture_v3, &s3) == 0, "open v3");
	CHECK_OK(store_dump(s3, n3d));
	store_close(s3);
	CHECK_ERR(store_restore(s, n3d), "RESTORE_INCOMPATIBLE_VERSION");
	char *n1 = dbpath("v1.db"), *n1d = dbpath("v1dump.db");
	store *s1 = NULL;
	CHECK(open_with(n1, &fixture_v1, &s1) == 0, "open v1");
	create(s1, FX_VM, "OpaqueRef:from-v1", vm_rec("u-v1", "from v1"));
	CHECK_OK(store_dump(s1, n1d));
	store_close(s1);
	CHECK_OK(store_restore(s, n1d));
	xv *v = get_field(s, FX_VM, "OpaqueRef:from-v1", FX_VM_notes);
	CHECK(v && !strcmp(xv_s(v), "none"), "older dump restored with defaults");
	xv_free(v);
	t = begin(s, false);
	CHECK(store_count(t, FX_VM) == 1, "only the dump's VMs");
	commit(t);
	store_close(s);
	s = open_db(p);
	v = get_field(s, FX_VM, "OpaqueRef:from-v1", FX_VM_name_label);
	CHECK(v && !strcmp(xv_s(v), "from v1"), "restore durable across reopen");
	xv_free(v);
	store_close(s);
	OK("dump (online, consistent) and restore: data as dumped, live non-persistent rows "
	   "kept, open snapshots unaffected, EVENTS_LOST for older tokens, garbage/foreign/newer "
	   "files refused with RESTORE_INCOMPATIBLE_VERSION, older dump upgraded");
	free(p);
	free(d);
	free(txt);
	free(f);
	free(n3);
	free(n3d);
	free(n1);
	free(n1d);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hxdb-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_crud();
	test_defaults();
	test_types();
	test_relations();
	test_bulk_and_find();
	test_events();
	test_waiters();
	test_concurrency();
	test_reset();
	test_upgrade();
	test_dump_restore();
	char *cmd = hx_asprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", tmpdir);
	free(cmd);
	return tcheck_done("test_store");
}
