/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session handling and API call helpers, and how xe reports errors.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xe.h"

xerr *xe_login(xe_ctx *x, const xe_opts *o)
{
	xv *params = xv_array();
	xv *res = NULL;
	xv_array_push(params, xv_str(o->username ? o->username : "root"));
	xv_array_push(params, xv_str(o->password ? o->password : ""));
	xv_array_push(params, xv_str("1.0"));
	xv_array_push(params, xv_str("cli"));
	xerr *e = xe_conn_call(x->conn, "session.login_with_password", params, &res);
	xv_free(params);
	if (e)
		return e;
	if (!xv_s(res)) {
		xv_free(res);
		return xerr_new(XE_TRANSPORT_ERROR, "login returned no session reference",
				NULL);
	}
	x->session = hx_strdup(xv_s(res));
	xv_free(res);
	return NULL;
}

void xe_logout(xe_ctx *x)
{
	xv *res = NULL;
	if (!x->session)
		return;
	xv *params = xv_array();
	xv_array_push(params, xv_str(x->session));
	xerr_free(xe_conn_call(x->conn, "session.logout", params, &res));
	xv_free(params);
	xv_free(res);
	free(x->session);
	x->session = NULL;
}

xerr *xe_call_arr(xe_ctx *x, const char *method, xv *args, xv **result)
{
	xv *params = xv_array();
	xv *res = NULL;
	xv_array_push(params, xv_str(x->session));
	while (args && xv_len(args))
		xv_array_push(params, xv_array_take(args, 0));
	xv_free(args);
	xerr *e = xe_conn_call(x->conn, method, params, &res);
	xv_free(params);
	if (result)
		*result = res;
	else
		xv_free(res);
	return e;
}

xerr *xe_callv(xe_ctx *x, const char *method, xv **result, ...)
{
	va_list ap;
	xv *args = xv_array();
	va_start(ap, result);
	for (xv *a = va_arg(ap, xv *); a; a = va_arg(ap, xv *))
		xv_array_push(args, a);
	va_end(ap);
	return xe_call_arr(x, method, args, result);
}

xerr *xe_ref_of_uuid(xe_ctx *x, const char *cls, const char *uuid, char **ref)
{
	xv *res = NULL;
	char *m = hx_asprintf("%s.get_by_uuid", cls);
	xerr *e = xe_callv(x, m, &res, xv_str(uuid), NULL);
	free(m);
	*ref = NULL;
	if (!e)
		*ref = hx_strdup(xv_s(res) ? xv_s(res) : HX_NULL_REF);
	xv_free(res);
	return e;
}

xerr *xe_fail(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		hx_oom();
	va_end(ap);
	xerr *e = xerr_newf(XE_CLIENT_ERROR, "Error: %s", msg);
	free(msg);
	return e;
}

xerr *xe_usage_error(const char *what, const char *detail)
{
	return xerr_newf(XE_CLIENT_ERROR, "%s%s%s\nFor usage run: 'xe help'", what,
			 *what ? ": " : "", detail);
}

/* Errors whose wording xe users script against. */
static const struct {
	const char *code;
	const char *text;
	const char *const params[4];
} friendly[] = {
	{ "UUID_INVALID", "The uuid you supplied was invalid.", { "type", "uuid" } },
};

void xe_print_error(FILE *f, const xerr *e)
{
	if (!strcmp(e->code, XE_CLIENT_ERROR)) {
		fprintf(f, "%s\n", e->nparams ? e->params[0] : "Error");
		return;
	}
	if (!strcmp(e->code, XE_TRANSPORT_ERROR)) {
		fprintf(f, "Error: %s\n", e->nparams ? e->params[0] : "transport failure");
		return;
	}
	if (!strcmp(e->code, "SESSION_AUTHENTICATION_FAILED")) {
		bool nouser = e->nparams > 0 && e->params[0][0] == 0;
		fprintf(f, "%s\nFor usage run: 'xe help'\n",
			nouser ? "Username/password must be specified" : "Authentication failed");
		return;
	}
	for (size_t i = 0; i < sizeof(friendly) / sizeof(friendly[0]); i++) {
		if (strcmp(e->code, friendly[i].code))
			continue;
		fprintf(f, "%s\n", friendly[i].text);
		size_t np = 0;
		while (np < 4 && friendly[i].params[np])
			np++;
		for (size_t j = 0; j < np || j < e->nparams; j++)
			fprintf(f, "%s: %s\n", j < np ? friendly[i].params[j] : "<extra>",
				j < e->nparams ? e->params[j] : "<unknown>");
		return;
	}
	fprintf(f, "Error code: %s\nError parameters: ", e->code);
	for (size_t i = 0; i < e->nparams; i++)
		fprintf(f, "%s%s", i ? ", " : "", e->params[i]);
	fputc('\n', f);
}

int xe_finish(xerr *err)
{
	if (!err)
		return 0;
	fflush(stdout);
	xe_print_error(stderr, err);
	xerr_free(err);
	return 1;
}
