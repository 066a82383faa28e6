/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.*: logging in and out (WIRE.md §5).
 *
 * Credentials are checked against the local accounts file first, then
 * (when enabled) PAM for system users. A caller on the unix socket whose
 * uid is 0 is the local superuser and needs no password, as on XAPI.
 * Bad credentials are answered after a deliberate delay, without holding
 * a thread (the reply is parked on a timer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "sessions.h"
#include "store.h"
#include "timers.h"
#include "util.h"
#include "xapid.h"

struct delayed_fail {
	rpc_pending *p;
	xerr *err;
};

static void fail_now(void *arg)
{
	struct delayed_fail *d = arg;
	rpc_pending_complete(d->p, NULL, d->err);
	free(d);
}

static xerr *auth_failed(call_ctx *ctx, const char *user, const char *why)
{
	xerr *e = xerr_new("SESSION_AUTHENTICATION_FAILED", user, why, NULL);
	if (ctx->app->cfg.login_fail_delay_ms <= 0 || !ctx->done)
		return e;
	struct delayed_fail *d = hx_calloc(1, sizeof(*d));
	d->p = rpc_defer(ctx);
	d->err = e;
	timers_add(ctx->app->timers, hx_mono_ms() + ctx->app->cfg.login_fail_delay_ms, fail_now, d);
	return RPC_DEFERRED;
}

/* Checks credentials; on success fills role/superuser. */
static int authenticate(call_ctx *ctx, const char *user, const char *pw, int *role, bool *su)
{
	const rpc_origin *o = ctx->origin;
	*su = false;
	if (o && o->via_unix && o->peer_uid == 0) {
		*role = ROLE_POOL_ADMIN;
		*su = true;
		return 0;
	}
	int r = accounts_check(ctx->app, user, pw, role);
	if (r == -ENOENT && ctx->app->cfg.use_pam) {
		r = pam_check_password(user, pw);
		if (!r)
			*role = !strcmp(user, "root") ? ROLE_POOL_ADMIN : ROLE_READ_ONLY;
	}
	if (!r && !strcmp(user, "root")) {
		*role = ROLE_POOL_ADMIN;
		*su = true;
	}
	return r;
}

/* Creates the session of an authenticated caller; *result is its ref. */
static xerr *open_session(call_ctx *ctx, const char *user, enum api_role role, bool su,
			  bool is_local, const char *originator, xv **result)
{
	session_params p = {
		.user = user,
		.role = role,
		.local_superuser = su,
		.is_local = is_local,
		.originator = originator,
		.peer_addr = ctx->origin ? ctx->origin->peer_addr : NULL,
	};
	char *ref = NULL;
	xerr *e = sessions_create(ctx->app, &p, &ref);
	if (e)
		return e;
	*result = xv_str_own(ref);
	return NULL;
}

static xerr *login(call_ctx *ctx, const char *user, const char *pw, const char *originator,
		   bool is_local, xv **result)
{
	int role = ROLE_READ_ONLY;
	bool su = false;
	if (authenticate(ctx, user, pw, &role, &su))
		return auth_failed(ctx, user, "Authentication failure");
	return open_session(ctx, su && ctx->origin && ctx->origin->via_unix ? "root" : user,
			    (enum api_role)role, su, is_local, originator, result);
}

xerr *op_session_login_with_password(call_ctx *ctx, const api_msg *m, xv *const *args,
				     xv **result)
{
	return login(ctx, xv_s(args[0]), xv_s(args[1]), xv_s(args[3]), false, result);
}

xerr *op_session_slave_local_login_with_password(call_ctx *ctx, const api_msg *m,
						 xv *const *args, xv **result)
{
	return login(ctx, xv_s(args[0]), xv_s(args[1]), "", true, result);
}

xerr *op_session_logout(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	sessions_destroy(ctx->app, ctx->session_ref);
	return NULL;
}

xerr *op_session_local_logout(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	sessions_destroy(ctx->app, ctx->session_ref);
	return NULL;
}

xerr *op_session_get_this_host(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	if (strcmp(xv_s(args[0]), ctx->session_ref)) {
		/* Asking about another session: it must exist. */
		session_view v = { 0 };
		xerr *e = sessions_check(ctx->app, xv_s(args[0]), &v);
		session_view_clear(&v);
		if (e)
			return e;
	}
	*result = xv_str(ctx->app->host_ref);
	return NULL;
}

xerr *op_session_get_this_user(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	session_view v = { 0 };
	xerr *e = sessions_check(ctx->app, xv_s(args[0]), &v);
	session_view_clear(&v);
	if (e)
		return e;
	/* Local accounts have no user object. */
	*result = xv_str(HX_NULL_REF);
	return NULL;
}

/* Sets a system user's password with chpasswd(8). */
static int system_chpasswd(const char *user, const char *pw)
{
	int fds[2];
	if (pipe(fds))
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("chpasswd", "chpasswd", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	FILE *f = fdopen(fds[1], "w");
	fprintf(f, "%s:%s\n", user, pw);
	fclose(f);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

xerr *op_session_change_password(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *user = ctx->user_name ? ctx->user_name : "";
	const char *old_pw = xv_s(args[0]), *new_pw = xv_s(args[1]);
	if (!*new_pw || strchr(new_pw, '\n'))
		return xerr_new("CHANGE_PASSWORD_REJECTED", "The new password is not acceptable", NULL);
	int role;
	int r = accounts_check(ctx->app, user, old_pw, &role);
	if (r == 0)
		r = accounts_set_password(ctx->app, user, new_pw);
	else if (r == -ENOENT && ctx->app->cfg.use_pam) {
		/* A system user: the local superuser may skip the old password. */
		if (!ctx->local_superuser && pam_check_password(user, old_pw))
			return xerr_new("CHANGE_PASSWORD_REJECTED", "Authentication failure", NULL);
		r = system_chpasswd(user, new_pw);
	} else if (r == -EACCES) {
		return xerr_new("CHANGE_PASSWORD_REJECTED", "Authentication failure", NULL);
	}
	if (r)
		return xerr_new("CHANGE_PASSWORD_REJECTED", "The password could not be changed", NULL);
	return NULL;
}

xerr *op_session_get_all_subject_identifiers(call_ctx *ctx, const api_msg *m, xv *const *args,
					     xv **result)
{
	txn *t;
	xv *all = NULL;
	xerr *e = db_begin(ctx, false, &t);
	if (!e)
		e = store_get_all_records(t, CLS_session, &all);
	store_rollback(t);
	if (e)
		return e;
	xv *ids = xv_array();
	for (size_t i = 0; i < xv_len(all); i++) {
		const char *sid = xv_struct_str(all->u.st.m[i].val, "auth_user_sid");
		if (!sid || !*sid)
			continue;
		bool seen = false;
		for (size_t j = 0; j < xv_len(ids) && !seen; j++)
			seen = !strcmp(xv_s(xv_array_get(ids, j)), sid);
		if (!seen)
			xv_array_push(ids, xv_str(sid));
	}
	xv_free(all);
	*result = ids;
	return NULL;
}

xerr *op_session_logout_subject_identifier(call_ctx *ctx, const api_msg *m, xv *const *args,
					   xv **result)
{
	sessions_destroy_user(ctx->app, xv_s(args[0]));
	return NULL;
}

/*
 * The pool secret: what member hosts present in slave_login. Generated on
 * first use and kept (0600) in the state directory.
 */
static char *pool_secret(xapid *app)
{
	char *path = hx_asprintf("%s/ptoken", app->cfg.state_dir);
	char buf[128] = "";
	FILE *f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
	}
	if (!buf[0]) {
		hx_uuid(buf);
		f = fopen(path, "wxe");
		if (f) {
			fchmod(fileno(f), 0600);
			fprintf(f, "%s\n", buf);
			fclose(f);
		} else {
			/* Lost a race with another caller: use what it wrote. */
			free(path);
			return pool_secret(app);
		}
	}
	free(path);
	return hx_strdup(buf);
}

static xerr *secret_login(call_ctx *ctx, const char *psecret, bool is_local, xv **result)
{
	char *secret = pool_secret(ctx->app);
	bool ok = strlen(secret) == strlen(psecret) && !strcmp(secret, psecret);
	free(secret);
	if (!ok)
		return auth_failed(ctx, "", "Pool secret mismatch");
	return open_session(ctx, "__pool__", ROLE_POOL_ADMIN, true, is_local, "pool", result);
}

xerr *op_session_slave_login(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return secret_login(ctx, xv_s(args[1]), false, result);
}

xerr *op_session_slave_local_login(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	return secret_login(ctx, xv_s(args[0]), true, result);
}
