/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VBD messages: create, destroy, plug, unplug, unplug_force, insert,
 * eject, assert_attachable. A VBD joins a VM to a VDI (or an empty CD
 * drive); plug/unplug on a running VM hot-plug the disk through QMP
 * (qemu_disk.c); at VM start every VBD becomes a QEMU disk (vm_disks.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "qemu_disk.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "xapid.h"
#include "xenops.h"

static const char *rs(const xv *rec, const char *f)
{
	const char *s = xv_struct_str(rec, f);
	return s ? s : "";
}

/* Booleans of records clients send may come as strings. */
static bool rb(const xv *rec, const char *f)
{
	xv *v = xv_struct_get(rec, f);
	if (v && v->kind == XV_STRING)
		return !strcasecmp(v->u.str.s, "true") || !strcmp(v->u.str.s, "1");
	return v && v->kind == XV_BOOL && v->u.b;
}

static xerr *commit_or_rollback(txn *t, xerr *e)
{
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

static bool vm_live(txn *t, const char *vm)
{
	char *p = obj_get_str(t, CLS_VM, vm, "power_state");
	bool live = !strcmp(p, "Running") || !strcmp(p, "Paused");
	free(p);
	return live;
}

static xerr *vbd_allowed(txn *t, const char *vbd)
{
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_VBD, vbd, &rec);
	if (e)
		return e;
	xv *a = xv_array();
	bool live = vm_live(t, rs(rec, "VM"));
	bool att = rb(rec, "currently_attached");
	bool cd = !strcmp(rs(rec, "type"), "CD");
	if (cd) {
		xv_array_push(a, xv_str(rb(rec, "empty") ? "insert" : "eject"));
	}
	if (live && !att)
		xv_array_push(a, xv_str("plug"));
	if (live && att && rb(rec, "unpluggable")) {
		xv_array_push(a, xv_str("unplug"));
		xv_array_push(a, xv_str("unplug_force"));
	}
	if (!att)
		xv_array_push(a, xv_str("attach"));
	xv_free(rec);
	return obj_set(t, CLS_VBD, vbd, "allowed_operations", a);
}

/* VBD.create(record): checks and the record; userdevice "autodetect"
 * takes the lowest free number. */
xerr *op_VBD_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const xv *in = args[0];
	const char *vm = rs(in, "VM"), *vdi = rs(in, "VDI");
	bool empty = rb(in, "empty") || hx_is_null_ref(vdi) || !*vdi;
	/* Enums in records come as sent (Nova sends "cd", "ro"). */
	const char *type = !strcasecmp(rs(in, "type"), "cd") ? "CD" :
	                   !strcasecmp(rs(in, "type"), "floppy") ? "Floppy" : "Disk";
	if (*rs(in, "type") && strcasecmp(rs(in, "type"), "cd") &&
	    strcasecmp(rs(in, "type"), "floppy") && strcasecmp(rs(in, "type"), "disk"))
		return xerr_new("INVALID_VALUE", "type", rs(in, "type"), NULL);
	const char *mode = !strcasecmp(rs(in, "mode"), "ro") ? "RO" : "RW";
	bool cd = !strcmp(type, "CD");
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)))
		goto out;
	if (!empty && (e = check_ref(t, CLS_VDI, vdi)))
		goto out;
	if (empty && !cd) {
		e = xerr_new("VBD_IS_EMPTY", HX_NULL_REF, NULL);
		goto out;
	}
	if (!strcmp(type, "Floppy")) {
		e = xerr_new("OPERATION_NOT_ALLOWED", "floppy drives are not supported", NULL);
		goto out;
	}
	/* A read-only VDI only in RO mode. */
	if (!empty && !strcmp(mode, "RW") && !cd) {
		xv *ro = obj_get(t, CLS_VDI, vdi, "read_only");
		char *sr = obj_get_str(t, CLS_VDI, vdi, "SR");
		char *srtype = obj_get_str(t, CLS_SR, sr, "type");
		const sm_driver *d = sm_driver_find(srtype);
		if ((ro && ro->kind == XV_BOOL && ro->u.b) || (d && d->vdis_read_only))
			e = xerr_new("VDI_READONLY", vdi, NULL);
		xv_free(ro);
		free(sr);
		free(srtype);
		if (e)
			goto out;
	}
	/* userdevice: free, a small number. */
	xv *refs = NULL;
	xv *key = xv_str(vm);
	e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VM"), key, &refs);
	xv_free(key);
	if (e)
		goto out;
	bool used[256] = { false };
	char *dup_vbd = NULL;
	const char *ud = rs(in, "userdevice");
	for (size_t i = 0; i < xv_len(refs); i++) {
		const char *o = xv_s(xv_array_get(refs, i));
		char *u = obj_get_str(t, CLS_VBD, o, "userdevice");
		char *end;
		long n = strtol(u, &end, 10);
		if (*u && !*end && n >= 0 && n < 256)
			used[n] = true;
		if (!strcmp(u, ud) && !dup_vbd)
			dup_vbd = hx_strdup(o);
		free(u);
	}
	xv_free(refs);
	char ubuf[8];
	if (!*ud || !strcmp(ud, "autodetect")) {
		int n = 0;
		while (n < 256 && used[n])
			n++;
		if (n == 256) {
			e = xerr_new("OPERATION_NOT_ALLOWED", "no free userdevice", NULL);
			goto out;
		}
		snprintf(ubuf, sizeof(ubuf), "%d", n);
		ud = ubuf;
	} else {
		char *end;
		long n = strtol(ud, &end, 10);
		if (*end || n < 0 || n > 255) {
			e = xerr_new("INVALID_DEVICE", ud, NULL);
			goto out;
		}
		if (dup_vbd) {
			e = xerr_new("DEVICE_ALREADY_EXISTS", ud, NULL);
			free(dup_vbd);
			goto out;
		}
	}
	free(dup_vbd);
	xv *r = xv_dup(in);
	xv_struct_del(r, "uuid");
	xv_struct_set(r, "userdevice", xv_str(ud));
	xv_struct_set(r, "device", xv_strf("xvd%c", 'a' + (atoi(ud) % 26)));
	xv_struct_set(r, "empty", xv_bool(empty));
	if (empty)
		xv_struct_set(r, "VDI", xv_str(HX_NULL_REF));
	xv_struct_set(r, "type", xv_str(type));
	xv_struct_set(r, "mode", xv_str(cd ? "RO" : mode));
	xv_struct_set(r, "currently_attached", xv_bool(false));
	xv_struct_set(r, "current_operations", xv_struct());
	char *ref = NULL;
	e = obj_create(t, CLS_VBD, r, &ref);
	if (!e)
		e = vbd_allowed(t, ref);
	if (!e)
		*result = xv_str_own(ref);
	else
		free(ref);
out:
	return commit_or_rollback(t, e);
}

xerr *op_VBD_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vbd = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	xv *rec = NULL;
	if (!(e = check_ref(t, CLS_VBD, vbd)) && !(e = store_get_record(t, CLS_VBD, vbd, &rec))) {
		if (rb(rec, "currently_attached") && vm_live(t, rs(rec, "VM")))
			e = xerr_new("OPERATION_NOT_ALLOWED",
			             "VBD is currently attached to a running VM: unplug it first", NULL);
		else
			e = store_destroy(t, CLS_VBD, vbd);
		const char *vdi = rs(rec, "VDI");
		if (!e && store_exists(t, CLS_VDI, vdi))
			e = storage_vdi_update_allowed(t, vdi);
	}
	xv_free(rec);
	return commit_or_rollback(t, e);
}

/* Loads the VBD record and the VM's uuid; checks the VM runs. */
static xerr *load(call_ctx *ctx, const char *vbd, xv **rec, char **vm_uuid, bool need_live)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	*rec = NULL;
	*vm_uuid = NULL;
	if (!(e = check_ref(t, CLS_VBD, vbd)) && !(e = store_get_record(t, CLS_VBD, vbd, rec))) {
		*vm_uuid = obj_get_str(t, CLS_VM, rs(*rec, "VM"), "uuid");
		if (need_live && !vm_live(t, rs(*rec, "VM"))) {
			char *p = obj_get_str(t, CLS_VM, rs(*rec, "VM"), "power_state");
			for (char *c = p; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			e = xerr_new("VM_BAD_POWER_STATE", rs(*rec, "VM"), "running", p, NULL);
			free(p);
		}
	}
	store_rollback(t);
	if (e) {
		xv_free(*rec);
		*rec = NULL;
		free(*vm_uuid);
		*vm_uuid = NULL;
	}
	return e;
}

static xerr *set_attached(call_ctx *ctx, const char *vbd, bool att)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	e = obj_set(t, CLS_VBD, vbd, "currently_attached", xv_bool(att));
	if (!e)
		e = vbd_allowed(t, vbd);
	char *vdi = obj_get_str(t, CLS_VBD, vbd, "VDI");
	if (!e && store_exists(t, CLS_VDI, vdi))
		e = storage_vdi_update_allowed(t, vdi);
	free(vdi);
	return commit_or_rollback(t, e);
}

xerr *op_VBD_plug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vbd = xv_s(args[0]);
	xv *rec;
	char *vm;
	xerr *e = load(ctx, vbd, &rec, &vm, true);
	if (e)
		return e;
	if (rb(rec, "currently_attached")) {
		e = xerr_new("DEVICE_ALREADY_ATTACHED", vbd, NULL);
	} else {
		/* Another running VM with the VDI RW? */
		txn *t;
		const char *vdi = rs(rec, "VDI");
		if (!rb(rec, "empty") && !(e = db_begin(ctx, false, &t))) {
			size_t n;
			char **att = storage_vdi_attached_vbds(t, vdi, &n);
			if (n && !strcmp(rs(rec, "mode"), "RW"))
				e = xerr_new("VDI_IN_USE", vdi, "plug", NULL);
			for (size_t i = 0; i < n; i++)
				free(att[i]);
			free(att);
			store_rollback(t);
		}
		xo_disk d;
		if (!e) {
			char *dir = xenops_vm_dir(ctx->app, vm);
			e = vm_disk_of_vbd(ctx->app, rec, dir, &d);
			free(dir);
			if (!e)
				e = d.cdrom ? xerr_new("OPERATION_NOT_ALLOWED",
				                       "CD drives are plugged at VM start; use insert/eject",
				                       NULL) :
				              xo_disk_hotplug(vm, &d);
			xo_disk_clear(&d);
		}
		if (!e)
			e = set_attached(ctx, vbd, true);
	}
	xv_free(rec);
	free(vm);
	return e;
}

static xerr *unplug(call_ctx *ctx, const char *vbd, bool force)
{
	xv *rec;
	char *vm;
	xerr *e = load(ctx, vbd, &rec, &vm, true);
	if (e)
		return e;
	if (!rb(rec, "currently_attached"))
		e = xerr_new("DEVICE_ALREADY_DETACHED", vbd, NULL);
	else if (!force && !rb(rec, "unpluggable"))
		e = xerr_new("VBD_NOT_UNPLUGGABLE", vbd, NULL);
	else if (!strcmp(rs(rec, "type"), "CD"))
		e = xerr_new("OPERATION_NOT_ALLOWED", "CD drives stay while the VM runs; use eject",
		             NULL);
	else
		e = xo_disk_unplug(vm, rs(rec, "userdevice"));
	if (!e)
		e = set_attached(ctx, vbd, false);
	xv_free(rec);
	free(vm);
	return e;
}

xerr *op_VBD_unplug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return unplug(ctx, xv_s(args[0]), false);
}

xerr *op_VBD_unplug_force(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return unplug(ctx, xv_s(args[0]), true);
}

/* VBD.insert(vbd, vdi): media into an empty CD drive (live when running). */
xerr *op_VBD_insert(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vbd = xv_s(args[0]), *vdi = xv_s(args[1]);
	xv *rec;
	char *vm;
	xerr *e = load(ctx, vbd, &rec, &vm, false);
	if (e)
		return e;
	txn *t;
	bool live = false;
	if (strcmp(rs(rec, "type"), "CD"))
		e = xerr_new("VBD_NOT_REMOVABLE_MEDIA", vbd, NULL);
	else if (!rb(rec, "empty"))
		e = xerr_new("VBD_NOT_EMPTY", vbd, NULL);
	else if (!(e = db_begin(ctx, false, &t))) {
		e = check_ref(t, CLS_VDI, vdi);
		live = vm_live(t, rs(rec, "VM")) && rb(rec, "currently_attached");
		store_rollback(t);
	}
	if (!e && live) {
		xv *r2 = xv_dup(rec);
		xv_struct_set(r2, "VDI", xv_str(vdi));
		xv_struct_set(r2, "empty", xv_bool(false));
		xo_disk d;
		e = vm_disk_of_vbd(ctx->app, r2, NULL, &d);
		if (!e)
			e = xo_disk_insert(vm, rs(rec, "userdevice"), &d.open);
		xo_disk_clear(&d);
		xv_free(r2);
	}
	if (!e && !(e = db_begin(ctx, true, &t))) {
		e = obj_set(t, CLS_VBD, vbd, "VDI", xv_str(vdi));
		if (!e)
			e = obj_set(t, CLS_VBD, vbd, "empty", xv_bool(false));
		if (!e)
			e = vbd_allowed(t, vbd);
		e = commit_or_rollback(t, e);
	}
	xv_free(rec);
	free(vm);
	return e;
}

xerr *op_VBD_eject(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vbd = xv_s(args[0]);
	xv *rec;
	char *vm;
	xerr *e = load(ctx, vbd, &rec, &vm, false);
	if (e)
		return e;
	txn *t;
	if (strcmp(rs(rec, "type"), "CD"))
		e = xerr_new("VBD_NOT_REMOVABLE_MEDIA", vbd, NULL);
	else if (rb(rec, "empty"))
		e = xerr_new("VBD_IS_EMPTY", vbd, NULL);
	else if (!(e = db_begin(ctx, false, &t))) {
		bool live = vm_live(t, rs(rec, "VM")) && rb(rec, "currently_attached");
		store_rollback(t);
		if (live)
			e = xo_disk_eject(vm, rs(rec, "userdevice"));
	}
	if (!e && !(e = db_begin(ctx, true, &t))) {
		e = obj_set(t, CLS_VBD, vbd, "VDI", xv_str(HX_NULL_REF));
		if (!e)
			e = obj_set(t, CLS_VBD, vbd, "empty", xv_bool(true));
		if (!e)
			e = vbd_allowed(t, vbd);
		e = commit_or_rollback(t, e);
	}
	xv_free(rec);
	free(vm);
	return e;
}

/* VBD.assert_attachable: the VDI's SR is plugged here and no other running
 * VM has the VDI read-write. */
xerr *op_VBD_assert_attachable(call_ctx *ctx, const api_msg *m, xv *const *args,
                               xv **result)
{
	const char *vbd = xv_s(args[0]);
	xv *rec;
	char *vm;
	xerr *e = load(ctx, vbd, &rec, &vm, false);
	if (e)
		return e;
	const char *vdi = rs(rec, "VDI");
	if (!rb(rec, "empty") && !hx_is_null_ref(vdi)) {
		txn *t;
		if (!(e = db_begin(ctx, false, &t))) {
			char *sr = obj_get_str(t, CLS_VDI, vdi, "SR");
			size_t n;
			char **att = storage_vdi_attached_vbds(t, vdi, &n);
			for (size_t i = 0; i < n; i++) {
				if (!e && strcmp(att[i], vbd) && !strcmp(rs(rec, "mode"), "RW"))
					e = xerr_new("VDI_IN_USE", vdi, "attach", NULL);
				free(att[i]);
			}
			free(att);
			store_rollback(t);
			sm_sr *h;
			if (!e && !(e = storage_get(ctx->app, sr, &h)))
				storage_put(h);
			free(sr);
		}
	}
	xv_free(rec);
	free(vm);
	return e;
}

xerr *vbd_create_call(call_ctx *ctx, xv *const *args, xv **result)
{
	return op_VBD_create(ctx, NULL, args, result);
}
