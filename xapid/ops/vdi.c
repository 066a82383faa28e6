/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VDI messages on top of the sm drivers: create, destroy, snapshot, clone,
 * copy (to another SR, with progress), resize (grow only), resize_online,
 * forget, introduce, db_introduce, update, set_on_boot, set_allow_caching,
 * data_destroy. Driver failures come back as SR_BACKEND_FAILURE_<n>.
 *
 * Each operation that changes storage records itself in the VDI's
 * current_operations for its duration (allowed_operations empty), so two
 * clients cannot snapshot and destroy the same VDI at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "qimg.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "vbd_live.h"
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

/* Ints of records clients send may come as strings (XML-RPC). */
static int64_t ri(const xv *rec, const char *f)
{
	xv *v = xv_struct_get(rec, f);
	if (v && v->kind == XV_STRING)
		return strtoll(v->u.str.s, NULL, 10);
	return v && v->kind == XV_INT ? v->u.i : 0;
}

static xerr *commit_or_rollback(txn *t, xerr *e)
{
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

/* An operation on a VDI: its record, SR handle, the op key. */
struct vop {
	struct xapid *app;
	char *vdi;
	xv *rec;
	sm_sr *sr;
	char *opkey;
};

static void vop_end(struct vop *o)
{
	if (o->opkey) {
		txn *t;
		if (!store_begin(o->app->db, true, &t)) {
			if (store_exists(t, CLS_VDI, o->vdi)) {
				xv *cur = obj_get(t, CLS_VDI, o->vdi, "current_operations");
				if (cur && cur->kind == XV_STRUCT)
					xv_struct_del(cur, o->opkey);
				xerr *e = obj_set(t, CLS_VDI, o->vdi, "current_operations",
				                  cur ? cur : xv_struct());
				if (!e)
					e = storage_vdi_update_allowed(t, o->vdi);
				xerr_free(commit_or_rollback(t, e));
			} else {
				store_rollback(t);
			}
		}
	}
	storage_put(o->sr);
	free(o->vdi);
	xv_free(o->rec);
	free(o->opkey);
	memset(o, 0, sizeof(*o));
}

/*
 * Begins operation op on vdi: checks no other runs, that the VDI is not
 * attached to a running VM when in_use_ok is false (VDI_IN_USE), records
 * it and gets the SR handle (SR_NOT_ATTACHED when not plugged here).
 */
static xerr *vop_begin(call_ctx *ctx, const char *vdi, const char *op, bool in_use_ok,
                       struct vop *o)
{
	memset(o, 0, sizeof(*o));
	o->app = ctx->app;
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VDI, vdi)) || (e = store_get_record(t, CLS_VDI, vdi, &o->rec))) {
		store_rollback(t);
		return e;
	}
	xv *cur = xv_struct_get(o->rec, "current_operations");
	if (cur && xv_len(cur)) {
		e = xerr_new("OTHER_OPERATION_IN_PROGRESS", "VDI", vdi,
		             xv_s(cur->u.st.m[0].val), cur->u.st.m[0].key, NULL);
	} else if (!in_use_ok) {
		size_t n;
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		if (n)
			e = xerr_new("VDI_IN_USE", vdi, op, NULL);
		for (size_t i = 0; i < n; i++)
			free(att[i]);
		free(att);
	}
	if (!e) {
		o->opkey = ctx->task_ref && *ctx->task_ref ? hx_strdup(ctx->task_ref) : hx_new_ref();
		xv *c = cur ? xv_dup(cur) : xv_struct();
		xv_struct_set(c, o->opkey, xv_str(op));
		e = obj_set(t, CLS_VDI, vdi, "current_operations", c);
		if (!e)
			e = obj_set(t, CLS_VDI, vdi, "allowed_operations", xv_array());
	}
	if ((e = commit_or_rollback(t, e))) {
		free(o->opkey);
		o->opkey = NULL;
		xv_free(o->rec);
		o->rec = NULL;
		return e;
	}
	o->vdi = hx_strdup(vdi);
	if ((e = storage_get(ctx->app, rs(o->rec, "SR"), &o->sr))) {
		vop_end(o);
		return e;
	}
	return NULL;
}

static xerr *not_supported(const char *sr)
{
	return xerr_new("SR_OPERATION_NOT_SUPPORTED", sr, NULL);
}

/* ---- create / destroy ---------------------------------------------------- */

xerr *op_VDI_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const xv *in = args[0];
	const char *sr_ref = rs(in, "SR");
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	e = check_ref(t, CLS_SR, sr_ref);
	store_rollback(t);
	if (e)
		return e;
	int64_t size = ri(in, "virtual_size");
	if (size < 0)
		return xerr_new("INVALID_VALUE", "virtual_size", "negative", NULL);
	sm_sr *sr;
	if ((e = storage_get(ctx->app, sr_ref, &sr)))
		return e;
	if (!sr->drv->vdi_create) {
		storage_put(sr);
		return not_supported(sr_ref);
	}
	char uuid[37];
	hx_uuid(uuid);
	sm_vdi_params p = {
		.uuid = uuid,
		.virtual_size = size,
		.name_label = rs(in, "name_label"),
		.read_only = rb(in, "read_only"),
		.sharable = rb(in, "sharable"),
		.sm_config = xv_struct_get(in, "sm_config"),
	};
	sm_vdi_info info = { 0 };
	pthread_mutex_lock(&sr->lock);
	e = sr->drv->vdi_create(sr, &p, &info);
	pthread_mutex_unlock(&sr->lock);
	if (e) {
		storage_put(sr);
		return e;
	}
	char *ref = NULL;
	if (!(e = db_begin(ctx, true, &t))) {
		xv *base = xv_dup(in);
		/* Fields the server owns. */
		xv_struct_del(base, "uuid");
		xv_struct_del(base, "is_a_snapshot");
		xv_struct_del(base, "snapshot_of");
		xv_struct_del(base, "parent");
		e = storage_vdi_record(t, sr_ref, &info, base, &ref);
		xv_free(base);
		e = commit_or_rollback(t, e);
	}
	if (e) {
		pthread_mutex_lock(&sr->lock);
		xerr_free(sr->drv->vdi_destroy(sr, info.location));
		pthread_mutex_unlock(&sr->lock);
	}
	storage_put(sr);
	sm_vdi_info_clear(&info);
	if (e)
		return e;
	xerr_free(storage_update_sizes(ctx->app, sr_ref));
	*result = xv_str_own(ref);
	return NULL;
}

/* Removes the records of VBDs of halted VMs that point at vdi (inside t). */
static xerr *drop_vbds(txn *t, const char *vdi)
{
	xv *refs = NULL;
	xv *key = xv_str(vdi);
	xerr *e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VDI"), key, &refs);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *vbd = xv_s(xv_array_get(refs, i));
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
	xv_free(refs);
	return e;
}

xerr *op_VDI_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vdi = xv_s(args[0]);
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, "destroy", false, &o);
	if (e)
		return e;
	if (!o.sr->drv->vdi_destroy) {
		e = not_supported(rs(o.rec, "SR"));
		vop_end(&o);
		return e;
	}
	pthread_mutex_lock(&o.sr->lock);
	e = o.sr->drv->vdi_destroy(o.sr, rs(o.rec, "location"));
	pthread_mutex_unlock(&o.sr->lock);
	if (!e) {
		txn *t;
		if (!(e = db_begin(ctx, true, &t))) {
			e = drop_vbds(t, vdi);
			if (!e)
				e = store_destroy(t, CLS_VDI, vdi);
			e = commit_or_rollback(t, e);
		}
	}
	char *sr_ref = hx_strdup(rs(o.rec, "SR"));
	storage_gc_kick(o.sr->uuid);
	vop_end(&o);
	if (!e)
		xerr_free(storage_update_sizes(ctx->app, sr_ref));
	free(sr_ref);
	return e;
}

/* ---- snapshot / clone ----------------------------------------------------- */

static xerr *snap_or_clone(call_ctx *ctx, xv *const *args, bool snapshot, xv **result)
{
	const char *vdi = xv_s(args[0]);
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, snapshot ? "snapshot" : "clone", true, &o);
	if (e)
		return e;
	if (!(snapshot ? o.sr->drv->vdi_snapshot : o.sr->drv->vdi_clone)) {
		e = not_supported(rs(o.rec, "SR"));
		vop_end(&o);
		return e;
	}
	char uuid[37];
	hx_uuid(uuid);
	sm_vdi_info info = { 0 };
	pthread_mutex_lock(&o.sr->lock);
	sm_live lv = { 0 };
	bool live = sm_sr_live(o.sr, rs(o.rec, "location"), &lv);
	e = (snapshot ? o.sr->drv->vdi_snapshot : o.sr->drv->vdi_clone)(
		o.sr, rs(o.rec, "location"), uuid, args[1], live ? &lv : NULL, &info);
	sm_live_release(&lv);
	pthread_mutex_unlock(&o.sr->lock);
	/* A VDI in use may have moved to a new top image (sm.h): the move and
	 * the new record are one transaction, after which the driver drops
	 * its intent (vdi_settle); a crash before that is recovered from the
	 * intent (sr_recover). */
	sm_crash_point("live-snap-before-db");
	bool moved = info.moved_location != NULL, settle = moved;
	if (moved && e) {
		txn *t;
		xerr *x = db_begin(ctx, true, &t);
		if (!x)
			x = commit_or_rollback(t, obj_set(t, CLS_VDI, vdi, "location",
			                                  xv_str(info.moved_location)));
		if (x)
			settle = false;
		xerr_free(x);
	}
	char *ref = NULL;
	if (!e) {
		txn *t;
		if (!(e = db_begin(ctx, true, &t))) {
			if (moved)
				e = obj_set(t, CLS_VDI, vdi, "location", xv_str(info.moved_location));
			xv *base = xv_struct();
			xv_struct_set(base, "name_label", xv_str(rs(o.rec, "name_label")));
			xv_struct_set(base, "name_description",
			              xv_str(rs(o.rec, "name_description")));
			xv_struct_set(base, "type", xv_str(rs(o.rec, "type")));
			xv_struct_set(base, "sharable", xv_bool(rb(o.rec, "sharable")));
			xv *oc = xv_struct_get(o.rec, "other_config");
			xv_struct_set(base, "other_config", oc ? xv_dup(oc) : xv_struct());
			xv *sc = xv_struct_get(o.rec, "sm_config");
			xv_struct_set(base, "sm_config", sc ? xv_dup(sc) : xv_struct());
			if (snapshot) {
				xv_struct_set(base, "is_a_snapshot", xv_bool(true));
				xv_struct_set(base, "snapshot_of", xv_str(vdi));
				xv_struct_set(base, "snapshot_time", xv_datetime(hx_now()));
			}
			if (!e)
				e = storage_vdi_record(t, rs(o.rec, "SR"), &info, base, &ref);
			xv_free(base);
			e = commit_or_rollback(t, e);
		}
		if (e) {
			/* Not recorded: the intent stays for sr_recover. */
			settle = false;
			pthread_mutex_lock(&o.sr->lock);
			xerr_free(o.sr->drv->vdi_destroy(o.sr, info.location));
			pthread_mutex_unlock(&o.sr->lock);
			storage_gc_kick(o.sr->uuid);
		}
	}
	if (moved && o.sr->drv->vdi_settle) {
		pthread_mutex_lock(&o.sr->lock);
		o.sr->drv->vdi_settle(o.sr, rs(o.rec, "location"), settle);
		pthread_mutex_unlock(&o.sr->lock);
		storage_gc_kick(o.sr->uuid);
	}
	sm_vdi_info_clear(&info);
	char *sr_ref = hx_strdup(rs(o.rec, "SR"));
	vop_end(&o);
	if (!e) {
		xerr_free(storage_update_sizes(ctx->app, sr_ref));
		*result = xv_str_own(ref);
	}
	free(sr_ref);
	return e;
}

xerr *op_VDI_snapshot(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return snap_or_clone(ctx, args, true, result);
}

xerr *op_VDI_clone(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return snap_or_clone(ctx, args, false, result);
}

/* ---- resize ----------------------------------------------------------------- */

static xerr *resize(call_ctx *ctx, xv *const *args, bool online)
{
	const char *vdi = xv_s(args[0]);
	int64_t size = args[1]->u.i;
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, online ? "resize_online" : "resize", online, &o);
	if (e)
		return e;
	if (!o.sr->drv->vdi_resize || rb(o.rec, "read_only") || o.sr->drv->vdis_read_only) {
		e = rb(o.rec, "read_only") ? xerr_new("VDI_READONLY", vdi, NULL) :
		                              not_supported(rs(o.rec, "SR"));
	} else if (size < ri(o.rec, "virtual_size")) {
		e = sm_backend_failure(SM_E_VDI_SIZE,
			"VDI Invalid size [opterr=shrinking is not allowed: %lld < %lld]",
			(long long)size, (long long)ri(o.rec, "virtual_size"));
	} else {
		sm_vdi_info info = { 0 };
		pthread_mutex_lock(&o.sr->lock);
		sm_live lv = { 0 };
		bool live = sm_sr_live(o.sr, rs(o.rec, "location"), &lv);
		if (live && !online)
			e = xerr_new("VDI_IN_USE", vdi, "resize", NULL);
		else
			e = o.sr->drv->vdi_resize(o.sr, rs(o.rec, "location"), size,
			                          live ? &lv : NULL, &info);
		sm_live_release(&lv);
		pthread_mutex_unlock(&o.sr->lock);
		if (!e) {
			txn *t;
			if (!(e = db_begin(ctx, true, &t))) {
				e = obj_set(t, CLS_VDI, vdi, "virtual_size", xv_int(info.virtual_size));
				if (!e)
					e = obj_set(t, CLS_VDI, vdi, "physical_utilisation",
					            xv_int(info.physical_utilisation));
				e = commit_or_rollback(t, e);
			}
		}
		sm_vdi_info_clear(&info);
	}
	char *sr_ref = hx_strdup(rs(o.rec, "SR"));
	vop_end(&o);
	if (!e)
		xerr_free(storage_update_sizes(ctx->app, sr_ref));
	free(sr_ref);
	return e;
}

xerr *op_VDI_resize(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return resize(ctx, args, false);
}

xerr *op_VDI_resize_online(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return resize(ctx, args, true);
}

/* ---- copy ------------------------------------------------------------------- */

/* VDI.copy(vdi, sr, base_vdi, into_vdi). */
xerr *op_VDI_copy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vdi = xv_s(args[0]), *dst_sr = xv_s(args[1]);
	const char *into = xv_s(args[3]);
	bool has_into = into && *into && !hx_is_null_ref(into);
	if (!hx_is_null_ref(xv_s(args[2])) && *xv_s(args[2]))
		return xerr_new("OPERATION_NOT_ALLOWED",
		                "VDI.copy with base_vdi (differential copy) is not supported", NULL);
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, "copy", true, &o);
	if (e)
		return e;
	xv *into_rec = NULL;
	txn *t;
	if (has_into && !(e = db_begin(ctx, false, &t))) {
		if (!(e = check_ref(t, CLS_VDI, into)))
			e = store_get_record(t, CLS_VDI, into, &into_rec);
		store_rollback(t);
		if (!e && ri(into_rec, "virtual_size") < ri(o.rec, "virtual_size")) {
			char n[32];
			snprintf(n, sizeof(n), "%lld", (long long)ri(o.rec, "virtual_size"));
			e = xerr_new("VDI_TOO_SMALL", into, n, NULL);
		}
		if (!e && rb(into_rec, "read_only"))
			e = xerr_new("VDI_READONLY", into, NULL);
		if (!e)
			dst_sr = rs(into_rec, "SR");
	}
	sm_sr *dst = NULL;
	sm_open src = { 0 };
	if (!e && !has_into && !(e = db_begin(ctx, false, &t))) {
		e = check_ref(t, CLS_SR, dst_sr);
		store_rollback(t);
	}
	if (!e)
		e = storage_get(ctx->app, dst_sr, &dst);
	if (!e && !o.sr->drv->vdi_attach)
		e = not_supported(rs(o.rec, "SR"));
	if (!e)
		e = o.sr->drv->vdi_attach(o.sr, rs(o.rec, "location"), false, &src);
	storage_prog sp = { .app = ctx->app, .task_ref = ctx->task_ref, .lo = 0.05, .hi = 0.95 };
	sm_progress prog = storage_progress(&sp);
	char *ref = NULL;
	if (!e && has_into) {
		sm_open dsto = { 0 };
		e = dst->drv->vdi_attach(dst, rs(into_rec, "location"), true, &dsto);
		if (!e)
			e = sm_copy_data(&src, &dsto, &prog);
		sm_open_clear(&dsto);
		if (dst->drv->vdi_detach)
			xerr_free(dst->drv->vdi_detach(dst, rs(into_rec, "location")));
		if (!e)
			ref = hx_strdup(into);
	} else if (!e) {
		char uuid[37];
		hx_uuid(uuid);
		xv *smc = xv_struct();
		if (!strcmp(src.format ? src.format : "", "raw") &&
		    strcmp(o.sr->type, "iso") != 0)
			xv_struct_set(smc, "type", xv_str("raw"));
		sm_vdi_params p = {
			.uuid = uuid,
			.virtual_size = ri(o.rec, "virtual_size"),
			.name_label = rs(o.rec, "name_label"),
			.sm_config = smc,
		};
		sm_vdi_info info = { 0 };
		if (dst->drv->vdi_copy) {
			e = dst->drv->vdi_copy(dst, &src, &p, &prog, &info);
		} else if (!dst->drv->vdi_create) {
			e = not_supported(dst_sr);
		} else {
			pthread_mutex_lock(&dst->lock);
			e = dst->drv->vdi_create(dst, &p, &info);
			pthread_mutex_unlock(&dst->lock);
			sm_open dsto = { 0 };
			if (!e && !(e = dst->drv->vdi_attach(dst, info.location, true, &dsto)))
				e = sm_copy_data(&src, &dsto, &prog);
			sm_open_clear(&dsto);
			if (e && info.location)
				xerr_free(dst->drv->vdi_destroy(dst, info.location));
		}
		xv_free(smc);
		if (!e && !(e = db_begin(ctx, true, &t))) {
			xv *base = xv_struct();
			xv_struct_set(base, "name_label", xv_str(rs(o.rec, "name_label")));
			xv_struct_set(base, "name_description", xv_str(rs(o.rec, "name_description")));
			xv_struct_set(base, "type", xv_str(rs(o.rec, "type")));
			xv *oc = xv_struct_get(o.rec, "other_config");
			xv_struct_set(base, "other_config", oc ? xv_dup(oc) : xv_struct());
			e = storage_vdi_record(t, dst_sr, &info, base, &ref);
			xv_free(base);
			e = commit_or_rollback(t, e);
			if (e)
				xerr_free(dst->drv->vdi_destroy(dst, info.location));
		}
		sm_vdi_info_clear(&info);
	}
	if (o.sr->drv->vdi_detach && src.filename)
		xerr_free(o.sr->drv->vdi_detach(o.sr, rs(o.rec, "location")));
	sm_open_clear(&src);
	storage_put(dst);
	xv_free(into_rec);
	vop_end(&o);
	if (e) {
		free(ref);
		if (!strcmp(e->code, "SR_BACKEND_FAILURE_111") || !strncmp(e->code, "SR_BACKEND", 10))
			return e;
		return e;
	}
	xerr_free(storage_update_sizes(ctx->app, dst_sr));
	*result = xv_str_own(ref);
	return NULL;
}

/* ---- records only ------------------------------------------------------------- */

xerr *op_VDI_forget(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vdi = xv_s(args[0]);
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, "forget", false, &o);
	if (e && !strcmp(e->code, "SR_NOT_ATTACHED")) {
		/* Forgetting needs no storage. */
		xerr_free(e);
		e = NULL;
	} else if (e) {
		return e;
	}
	txn *t;
	if (!(e = db_begin(ctx, true, &t))) {
		e = drop_vbds(t, vdi);
		if (!e)
			e = store_destroy(t, CLS_VDI, vdi);
		e = commit_or_rollback(t, e);
	}
	vop_end(&o);
	return e;
}

/* Common body of introduce and db_introduce; args as in the datamodel. */
static xerr *introduce(call_ctx *ctx, xv *const *args, bool ask_driver, xv **result)
{
	const char *uuid = xv_s(args[0]);
	const char *sr_ref = xv_s(args[3]);
	const char *location = xv_s(args[8]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	e = check_ref(t, CLS_SR, sr_ref);
	char *old = *uuid ? store_ref_of_uuid(t, CLS_VDI, uuid) : NULL;
	store_rollback(t);
	if (e)
		return e;
	if (old) {
		free(old);
		return xerr_new("UUID_INVALID", "VDI", uuid, NULL);
	}
	sm_vdi_info info = { 0 };
	if (ask_driver) {
		sm_sr *sr;
		if ((e = storage_get(ctx->app, sr_ref, &sr)))
			return e;
		if (!sr->drv->vdi_introduce && !sr->drv->vdi_stat)
			e = not_supported(sr_ref);
		else
			e = (sr->drv->vdi_introduce ? sr->drv->vdi_introduce : sr->drv->vdi_stat)(
				sr, location, &info);
		storage_put(sr);
		if (e) {
			sm_vdi_info_clear(&info);
			return e;
		}
		if (info.hidden) {
			sm_vdi_info_clear(&info);
			return xerr_new("VDI_LOCATION_MISSING", sr_ref, location, NULL);
		}
	} else {
		info.location = hx_strdup(location);
		info.virtual_size = args[12]->u.i;
		info.physical_utilisation = args[13]->u.i;
	}
	free(info.uuid);
	info.uuid = hx_is_uuid(uuid) ? hx_strdup(uuid) : NULL;
	if (!(e = db_begin(ctx, true, &t))) {
		xv *base = xv_struct();
		xv_struct_set(base, "name_label", xv_dup(args[1]));
		xv_struct_set(base, "name_description", xv_dup(args[2]));
		xv_struct_set(base, "type", xv_dup(args[4]));
		xv_struct_set(base, "sharable", xv_dup(args[5]));
		xv_struct_set(base, "read_only", xv_dup(args[6]));
		xv_struct_set(base, "other_config", xv_dup(args[7]));
		xv_struct_set(base, "xenstore_data", xv_dup(args[9]));
		xv_struct_set(base, "sm_config", xv_dup(args[10]));
		xv_struct_set(base, "is_a_snapshot", xv_dup(args[15]));
		xv_struct_set(base, "snapshot_time", xv_dup(args[16]));
		xv_struct_set(base, "snapshot_of", xv_dup(args[17]));
		char *ref = NULL;
		e = storage_vdi_record(t, sr_ref, &info, base, &ref);
		if (!e)
			e = obj_set(t, CLS_VDI, ref, "managed", xv_dup(args[11]));
		xv_free(base);
		e = commit_or_rollback(t, e);
		if (!e)
			*result = xv_str_own(ref);
		else
			free(ref);
	}
	sm_vdi_info_clear(&info);
	return e;
}

xerr *op_VDI_introduce(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return introduce(ctx, args, true, result);
}

xerr *op_VDI_db_introduce(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return introduce(ctx, args, false, result);
}

xerr *op_VDI_update(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vdi = xv_s(args[0]);
	struct vop o;
	xerr *e = vop_begin(ctx, vdi, "update", true, &o);
	if (e)
		return e;
	sm_vdi_info info = { 0 };
	if (!o.sr->drv->vdi_stat)
		e = not_supported(rs(o.rec, "SR"));
	else
		e = o.sr->drv->vdi_stat(o.sr, rs(o.rec, "location"), &info);
	txn *t;
	if (!e && !(e = db_begin(ctx, true, &t))) {
		e = obj_set(t, CLS_VDI, vdi, "virtual_size", xv_int(info.virtual_size));
		if (!e)
			e = obj_set(t, CLS_VDI, vdi, "physical_utilisation",
			            xv_int(info.physical_utilisation));
		e = commit_or_rollback(t, e);
	}
	sm_vdi_info_clear(&info);
	vop_end(&o);
	return e;
}

static xerr *set_simple(call_ctx *ctx, const char *vdi, const char *field, xv *val,
                        bool needs_detached)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		xv_free(val);
		return e;
	}
	if ((e = check_ref(t, CLS_VDI, vdi))) {
		xv_free(val);
		store_rollback(t);
		return e;
	}
	if (needs_detached) {
		size_t n;
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		if (n)
			e = xerr_new("VDI_IN_USE", vdi, "set_on_boot", NULL);
		for (size_t i = 0; i < n; i++)
			free(att[i]);
		free(att);
	}
	if (!e)
		e = obj_set(t, CLS_VDI, vdi, field, val);
	else
		xv_free(val);
	return commit_or_rollback(t, e);
}

/* on_boot=reset: the VM's QEMU opens the VDI under a throw-away overlay
 * (qemu_disk.c), so each boot starts from the same contents. */
xerr *op_VDI_set_on_boot(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return set_simple(ctx, xv_s(args[0]), "on_boot", xv_dup(args[1]), true);
}

xerr *op_VDI_set_allow_caching(call_ctx *ctx, const api_msg *m, xv *const *args,
                               xv **result)
{
	return set_simple(ctx, xv_s(args[0]), "allow_caching", xv_bool(args[1]->u.b), false);
}

/* data_destroy keeps changed-block metadata of a snapshot; without CBT
 * (never enabled here) XAPI answers VDI_NO_CBT_METADATA. */
xerr *op_VDI_data_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vdi = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	e = check_ref(t, CLS_VDI, vdi);
	store_rollback(t);
	return e ? e : xerr_new("VDI_NO_CBT_METADATA", vdi, NULL);
}

xerr *vdi_create_call(call_ctx *ctx, xv *const *args, xv **result)
{
	return op_VDI_create(ctx, NULL, args, result);
}

xerr *vdi_destroy_call(call_ctx *ctx, xv *const *args)
{
	return op_VDI_destroy(ctx, NULL, args, NULL);
}
