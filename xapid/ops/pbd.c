/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PBD messages: plug (attach the SR on this host with the PBD's
 * device_config) and unplug (refused while a VDI of the SR is in use).
 */
#include <stdlib.h>
#include <string.h>

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

/* PBD.plug: attach the SR here with this PBD's device_config. */
xerr *op_PBD_plug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pbd = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *rec = NULL, *srrec = NULL;
	e = store_get_record(t, CLS_PBD, pbd, &rec);
	if (!e)
		e = store_get_record(t, CLS_SR, rs(rec, "SR"), &srrec);
	store_rollback(t);
	if (!e && strcmp(rs(rec, "host"), ctx->app->host_ref))
		e = xerr_new("OPERATION_NOT_ALLOWED", "PBD.plug: the PBD is for another host", NULL);
	if (!e)
		e = storage_attach(ctx->app, rs(rec, "SR"), rs(srrec, "uuid"), rs(srrec, "type"),
		                   xv_struct_get(rec, "device_config"),
		                   xv_struct_get(srrec, "sm_config"));
	if (!e && !(e = db_begin(ctx, true, &t))) {
		e = obj_set(t, CLS_PBD, pbd, "currently_attached", xv_bool(true));
		if (!e)
			e = storage_sr_update_allowed(t, rs(rec, "SR"));
		e = commit_or_rollback(t, e);
	}
	if (!e)
		xerr_free(storage_scan(ctx->app, rs(rec, "SR")));
	xv_free(rec);
	xv_free(srrec);
	return e;
}

/* PBD.unplug: refused while a VDI of the SR is attached to a running VM. */
xerr *op_PBD_unplug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pbd = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *rec = NULL, *vdis = NULL;
	e = store_get_record(t, CLS_PBD, pbd, &rec);
	char *sr_uuid = NULL;
	if (!e) {
		sr_uuid = obj_get_str(t, CLS_SR, rs(rec, "SR"), "uuid");
		xv *key = xv_str(rs(rec, "SR"));
		e = store_find(t, CLS_VDI, obj_fld(CLS_VDI, "SR"), key, &vdis);
		xv_free(key);
	}
	for (size_t i = 0; !e && i < xv_len(vdis); i++) {
		size_t n;
		const char *vdi = xv_s(xv_array_get(vdis, i));
		char **att = storage_vdi_attached_vbds(t, vdi, &n);
		if (n)
			e = xerr_new("VDI_IN_USE", vdi, "unplug", NULL);
		for (size_t j = 0; j < n; j++)
			free(att[j]);
		free(att);
	}
	xv_free(vdis);
	store_rollback(t);
	if (!e)
		e = storage_detach(ctx->app, sr_uuid);
	if (!e && !(e = db_begin(ctx, true, &t))) {
		e = obj_set(t, CLS_PBD, pbd, "currently_attached", xv_bool(false));
		if (!e)
			e = storage_sr_update_allowed(t, rs(rec, "SR"));
		e = commit_or_rollback(t, e);
	}
	free(sr_uuid);
	xv_free(rec);
	return e;
}
