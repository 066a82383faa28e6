/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport: JSON-RPC 2.0 over HTTP(S) POST /jsonrpc with libcurl, either
 * to https://server:port (certificate verified unless told otherwise) or
 * over the local unix socket (CURLOPT_UNIX_SOCKET_PATH), plus plain HTTP
 * GET/PUT of files for the HTTP handlers (/pool/xmldbdump …), and raw
 * CONNECT tunnels (/console).
 */
#include <curl/curl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- raw tunnels (CONNECT) ---------------------------------------------- */

/* Sends all of buf on the connected handle (waiting while it would block). */
static CURLcode send_all(CURL *h, curl_socket_t fd, const char *buf, size_t len)
{
	while (len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(h, buf, len, &n);
		if (rc == CURLE_AGAIN) {
			struct pollfd p = { fd, POLLOUT, 0 };
			poll(&p, 1, 1000);
			continue;
		}
		if (rc != CURLE_OK)
			return rc;
		buf += n;
		len -= n;
	}
	return CURLE_OK;
}

xerr *xe_conn_connect_stream(xe_conn *c, const char *path_and_query, FILE *out, int in_fd)
{
	setup(c, "/");
	curl_easy_setopt(c->h, CURLOPT_CONNECT_ONLY, 1L);
	CURLcode rc = curl_easy_perform(c->h);
	if (rc != CURLE_OK)
		return xerr_newf(XE_TRANSPORT_ERROR, "CONNECT: %s (%s)", curl_easy_strerror(rc),
				 c->unix_path ? c->unix_path : c->base);
	curl_socket_t fd = CURL_SOCKET_BAD;
	curl_easy_getinfo(c->h, CURLINFO_ACTIVESOCKET, &fd);
	char *req = hx_asprintf("CONNECT %s HTTP/1.0\r\n\r\n", path_and_query);
	rc = send_all(c->h, fd, req, strlen(req));
	free(req);
	if (rc != CURLE_OK)
		return xerr_newf(XE_TRANSPORT_ERROR, "CONNECT: %s", curl_easy_strerror(rc));
	char buf[16384];
	size_t have = 0;
	bool in_body = false;
	xerr *e = NULL;
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { in_fd, POLLIN, 0 } };
		size_t np = in_body && in_fd >= 0 ? 2 : 1;
		size_t n = 0;
		rc = curl_easy_recv(c->h, buf + have, sizeof(buf) - have, &n);
		if (rc == CURLE_AGAIN) {
			if (poll(p, np, -1) < 0)
				break;
			if (np == 2 && (p[1].revents & (POLLIN | POLLHUP))) {
				char ib[1024];
				ssize_t k = read(in_fd, ib, sizeof(ib));
				if (k <= 0)
					in_fd = -1; /* end of input: keep reading */
				else if (send_all(c->h, fd, ib, (size_t)k) != CURLE_OK)
					break;
			}
			continue;
		}
		if (rc != CURLE_OK || n == 0)
			break; /* the other side closed */
		if (in_body) {
			fwrite(buf, 1, n, out);
			fflush(out);
			continue;
		}
		have += n;
		char *end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have == sizeof(buf)) {
				e = xerr_newf(XE_TRANSPORT_ERROR, "CONNECT: reply header too long");
				break;
			}
			continue;
		}
		if (strncmp(buf, "HTTP/1.", 7) || have < 12 || strncmp(buf + 9, "200", 3)) {
			e = xerr_newf(XE_TRANSPORT_ERROR, "CONNECT: %.*s", (int)strcspn(buf, "\r\n"),
				      buf);
			break;
		}
		in_body = true;
		size_t rest = have - (size_t)(end + 4 - buf);
		fwrite(end + 4, 1, rest, out);
		fflush(out);
		have = 0;
	}
	return e;
}
