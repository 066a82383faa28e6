/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid/http: routing, limits, accessors, response headers, keep-alive,
 * delayed answers, the unix socket and HTTPS, driven through libcurl.
 */
#include "harness.h"
#include "http.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int small_calls;

static void reply_text(http_req *r, int status, const char *ct, const char *text)
{
	char *b = strdup(text);
	http_respond(r, status, ct, b, strlen(b), NULL);
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* GET / (and everything GET below it): names the route and the path. */
static void h_root(void *app, http_req *r)
{
	char buf[512];
	snprintf(buf, sizeof buf, "root %s %s", http_method(r), http_path(r));
	reply_text(r, 200, "text/plain", buf);
}

/* POST /api: reports what the accessors see, as exact application/json. */
static void h_api(void *app, http_req *r)
{
	size_t len;
	const char *body = http_body(r, &len);
	char *out;
	if (asprintf(&out,
		     "{\"a\":\"%s\",\"flag\":\"%s\",\"hdr\":\"%s\",\"cookie\":\"%s\","
		     "\"len\":%zu,\"body\":\"%s\",\"peer\":\"%s\",\"unix\":%d,\"uid\":%ld}",
		     or_dash(http_query(r, "a")), or_dash(http_query(r, "flag")),
		     or_dash(http_header(r, "x-halyard-test")),
		     or_dash(http_cookie(r, "session_id")), len, body, http_peer_addr(r),
		     http_is_unix(r), http_is_unix(r) ? (long)http_peer_uid(r) : -1L) < 0)
		abort();
	http_respond(r, 200, "application/json", out, strlen(out), NULL);
}

static void h_api_long(void *app, http_req *r)
{
	reply_text(r, 200, "text/plain", "api-long");
}

static void h_small(void *app, http_req *r)
{
	size_t len;
	http_body(r, &len);
	atomic_fetch_add(&small_calls, 1);
	char buf[64];
	snprintf(buf, sizeof buf, "got %zu", len);
	reply_text(r, 200, "text/plain", buf);
}

static void h_any(void *app, http_req *r)
{
	char buf[64];
	snprintf(buf, sizeof buf, "any %s", http_method(r));
	reply_text(r, 200, "text/plain", buf);
}

static void h_options(void *app, http_req *r)
{
	static const char *const hdrs[] = { "Access-Control-Allow-Origin", "*",
					    "Access-Control-Allow-Methods", "POST, OPTIONS",
					    "X-Halyard-Extra", "yes", NULL };
	http_respond(r, 204, NULL, NULL, 0, hdrs);
}

struct later {
	http_req *r;
	long delay_ns;
};

static void *answer_later(void *arg)
{
	struct later *l = arg;
	if (l->delay_ns) {
		struct timespec ts = { 0, l->delay_ns };
		nanosleep(&ts, NULL);
	}
	char buf[128];
	snprintf(buf, sizeof buf, "later %s", or_dash(http_query(l->r, "n")));
	reply_text(l->r, 200, "text/plain", buf);
	free(l);
	return NULL;
}

/* GET /delay: answered from another thread, after the handler returned. */
static void h_delay(void *app, http_req *r)
{
	struct later *l = malloc(sizeof *l);
	pthread_t t;
	*l = (struct later){ r, 20 * 1000 * 1000 };
	pthread_create(&t, NULL, answer_later, l);
	pthread_detach(t);
}

/* GET /race: answered from another thread at once, racing the return. */
static void h_race(void *app, http_req *r)
{
	struct later *l = malloc(sizeof *l);
	pthread_t t;
	*l = (struct later){ r, 0 };
	pthread_create(&t, NULL, answer_later, l);
	pthread_detach(t);
}

static const http_route routes[] = {
	{ "GET", "/", 0, h_root },
	{ "POST", "/api", 4096, h_api },
	{ "POST", "/api/long", 4096, h_api_long },
	{ "PUT", "/small", 16, h_small },
	{ "*", "/any", 1024, h_any },
	{ "OPTIONS", "/api", 0, h_options },
	{ "GET", "/delay", 0, h_delay },
	{ "GET", "/race", 0, h_race },
};

static http_config base_config(void)
{
	return (http_config){
		.bind_addr = "127.0.0.1",
		.ephemeral_port = true,
		.threads = 2,
		.conn_limit = 256,
		.per_ip_limit = 128,
		.timeout_s = 30,
		.routes = routes,
		.nroutes = sizeof routes / sizeof routes[0],
	};
}

static void test_plain(void)
{
	http_config cfg = base_config();
	http_server *s;
	char *err = NULL, url[256];
	t_reply rep;

	printf("# plain HTTP on 127.0.0.1, ephemeral port\n");
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc == 0, "http_start: %s", err ? err : "ok");
	if (rc)
		exit(1);
	uint16_t port = http_port(s);
	CHECK(port != 0, "http_port reports the bound port (%u)", port);

	CURL *h = curl_easy_init();
#define URL(path) (snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path), url)

	t_request(h, "GET", URL("/"), NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "root GET /") == 0,
	      "GET / -> root route (%ld %s)", rep.status, rep.body);
	CHECK(rep.new_conns == 1, "first request opened a connection");
	t_reply_free(&rep);

	t_request(h, "GET", URL("/no/such/thing"), NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "root GET /no/such/thing") == 0,
	      "GET /no/such/thing -> '/' prefix route (%s)", rep.body);
	CHECK(rep.new_conns == 0, "keep-alive: second request reused the connection");
	t_reply_free(&rep);

	t_request(h, "POST", URL("/nothing"), "x", 1, NULL, &rep);
	CHECK(rep.status == 404, "POST /nothing (no POST route) -> 404 (%ld)", rep.status);
	t_reply_free(&rep);

	t_request(h, "POST", URL("/api/long/x"), "x", 1, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "api-long") == 0,
	      "POST /api/long/x -> longest prefix /api/long (%s)", rep.body);
	t_reply_free(&rep);

	t_request(h, "POST", URL("/apiary"), "x", 1, NULL, &rep);
	CHECK(rep.status == 200 && strncmp(rep.body, "{\"a\"", 4) == 0,
	      "POST /apiary -> /api (plain string prefix, as XAPI)");
	t_reply_free(&rep);

	t_request(h, "GET", URL("/api"), NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "root GET /api") == 0,
	      "GET /api -> '/' GET route, the method filters (%s)", rep.body);
	t_reply_free(&rep);

	const char *methods[] = { "PUT", "DELETE", "PATCH", "GET" };
	for (size_t i = 0; i < 4; i++) {
		char want[64];
		snprintf(want, sizeof want, "any %s", methods[i]);
		bool get = strcmp(methods[i], "GET") == 0;
		t_request(h, methods[i], URL("/any/thing"), get ? NULL : "12", get ? 0 : 2, NULL,
			  &rep);
		CHECK(rep.status == 200 && strcmp(rep.body, want) == 0,
		      "%s /any/thing -> '*' route (%s)", methods[i], rep.body);
		t_reply_free(&rep);
	}

	/* Accessors and exact Content-Type. */
	struct curl_slist *hl = NULL;
	hl = curl_slist_append(hl, "X-Halyard-Test: hello");
	hl = curl_slist_append(hl, "Cookie: other=1; session_id=OpaqueRef:abc");
	t_request(h, "POST", URL("/api?a=b%20c%26d&flag"), "payload", 7, hl, &rep);
	curl_slist_free_all(hl);
	CHECK(rep.status == 200, "POST /api -> 200");
	CHECK(strstr(rep.body, "\"a\":\"b c&d\"") != NULL, "query arg decoded: %s", rep.body);
	CHECK(strstr(rep.body, "\"flag\":\"\"") != NULL, "bare query flag reads as \"\"");
	CHECK(strstr(rep.body, "\"hdr\":\"hello\"") != NULL,
	      "header found case-insensitively (x-halyard-test)");
	CHECK(strstr(rep.body, "\"cookie\":\"OpaqueRef:abc\"") != NULL, "cookie session_id");
	CHECK(strstr(rep.body, "\"len\":7,\"body\":\"payload\"") != NULL, "body and length");
	CHECK(strstr(rep.body, "\"peer\":\"127.0.0.1\"") != NULL, "peer address 127.0.0.1");
	CHECK(strstr(rep.body, "\"unix\":0") != NULL, "TCP request is not unix");
	char *ct = t_header(&rep, "Content-Type");
	CHECK(ct && strcmp(ct, "application/json") == 0,
	      "Content-Type is exactly application/json (%s)", ct ? ct : "none");
	free(ct);
	char *clen = t_header(&rep, "Content-Length");
	CHECK(clen && (size_t)atol(clen) == rep.len, "Content-Length matches the body (%s)",
	      clen ? clen : "none");
	free(clen);
	CHECK(rep.new_conns == 0, "keep-alive still holds after several requests");
	t_reply_free(&rep);

	/* OPTIONS with extra headers and no body. */
	t_request(h, "OPTIONS", URL("/api"), NULL, 0, NULL, &rep);
	char *acao = t_header(&rep, "Access-Control-Allow-Origin");
	char *extra = t_header(&rep, "X-Halyard-Extra");
	CHECK(rep.status == 204 && acao && strcmp(acao, "*") == 0 && extra &&
		      strcmp(extra, "yes") == 0,
	      "OPTIONS /api -> 204 with the extra headers");
	free(acao);
	free(extra);
	t_reply_free(&rep);

	/* Body limits. */
	atomic_store(&small_calls, 0);
	t_request(h, "PUT", URL("/small"), "0123456789abcdef", 16, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "got 16") == 0,
	      "PUT /small with 16 bytes (= max_body) -> 200");
	t_reply_free(&rep);
	t_request(h, "PUT", URL("/small"), "0123456789abcdefg", 17, NULL, &rep);
	CHECK(rep.status == 413, "PUT /small with Content-Length 17 -> 413 (%ld)", rep.status);
	t_reply_free(&rep);
	hl = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	t_request(h, "PUT", URL("/small"), "0123456789abcdefghijklmnopqrstuvwxyz", 36, hl, &rep);
	CHECK(rep.status == 413, "PUT /small chunked, 36 bytes -> 413 (%ld)", rep.status);
	t_reply_free(&rep);
	t_request(h, "PUT", URL("/small"), "0123456789", 10, hl, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "got 10") == 0,
	      "PUT /small chunked, 10 bytes -> 200 (%s)", rep.body);
	t_reply_free(&rep);
	curl_slist_free_all(hl);
	CHECK(atomic_load(&small_calls) == 2, "the handler never saw the oversized bodies");

	/* Delayed answers. */
	t_request(h, "GET", URL("/delay?n=1"), NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "later 1") == 0,
	      "GET /delay answered from another thread (%s)", rep.body);
	t_reply_free(&rep);
	int race_ok = 0;
	long race_conns = 0;
	for (int i = 0; i < 300; i++) {
		char path[64], want[64];
		snprintf(path, sizeof path, "/race?n=%d", i);
		snprintf(want, sizeof want, "later %d", i);
		t_request(h, "GET", URL(path), NULL, 0, NULL, &rep);
		race_ok += rep.status == 200 && strcmp(rep.body, want) == 0;
		race_conns += rep.new_conns;
		t_reply_free(&rep);
	}
	CHECK(race_ok == 300, "300 answers racing the handler's return all arrive (%d)", race_ok);
	CHECK(race_conns == 0, "… all on the same kept-alive connection");
	t_request(h, "GET", URL("/"), NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && rep.new_conns == 0,
	      "connection still usable after delayed answers");
	t_reply_free(&rep);

	/* HTTP/1.0 (as xe sends): answered, then closed. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_0);
	t_request(h, "POST", URL("/api/long"), "x", 1, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "api-long") == 0, "HTTP/1.0 POST works");
	t_reply_free(&rep);
	curl_easy_cleanup(h);

	s = http_stop(s);
	CHECK(s == NULL, "http_stop returns NULL");
	CHECK(http_stop(NULL) == NULL, "http_stop(NULL) is fine");
#undef URL
}

static void test_unix(const char *dir)
{
	http_config cfg = base_config();
	http_server *s;
	char *err = NULL, *path;
	t_reply rep;
	struct stat st;

	printf("# unix socket\n");
	if (asprintf(&path, "%s/xapi.sock", dir) < 0)
		abort();
	cfg.ephemeral_port = false;
	cfg.unix_path = path;
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc == 0, "http_start on %s: %s", path, err ? err : "ok");
	if (rc)
		exit(1);
	CHECK(http_port(s) == 0, "no TCP listener: http_port is 0");
	int src = stat(path, &st);
	CHECK(src == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600 &&
		      st.st_uid == geteuid(),
	      "socket exists, mode 0600, owned by us (%o)", st.st_mode & 0777);

	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, path);
	t_request(h, "POST", "http://localhost/api?a=unix", "hi", 2, NULL, &rep);
	char want[64];
	snprintf(want, sizeof want, "\"uid\":%ld", (long)geteuid());
	CHECK(rep.status == 200 && strstr(rep.body, "\"unix\":1") &&
		      strstr(rep.body, "\"peer\":\"unix\"") && strstr(rep.body, want),
	      "unix peer: is_unix, peer \"unix\", uid = geteuid() (%s)", rep.body);
	t_reply_free(&rep);
	t_request(h, "GET", "http://localhost/delay?n=u", NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "later u") == 0 && rep.new_conns == 0,
	      "delayed answer on the unix socket, same connection");
	t_reply_free(&rep);
	curl_easy_cleanup(h);

	s = http_stop(s);
	CHECK(access(path, F_OK) != 0, "http_stop removed the socket file");
	free(path);
}

static void test_https(const char *dir)
{
	http_config cfg = base_config();
	http_server *s;
	char *err = NULL, *cert, *key, url[256];
	t_reply rep;

	printf("# HTTPS with a generated certificate\n");
	if (asprintf(&cert, "%s/server.pem", dir) < 0 || asprintf(&key, "%s/server.key", dir) < 0)
		abort();
	cfg.tls = true;
	cfg.cert_file = cert;
	cfg.key_file = key;
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc == 0, "http_start with TLS: %s", err ? err : "ok");
	if (rc)
		exit(1);
	CHECK(access(cert, R_OK) == 0 && access(key, R_OK) == 0,
	      "missing cert/key were generated at start");

	CURL *h = curl_easy_init();
	/* Pin the generated certificate; its SAN lists the host's addresses. */
	curl_easy_setopt(h, CURLOPT_CAINFO, cert);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	snprintf(url, sizeof url, "https://127.0.0.1:%u/api?a=tls", http_port(s));
	t_request(h, "POST", url, "secret", 6, NULL, &rep);
	CHECK(rep.rc == CURLE_OK && rep.status == 200 && strstr(rep.body, "\"a\":\"tls\""),
	      "HTTPS POST verified against the pinned cert (IP SAN 127.0.0.1): %s",
	      rep.rc == CURLE_OK ? "ok" : curl_easy_strerror(rep.rc));
	t_reply_free(&rep);
	snprintf(url, sizeof url, "https://127.0.0.1:%u/delay?n=tls", http_port(s));
	t_request(h, "GET", url, NULL, 0, NULL, &rep);
	CHECK(rep.status == 200 && strcmp(rep.body, "later tls") == 0 && rep.new_conns == 0,
	      "HTTPS delayed answer on the same kept-alive connection");
	t_reply_free(&rep);
	curl_easy_cleanup(h);
	http_stop(s);
	free(cert);
	free(key);
}

static void test_bad_config(void)
{
	http_config cfg = base_config();
	http_server *s = (void *)1;
	char *err = NULL;

	printf("# configuration errors\n");
	cfg.bind_addr = "not-an-address";
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc < 0 && err && s == NULL, "bad bind address refused: %s", err ? err : "?");
	free(err);
	cfg = base_config();
	cfg.ephemeral_port = false;
	rc = http_start(&cfg, &s, &err);
	CHECK(rc < 0 && err, "no listener refused: %s", err ? err : "?");
	free(err);
}

int main(void)
{
	char *dir = t_tmpdir();
	curl_global_init(CURL_GLOBAL_ALL);
	test_plain();
	test_unix(dir);
	test_https(dir);
	test_bad_config();
	curl_global_cleanup();
	t_rmtree(dir);
	free(dir);
	printf("%s: %d failure(s)\n", t_failures ? "FAIL" : "PASS", t_failures);
	return t_failures ? 1 : 0;
}
