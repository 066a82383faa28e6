/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RPC endpoints: JSON-RPC on POST /jsonrpc, XML-RPC on every other POST
 * path (/, /RPC2, /xmlrpc …, as XAPI routes by prefix), and CORS preflight.
 * A body that does not parse gets HTTP 500, as on XAPI; everything else is
 * an HTTP 200 carrying a XenAPI success or failure.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "http.h"
#include "jsonrpc.h"
#include "strbuf.h"
#include "tasks.h"
#include "rpc_http.h"
#include "util.h"
#include "xapid.h"
#include "xmlrpc.h"

static const char *const cors_headers[] = {
	"Access-Control-Allow-Origin", "*",
	"Access-Control-Allow-Headers", "X-Requested-With",
	NULL,
};

enum proto { P_XML, P_JSON };

struct reply_ctx {
	http_req *req;
	enum proto proto;
	int json_version;
	char *id_json;
	bool bare; /* XML-RPC system.* replies are not wrapped */
};

static void reply_done(void *arg, xv *result, xerr *err)
{
	struct reply_ctx *rc = arg;
	size_t len = 0;
	char *body;
	const char *ctype;
	if (rc->proto == P_JSON) {
		body = err ? jsonrpc_error(rc->json_version, rc->id_json, err, &len) :
			     jsonrpc_success(rc->json_version, rc->id_json, result, &len);
		ctype = "application/json";
	} else {
		if (err)
			body = xmlrpc_response_failure(err, &len);
		else if (rc->bare)
			body = xmlrpc_response_raw(result, &len);
		else
			body = xmlrpc_response_success(result, &len);
		ctype = "text/xml";
	}
	http_respond(rc->req, 200, ctype, body, len, cors_headers);
	xv_free(result);
	xerr_free(err);
	free(rc->id_json);
	free(rc);
	/* A big reply (get_all_records of thousands of objects) leaves tens of
	 * MB in this thread's malloc arena; give it back to the system. */
	if (len > (4u << 20))
		malloc_trim(0);
}

/*
 * Calls run on the RPC workers, not on the network threads: a slow call
 * (a large listing, a login's password hash) then never delays the other
 * connections that share its network thread. The connection is parked
 * meanwhile and holds no thread.
 */
struct rpc_job {
	struct xapid *app;
	struct reply_ctx *rc;
	char *method;
	xv *params;
	rpc_origin origin;
	char *peer_addr, *originator;
};

static void rpc_job_run(void *arg)
{
	struct rpc_job *j = arg;
	rpc_dispatch(j->app, &j->origin, j->method, j->params, reply_done, j->rc);
	free(j->method);
	free(j->peer_addr);
	free(j->originator);
	free(j);
}

static void queue_call(struct xapid *app, http_req *r, struct reply_ctx *rc, char *method,
		       xv *params)
{
	struct rpc_job *j = hx_calloc(1, sizeof(*j));
	j->app = app;
	j->rc = rc;
	j->method = method;
	j->params = params;
	j->origin.via_unix = http_is_unix(r);
	j->origin.peer_uid = j->origin.via_unix ? http_peer_uid(r) : (uid_t)-1;
	const char *pa = http_peer_addr(r), *orig = http_header(r, "originator");
	j->peer_addr = pa ? hx_strdup(pa) : NULL;
	j->originator = orig ? hx_strdup(orig) : NULL;
	j->origin.peer_addr = j->peer_addr;
	j->origin.originator = j->originator;
	workers_submit(app->rpc_workers, rpc_job_run, j);
}

static void parse_error(http_req *r, const char *why)
{
	strbuf b = STRBUF_INIT;
	sb_puts(&b, "<html><body><h1>HTTP 500 Internal Server Error</h1><p>");
	why = why ? why : "invalid body";
	sb_put_xml_escaped(&b, why, strlen(why));
	sb_puts(&b, "</p></body></html>");
	size_t len;
	char *body = sb_steal(&b, &len);
	http_respond(r, 500, "text/html", body, len, cors_headers);
}

void rpc_http_json(void *app, http_req *r)
{
	size_t len;
	const char *body = http_body(r, &len);
	jsonrpc_req jr = { 0 };
	char *msg = NULL;
	if (jsonrpc_parse_request(body, len, &jr, &msg)) {
		/* Errors before dispatch go out in the v2 shape. */
		xerr *e = xerr_new("INTERNAL_ERROR", msg ? msg : "invalid JSON-RPC request", NULL);
		size_t n;
		char *out = jsonrpc_error(2, jr.id_json, e, &n); /* always v2 before dispatch */
		xerr_free(e);
		free(msg);
		jsonrpc_req_clear(&jr);
		http_respond(r, 200, "application/json", out, n, cors_headers);
		return;
	}
	struct reply_ctx *rc = hx_calloc(1, sizeof(*rc));
	rc->req = r;
	rc->proto = P_JSON;
	rc->json_version = jr.version;
	rc->id_json = jr.id_json;
	jr.id_json = NULL;
	xv *params = jr.params;
	jr.params = NULL;
	char *method = jr.method;
	jr.method = NULL;
	jsonrpc_req_clear(&jr);
	queue_call(app, r, rc, method, params);
}

void rpc_http_xml(void *app, http_req *r)
{
	size_t len;
	const char *body = http_body(r, &len);
	char *method = NULL, *msg = NULL;
	xv *params = NULL;
	if (xmlrpc_parse_call(body, len, &method, &params, &msg)) {
		parse_error(r, msg);
		free(msg);
		return;
	}
	struct reply_ctx *rc = hx_calloc(1, sizeof(*rc));
	rc->req = r;
	rc->proto = P_XML;
	rc->bare = !strncmp(method, "system.", 7);
	queue_call(app, r, rc, method, params);
}

void rpc_http_options(void *app, http_req *r)
{
	static const char *const h[] = {
		"Access-Control-Allow-Origin", "*",
		"Access-Control-Allow-Headers", "X-Requested-With, Content-Type",
		"Access-Control-Allow-Methods", "POST, GET, PUT, OPTIONS",
		NULL,
	};
	http_respond(r, 200, "text/plain", NULL, 0, h);
}

void rpc_http_not_found(void *app, http_req *r)
{
	const char *msg = "<html><body><h1>HTTP 404 Not Found</h1></body></html>";
	http_respond(r, 404, "text/html", hx_strdup(msg), strlen(msg), NULL);
}
