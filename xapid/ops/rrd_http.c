/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /rrd_updates, /vm_rrd (and /vm_rrds), /host_rrd (and /host_rrds):
 * the metrics the sampler keeps (xenops/sampler.c), in XAPI's formats.
 * Any authenticated caller (XAPI gives these to every role, read-only
 * included).
 *
 *   /rrd_updates?start=<unix s, < 0: relative>&cf=AVERAGE|MIN|MAX
 *       &interval=<s>&host=true&vm_uuid=<uuid>…(or uuid=)&json=true
 *     start is required (400 without it); a VM named without an RRD
 *     (not running) is left out; 404 when nothing is left.
 *   /vm_rrd?uuid=<vm uuid>[&json=true]   404 for an unknown/halted VM
 *   /host_rrd[?json=true]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_ops.h"
#include "http_auth.h"
#include "sampler.h"
#include "util.h"
#include "value.h"
#include "xapid.h"

#define MAX_VMS 1024

static void respond_text(http_req *r, int status, const char *msg)
{
	static const char *const auth_hdr[] = { "WWW-Authenticate", "Basic realm=\"xapi\"", NULL };
	char *body = hx_asprintf("<html><body><h1>HTTP %d %s</h1></body></html>", status, msg);
	http_respond(r, status, "text/html", body, strlen(body), status == 401 ? auth_hdr : NULL);
}

static bool authed(struct xapid *app, http_req *r)
{
	session_view v;
	bool ok = http_session_ok(app, r, &v);
	session_view_clear(&v);
	if (!ok)
		respond_text(r, 401, "Unauthorised");
	return ok;
}

static bool flag(const http_req *r, const char *name)
{
	const char *v = http_query(r, name);
	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !*v);
}

/* A decimal int64 (all of s), or false. */
static bool parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	errno = 0;
	char *end;
	intmax_t v = strtoimax(s, &end, 10);
	if (errno || *end || v < INT64_MIN || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

static void answer(http_req *r, rrd_buf *b, bool json)
{
	http_respond(r, 200, json ? "application/json" : "text/xml", b->s, b->len, NULL);
}

void handler_rrd_updates(void *appv, http_req *r)
{
	struct xapid *app = appv;
	if (!authed(app, r))
		return;
	int64_t start, interval = 0;
	if (!parse_i64(http_query(r, "start"), &start)) {
		respond_text(r, 400, "Bad Request: start (unix seconds) is required");
		return;
	}
	const char *iv = http_query(r, "interval");
	if (iv && (!parse_i64(iv, &interval) || interval < 0)) {
		respond_text(r, 400, "Bad Request: interval");
		return;
	}
	int cf = -1;
	const char *c = http_query(r, "cf");
	if (c) {
		if (!strcmp(c, "AVERAGE"))
			cf = RRD_AVERAGE;
		else if (!strcmp(c, "MIN"))
			cf = RRD_MIN;
		else if (!strcmp(c, "MAX"))
			cf = RRD_MAX;
		else {
			respond_text(r, 400, "Bad Request: cf is AVERAGE, MIN or MAX");
			return;
		}
	}
	const char **uuids = hx_calloc(MAX_VMS, sizeof(*uuids));
	size_t n = http_query_all(r, "vm_uuid", uuids, MAX_VMS);
	n += http_query_all(r, "uuid", uuids + n, MAX_VMS - n);
	for (size_t i = 0; i < n; i++)
		if (!hx_is_uuid(uuids[i])) {
			free(uuids);
			respond_text(r, 400, "Bad Request: vm_uuid");
			return;
		}
	/* Named VMs without an RRD are left out; if all are, nothing matches. */
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		if (sampler_has_vm(uuids[i]))
			uuids[live++] = uuids[i];
	bool json = flag(r, "json");
	rrd_buf b = { 0 };
	bool ok = (!n || live) &&
		  sampler_updates(flag(r, "host"), uuids, live, start, interval, cf, json, &b);
	free(uuids);
	if (!ok) {
		free(b.s);
		respond_text(r, 404, "Not Found: no metrics match");
		return;
	}
	answer(r, &b, json);
}

void handler_vm_rrd(void *appv, http_req *r)
{
	struct xapid *app = appv;
	if (!authed(app, r))
		return;
	const char *uuid = http_query(r, "uuid");
	bool json = flag(r, "json");
	rrd_buf b = { 0 };
	if (!uuid || !hx_is_uuid(uuid) || !sampler_vm_rrd(uuid, json, &b)) {
		free(b.s);
		respond_text(r, 404, "Not Found: no such running VM");
		return;
	}
	answer(r, &b, json);
}

void handler_host_rrd(void *appv, http_req *r)
{
	struct xapid *app = appv;
	if (!authed(app, r))
		return;
	bool json = flag(r, "json");
	rrd_buf b = { 0 };
	if (!sampler_host_rrd(json, &b)) {
		free(b.s);
		respond_text(r, 503, "Service Unavailable: no sample yet");
		return;
	}
	answer(r, &b, json);
}
