/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SR messages: create, introduce, forget, destroy, scan, probe, probe_ext,
 * update, get_supported_types, set_shared, set_name_label,
 * set_name_description — on top of the sm drivers (storage.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "xapid.h"

static const char *rs(const xv *rec, const char *f)
{
	const char *s = xv_struct_str(rec, f);
	return s ? s : "";
}

static xerr *commit_or_rollback(txn *t, xerr *e)
{
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

xerr *storage_sr_create_records(struct xapid *app, const char *host, const xv *dc,
                                const char *name_label, const char *name_description,
                                const char *type, const char *content_type, bool shared,
                                const xv *sm_config, const char *uuid, char **sr_ref_out)
{
	const sm_driver *d = sm_driver_find(type);
	if (!d)
		return xerr_new("SR_UNKNOWN_DRIVER", type, NULL);
	if (d->check_config) {
		xerr *e = d->check_config(dc);
		if (e)
			return e;
	}
	xerr *e = NULL;
	char *dir = storage_local_dir(app, uuid);
	sm_sr *sr = sm_sr_new(type, uuid, dc, sm_config, dir, &e);
	if (!sr) {
		rmdir(dir);
		free(dir);
		return e;
	}
	e = sr->drv->sr_create(sr, 0); /* sr->drv: an iso SR on NFS is iso_nfs's */
	sm_sr_free(sr);
	if (e) {
		rmdir(dir);
		free(dir);
		return e;
	}
	free(dir);
	/* Records, then attach and register. */
	char *sr_ref = hx_new_ref();
	txn *t;
	if ((e = store_begin(app->db, true, &t)))
		goto undo_storage;
	xv *r = xv_struct();
	xv_struct_set(r, "uuid", xv_str(uuid));
	xv_struct_set(r, "name_label", xv_str(name_label));
	xv_struct_set(r, "name_description", xv_str(name_description));
	xv_struct_set(r, "type", xv_str(type));
	xv_struct_set(r, "content_type",
	              xv_str(content_type && *content_type ? content_type : d->content_type));
	xv_struct_set(r, "shared", xv_bool(shared || d->shared));
	xv_struct_set(r, "sm_config", sm_config ? xv_dup(sm_config) : xv_struct());
	char *got = NULL;
	e = obj_create(t, CLS_SR, r, &got);
	if (!e) {
		free(sr_ref);
		sr_ref = got;
		xv *p = xv_struct();
		xv_struct_set(p, "host", xv_str(host));
		xv_struct_set(p, "SR", xv_str(sr_ref));
		xv_struct_set(p, "device_config", xv_dup(dc));
		xv_struct_set(p, "currently_attached", xv_bool(true));
		e = obj_create(t, CLS_PBD, p, NULL);
	}
	if (!e)
		e = storage_sr_update_allowed(t, sr_ref);
	if ((e = commit_or_rollback(t, e)))
		goto undo_storage;
	e = storage_attach(app, sr_ref, uuid, type, dc, sm_config);
	if (e) {
		/* Undo the records; the storage goes too. */
		txn *t2;
		if (!store_begin(app->db, true, &t2)) {
			xv *pbds = NULL;
			xv *key = xv_str(sr_ref);
			xerr_free(store_find(t2, CLS_PBD, obj_fld(CLS_PBD, "SR"), key, &pbds));
			xv_free(key);
			for (size_t i = 0; i < xv_len(pbds); i++)
				xerr_free(store_destroy(t2, CLS_PBD, xv_s(xv_array_get(pbds, i))));
			xv_free(pbds);
			xerr_free(store_destroy(t2, CLS_SR, sr_ref));
			xerr_free(store_commit(t2));
		}
		goto undo_storage;
	}
	xerr_free(storage_scan(app, sr_ref));
	if (sr_ref_out)
		*sr_ref_out = sr_ref;
	else
		free(sr_ref);
	return NULL;
undo_storage:
	free(sr_ref);
	{
		xerr *x = NULL;
		sm_sr *s2 = sm_sr_new(type, uuid, dc, sm_config, NULL, &x);
		if (s2 && !(x = d->sr_attach(s2))) {
			xerr_free(d->sr_destroy(s2));
			xerr_free(d->sr_detach(s2));
		}
		xerr_free(x);
		sm_sr_free(s2);
	}
	return e;
}

/* SR.create(host, device_config, physical_size, name_label,
 * name_description, type, content_type, shared, sm_config) */
xerr *op_SR_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *host = xv_s(args[0]);
	if (strcmp(host, ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED", "SR.create: only this host (no pool yet)",
		                NULL);
	char uuid[37];
	hx_uuid(uuid);
	char *ref = NULL;
	xerr *e = storage_sr_create_records(ctx->app, host, args[1], xv_s(args[3]),
	                                    xv_s(args[4]), xv_s(args[5]), xv_s(args[6]),
	                                    args[7]->u.b, args[8], uuid, &ref);
	if (e)
		return e;
	*result = xv_str_own(ref);
	return NULL;
}

/* SR.introduce(uuid, name_label, name_description, type, content_type,
 * shared, sm_config): a record for an SR that exists; no PBD. */
xerr *op_SR_introduce(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *uuid = xv_s(args[0]);
	const char *type = xv_s(args[3]);
	const sm_driver *d = sm_driver_find(type);
	if (!d)
		return xerr_new("SR_UNKNOWN_DRIVER", type, NULL);
	if (!hx_is_uuid(uuid))
		return xerr_new("INVALID_VALUE", "uuid", uuid, NULL);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	char *old = store_ref_of_uuid(t, CLS_SR, uuid);
	if (old) {
		free(old);
		store_rollback(t);
		return xerr_new("SR_UUID_EXISTS", uuid, NULL);
	}
	xv *r = xv_struct();
	xv_struct_set(r, "uuid", xv_str(uuid));
	xv_struct_set(r, "name_label", xv_dup(args[1]));
	xv_struct_set(r, "name_description", xv_dup(args[2]));
	xv_struct_set(r, "type", xv_str(type));
	xv_struct_set(r, "content_type", xv_dup(args[4]));
	xv_struct_set(r, "shared", xv_bool(args[5]->u.b || d->shared));
	xv_struct_set(r, "sm_config", xv_dup(args[6]));
	char *ref = NULL;
	e = obj_create(t, CLS_SR, r, &ref);
	if (!e)
		e = storage_sr_update_allowed(t, ref);
	if ((e = commit_or_rollback(t, e))) {
		free(ref);
		return e;
	}
	*result = xv_str_own(ref);
	return NULL;
}

/* SR_HAS_PBD when a PBD of the SR is plugged; fills the PBD refs. */
static xerr *check_unplugged(txn *t, const char *sr, xv **pbds)
{
	xv *key = xv_str(sr);
	xerr *e = store_find(t, CLS_PBD, obj_fld(CLS_PBD, "SR"), key, pbds);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(*pbds); i++) {
		xv *ca = obj_get(t, CLS_PBD, xv_s(xv_array_get(*pbds, i)), "currently_attached");
		if (ca && ca->kind == XV_BOOL && ca->u.b)
			e = xerr_new("SR_HAS_PBD", sr, NULL);
		xv_free(ca);
	}
	return e;
}

/* Removes the SR record, its PBDs, VDIs and the VBDs of those (inside t). */
static xerr *drop_records(txn *t, const char *sr, const xv *pbds)
{
	xerr *e = NULL;
	for (size_t i = 0; !e && i < xv_len(pbds); i++)
		e = store_destroy(t, CLS_PBD, xv_s(xv_array_get(pbds, i)));
	xv *vdis = NULL;
	xv *key = xv_str(sr);
	if (!e)
		e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "SR"), key, &vdis);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(vdis); i++) {
		const char *vdi = xv_s(xv_array_get(vdis, i));
		xv *vbds = NULL;
		key = xv_str(vdi);
		e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VDI"), key, &vbds);
		xv_free(key);
		for (size_t j = 0; !e && j < xv_len(vbds); j++) {
			/* A CD keeps its drive, empty; a disk VBD goes. */
			const char *vbd = xv_s(xv_array_get(vbds, j));
			char *type = obj_get_str(t, CLS_VBD, vbd, "type");
			if (!strcmp(type, "CD")) {
				e = obj_set(t, CLS_VBD, vbd, "VDI", xv_str(HX_NULL_REF));
				if (!e)
					e = obj_set(t, CLS_VBD, vbd, "empty", xv_bool(true));
			} else {
				e = store_destroy(t, CLS_VBD, vbd);
			}
			free(type);
		}
		xv_free(vbds);
		if (!e)
			e = store_destroy(t, CLS_VDI, vdi);
	}
	xv_free(vdis);
	if (!e)
		e = store_destroy(t, CLS_SR, sr);
	return e;
}

xerr *op_SR_forget(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *sr = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	xv *pbds = NULL;
	e = check_unplugged(t, sr, &pbds);
	if (!e)
		e = drop_records(t, sr, pbds);
	xv_free(pbds);
	return commit_or_rollback(t, e);
}

/* SR.destroy: PBDs unplugged (SR_HAS_PBD); the storage is wiped through a
 * temporary attach with this host's PBD, then the records go. */
xerr *op_SR_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *sr = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *pbds = NULL, *rec = NULL;
	e = check_unplugged(t, sr, &pbds);
	if (!e)
		e = store_get_record(t, CLS_SR, sr, &rec);
	xv *dc = NULL;
	for (size_t i = 0; !e && i < xv_len(pbds) && !dc; i++) {
		const char *p = xv_s(xv_array_get(pbds, i));
		char *h = obj_get_str(t, CLS_PBD, p, "host");
		if (!strcmp(h, ctx->app->host_ref))
			dc = obj_get(t, CLS_PBD, p, "device_config");
		free(h);
	}
	if (!e && !dc)
		e = xerr_new("SR_HAS_NO_PBDS", sr, NULL);
	store_rollback(t);
	const sm_driver *d = e ? NULL : sm_driver_find(rs(rec, "type"));
	if (!e && !d)
		e = xerr_new("SR_UNKNOWN_DRIVER", rs(rec, "type"), NULL);
	if (!e) {
		sm_sr *h = sm_sr_new(rs(rec, "type"), rs(rec, "uuid"), dc,
		                     xv_struct_get(rec, "sm_config"), NULL, &e);
		if (h && !(e = h->drv->sr_attach(h))) {
			e = h->drv->sr_destroy(h);
			xerr_free(h->drv->sr_detach(h));
		}
		sm_sr_free(h);
	}
	if (!e && !(e = db_begin(ctx, true, &t))) {
		xv *p2 = NULL;
		e = check_unplugged(t, sr, &p2);
		if (!e)
			e = drop_records(t, sr, p2);
		xv_free(p2);
		e = commit_or_rollback(t, e);
	}
	if (!e) {
		char *dir = hx_asprintf("%s/sm/%s", ctx->app->cfg.state_dir, rs(rec, "uuid"));
		rmdir(dir);
		free(dir);
	}
	xv_free(dc);
	xv_free(pbds);
	xv_free(rec);
	return e;
}

xerr *op_SR_scan(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return storage_scan(ctx->app, xv_s(args[0]));
}

xerr *op_SR_update(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return storage_update_sizes(ctx->app, xv_s(args[0]));
}

static xerr *probe(call_ctx *ctx, xv *const *args, sm_probe_result *pr)
{
	if (strcmp(xv_s(args[0]), ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED", "SR.probe: only this host", NULL);
	const char *type = xv_s(args[2]);
	const sm_driver *d = sm_driver_find(type);
	if (!d)
		return xerr_new("SR_UNKNOWN_DRIVER", type, NULL);
	if (!d->sr_probe)
		return xerr_new("SR_OPERATION_NOT_SUPPORTED", HX_NULL_REF, NULL);
	return d->sr_probe(args[1], args[3], pr);
}

xerr *op_SR_probe(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	sm_probe_result pr = { 0 };
	xerr *e = probe(ctx, args, &pr);
	if (!e)
		*result = xv_str_own(sm_probe_xml(&pr));
	sm_probe_result_clear(&pr);
	return e;
}

xerr *op_SR_probe_ext(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	sm_probe_result pr = { 0 };
	xerr *e = probe(ctx, args, &pr);
	if (e) {
		sm_probe_result_clear(&pr);
		return e;
	}
	xv *a = xv_array();
	for (size_t i = 0; i < pr.n; i++) {
		sm_probe_sr *s = &pr.srs[i];
		xv *r = xv_struct();
		xv_struct_set(r, "configuration",
		              s->device_config ? xv_dup(s->device_config) : xv_dup(args[1]));
		xv_struct_set(r, "complete", xv_bool(true));
		if (s->uuid) {
			xv *st = xv_struct();
			xv_struct_set(st, "uuid", xv_str(s->uuid));
			xv_struct_set(st, "name_label", xv_str(s->name_label ? s->name_label : ""));
			xv_struct_set(st, "name_description",
			              xv_str(s->name_description ? s->name_description : ""));
			xv_struct_set(st, "free_space", xv_int(s->free_space));
			xv_struct_set(st, "total_space", xv_int(s->total_space));
			xv_struct_set(st, "clustered", xv_bool(false));
			xv_struct_set(st, "health", xv_str("healthy"));
			xv_struct_set(r, "sr", st);
		} else {
			xv_struct_set(r, "sr", xv_nil());
		}
		xv_struct_set(r, "extra_info", s->extra ? xv_dup(s->extra) : xv_struct());
		xv_array_push(a, r);
	}
	sm_probe_result_clear(&pr);
	*result = a;
	return NULL;
}

xerr *op_SR_get_supported_types(call_ctx *ctx, const api_msg *m, xv *const *args,
                                xv **result)
{
	xv *a = xv_array();
	for (const sm_driver *const *d = sm_drivers(); *d; d++)
		xv_array_push(a, xv_str((*d)->type));
	*result = a;
	return NULL;
}

static xerr *set_field(call_ctx *ctx, const char *sr, const char *f, xv *val)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		xv_free(val);
		return e;
	}
	e = check_ref(t, CLS_SR, sr);
	if (!e)
		e = obj_set(t, CLS_SR, sr, f, val);
	else
		xv_free(val);
	return commit_or_rollback(t, e);
}

xerr *op_SR_set_shared(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return set_field(ctx, xv_s(args[0]), "shared", xv_bool(args[1]->u.b));
}

xerr *op_SR_set_name_label(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return set_field(ctx, xv_s(args[0]), "name_label", xv_dup(args[1]));
}

xerr *op_SR_set_name_description(call_ctx *ctx, const api_msg *m, xv *const *args,
                                 xv **result)
{
	return set_field(ctx, xv_s(args[0]), "name_description", xv_dup(args[1]));
}
