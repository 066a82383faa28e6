/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store over the full generated schema (every in-database class of the
 * datamodel): every table is created, every default parses to a value of
 * the field's type, every class answers the read paths, and a few real
 * classes go through create/read/update/delete with a relation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store.h"
#include "api_ids.h"
#include "meta.h"
#include "tcheck.h"

/* True when v is a value of type t in the store's record form. */
static bool has_type(const api_type *t, const xv *v, int depth)
{
	if (!v || depth > 32)
		return false;
	switch (t->kind) {
	case AT_STRING:
	case AT_ENUM:
	case AT_REF:
		return v->kind == XV_STRING;
	case AT_INT:
		return v->kind == XV_INT;
	case AT_FLOAT:
		return v->kind == XV_FLOAT;
	case AT_BOOL:
		return v->kind == XV_BOOL;
	case AT_DATETIME:
		return v->kind == XV_DATETIME;
	case AT_SET:
		if (v->kind != XV_ARRAY)
			return false;
		for (size_t i = 0; i < xv_len(v); i++)
			if (!has_type(t->elem, xv_array_get(v, i), depth + 1))
				return false;
		return true;
	case AT_MAP:
		if (v->kind != XV_STRUCT)
			return false;
		for (size_t i = 0; i < v->u.st.n; i++)
			if (!has_type(t->elem, v->u.st.m[i].val, depth + 1))
				return false;
		return true;
	case AT_OPTION:
		return v->kind == XV_NIL || has_type(t->elem, v, depth + 1);
	case AT_RECORD:
		return v->kind == XV_STRUCT;
	case AT_VOID:
		return true;
	}
	return false;
}

int main(void)
{
	char dir[] = "/tmp/hxdb-real-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = hx_asprintf("%s/real.db", dir);
	store *s = NULL;
	char *m = NULL;
	CHECK(store_open(&s, path, &m) == 0, "open: %s", m ? m : "");
	free(m);
	if (!s)
		return tcheck_done("test_real_schema");

	int nclasses = 0, nfields = 0, bad_defaults = 0;
	txn *t = NULL;
	CHECK_OK(store_begin(s, true, &t));
	for (int c = 0; c < api_nclasses; c++) {
		const api_class *cl = &api_classes[c];
		if (!cl->in_database)
			continue;
		nclasses++;
		char ref[64];
		snprintf(ref, sizeof(ref), "OpaqueRef:default-%d", c);
		CHECK_OK(store_create(t, c, ref, NULL));
		xv *rec = NULL;
		CHECK_OK(store_get_record(t, c, ref, &rec));
		for (int f = 0; rec && f < cl->nfields; f++) {
			const api_field *fd = &cl->fields[f];
			xv *v = xv_struct_get(rec, fd->name);
			if (fd->internal_only) {
				CHECK(!v, "%s.%s internal_only in record", cl->name, fd->name);
				continue;
			}
			nfields++;
			if (!has_type(fd->type, v, 0)) {
				char *d = xv_to_debug(v);
				CHECK(false, "%s.%s (%s) default %s read as %s", cl->name, fd->name,
				      fd->type->text, fd->default_json ? fd->default_json : "(none)",
				      d);
				free(d);
				bad_defaults++;
			}
		}
		xv_free(rec);
		xv *all = NULL;
		CHECK_OK(store_get_all_records(t, c, &all));
		CHECK(all && xv_len(all) == 1, "%s get_all_records", cl->name);
		xv_free(all);
		CHECK_OK(store_destroy(t, c, ref));
		CHECK(store_count(t, c) == 0, "%s count", cl->name);
	}
	CHECK_OK(store_commit(t));
	OK("%d in-database classes: table, create/get_record/get_all_records/destroy; %d "
	   "fields read back with their type (%d bad)",
	   nclasses, nfields, bad_defaults);

	/* VM, VBD, host with relations */
	CHECK_OK(store_begin(s, true, &t));
	xv *h = xv_struct();
	xv_struct_set(h, "uuid", xv_str("11111111-2222-3333-4444-555555555555"));
	xv_struct_set(h, "name_label", xv_str("host0"));
	CHECK_OK(store_create(t, CLS_host, "OpaqueRef:host0", h));
	xv_free(h);
	xv *vm = xv_struct();
	xv_struct_set(vm, "uuid", xv_str("aaaaaaaa-2222-3333-4444-555555555555"));
	xv_struct_set(vm, "name_label", xv_str("vm0"));
	xv_struct_set(vm, "resident_on", xv_str("OpaqueRef:host0"));
	xv_struct_set(vm, "power_state", xv_str("Running"));
	xv *oc = xv_struct();
	xv_struct_set(oc, "k", xv_str("v"));
	xv_struct_set(vm, "other_config", oc);
	CHECK_OK(store_create(t, CLS_VM, "OpaqueRef:vm0", vm));
	xv_free(vm);
	xv *vbd = xv_struct();
	xv_struct_set(vbd, "VM", xv_str("OpaqueRef:vm0"));
	xv_struct_set(vbd, "userdevice", xv_str("0"));
	CHECK_OK(store_create(t, CLS_VBD, "OpaqueRef:vbd0", vbd));
	xv_free(vbd);
	CHECK_OK(store_commit(t));

	CHECK_OK(store_begin(s, false, &t));
	xv *rec = NULL;
	CHECK_OK(store_get_record(t, CLS_VM, "OpaqueRef:vm0", &rec));
	xv *vbds = rec ? xv_struct_get(rec, "VBDs") : NULL;
	CHECK(vbds && xv_len(vbds) == 1 && !strcmp(xv_s(xv_array_get(vbds, 0)), "OpaqueRef:vbd0"),
	      "VM.VBDs");
	CHECK(rec && !strcmp(xv_struct_str(xv_struct_get(rec, "other_config"), "k"), "v"),
	      "VM.other_config");
	xv_free(rec);
	xv *res = NULL;
	CHECK_OK(store_get_field(t, CLS_host, "OpaqueRef:host0", FLD_host_resident_VMs, &res));
	CHECK(res && xv_len(res) == 1, "host.resident_VMs");
	xv_free(res);
	char *r = store_ref_of_uuid(t, CLS_VM, "aaaaaaaa-2222-3333-4444-555555555555");
	CHECK(r && !strcmp(r, "OpaqueRef:vm0"), "VM by uuid");
	free(r);
	CHECK(store_class_of_ref(t, "OpaqueRef:vbd0") == CLS_VBD, "class_of_ref");
	CHECK_OK(store_commit(t));

	CHECK_OK(store_begin(s, true, &t));
	xv *nl = xv_str("vm0-renamed");
	CHECK_OK(store_set_field(t, CLS_VM, "OpaqueRef:vm0", FLD_VM_name_label, nl));
	xv_free(nl);
	CHECK_OK(store_destroy(t, CLS_VBD, "OpaqueRef:vbd0"));
	CHECK_OK(store_commit(t));
	CHECK_OK(store_begin(s, false, &t));
	xv *v = NULL;
	CHECK_OK(store_get_field(t, CLS_VM, "OpaqueRef:vm0", FLD_VM_name_label, &v));
	CHECK(v && !strcmp(xv_s(v), "vm0-renamed"), "update");
	xv_free(v);
	CHECK_OK(store_get_field(t, CLS_VM, "OpaqueRef:vm0", FLD_VM_VBDs, &v));
	CHECK(v && xv_len(v) == 0, "VBDs after delete");
	xv_free(v);
	CHECK_OK(store_commit(t));
	store_close(s);
	/* reopen: same hash, no changes */
	CHECK(store_open(&s, path, &m) == 0, "reopen");
	free(m);
	store_close(s);
	OK("real VM/VBD/host: create, relation VM.VBDs and host.resident_VMs, uuid lookup, "
	   "update, delete, reopen");
	char *cmd = hx_asprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	free(cmd);
	free(path);
	return tcheck_done("test_real_schema");
}
