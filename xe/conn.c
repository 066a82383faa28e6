/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport: JSON-RPC 2.0 over HTTP(S) POST /jsonrpc with libcurl, either
 * to https://server:port (certificate verified unless told otherwise) or
 * over the local unix socket (CURLOPT_UNIX_SOCKET_PATH), plus plain HTTP
 * GET/PUT of files for the HTTP handlers (/pool/xmldbdump …).
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "strbuf.h"
#include "xe.h"

struct xe_conn {
	CURL *h;
	char *base;   /* "https://host:port" or "http://localhost" */
	char *unix_path;
	bool verify;
	bool debug;
};

xe_conn *xe_conn_new(const xe_opts *o)
{
	static bool inited;
	xe_conn *c = hx_calloc(1, sizeof(*c));

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	c->h = curl_easy_init();
	if (!c->h)
		hx_oom();
	c->verify = o->verify_cert;
	c->debug = o->debug;
	if (o->server) {
		int port = o->port ? o->port : (o->nossl ? 80 : 443);
		bool v6 = strchr(o->server, ':') && o->server[0] != '[';
		c->base = hx_asprintf("%s://%s%s%s:%d", o->nossl ? "http" : "https",
				      v6 ? "[" : "", o->server, v6 ? "]" : "", port);
	} else {
		c->base = hx_strdup("http://localhost");
		c->unix_path = hx_strdup(o->socket_path);
	}
	return c;
}

xe_conn *xe_conn_free(xe_conn *c)
{
	if (!c)
		return NULL;
	if (c->h)
		curl_easy_cleanup(c->h);
	free(c->base);
	free(c->unix_path);
	free(c);
	return NULL;
}

static size_t to_strbuf(char *p, size_t sz, size_t n, void *ud)
{
	sb_putn(ud, p, sz * n);
	return sz * n;
}

static size_t to_file(char *p, size_t sz, size_t n, void *ud)
{
	return fwrite(p, sz, n, ud) * sz;
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static size_t from_file(char *p, size_t sz, size_t n, void *ud)
{
	return fread(p, sz, n, ud) * sz;
}

/* Common options for one request on c->h to path. */
static void setup(xe_conn *c, const char *path)
{
	char *url = hx_asprintf("%s%s", c->base, path);
	curl_easy_reset(c->h);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	free(url);
	if (c->unix_path)
		curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "xe-cli/Halyard/0.1");
	curl_easy_setopt(c->h, CURLOPT_VERBOSE, c->debug ? 1L : 0L);
}

/* Runs the prepared request; maps curl and HTTP failures to an xerr. */
static xerr *perform(xe_conn *c, const char *what)
{
	CURLcode rc = curl_easy_perform(c->h);
	if (rc != CURLE_OK) {
		const char *where = c->unix_path ? c->unix_path : c->base;
		return xerr_newf(XE_TRANSPORT_ERROR, "%s: %s (%s)", what,
				 curl_easy_strerror(rc), where);
	}
	long code = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300)
		return xerr_newf(XE_TRANSPORT_ERROR, "%s: HTTP status %ld", what, code);
	return NULL;
}

xerr *xe_conn_call(xe_conn *c, const char *method, const xv *params, xv **result)
{
	size_t len;
	strbuf resp = STRBUF_INIT;
	struct curl_slist *hdrs = NULL;
	char *body = jsonrpc_build_request(method, params, &len);
	char *errmsg = NULL;
	xerr *e;

	*result = NULL;
	setup(c, "/jsonrpc");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "originator: cli");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->h, CURLOPT_POST, 1L);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, to_strbuf);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &resp);
	if (c->debug)
		fprintf(stderr, "xe: -> %s\n", body);
	e = perform(c, method);
	curl_slist_free_all(hdrs);
	free(body);
	if (e)
		goto out;
	if (c->debug)
		fprintf(stderr, "xe: <- %.*s\n", (int)(resp.len > 2000 ? 2000 : resp.len),
			resp.s ? resp.s : "");
	if (jsonrpc_parse_reply(resp.s ? resp.s : "", resp.len, result, &e, &errmsg) < 0) {
		e = xerr_newf(XE_TRANSPORT_ERROR, "%s: bad JSON-RPC reply: %s", method,
			      errmsg ? errmsg : "?");
		free(errmsg);
	}
out:
	sb_free(&resp);
	return e;
}

xerr *xe_conn_http_get(xe_conn *c, const char *path_and_query, FILE *out)
{
	setup(c, path_and_query);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, out);
	return perform(c, "HTTP GET");
}

xerr *xe_conn_http_put(xe_conn *c, const char *path_and_query, FILE *in, long long size)
{
	setup(c, path_and_query);
	curl_easy_setopt(c->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->h, CURLOPT_READFUNCTION, from_file);
	curl_easy_setopt(c->h, CURLOPT_READDATA, in);
	curl_easy_setopt(c->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, discard);
	return perform(c, "HTTP PUT");
}
