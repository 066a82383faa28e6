/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpcload: a closed-loop load generator for xapid's RPC endpoints.
 *
 *   rpcload --url URL --proto json|xml --body FILE [--refs FILE]
 *           [--clients N] [--threads T] [--duration S] [--warmup S]
 *           [--count N] [--unix-socket PATH]
 *
 * N clients each keep one request in flight over a reused (keep-alive)
 * connection: as soon as a reply arrives the client sends the next request.
 * The clients are spread over T threads, each driving its share with one
 * libcurl multi handle (so 64 clients do not need 64 threads on a 2-core
 * machine). TLS certificates are not verified (xapid's is self-signed).
 *
 * The body file is a template sent as is, except for two placeholders:
 *   {ref}  the next line of the --refs file (round robin, per client)
 *   {n}    a sequence number unique to the request (0, 1, 2 …)
 *
 * A reply counts as a success when it is HTTP 200 and carries a XenAPI
 * success (JSON-RPC: a "result" member; XML-RPC: Status Success); anything
 * else is an error, and the first few error replies are printed to stderr.
 *
 * Timing: with --duration, calls that complete in the window
 * [warmup, warmup + duration) are counted; the clients then stop and the
 * calls still in flight are dropped. With --count, exactly that many calls
 * are made, all of them counted, and the window runs from the first send to
 * the last reply.
 *
 * Output: one JSON object on stdout (keys described in bench/README.md).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum seg_kind { SEG_LIT, SEG_REF, SEG_SEQ };

struct seg {
	enum seg_kind kind;
	const char *p; /* SEG_LIT: text (points into the template) */
	size_t n;
};

static struct {
	const char *url;
	const char *unix_path;
	bool json;
	int clients;
	int threads;
	double duration;
	double warmup;
	long count;
	char *tmpl;
	size_t tmpl_len;
	struct seg *segs;
	size_t nsegs;
	bool dynamic; /* template has placeholders */
	char **refs;
	size_t nrefs;
} cfg = {
	.clients = 1,
	.threads = 1,
	.duration = 5.0,
	.warmup = 0.5,
};

static atomic_long next_seq;
static atomic_long issued;
static atomic_int errors_shown;
static uint64_t t_start, t_warm, t_end; /* ns, CLOCK_MONOTONIC */

struct client {
	CURL *h;
	char *body;
	size_t body_len, body_cap;
	char *resp;
	size_t resp_len, resp_cap;
	uint64_t t0;
	size_t ref_i;
};

struct worker {
	pthread_t tid;
	int first_client, nclients;
	struct client *c;
	uint64_t *lat;
	size_t nlat, lat_cap;
	long calls, errors, connects, all_calls;
	uint64_t bytes_in, last_done;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "rpcload: out of memory\n");
		exit(1);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "rpcload: out of memory\n");
		exit(1);
	}
	return p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads a whole file into a NUL-terminated malloc'd buffer; *len its size. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t cap = 65536, n = 0;
	char *b = xmalloc(cap);
	size_t r;
	while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0)
			b = xrealloc(b, cap *= 2);
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

/* Splits cfg.tmpl into literal text and {ref} / {n} placeholders. */
static void parse_template(void)
{
	size_t cap = 8;
	cfg.segs = xmalloc(cap * sizeof(*cfg.segs));
	const char *p = cfg.tmpl, *end = cfg.tmpl + cfg.tmpl_len, *lit = p;
	while (p < end) {
		enum seg_kind k = SEG_LIT;
		size_t skip = 0;
		if (!strncmp(p, "{ref}", 5)) {
			k = SEG_REF;
			skip = 5;
		} else if (!strncmp(p, "{n}", 3)) {
			k = SEG_SEQ;
			skip = 3;
		}
		if (k == SEG_LIT) {
			p++;
			continue;
		}
		if (cfg.nsegs + 2 > cap)
			cfg.segs = xrealloc(cfg.segs, (cap *= 2) * sizeof(*cfg.segs));
		if (p > lit)
			cfg.segs[cfg.nsegs++] = (struct seg){ SEG_LIT, lit, (size_t)(p - lit) };
		cfg.segs[cfg.nsegs++] = (struct seg){ k, NULL, 0 };
		cfg.dynamic = true;
		p += skip;
		lit = p;
	}
	if (cfg.nsegs + 1 > cap)
		cfg.segs = xrealloc(cfg.segs, (cap + 1) * sizeof(*cfg.segs));
	if (p > lit)
		cfg.segs[cfg.nsegs++] = (struct seg){ SEG_LIT, lit, (size_t)(p - lit) };
}

/* Loads --refs: one ref per line, blank lines ignored. */
static void load_refs(const char *path)
{
	size_t len;
	char *b = read_file(path, &len);
	size_t cap = 1024;
	cfg.refs = xmalloc(cap * sizeof(char *));
	for (char *line = strtok(b, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		if (!*line)
			continue;
		if (cfg.nrefs == cap)
			cfg.refs = xrealloc(cfg.refs, (cap *= 2) * sizeof(char *));
		cfg.refs[cfg.nrefs++] = line;
	}
	if (!cfg.nrefs) {
		fprintf(stderr, "rpcload: %s holds no refs\n", path);
		exit(2);
	}
}

static void body_put(struct client *c, const char *s, size_t n)
{
	if (c->body_len + n + 1 > c->body_cap) {
		while (c->body_len + n + 1 > c->body_cap)
			c->body_cap = c->body_cap ? c->body_cap * 2 : 4096;
		c->body = xrealloc(c->body, c->body_cap);
	}
	memcpy(c->body + c->body_len, s, n);
	c->body_len += n;
}

/* Fills c->body for the next request from the template. */
static void build_body(struct client *c)
{
	c->body_len = 0;
	for (size_t i = 0; i < cfg.nsegs; i++) {
		const struct seg *s = &cfg.segs[i];
		if (s->kind == SEG_LIT) {
			body_put(c, s->p, s->n);
		} else if (s->kind == SEG_REF) {
			if (!cfg.nrefs) {
				fprintf(stderr, "rpcload: the body uses {ref} but no --refs was given\n");
				exit(2);
			}
			const char *r = cfg.refs[c->ref_i++ % cfg.nrefs];
			body_put(c, r, strlen(r));
		} else {
			char num[32];
			int n = snprintf(num, sizeof(num), "%ld", atomic_fetch_add(&next_seq, 1));
			body_put(c, num, (size_t)n);
		}
	}
}

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct client *c = arg;
	size_t n = sz * nm;
	if (c->resp_len + n + 1 > c->resp_cap) {
		while (c->resp_len + n + 1 > c->resp_cap)
			c->resp_cap = c->resp_cap ? c->resp_cap * 2 : 65536;
		c->resp = xrealloc(c->resp, c->resp_cap);
	}
	memcpy(c->resp + c->resp_len, p, n);
	c->resp_len += n;
	c->resp[c->resp_len] = 0;
	return n;
}

/* True if another request may be sent (claims one in --count mode). */
static bool may_send(uint64_t now)
{
	if (cfg.count > 0)
		return atomic_fetch_add(&issued, 1) < cfg.count;
	return now < t_end;
}

static void send_next(CURLM *m, struct client *c)
{
	if (cfg.dynamic) {
		build_body(c);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	c->resp_len = 0;
	if (c->resp)
		c->resp[0] = 0;
	c->t0 = now_ns();
	curl_multi_add_handle(m, c->h);
}

static bool reply_ok(const struct client *c, CURLcode res, long status)
{
	if (res != CURLE_OK || status != 200 || !c->resp)
		return false;
	if (cfg.json)
		return strstr(c->resp, "\"result\"") != NULL;
	return strstr(c->resp, ">Success<") != NULL && !strstr(c->resp, ">Failure<");
}

static void show_error(const struct client *c, CURLcode res, long status)
{
	if (atomic_fetch_add(&errors_shown, 1) >= 3)
		return;
	fprintf(stderr, "rpcload: error reply: curl=%d (%s) http=%ld body=%.300s\n", (int)res,
		curl_easy_strerror(res), status, c->resp ? c->resp : "");
}

static void record(struct worker *w, struct client *c, CURLcode res, uint64_t done)
{
	long status = 0, conns = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c->h, CURLINFO_NUM_CONNECTS, &conns);
	w->connects += conns;
	w->all_calls++;
	bool counted = cfg.count > 0 || (done >= t_warm && done < t_end);
	bool ok = reply_ok(c, res, status);
	if (!ok)
		show_error(c, res, status);
	if (!counted)
		return;
	w->last_done = done;
	w->bytes_in += c->resp_len;
	if (!ok) {
		w->errors++;
		return;
	}
	w->calls++;
	if (w->nlat == w->lat_cap) {
		w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 65536;
		w->lat = xrealloc(w->lat, w->lat_cap * sizeof(uint64_t));
	}
	w->lat[w->nlat++] = done - c->t0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CURLM *m = curl_multi_init();
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, cfg.json ? "Content-Type: application/json" :
						  "Content-Type: text/xml");
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = curl_slist_append(hdrs, "User-Agent: halyard-rpcload");
	int active = 0;
	for (int i = 0; i < w->nclients; i++) {
		struct client *c = &w->c[i];
		c->ref_i = (size_t)(w->first_client + i) * 7919u;
		c->h = curl_easy_init();
		curl_easy_setopt(c->h, CURLOPT_URL, cfg.url);
		if (cfg.unix_path)
			curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, cfg.unix_path);
		curl_easy_setopt(c->h, CURLOPT_POST, 1L);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 0L);
		/* Nothing is verified: do not load the system CA store for every
		 * connection (with GnuTLS that is ~300 file opens per handshake). */
		curl_easy_setopt(c->h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c->h, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
		if (!cfg.dynamic) {
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, cfg.tmpl);
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)cfg.tmpl_len);
		}
		if (may_send(now_ns())) {
			send_next(m, c);
			active++;
		}
	}
	while (active > 0) {
		int running = 0;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			CURLcode res = msg->data.result;
			uint64_t done = now_ns();
			struct client *c = NULL;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&c);
			curl_multi_remove_handle(m, h);
			record(w, c, res, done);
			if (may_send(done))
				send_next(m, c);
			else
				active--;
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 50, NULL);
	}
	for (int i = 0; i < w->nclients; i++) {
		curl_easy_cleanup(w->c[i].h);
		free(w->c[i].body);
		free(w->c[i].resp);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of a sorted array, nearest-rank; in ms. */
static double quantile_ms(const uint64_t *v, size_t n, double q)
{
	if (!n)
		return 0.0;
	double want = q * (double)n;
	size_t k = (size_t)want;
	if ((double)k < want)
		k++;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rpcload --url URL --proto json|xml --body FILE [options]\n"
		"  --refs FILE        refs substituted for {ref} in the body, one per line\n"
		"  --clients N        concurrent clients, one connection each (default 1)\n"
		"  --threads T        threads driving the clients (default 1)\n"
		"  --duration S       measured seconds (default 5)\n"
		"  --warmup S         unmeasured seconds before that (default 0.5)\n"
		"  --count N          make exactly N calls instead (no warmup)\n"
		"  --unix-socket PATH connect to this unix socket (URL http://localhost/…)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "proto", required_argument, NULL, 'p' },
		{ "body", required_argument, NULL, 'b' },
		{ "refs", required_argument, NULL, 'r' },
		{ "clients", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "unix-socket", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *body = NULL, *refs = NULL, *proto = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'u': cfg.url = optarg; break;
		case 'p': proto = optarg; break;
		case 'b': body = optarg; break;
		case 'r': refs = optarg; break;
		case 'c': cfg.clients = atoi(optarg); break;
		case 't': cfg.threads = atoi(optarg); break;
		case 'd': cfg.duration = atof(optarg); break;
		case 'w': cfg.warmup = atof(optarg); break;
		case 'n': cfg.count = atol(optarg); break;
		case 'x': cfg.unix_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg.url || !body || !proto || (strcmp(proto, "json") && strcmp(proto, "xml")) ||
	    cfg.clients < 1 || cfg.threads < 1 || cfg.duration <= 0 || cfg.warmup < 0 ||
	    cfg.count < 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg.json = !strcmp(proto, "json");
	if (cfg.threads > cfg.clients)
		cfg.threads = cfg.clients;
	cfg.tmpl = read_file(body, &cfg.tmpl_len);
	parse_template();
	if (refs)
		load_refs(refs);
	if (cfg.count > 0)
		cfg.warmup = 0;

	curl_global_init(CURL_GLOBAL_ALL);
	struct worker *ws = calloc((size_t)cfg.threads, sizeof(*ws));
	struct client *cs = calloc((size_t)cfg.clients, sizeof(*cs));
	if (!ws || !cs) {
		fprintf(stderr, "rpcload: out of memory\n");
		return 1;
	}
	double cpu0 = cpu_seconds();
	t_start = now_ns();
	t_warm = t_start + (uint64_t)(cfg.warmup * 1e9);
	t_end = cfg.count > 0 ? UINT64_MAX : t_warm + (uint64_t)(cfg.duration * 1e9);
	int at = 0;
	for (int i = 0; i < cfg.threads; i++) {
		struct worker *w = &ws[i];
		w->first_client = at;
		w->nclients = cfg.clients / cfg.threads + (i < cfg.clients % cfg.threads);
		w->c = cs + at;
		at += w->nclients;
		if (pthread_create(&w->tid, NULL, worker_main, w)) {
			fprintf(stderr, "rpcload: cannot start a thread\n");
			return 1;
		}
	}
	long calls = 0, errors = 0, connects = 0, all_calls = 0;
	uint64_t bytes = 0, last = t_start;
	size_t nlat = 0;
	for (int i = 0; i < cfg.threads; i++) {
		pthread_join(ws[i].tid, NULL);
		calls += ws[i].calls;
		errors += ws[i].errors;
		connects += ws[i].connects;
		all_calls += ws[i].all_calls;
		bytes += ws[i].bytes_in;
		nlat += ws[i].nlat;
		if (ws[i].last_done > last)
			last = ws[i].last_done;
	}
	uint64_t t_stop = now_ns();
	double cpu = cpu_seconds() - cpu0;
	uint64_t *lat = xmalloc(nlat * sizeof(uint64_t));
	size_t k = 0;
	double sum = 0;
	for (int i = 0; i < cfg.threads; i++) {
		memcpy(lat + k, ws[i].lat, ws[i].nlat * sizeof(uint64_t));
		k += ws[i].nlat;
		free(ws[i].lat);
	}
	for (size_t i = 0; i < nlat; i++)
		sum += (double)lat[i];
	qsort(lat, nlat, sizeof(uint64_t), cmp_u64);
	double window = cfg.count > 0 ? (double)(last - t_start) / 1e9 : cfg.duration;
	if (window <= 0)
		window = 1e-9;
	printf("{\"proto\": \"%s\", \"clients\": %d, \"threads\": %d, \"calls\": %ld, "
	       "\"errors\": %ld, \"seconds\": %.3f, \"calls_per_s\": %.1f, "
	       "\"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
	       "\"max_ms\": %.3f, \"connects\": %ld, \"all_calls\": %ld, \"bytes_in\": %" PRIu64 ", "
	       "\"client_cpu_pct\": %.1f}\n",
	       cfg.json ? "json" : "xml", cfg.clients, cfg.threads, calls, errors, window,
	       (double)calls / window, nlat ? sum / (double)nlat / 1e6 : 0.0,
	       quantile_ms(lat, nlat, 0.50), quantile_ms(lat, nlat, 0.90),
	       quantile_ms(lat, nlat, 0.99), nlat ? (double)lat[nlat - 1] / 1e6 : 0.0, connects, all_calls,
	       bytes, 100.0 * cpu / ((double)(t_stop - t_start) / 1e9));
	free(lat);
	free(ws);
	free(cs);
	free(cfg.segs);
	free(cfg.tmpl);
	curl_global_cleanup();
	return errors && !calls ? 1 : 0;
}
