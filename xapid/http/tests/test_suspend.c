/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid/http: suspended requests (event.from-style long polls). Thousands
 * of requests parked at once and answered later by another thread; clients
 * vanishing while parked; http_stop with requests still parked.
 */
#include "harness.h"
#include "http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NPOLL 2000

/* Requests parked by h_poll, to be answered by someone else. */
static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static http_req **parked;
static size_t nparked, park_cap;

static void h_poll(void *app, http_req *r)
{
	pthread_mutex_lock(&park_mu);
	if (nparked == park_cap) {
		park_cap = park_cap ? park_cap * 2 : 256;
		parked = realloc(parked, park_cap * sizeof(*parked));
		if (!parked)
			abort();
	}
	parked[nparked++] = r;
	pthread_mutex_unlock(&park_mu);
}

static size_t parked_count(void)
{
	pthread_mutex_lock(&park_mu);
	size_t n = nparked;
	pthread_mutex_unlock(&park_mu);
	return n;
}

/* Answers every parked request with its "id" query argument, newest first. */
static void *answer_all(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&park_mu);
	http_req **list = parked;
	size_t n = nparked;
	parked = NULL;
	nparked = park_cap = 0;
	pthread_mutex_unlock(&park_mu);
	for (size_t i = n; i-- > 0;) {
		const char *id = http_query(list[i], "id");
		char *body = strdup(id ? id : "?");
		static const char *const hdrs[] = { "Cache-Control", "no-cache", NULL };
		http_respond(list[i], 200, "application/json", body, strlen(body), hdrs);
	}
	free(list);
	return NULL;
}

static void answer_all_on_thread(void)
{
	pthread_t t;
	pthread_create(&t, NULL, answer_all, NULL);
	pthread_join(t, NULL);
}

static void h_ping(void *app, http_req *r)
{
	char *b = strdup("pong");
	http_respond(r, 200, "text/plain", b, 4, NULL);
}

static const http_route routes[] = {
	{ "GET", "/poll", 0, h_poll },
	{ "GET", "/ping", 0, h_ping },
};

struct poller {
	CURLM *multi;
	CURL **easy;
	t_reply *rep;
	size_t n;
};

static void pollers_start(struct poller *p, size_t n, uint16_t port, const char *unix_path)
{
	char url[128];
	p->multi = curl_multi_init();
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)n + 16);
	p->easy = calloc(n, sizeof(*p->easy));
	p->rep = calloc(n, sizeof(*p->rep));
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		CURL *h = curl_easy_init();
		if (unix_path) {
			snprintf(url, sizeof url, "http://localhost/poll?id=%zu", i);
			curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, unix_path);
		} else {
			snprintf(url, sizeof url, "http://127.0.0.1:%u/poll?id=%zu", port, i);
		}
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)i);
		t_capture(h, &p->rep[i]);
		curl_multi_add_handle(p->multi, h);
		p->easy[i] = h;
	}
}

/* Drives the transfers until want requests are parked (no wall clock). */
static void pollers_until_parked(struct poller *p, size_t want)
{
	int running = 1;
	while (parked_count() < want && running) {
		curl_multi_perform(p->multi, &running);
		curl_multi_poll(p->multi, NULL, 0, 50, NULL);
	}
}

/* Drives the transfers to the end; returns how many finished with 200 + own id. */
static size_t pollers_finish(struct poller *p, size_t *n_503)
{
	int running = 1, left;
	size_t good = 0;
	CURLMsg *m;
	*n_503 = 0;
	while (running) {
		curl_multi_perform(p->multi, &running);
		if (running)
			curl_multi_poll(p->multi, NULL, 0, 100, NULL);
	}
	while ((m = curl_multi_info_read(p->multi, &left))) {
		void *priv;
		long status = 0;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		size_t i = (size_t)priv;
		char want[32];
		snprintf(want, sizeof want, "%zu", i);
		if (m->data.result == CURLE_OK && status == 200 && p->rep[i].body &&
		    strcmp(p->rep[i].body, want) == 0)
			good++;
		if (m->data.result == CURLE_OK && status == 503)
			(*n_503)++;
	}
	return good;
}

static void pollers_free(struct poller *p)
{
	for (size_t i = 0; i < p->n; i++) {
		curl_multi_remove_handle(p->multi, p->easy[i]);
		curl_easy_cleanup(p->easy[i]);
		t_reply_free(&p->rep[i]);
	}
	curl_multi_cleanup(p->multi);
	free(p->easy);
	free(p->rep);
}

static bool ping(uint16_t port)
{
	char url[128];
	t_reply rep;
	CURL *h = curl_easy_init();
	snprintf(url, sizeof url, "http://127.0.0.1:%u/ping", port);
	t_request(h, "GET", url, NULL, 0, NULL, &rep);
	bool ok = rep.status == 200 && strcmp(rep.body, "pong") == 0;
	t_reply_free(&rep);
	curl_easy_cleanup(h);
	return ok;
}

static http_server *start(const char *unix_path)
{
	http_config cfg = {
		.bind_addr = "127.0.0.1",
		.ephemeral_port = true,
		.unix_path = unix_path,
		.threads = 4,
		.conn_limit = NPOLL + 200,
		.timeout_s = 60,
		.routes = routes,
		.nroutes = 2,
	};
	http_server *s;
	char *err = NULL;
	int rc = http_start(&cfg, &s, &err);
	CHECK(rc == 0, "http_start: %s", err ? err : "ok");
	if (rc)
		exit(1);
	return s;
}

static void test_many(void)
{
	struct poller p;
	size_t n503;

	printf("# %d long polls parked at once, answered by another thread\n", NPOLL);
	http_server *s = start(NULL);
	pollers_start(&p, NPOLL, http_port(s), NULL);
	pollers_until_parked(&p, NPOLL);
	CHECK(parked_count() == NPOLL, "%zu requests suspended at once", parked_count());
	CHECK(ping(http_port(s)), "the server still answers other requests meanwhile");
	answer_all_on_thread();
	size_t good = pollers_finish(&p, &n503);
	CHECK(good == NPOLL, "%zu/%d answered with 200 and their own id", good, NPOLL);
	pollers_free(&p);
	http_stop(s);
}

static void test_unix_many(const char *dir)
{
	struct poller p;
	size_t n503;
	char *path;

	printf("# 200 long polls on the unix socket\n");
	if (asprintf(&path, "%s/poll.sock", dir) < 0)
		abort();
	http_server *s = start(path);
	pollers_start(&p, 200, 0, path);
	pollers_until_parked(&p, 200);
	CHECK(parked_count() == 200, "%zu unix requests suspended", parked_count());
	answer_all_on_thread();
	size_t good = pollers_finish(&p, &n503);
	CHECK(good == 200, "%zu/200 answered over the unix socket", good);
	pollers_free(&p);
	http_stop(s);
	free(path);
}

static void test_disconnect(void)
{
	struct poller p;

	printf("# clients disconnect while their requests are suspended\n");
	http_server *s = start(NULL);
	pollers_start(&p, 100, http_port(s), NULL);
	pollers_until_parked(&p, 100);
	CHECK(parked_count() == 100, "%zu requests suspended", parked_count());
	pollers_free(&p); /* closes all 100 client connections */
	answer_all_on_thread();
	CHECK(ping(http_port(s)), "answers to vanished clients are dropped; server fine");
	/* Once more, answering while the clients are closing. */
	pollers_start(&p, 100, http_port(s), NULL);
	pollers_until_parked(&p, 100);
	pthread_t t;
	pthread_create(&t, NULL, answer_all, NULL);
	pollers_free(&p);
	pthread_join(t, NULL);
	CHECK(ping(http_port(s)), "answers racing client disconnects are safe");
	http_stop(s);
}

static void test_stop_while_parked(void)
{
	struct poller p;
	size_t n503;

	printf("# http_stop with requests still suspended\n");
	http_server *s = start(NULL);
	pollers_start(&p, 50, http_port(s), NULL);
	pollers_until_parked(&p, 50);
	CHECK(parked_count() == 50, "%zu requests suspended", parked_count());
	s = http_stop(s);
	CHECK(s == NULL, "http_stop returned with requests parked");
	size_t good = pollers_finish(&p, &n503);
	CHECK(good == 0 && n503 == 50, "parked clients got 503 (%zu), none a 200", n503);
	answer_all_on_thread();
	CHECK(parked_count() == 0, "late http_respond after http_stop only frees");
	pollers_free(&p);
}

int main(void)
{
	struct rlimit rl;
	char *dir = t_tmpdir();

	/* Client and server ends of every connection live in this process. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 3 * NPOLL) {
		rl.rlim_cur = rl.rlim_max < 3 * NPOLL ? rl.rlim_max : 3 * NPOLL;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * NPOLL + 100) {
		printf("SKIP: RLIMIT_NOFILE %llu is too low\n", (unsigned long long)rl.rlim_cur);
		return 77;
	}
	printf("# RLIMIT_NOFILE %llu\n", (unsigned long long)rl.rlim_cur);

	curl_global_init(CURL_GLOBAL_ALL);
	test_many();
	test_unix_many(dir);
	test_disconnect();
	test_stop_while_parked();
	curl_global_cleanup();
	t_rmtree(dir);
	free(dir);
	printf("%s: %d failure(s)\n", t_failures ? "FAIL" : "PASS", t_failures);
	return t_failures ? 1 : 0;
}
