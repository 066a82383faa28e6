/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The disks a VM's QEMU gets from its VBDs (storage.h: vm_disks_*): every
 * VBD with a VDI is attached through its SR's driver and handed to the
 * QEMU backend as an sm_open (a path, a URL or a -blockdev node);
 * on_boot=reset VDIs get a throw-away qcow2 overlay in the VM's runtime
 * directory, made again at every start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "qemu_disk.h"
#include "qimg.h"
#include "storage.h"
#include "util.h"
#include "xapid.h"

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

void vm_disks_free(xo_disk *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xo_disk_clear(&d[i]);
	free(d);
}

xerr *vm_disk_of_vbd(struct xapid *app, const xv *vbd, const char *dir, xo_disk *d)
{
	memset(d, 0, sizeof(*d));
	d->userdevice = hx_strdup(rs(vbd, "userdevice"));
	d->cdrom = !strcmp(rs(vbd, "type"), "CD");
	d->bootable = rb(vbd, "bootable");
	d->read_only = d->cdrom || !strcmp(rs(vbd, "mode"), "RO");
	const char *vdi = rs(vbd, "VDI");
	if (rb(vbd, "empty") || hx_is_null_ref(vdi) || !*vdi) {
		d->empty = true;
		return d->cdrom ? NULL : xerr_new("VBD_IS_EMPTY", rs(vbd, "uuid"), NULL);
	}
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e)
		return e;
	xv *vrec = NULL;
	e = store_get_record(t, CLS_VDI, vdi, &vrec);
	store_rollback(t);
	if (e)
		return e;
	sm_sr *sr;
	if (!(e = storage_get(app, rs(vrec, "SR"), &sr))) {
		bool ro = d->read_only || rb(vrec, "read_only") || sr->drv->vdis_read_only;
		if (!sr->drv->vdi_attach)
			e = xerr_new("SR_OPERATION_NOT_SUPPORTED", rs(vrec, "SR"), NULL);
		else
			e = sr->drv->vdi_attach(sr, rs(vrec, "location"), !ro, &d->open);
		d->read_only = ro;
		storage_put(sr);
	}
	if (!e && !strcmp(rs(vrec, "on_boot"), "reset") && dir) {
		d->overlay = hx_asprintf("%s/reset-%s.qcow2", dir, d->userdevice);
		unlink(d->overlay);
		e = qimg_create(d->overlay, "qcow2", 0, d->open.filename, d->open.format);
		if (e) {
			/* qemu-img needs a size without -u checks: take the VDI's. */
			xerr_free(e);
			xv *vs = xv_struct_get(vrec, "virtual_size");
			e = qimg_create(d->overlay, "qcow2", vs && vs->kind == XV_INT ? vs->u.i : 0,
			                d->open.filename, d->open.format);
		}
	}
	xv_free(vrec);
	return e;
}

xerr *vm_disks_prepare(struct xapid *app, const char *vm, const char *dir, xo_disk **out,
                       size_t *n)
{
	*out = NULL;
	*n = 0;
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e)
		return e;
	xv *refs = NULL;
	xv *key = xv_str(vm);
	e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VM"), key, &refs);
	xv_free(key);
	size_t cnt = xv_len(refs);
	xv **recs = hx_calloc(cnt + 1, sizeof(xv *));
	for (size_t i = 0; !e && i < cnt; i++) {
		e = store_get_record(t, CLS_VBD, xv_s(xv_array_get(refs, i)), &recs[i]);
		if (e)
			break;
		/* A RW disk another running VM has is refused. */
		const char *vdi = rs(recs[i], "VDI");
		if (rb(recs[i], "empty") || hx_is_null_ref(vdi) || !*vdi ||
		    strcmp(rs(recs[i], "mode"), "RW"))
			continue;
		size_t na;
		char **att = storage_vdi_attached_vbds(t, vdi, &na);
		for (size_t j = 0; j < na; j++) {
			char *ovm = obj_get_str(t, CLS_VBD, att[j], "VM");
			xv *sh = obj_get(t, CLS_VDI, vdi, "sharable");
			if (strcmp(ovm, vm) && !(sh && sh->kind == XV_BOOL && sh->u.b) && !e)
				e = xerr_new("VDI_IN_USE", vdi, "start", NULL);
			xv_free(sh);
			free(ovm);
			free(att[j]);
		}
		free(att);
	}
	store_rollback(t);
	xv_free(refs);
	xo_disk *d = hx_calloc(cnt + 1, sizeof(*d));
	size_t k = 0;
	for (size_t i = 0; !e && i < cnt; i++) {
		e = vm_disk_of_vbd(app, recs[i], dir, &d[k]);
		k++;
	}
	for (size_t i = 0; i < cnt; i++)
		xv_free(recs[i]);
	free(recs);
	if (e) {
		vm_disks_free(d, k);
		return e;
	}
	*out = d;
	*n = k;
	return NULL;
}

xerr *vm_disks_started(struct xapid *app, const char *vm)
{
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e)
		return e;
	xv *refs = NULL;
	xv *key = xv_str(vm);
	e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VM"), key, &refs);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *vbd = xv_s(xv_array_get(refs, i));
		e = obj_set(t, CLS_VBD, vbd, "currently_attached", xv_bool(true));
		char *vdi = obj_get_str(t, CLS_VBD, vbd, "VDI");
		if (!e && store_exists(t, CLS_VDI, vdi))
			e = storage_vdi_update_allowed(t, vdi);
		free(vdi);
	}
	xv_free(refs);
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}
