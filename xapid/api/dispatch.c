/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatcher (XAPI's gen_server + server_helpers, driven by tables):
 *   name → message (Class.msg, Class_msg, Async.Class.msg),
 *   arity with trailing defaults, session, RBAC, argument types, ref
 *   existence, then the handler (custom, override or generic implicit),
 *   or a task for Async.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "sessions.h"
#include "store.h"
#include "tasks.h"
#include "util.h"
#include "xapid.h"

xerr rpc_deferred_sentinel = { .code = "DEFERRED" };

struct rpc_pending {
	rpc_done_fn done;
	void *arg;
	atomic_int fired;
};

rpc_pending *rpc_defer(call_ctx *ctx)
{
	rpc_pending *p = hx_calloc(1, sizeof(*p));
	p->done = ctx->done;
	p->arg = ctx->done_arg;
	ctx->deferred = true;
	return p;
}

void rpc_pending_complete(rpc_pending *p, xv *result, xerr *err)
{
	if (atomic_exchange(&p->fired, 1)) {
		xv_free(result);
		xerr_free(err);
		return;
	}
	p->done(p->arg, result, err);
	free(p);
}

xerr *db_begin(call_ctx *ctx, bool write, struct txn **t)
{
	return store_begin(ctx->app->db, write, t);
}

/* ops_precommit (dispatch.h) is weak: the dispatcher's unit tests link
 * without xapid/ops. */
#pragma weak ops_precommit

xerr *db_commit(struct txn *t)
{
	if (ops_precommit && t) {
		xerr *e = ops_precommit(t);
		if (e) {
			store_rollback(t);
			return e;
		}
	}
	return store_commit(t);
}

xerr *check_ref(struct txn *t, int cls, const char *ref)
{
	if (!ref || !store_exists(t, cls, ref))
		return xerr_new("HANDLE_INVALID", api_classes[cls].name, ref ? ref : "", NULL);
	return NULL;
}

/* Methods served without a session that are not in the datamodel. */
static bool system_call(const char *method, xv *params, xv **result, xerr **err)
{
	if (!strcmp(method, "system.listMethods")) {
		xv *a = xv_array();
		for (int i = 0; i < api_nmsgs; i++)
			if (!api_msgs[i].removed)
				xv_array_push(a, xv_str(api_msgs[i].wire_name));
		xv_array_push(a, xv_str("system.listMethods"));
		xv_array_push(a, xv_str("system.isAlive"));
		*result = a;
		*err = NULL;
		return true;
	}
	if (!strncmp(method, "system.isAlive", 14)) {
		xv *first = xv_len(params) ? xv_array_get(params, 0) : NULL;
		*result = first ? xv_dup(first) : xv_str("");
		*err = NULL;
		return true;
	}
	return false;
}

/* Resolves the wire name. Sets *async for Async.X / InternalAsync.X. */
static const api_msg *resolve(const char *method, bool *async)
{
	*async = false;
	if (!strncmp(method, "Async.", 6)) {
		*async = true;
		method += 6;
	} else if (!strncmp(method, "InternalAsync.", 14)) {
		*async = true;
		method += 14;
	}
	const api_msg *m = api_find_msg(method);
	if (m || *async)
		return m;
	/* The alternative spelling Class_msg (synchronous only): try every
	 * underscore as the separator. */
	char buf[256];
	size_t n = strlen(method);
	if (n >= sizeof(buf))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (method[i] != '_')
			continue;
		memcpy(buf, method, n + 1);
		buf[i] = '.';
		if ((m = api_find_msg(buf)))
			return m;
	}
	return NULL;
}

/* The map key a setter-like message touches, for per-key RBAC. */
static const char *rbac_key(const api_msg *m, xv *params, int first)
{
	if (!m->map_keys_roles)
		return NULL;
	xv *k = xv_array_get(params, (size_t)first + 1);
	return k && k->kind == XV_STRING ? k->u.str.s : NULL;
}

/*
 * Checks every non-null ref argument of a custom message names a live
 * object of the expected class.
 */
static xerr *check_arg_refs(xapid *app, const api_msg *m, xv *const *args)
{
	txn *t = NULL;
	xerr *e = NULL;
	for (int i = 0; i < m->nparams && !e; i++) {
		const api_type *ty = m->params[i].type;
		if (ty->kind != AT_REF || !args[i] || args[i]->kind != XV_STRING)
			continue;
		if (hx_is_null_ref(args[i]->u.str.s))
			continue;
		if (!api_classes[ty->cls].in_database && !api_classes[ty->cls].sql_create)
			continue;
		if (!t && (e = store_begin(app->db, false, &t)))
			return e;
		e = check_ref(t, ty->cls, args[i]->u.str.s);
	}
	store_rollback(t);
	return e;
}

/* Runs the handler for m with typed args (session excluded). */
xerr *dispatch_invoke(call_ctx *ctx, xv *const *args, xv **result)
{
	const api_msg *m = ctx->msg;
	xerr *e;
	*result = NULL;
	if (m->kind == MK_CUSTOM && !m->handler) {
		if (m->implicit_kind == MK_CUSTOM)
			return xerr_new("NOT_IMPLEMENTED", m->wire_name, NULL);
		/* An accessor the datamodel calls custom (see meta.h). */
		api_msg as_accessor = *m;
		as_accessor.kind = m->implicit_kind;
		as_accessor.field = m->implicit_field;
		ctx->msg = &as_accessor;
		e = implicit_call(ctx, args, result);
		ctx->msg = m;
		if (!e && !*result)
			*result = xv_str("");
		return e;
	}
	if (m->kind == MK_CUSTOM || m->handler) {
		e = check_arg_refs(ctx->app, m, args);
		if (e)
			return e;
	}
	if (m->handler)
		e = m->handler(ctx, m, args, result);
	else
		e = implicit_call(ctx, args, result);
	if (!e && !*result)
		*result = xv_str("");
	return e;
}

void rpc_dispatch(xapid *app, const rpc_origin *origin, const char *method, xv *params,
		  rpc_done_fn done, void *arg)
{
	xv *result = NULL;
	xerr *err = NULL;
	session_view sv = { 0 };
	xv **args = NULL;
	int nargs = 0;
	bool async;

	if (!params || params->kind != XV_ARRAY) {
		xv_free(params);
		params = xv_array();
	}
	if (system_call(method, params, &result, &err))
		goto out;

	const api_msg *m = resolve(method, &async);
	if (!m) {
		err = xerr_new("MESSAGE_METHOD_UNKNOWN", method, NULL);
		goto out;
	}
	if (m->removed) {
		err = xerr_new("MESSAGE_REMOVED", NULL);
		goto out;
	}
	if (async && !m->async) {
		char *txt = hx_asprintf("No async mode for this operation (rpc: %s)", method);
		err = xerr_new("Fault", txt, NULL);
		free(txt);
		goto out;
	}

	int first = m->session ? 1 : 0;
	int given = (int)xv_len(params) - first;
	if (given < m->nrequired || given > m->nparams || (int)xv_len(params) < first) {
		char exp[16], got[16];
		snprintf(exp, sizeof(exp), "%d", m->nrequired);
		snprintf(got, sizeof(got), "%d", given < 0 ? 0 : given);
		err = xerr_new("MESSAGE_PARAMETER_COUNT_MISMATCH", m->wire_name, exp, got, NULL);
		goto out;
	}

	call_ctx ctx = {
		.app = app,
		.msg = m,
		.origin = origin,
		.role = ROLE_READ_ONLY,
		.done = done,
		.done_arg = arg,
	};
	if (m->session) {
		xv *s = xv_array_get(params, 0);
		const char *sref = s && s->kind == XV_STRING ? s->u.str.s : "";
		err = sessions_check(app, sref, &sv);
		if (err)
			goto out;
		ctx.session_ref = sv.ref;
		ctx.role = sv.role;
		ctx.local_superuser = sv.local_superuser;
		ctx.user_name = sv.user;
		ctx.subject_ref = sv.subject_ref;
		/* Messages with no roles in the datamodel are XAPI-internal: only
		 * the local superuser may call them (change_password: anyone, for
		 * their own account). */
		bool allowed = m->roles ? rbac_allowed(sv.role, m, rbac_key(m, params, first)) :
			(sv.local_superuser || !strcmp(m->wire_name, "session.change_password"));
		if (!allowed) {
			err = rbac_denied(m, rbac_key(m, params, first));
			goto out;
		}
	}

	/* Type the arguments; fill trailing defaults. */
	nargs = m->nparams;
	args = hx_calloc((size_t)nargs + 1, sizeof(*args));
	for (int i = 0; i < nargs; i++) {
		const api_param *p = &m->params[i];
		if (i < given) {
			xv *w = params->u.arr.items[first + i];
			params->u.arr.items[first + i] = NULL;
			if (m->kind == MK_CONSTRUCTOR) {
				/* Constructors coerce field by field themselves. */
				if (!w || w->kind != XV_STRUCT) {
					xv_free(w);
					err = xerr_new("FIELD_TYPE_ERROR", p->name, NULL);
					goto out;
				}
				args[i] = w;
				continue;
			}
			err = api_coerce(p->type, w, p->name, &args[i]);
			if (err)
				goto out;
		} else {
			args[i] = api_default_value(p->type, p->default_json);
		}
	}

	if (async) {
		err = tasks_submit_async(&ctx, method, args, nargs, &result);
		args = NULL; /* taken */
		goto out;
	}

	err = dispatch_invoke(&ctx, args, &result);
	if (err == RPC_DEFERRED) {
		/* The handler answers later through rpc_pending_complete. */
		for (int i = 0; i < nargs; i++)
			xv_free(args[i]);
		free(args);
		session_view_clear(&sv);
		xv_free(params);
		return;
	}

out:
	if (args) {
		for (int i = 0; i < nargs; i++)
			xv_free(args[i]);
		free(args);
	}
	session_view_clear(&sv);
	xv_free(params);
	if (err) {
		xv_free(result);
		result = NULL;
	}
	done(arg, result, err);
}
