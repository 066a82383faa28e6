/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blob.* and <Class>.create_new_blob: named binary objects attached to
 * pools, hosts, VMs, networks and SRs (XenCenter keeps its GUI state and
 * RRD snapshots there). The record lives in the store; the bytes live in
 * <state_dir>/blobs/<uuid>, written through HTTP PUT /blob (blob_http.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

char *blob_path(const struct xapid *app, const char *uuid)
{
	return hx_asprintf("%s/blobs/%s", app->cfg.state_dir, uuid);
}

/* XAPI's default type for blobs created without one. */
static const char *mime_or_default(const char *mime)
{
	return mime && *mime ? mime : "application/octet-stream";
}

static xerr *blob_new(txn *t, const char *mime, bool public, char **ref)
{
	xv *rec = xv_struct();
	xv_struct_set(rec, "mime_type", xv_str(mime_or_default(mime)));
	xv_struct_set(rec, "public", xv_bool(public));
	xv_struct_set(rec, "size", xv_int(0));
	xv_struct_set(rec, "last_updated", xv_datetime(hx_now()));
	return obj_create(t, CLS_blob, rec, ref);
}

xerr *op_blob_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	txn *t;
	char *ref = NULL;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = blob_new(t, xv_s(args[0]), args[1]->u.b, &ref))) {
		store_rollback(t);
		return e;
	}
	if ((e = db_commit(t))) {
		free(ref);
		return e;
	}
	*result = xv_str_own(ref);
	return NULL;
}

/* The classes whose "blobs" maps may name a blob. */
static const int blob_owner_classes[] = { CLS_pool, CLS_host, CLS_VM, CLS_network, CLS_SR };

/* Removes map entries naming ref from every owner's "blobs" field. */
static xerr *unlink_blob(txn *t, const char *ref)
{
	xerr *e = NULL;
	for (size_t c = 0; c < sizeof(blob_owner_classes) / sizeof(*blob_owner_classes) && !e; c++) {
		int cls = blob_owner_classes[c];
		int fld = obj_fld(cls, "blobs");
		xv *all = NULL;
		if ((e = store_get_all(t, cls, &all)))
			break;
		for (size_t i = 0; i < xv_len(all) && !e; i++) {
			const char *owner = xv_s(xv_array_get(all, i));
			xv *map = NULL;
			if ((e = store_get_field(t, cls, owner, fld, &map)))
				break;
			bool changed = false;
			for (size_t k = 0; k < xv_len(map);) {
				if (!strcmp(xv_s(map->u.st.m[k].val), ref)) {
					xv_struct_del(map, map->u.st.m[k].key);
					changed = true;
				} else {
					k++;
				}
			}
			if (changed)
				e = store_set_field(t, cls, owner, fld, map);
			xv_free(map);
		}
		xv_free(all);
	}
	return e;
}

/* Destroys the record (and the owners' map entries), then the file: a
 * file left behind by a crash is harmless, a record without one reads
 * as empty. */
xerr *op_blob_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *ref = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_blob, ref)))
		goto fail;
	char *uuid = obj_get_str(t, CLS_blob, ref, "uuid");
	if ((e = unlink_blob(t, ref)) || (e = store_destroy(t, CLS_blob, ref))) {
		free(uuid);
		goto fail;
	}
	if ((e = db_commit(t))) {
		free(uuid);
		return e;
	}
	if (hx_is_uuid(uuid)) {
		char *path = blob_path(ctx->app, uuid);
		if (unlink(path) && errno != ENOENT)
			fprintf(stderr, "xapid: blob %s: cannot remove %s: %s\n", uuid, path,
				strerror(errno));
		free(path);
	}
	free(uuid);
	return NULL;
fail:
	store_rollback(t);
	return e;
}

/*
 * <Class>.create_new_blob(owner, name, mime_type, public): a new blob and
 * the entry name -> blob in owner.blobs, in one txn. A name already used
 * gives MAP_DUPLICATE_KEY, as XAPI's add_to_blobs does.
 */
xerr *blob_create_for(call_ctx *ctx, int cls, xv *const *args, xv **result)
{
	const char *owner = xv_s(args[0]), *name = xv_s(args[1]);
	txn *t;
	char *ref = NULL;
	xv *map = NULL;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, cls, owner)))
		goto fail;
	map = obj_get(t, cls, owner, "blobs");
	if (!map)
		map = xv_struct();
	if (xv_struct_get(map, name)) {
		char *uuid = obj_get_str(t, cls, owner, "uuid");
		e = xerr_new("MAP_DUPLICATE_KEY", api_classes[cls].name, "blobs", uuid, name, NULL);
		free(uuid);
		goto fail;
	}
	if ((e = blob_new(t, xv_s(args[2]), args[3]->u.b, &ref)))
		goto fail;
	xv_struct_set(map, name, xv_str(ref));
	e = obj_set(t, cls, owner, "blobs", map);
	map = NULL;
	if (e)
		goto fail;
	if ((e = db_commit(t))) {
		free(ref);
		return e;
	}
	*result = xv_str_own(ref);
	return NULL;
fail:
	free(ref);
	xv_free(map);
	store_rollback(t);
	return e;
}

/* The owners whose classes have no ops file of this issue. */
xerr *op_VM_create_new_blob(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return blob_create_for(ctx, CLS_VM, args, result);
}

xerr *op_network_create_new_blob(call_ctx *ctx, const api_msg *m, xv *const *args,
				 xv **result)
{
	return blob_create_for(ctx, CLS_network, args, result);
}

xerr *op_SR_create_new_blob(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return blob_create_for(ctx, CLS_SR, args, result);
}
