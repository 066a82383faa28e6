/* SPDX-License-Identifier: Apache-2.0 */
/*
 * task.*: the custom messages of tasks. Clients make tasks (task.create)
 * to pass them to HTTP handlers and watch them; the Async machinery in
 * api/tasks.c makes the others. All the setters are custom in the
 * datamodel because XAPI restricts them to the task's owner.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "tasks.h"
#include "util.h"
#include "xapid.h"

/*
 * XAPI's TaskHelper.assert_op_valid: a task may be changed by the session
 * that made it (or another session of the same user), or by a role that
 * holds the "<call>/any" permission (pool-operator and above).
 */
static xerr *check_owner(call_ctx *ctx, txn *t, const char *task)
{
	if (ctx->role <= ROLE_POOL_OPERATOR)
		return NULL;
	char *sess = obj_get_str(t, CLS_task, task, "session");
	bool ok = ctx->session_ref && !strcmp(sess, ctx->session_ref);
	if (!ok && !hx_is_null_ref(sess) && ctx->user_name && store_exists(t, CLS_session, sess)) {
		char *user = obj_get_str(t, CLS_session, sess, "auth_user_name");
		ok = !strcmp(user, ctx->user_name);
		free(user);
	}
	free(sess);
	if (ok)
		return NULL;
	char *perm = hx_asprintf("%s/any", ctx->msg->wire_name);
	for (char *p = perm; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	xerr *e = xerr_new("RBAC_PERMISSION_DENIED", perm,
			   "No permission in the user's role to perform this operation", NULL);
	free(perm);
	return e;
}

xerr *op_task_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	char *ref = NULL;
	xerr *e = tasks_create(ctx->app, xv_s(args[0]), xv_s(args[1]), ctx->session_ref, &ref);
	if (e)
		return e;
	*result = xv_str_own(ref);
	return NULL;
}

/*
 * A completed task goes at once; a pending one is marked for destruction
 * (current_operations {"task": "destroy"}, as XAPI does) and goes when it
 * completes.
 */
xerr *op_task_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *task = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_task, task)) || (e = check_owner(ctx, t, task)))
		goto fail;
	char *st = obj_get_str(t, CLS_task, task, "status");
	bool open = !strcmp(st, "pending") || !strcmp(st, "cancelling");
	free(st);
	if (!open) {
		e = store_destroy(t, CLS_task, task);
	} else {
		xv *ops = obj_get(t, CLS_task, task, "current_operations");
		if (!ops)
			ops = xv_struct();
		xv_struct_set(ops, "task", xv_str("destroy"));
		e = obj_set(t, CLS_task, task, "current_operations", ops);
	}
	if (e)
		goto fail;
	return db_commit(t);
fail:
	store_rollback(t);
	return e;
}

xerr *op_task_cancel(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *task = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_task, task)))
		e = check_owner(ctx, t, task);
	if (!e) {
		/* Only tasks that say so can be cancelled. */
		xv *allowed = obj_get(t, CLS_task, task, "allowed_operations");
		bool can = false;
		for (size_t i = 0; i < xv_len(allowed); i++)
			can |= !strcmp(xv_s(xv_array_get(allowed, i)), "cancel");
		xv_free(allowed);
		if (!can)
			e = xerr_new("OPERATION_NOT_ALLOWED", "This task cannot be cancelled", NULL);
	}
	store_rollback(t);
	if (e)
		return e;
	return tasks_cancel(ctx->app, task);
}

/* The four field setters of the datamodel: owner check, then the write. */
static xerr *owner_set(call_ctx *ctx, const char *task, const char *field, xv *val)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		xv_free(val);
		return e;
	}
	if ((e = check_ref(t, CLS_task, task)) || (e = check_owner(ctx, t, task))) {
		xv_free(val);
		goto fail;
	}
	if ((e = obj_set(t, CLS_task, task, field, val)))
		goto fail;
	return db_commit(t);
fail:
	store_rollback(t);
	return e;
}

xerr *op_task_set_status(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return owner_set(ctx, xv_s(args[0]), "status", xv_dup(args[1]));
}

xerr *op_task_set_progress(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	double p = args[1]->u.f;
	/* Progress is a fraction; anything else would confuse every client. */
	if (!(p >= 0.0 && p <= 1.0)) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%g", p);
		return xerr_new("INVALID_VALUE", "value", buf, NULL);
	}
	return owner_set(ctx, xv_s(args[0]), "progress", xv_float(p));
}

xerr *op_task_set_result(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return owner_set(ctx, xv_s(args[0]), "result", xv_dup(args[1]));
}

xerr *op_task_set_error_info(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return owner_set(ctx, xv_s(args[0]), "error_info", xv_dup(args[1]));
}

xerr *op_task_set_other_config(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return owner_set(ctx, xv_s(args[0]), "other_config", xv_dup(args[1]));
}

/* add_to_/remove_from_other_config: read-modify-write in one txn. */
static xerr *other_config_edit(call_ctx *ctx, const char *task, const char *key, const xv *val)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_task, task)) || (e = check_owner(ctx, t, task)))
		goto fail;
	xv *oc = obj_get(t, CLS_task, task, "other_config");
	if (!oc)
		oc = xv_struct();
	if (val) {
		if (xv_struct_get(oc, key)) {
			char *uuid = obj_get_str(t, CLS_task, task, "uuid");
			e = xerr_new("MAP_DUPLICATE_KEY", "task", "other_config", uuid, key, NULL);
			free(uuid);
			xv_free(oc);
			goto fail;
		}
		xv_struct_set(oc, key, xv_dup(val));
	} else if (!xv_struct_del(oc, key)) {
		xv_free(oc);
		store_rollback(t);
		return NULL; /* removing a missing key changes nothing */
	}
	if ((e = obj_set(t, CLS_task, task, "other_config", oc)))
		goto fail;
	return db_commit(t);
fail:
	store_rollback(t);
	return e;
}

xerr *op_task_add_to_other_config(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return other_config_edit(ctx, xv_s(args[0]), xv_s(args[1]), args[2]);
}

xerr *op_task_remove_from_other_config(call_ctx *ctx, const api_msg *m, xv *const *args,
				       xv **result)
{
	return other_config_edit(ctx, xv_s(args[0]), xv_s(args[1]), NULL);
}
