/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid/http: streaming uploads (stream_routes + http_recv_body) and
 * streaming downloads (http_respond_stream), with bounded memory.
 */
#include "harness.h"
#include "http.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UPLOAD_BYTES (64ull << 20)
#define DOWNLOAD_BYTES (32ull << 20)

/* The byte at offset pos of every generated stream. */
static inline unsigned char pattern(uint64_t pos)
{
	return (unsigned char)((pos * 2654435761u) >> 13);
}

static atomic_int deny_calls, frees, cut_ends;
static uint64_t abort_upload_at; /* client side: give up after this many bytes */

struct upload {
	http_req *r;
	uint64_t bytes;
	uint64_t bad; /* bytes differing from the pattern */
	size_t max_chunk;
};

static int on_chunk(void *cls, const char *data, size_t len)
{
	struct upload *u = cls;
	if (!data) {
		char *out;
		if (http_body_cut(u->r))
			atomic_fetch_add(&cut_ends, 1);
		if (asprintf(&out, "%llu %llu %zu", (unsigned long long)u->bytes,
			     (unsigned long long)u->bad, u->max_chunk) < 0)
			abort();
		http_respond(u->r, 200, "text/plain", out, strlen(out), NULL);
		free(u);
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		u->bad += (unsigned char)data[i] != pattern(u->bytes + i);
	u->bytes += len;
	if (len > u->max_chunk)
		u->max_chunk = len;
	return 0;
}

/* PUT /upload: checks the body on the fly, keeps none of it. */
static void h_upload(void *app, http_req *r)
{
	struct upload *u = calloc(1, sizeof *u);
	u->r = r;
	http_recv_body(r, on_chunk, u);
}

/* PUT /deny: refuses without reading the body. */
static void h_deny(void *app, http_req *r)
{
	atomic_fetch_add(&deny_calls, 1);
	http_respond(r, 401, "text/plain", strdup("no"), 2, NULL);
}

static ssize_t gen_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t total = *(uint64_t *)cls;
	if (pos >= total)
		return 0;
	if (max > total - pos)
		max = (size_t)(total - pos);
	for (size_t i = 0; i < max; i++)
		buf[i] = (char)pattern(pos + i);
	return (ssize_t)max;
}

static void gen_free(void *cls)
{
	free(cls);
	atomic_fetch_add(&frees, 1);
}

static void *answer_download(void *arg)
{
	http_req *r = arg;
	bool chunked = http_query(r, "chunked") != NULL;
	uint64_t *total = malloc(sizeof *total);
	*total = DOWNLOAD_BYTES;
	http_respond_stream(r, 200, "application/octet-stream",
			    chunked ? HTTP_SIZE_UNKNOWN : DOWNLOAD_BYTES, gen_read, gen_free, total,
			    NULL);
	return NULL;
}

/* GET /download[?chunked]: a generated stream, answered from another thread. */
static void h_download(void *app, http_req *r)
{
	pthread_t t;
	pthread_create(&t, NULL, answer_download, r);
	pthread_detach(t);
}

static const http_route stream_routes[] = {
	{ "PUT", "/upload", SIZE_MAX, h_upload },
	{ "PUT", "/limited", 1000, h_upload },
	{ "PUT", "/deny", SIZE_MAX, h_deny },
};
static const http_route routes[] = {
	{ "GET", "/download", 0, h_download },
};

struct gen_src {
	uint64_t pos, total, abort_at;
};

static size_t curl_gen(char *buf, size_t size, size_t n, void *cls)
{
	struct gen_src *g = cls;
	size_t max = size * n;
	if (g->abort_at && g->pos >= g->abort_at)
		return CURL_READFUNC_ABORT;
	if (max > g->total - g->pos)
		max = (size_t)(g->total - g->pos);
	for (size_t i = 0; i < max; i++)
		buf[i] = (char)pattern(g->pos + i);
	g->pos += max;
	return max;
}

struct sink {
	uint64_t bytes, bad;
};

static size_t curl_sink(char *p, size_t size, size_t n, void *cls)
{
	struct sink *k = cls;
	size_t len = size * n;
	for (size_t i = 0; i < len; i++)
		k->bad += (unsigned char)p[i] != pattern(k->bytes + i);
	k->bytes += len;
	return len;
}

static long put_stream(CURL *h, const char *url, uint64_t total, bool chunked, t_reply *rep)
{
	struct gen_src g = { 0, total, abort_upload_at };
	struct curl_slist *hl = chunked ? curl_slist_append(NULL, "Transfer-Encoding: chunked")
					: NULL;
	t_capture(h, rep);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, curl_gen);
	curl_easy_setopt(h, CURLOPT_READDATA, &g);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, chunked ? (curl_off_t)-1 : (curl_off_t)total);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	rep->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 0L);
	curl_slist_free_all(hl);
	if (!rep->body)
		rep->body = strdup("");
	return rep->status;
}

int main(void)
{
	http_config cfg = {
		.bind_addr = "127.0.0.1",
		.ephemeral_port = true,
		.threads = 2,
		.timeout_s = 30,
		.routes = routes,
		.nroutes = 1,
		.stream_routes = stream_routes,
		.nstream_routes = 3,
	};
	http_server *s;
	char *err = NULL, url[256];
	t_reply rep;

	curl_global_init(CURL_GLOBAL_ALL);
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc == 0, "http_start with stream routes: %s", err ? err : "ok");
	if (rc)
		return 1;
	uint16_t port = http_port(s);
	CURL *h = curl_easy_init();

	printf("# streaming upload\n");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/upload", port);
	put_stream(h, url, UPLOAD_BYTES, false, &rep);
	unsigned long long bytes = 0, bad = 1;
	size_t max_chunk = SIZE_MAX;
	sscanf(rep.body, "%llu %llu %zu", &bytes, &bad, &max_chunk);
	CHECK(rep.status == 200 && bytes == UPLOAD_BYTES && bad == 0,
	      "64 MiB upload (Content-Length) seen intact by the chunk callback (%s)", rep.body);
	CHECK(max_chunk <= 64 * 1024,
	      "chunks are bounded by the connection buffer (largest %zu bytes)", max_chunk);
	t_reply_free(&rep);
	put_stream(h, url, 5000000, true, &rep);
	sscanf(rep.body, "%llu %llu", &bytes, &bad);
	CHECK(rep.status == 200 && bytes == 5000000 && bad == 0, "chunked upload intact (%s)",
	      rep.body);
	t_reply_free(&rep);
	put_stream(h, url, 0, false, &rep);
	CHECK(rep.status == 200 && strncmp(rep.body, "0 0", 3) == 0,
	      "empty PUT (XO's probe) answered 200");
	t_reply_free(&rep);

	printf("# limits on stream routes\n");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/limited", port);
	put_stream(h, url, 1000, false, &rep);
	CHECK(rep.status == 200, "1000 bytes to max_body 1000 -> 200");
	t_reply_free(&rep);
	put_stream(h, url, 1001, false, &rep);
	CHECK(rep.status == 413, "Content-Length 1001 -> 413 (%ld)", rep.status);
	t_reply_free(&rep);
	put_stream(h, url, 5000, true, &rep);
	CHECK(rep.status == 413, "chunked 5000 bytes -> 413 despite the handler (%ld)",
	      rep.status);
	t_reply_free(&rep);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/deny", port);
	put_stream(h, url, 1 << 20, false, &rep);
	CHECK(rep.status == 401 && atomic_load(&deny_calls) == 1,
	      "handler answering before the body (no http_recv_body) -> its 401 (%ld)",
	      rep.status);
	t_reply_free(&rep);

	printf("# client goes away mid-upload\n");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/upload", port);
	int before = atomic_load(&cut_ends);
	CURL *h2 = curl_easy_init();
	abort_upload_at = 4u << 20;
	put_stream(h2, url, 8u << 20, true, &rep);
	abort_upload_at = 0;
	CHECK(rep.rc == CURLE_ABORTED_BY_CALLBACK, "client aborted its upload midway");
	t_reply_free(&rep);
	curl_easy_cleanup(h2);
	/* The server notices the close on its own; wait for the end call. */
	while (atomic_load(&cut_ends) == before)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	CHECK(atomic_load(&cut_ends) == before + 1,
	      "the handler got its end call with http_body_cut() true");

	printf("# streaming download\n");
	for (int chunked = 0; chunked < 2; chunked++) {
		struct sink k = { 0, 0 };
		snprintf(url, sizeof url, "http://127.0.0.1:%u/download%s", port,
			 chunked ? "?chunked" : "");
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_sink);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, NULL);
		CURLcode crc = curl_easy_perform(h);
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		CHECK(crc == CURLE_OK && status == 200 && k.bytes == DOWNLOAD_BYTES && k.bad == 0,
		      "32 MiB %s download, answered from another thread, intact",
		      chunked ? "chunked" : "Content-Length");
	}
	curl_easy_cleanup(h);
	s = http_stop(s);
	CHECK(atomic_load(&frees) == 2, "free_fn ran once per streamed response (%d)",
	      atomic_load(&frees));
	curl_global_cleanup();
	printf("%s: %d failure(s)\n", t_failures ? "FAIL" : "PASS", t_failures);
	return t_failures ? 1 : 0;
}
