/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Consoles: the console records of running VMs and the /console handler.
 *
 * A VM that runs (or is paused) has two console objects, as on XAPI: rfb
 * (the VNC console, QEMU's VNC server on <vmdir>/vnc.sock) and vt100 (the
 * serial console captured by console_io.c). They are created in the
 * transaction that records the VM live and destroyed in the one that
 * records it halted or suspended (console_records_sync, from ops/vm.c),
 * so they also follow restart reconciliation. location is
 * https://<host address>[:port]/console?ref=<console ref> (XAPI's form;
 * the port only when not 443).
 *
 * CONNECT /console?ref=…|uuid=… (vm-operator or better, XAPI's
 * connect_console roles): "HTTP/1.1 200 OK" then the raw RFB or vt100
 * byte stream, proxied by console_io.c on a connection taken over from
 * the HTTP server. GET /console with a websocket upgrade is the same
 * stream in binary WebSocket frames (101, RFC 6455); without one it
 * returns the text console's log (text/plain).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_ids.h"
#include "console_io.h"
#include "console_ops.h"
#include "dispatch.h"
#include "http_auth.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "ws.h"
#include "xapid.h"
#include "xenops.h"

static char *console_location(struct xapid *app, const char *ref)
{
	const char *addr = app->management_addr && *app->management_addr ?
				   app->management_addr : "127.0.0.1";
	bool v6 = strchr(addr, ':') != NULL;
	uint16_t port = app->http ? http_port(app->http) : (uint16_t)app->cfg.port;
	char portbuf[16] = "";
	if (port && port != 443)
		snprintf(portbuf, sizeof(portbuf), ":%u", port);
	return hx_asprintf("https://%s%s%s%s/console?ref=%s", v6 ? "[" : "", addr, v6 ? "]" : "",
			   portbuf, ref);
}

xerr *console_records_sync(txn *t, struct xapid *app, const char *vm, bool live)
{
	xv *refs = NULL;
	xv *key = xv_str(vm);
	xerr *e = store_find(t, CLS_console, obj_fld(CLS_console, "VM"), key, &refs);
	xv_free(key);
	if (e)
		return e;
	bool have_rfb = false, have_vt = false;
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *c = xv_array_get(refs, i)->u.str.s;
		if (!live) {
			e = store_destroy(t, CLS_console, c);
			continue;
		}
		char *proto = obj_get_str(t, CLS_console, c, "protocol");
		have_rfb |= !strcmp(proto, "rfb");
		have_vt |= !strcmp(proto, "vt100");
		free(proto);
	}
	xv_free(refs);
	const char *want[2] = { have_rfb ? NULL : "rfb", have_vt ? NULL : "vt100" };
	for (int i = 0; live && !e && i < 2; i++) {
		if (!want[i])
			continue;
		xv *rec = xv_struct();
		xv_struct_set(rec, "protocol", xv_str(want[i]));
		xv_struct_set(rec, "VM", xv_str(vm));
		char *ref = NULL;
		e = obj_create(t, CLS_console, rec, &ref);
		if (!e) {
			char *loc = console_location(app, ref);
			e = obj_set(t, CLS_console, ref, "location", xv_str(loc));
			free(loc);
		}
		free(ref);
	}
	return e;
}

static void respond_text(http_req *r, int status, const char *msg)
{
	static const char *const auth_hdr[] = { "WWW-Authenticate", "Basic realm=\"xapi\"", NULL };
	char *body = hx_asprintf("<html><body><h1>HTTP %d %s</h1></body></html>", status, msg);
	http_respond(r, status, "text/html", body, strlen(body), status == 401 ? auth_hdr : NULL);
}

/* The console the query names, with its protocol and its VM's uuid and
 * power state (heap); false when there is none. */
static bool find_console(struct xapid *app, http_req *r, char **proto, char **vm_uuid,
			 char **power)
{
	const char *q_ref = http_query(r, "ref"), *q_uuid = http_query(r, "uuid");
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return false;
	}
	char *ref = NULL;
	if (q_ref && store_exists(t, CLS_console, q_ref))
		ref = hx_strdup(q_ref);
	else if (!q_ref && q_uuid)
		ref = store_ref_of_uuid(t, CLS_console, q_uuid);
	bool ok = false;
	if (ref) {
		*proto = obj_get_str(t, CLS_console, ref, "protocol");
		char *vm = obj_get_str(t, CLS_console, ref, "VM");
		*vm_uuid = obj_get_str(t, CLS_VM, vm, "uuid");
		*power = obj_get_str(t, CLS_VM, vm, "power_state");
		free(vm);
		ok = true;
	}
	free(ref);
	store_rollback(t);
	return ok;
}

/* Authenticated with a role XAPI's connect_console allows; answers and
 * returns false otherwise. */
static bool console_auth(struct xapid *app, http_req *r)
{
	session_view v;
	bool ok = http_session_ok(app, r, &v);
	enum api_role role = v.role;
	session_view_clear(&v);
	if (!ok) {
		respond_text(r, 401, "Unauthorised");
		return false;
	}
	if (role > ROLE_VM_OPERATOR) {
		respond_text(r, 403, "Forbidden");
		return false;
	}
	return true;
}

struct target {
	int fd;           /* RFB backend, or -1 for the serial console */
	char uuid[40];
	char *first;      /* the status line and headers we send (heap) */
	bool ws;
};

static void take_over(void *arg, http_stream *s)
{
	struct target *tg = arg;
	if (s)
		conio_proxy(s, tg->fd, tg->fd < 0 ? tg->uuid : NULL, tg->first, tg->ws);
	else if (tg->fd >= 0)
		close(tg->fd);
	free(tg->first);
	free(tg);
}

static int vnc_connect(struct xapid *app, const char *uuid)
{
	char *dir = xenops_vm_dir(app, uuid);
	char *path = hx_asprintf("%s/vnc.sock", dir);
	free(dir);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = -1;
	if (strlen(path) < sizeof(sun.sun_path)) {
		strcpy(sun.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			close(fd);
			fd = -1;
		}
	}
	free(path);
	return fd;
}

/* Takes r over towards the console the query names (first: what to send
 * before the stream, taken), or answers 404. */
static void connect_console(struct xapid *app, http_req *r, char *first, bool ws)
{
	char *proto = NULL, *uuid = NULL, *power = NULL;
	if (!find_console(app, r, &proto, &uuid, &power)) {
		free(first);
		respond_text(r, 404, "Not Found");
		return;
	}
	bool live = !strcmp(power, "Running") || !strcmp(power, "Paused");
	struct target *tg = NULL;
	if (live && hx_is_uuid(uuid)) {
		tg = hx_calloc(1, sizeof(*tg));
		snprintf(tg->uuid, sizeof(tg->uuid), "%s", uuid);
		tg->fd = -1;
		tg->ws = ws;
		if (!strcmp(proto, "rfb") && (tg->fd = vnc_connect(app, uuid)) < 0) {
			free(tg);
			tg = NULL;
		}
	}
	if (tg) {
		tg->first = first;
		http_hijack(r, take_over, tg);
	} else {
		free(first);
		respond_text(r, 404, "Not Found"); /* the VM has no running console */
	}
	free(proto);
	free(uuid);
	free(power);
}

void handler_console_connect(void *appv, http_req *r)
{
	struct xapid *app = appv;
	if (console_auth(app, r))
		connect_console(app, r, hx_strdup("HTTP/1.1 200 OK\r\n\r\n"), false);
}

/* True when the comma-separated header value list holds token (any case). */
static bool has_token(const char *list, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == tl && !strncasecmp(p, token, tl))
			return true;
		p += n;
	}
	return false;
}

/* GET /console with Upgrade: websocket (RFC 6455, version 13, binary
 * frames; the "binary" subprotocol is echoed when offered, a list of
 * subprotocols without it is refused). */
static void console_websocket(struct xapid *app, http_req *r)
{
	const char *key = http_header(r, "Sec-WebSocket-Key");
	const char *ver = http_header(r, "Sec-WebSocket-Version");
	const char *protos = http_header(r, "Sec-WebSocket-Protocol");
	char accept[29];
	if (!key || !ver || strcmp(ver, "13") || !ws_accept_key(key, accept)) {
		respond_text(r, 400, "Bad Request: a version 13 websocket handshake is expected");
		return;
	}
	bool binary = protos && has_token(protos, "binary");
	if (protos && *protos && !binary) {
		respond_text(r, 400, "Bad Request: only the binary subprotocol is offered");
		return;
	}
	char *first = hx_asprintf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
				  accept, binary ? "Sec-WebSocket-Protocol: binary\r\n" : "");
	connect_console(app, r, first, true);
}

void handler_console_get(void *appv, http_req *r)
{
	struct xapid *app = appv;
	if (!console_auth(app, r))
		return;
	const char *up = http_header(r, "Upgrade");
	if (up && has_token(up, "websocket")) {
		console_websocket(app, r);
		return;
	}
	char *proto = NULL, *uuid = NULL, *power = NULL;
	if (!find_console(app, r, &proto, &uuid, &power)) {
		respond_text(r, 404, "Not Found");
		return;
	}
	if (strcmp(proto, "vt100") || !hx_is_uuid(uuid)) {
		respond_text(r, 400, "Bad Request"); /* only the text console has a log */
	} else {
		char *dir = xenops_vm_dir(app, uuid);
		size_t len;
		char *log = conio_log_read(dir, &len);
		free(dir);
		http_respond(r, 200, "text/plain; charset=utf-8", log, len, NULL);
	}
	free(proto);
	free(uuid);
	free(power);
}
