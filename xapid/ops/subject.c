/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject.*: external users and groups and the roles they hold. Halyard
 * has no external authentication yet, so no session maps to a subject
 * through login; the records are kept right, and sessions that do carry
 * a subject follow its roles at once.
 */
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "sessions.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

/* The most privileged named role among refs, or read-only if none. */
static enum api_role effective_role(txn *t, const xv *refs)
{
	enum api_role best = ROLE_READ_ONLY;
	for (size_t i = 0; i < xv_len(refs); i++) {
		char *name = obj_get_str(t, CLS_role, xv_s(xv_array_get(refs, i)), "name_label");
		int r = role_of_name(name);
		free(name);
		if (r >= 0 && (enum api_role)r < best)
			best = (enum api_role)r;
	}
	return best;
}

static xerr *edit_roles(call_ctx *ctx, const char *self, const char *role, bool add)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	xv *roles = NULL;
	if ((e = check_ref(t, CLS_subject, self)))
		goto fail;
	if (!store_exists(t, CLS_role, role)) {
		e = xerr_new("ROLE_NOT_FOUND", NULL);
		goto fail;
	}
	roles = obj_get(t, CLS_subject, self, "roles");
	if (!roles)
		roles = xv_array();
	size_t i;
	for (i = 0; i < xv_len(roles); i++)
		if (!strcmp(xv_s(xv_array_get(roles, i)), role))
			break;
	if (add) {
		if (i < xv_len(roles)) {
			e = xerr_new("ROLE_ALREADY_EXISTS", NULL);
			goto fail;
		}
		xv_array_push(roles, xv_str(role));
	} else {
		if (i == xv_len(roles)) {
			e = xerr_new("ROLE_NOT_FOUND", NULL);
			goto fail;
		}
		xv_free(xv_array_take(roles, i));
	}
	enum api_role eff = effective_role(t, roles);
	e = obj_set(t, CLS_subject, self, "roles", roles);
	roles = NULL;
	if (e)
		goto fail;
	if ((e = db_commit(t)))
		return e;
	/* Live sessions of the subject get the new role with their next call. */
	sessions_set_role(ctx->app, self, eff);
	return NULL;
fail:
	xv_free(roles);
	store_rollback(t);
	return e;
}

xerr *op_subject_add_to_roles(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return edit_roles(ctx, xv_s(args[0]), xv_s(args[1]), true);
}

xerr *op_subject_remove_from_roles(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	return edit_roles(ctx, xv_s(args[0]), xv_s(args[1]), false);
}

xerr *op_subject_get_permissions_name_label(call_ctx *ctx, const api_msg *m, xv *const *args,
					    xv **result)
{
	txn *t;
	xv *all = NULL, *roles = NULL;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_subject, xv_s(args[0])))) {
		roles = obj_get(t, CLS_subject, xv_s(args[0]), "roles");
		e = store_get_all_records(t, CLS_role, &all);
	}
	store_rollback(t);
	if (e) {
		xv_free(roles);
		return e;
	}
	xv *set = roles_permissions_of(all, roles);
	xv *out = xv_array();
	for (size_t i = 0; i < xv_len(set); i++)
		xv_array_push(out, xv_dup(set->u.st.m[i].val));
	xv_free(set);
	xv_free(roles);
	xv_free(all);
	*result = out;
	return NULL;
}
