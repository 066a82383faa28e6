/* SPDX-License-Identifier: Apache-2.0 */
/* host.call_plugin's argument and result marshalling (see plugin_xml.h). */
#include <stdlib.h>
#include <string.h>

#include "plugin_xml.h"
#include "xmlrpc.h"

bool plugin_name_ok(const char *name)
{
	return name && *name && name[0] != '.' && !strchr(name, '/');
}

char *plugin_build_call(const char *fn, const char *session_ref, const xv *args)
{
	xv *params = xv_array();
	xv_array_push(params, xv_str(session_ref ? session_ref : ""));
	xv *st = xv_struct();
	for (size_t i = 0; args && args->kind == XV_STRUCT && i < args->u.st.n; i++) {
		const char *v = xv_s(args->u.st.m[i].val);
		xv_struct_set(st, args->u.st.m[i].key, xv_str(v ? v : ""));
	}
	xv_array_push(params, st);
	size_t len;
	char *call = xmlrpc_build_call(fn, params, &len);
	xv_free(params);
	return call;
}

static xerr *failure(const char *status, const char *a, size_t alen, const char *b)
{
	xerr *e = xerr_new("XENAPI_PLUGIN_FAILURE", status, NULL);
	char *s = strndup(a, alen);
	if (!s)
		hx_oom();
	xerr_add(e, s);
	free(s);
	if (b)
		xerr_add(e, b);
	return e;
}

xerr *plugin_parse_output(const char *out, size_t len, xv **result)
{
	xv *resp = NULL;
	char *why = NULL;
	*result = NULL;
	if (xmlrpc_parse_response(out, len, &resp, &why)) {
		xerr *e = failure("failed to parse plugin output", out, len,
				  why ? why : "invalid XML-RPC");
		free(why);
		return e;
	}
	if (resp->kind == XV_STRING) {
		*result = resp;
		return NULL;
	}
	xv *val = NULL;
	xerr *err = NULL;
	xerr *e = NULL;
	if (resp->kind != XV_STRUCT || xmlrpc_result_of(resp, &val, &err)) {
		e = failure("unexpected XMLRPC result", out, len, NULL);
	} else if (err) {
		if (!strcmp(err->code, "XMLRPC_FAULT")) {
			e = xerr_new("XENAPI_PLUGIN_FAILURE", "fault", NULL);
			for (size_t i = 0; i < err->nparams; i++)
				xerr_add(e, err->params[i]);
			xerr_free(err);
		} else {
			e = err; /* the plugin's own XenAPI error, as it gave it */
		}
	} else if (!val || val->kind != XV_STRING) {
		e = failure("unexpected XMLRPC result", out, len, NULL);
		xv_free(val);
	} else {
		*result = val;
	}
	xv_free(resp);
	return e;
}
