/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xe console vm=<name|uuid> | uuid= | name-label= [follow=true]
 *
 * The VM's text (vt100) console: prints the serial console log that
 * xapid keeps (GET /console); with follow=true it then stays attached
 * (CONNECT /console on the vt100 console): the guest's output goes to
 * stdout and stdin goes to the guest, until the VM stops or the
 * connection is interrupted. A VM that is not running has no console.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xe.h"

/* The vt100 console of vm (heap ref) or an error. */
static xerr *text_console(xe_ctx *x, const char *vm, char **ref)
{
	xv *cons = NULL;
	xerr *e = xe_callv(x, "VM.get_consoles", &cons, xv_str(vm), NULL);
	*ref = NULL;
	for (size_t i = 0; !e && i < xv_len(cons) && !*ref; i++) {
		const char *c = xv_s(xv_array_get(cons, i));
		xv *proto = NULL;
		e = xe_callv(x, "console.get_protocol", &proto, xv_str(c), NULL);
		if (!e && !strcmp(xv_s(proto), "vt100"))
			*ref = hx_strdup(c);
		xv_free(proto);
	}
	xv_free(cons);
	if (!e && !*ref)
		e = xe_fail("The VM has no text console (it is not running)");
	return e;
}

int xe_cmd_console(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	(void)cmd;
	(void)def;
	char *vm = NULL, *con = NULL;
	xerr *e = xe_select_vm(x, &vm);
	if (!e)
		e = text_console(x, vm, &con);
	if (!e) {
		char *q = hx_asprintf("/console?ref=%s&session_id=%s", con, x->session);
		e = xe_conn_http_get(x->conn, q, x->out);
		fflush(x->out);
		if (!e && xe_param_bool(x->params, "follow", false))
			e = xe_conn_connect_stream(x->conn, q, x->out, STDIN_FILENO);
		free(q);
	}
	free(vm);
	free(con);
	return xe_finish(e);
}
