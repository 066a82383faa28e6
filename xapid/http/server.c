/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listeners, routing and the libmicrohttpd callbacks.
 *
 * Request flow (all MHD callbacks run on the listener's worker threads):
 *  1. headers complete: route by method + longest prefix (404 if none),
 *     refuse a Content-Length above the route's max_body (413), copy the
 *     request out of MHD (hh_req_new);
 *  2. body chunks: appended up to max_body, discarded beyond (413 at end);
 *  3. body complete: the handler runs; if it answered, the response is
 *     queued at once, else the connection is suspended (no thread held);
 *  4. http_respond on another thread stores the response and resumes the
 *     connection; MHD calls us again and we queue it.
 * Races between 3 and 4 are settled by http_req.mu; see request.c.
 */
#include "http_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long http_stop waits for in-flight responses to drain. */
#define HH_STOP_GRACE_MS 2000

/*
 * The route for method + path: the longest matching prefix among routes
 * whose method matches ("*" matches any); on equal prefixes an exact
 * method beats "*". NULL when nothing matches.
 */
static const struct hh_route *find_route(const http_server *s, const char *method,
					 const char *path)
{
	const struct hh_route *best = NULL;
	size_t best_len = 0;
	bool best_exact = false;

	for (size_t i = 0; i < s->nroutes; i++) {
		const struct hh_route *route = &s->routes[i];
		const http_route *rt = &route->r;
		bool exact = strcmp(rt->method, method) == 0;
		if (!exact && strcmp(rt->method, "*") != 0)
			continue;
		size_t n = strlen(rt->prefix);
		if (strncmp(path, rt->prefix, n) != 0)
			continue;
		if (!best || n > best_len || (n == best_len && exact && !best_exact)) {
			best = route;
			best_len = n;
			best_exact = exact;
		}
	}
	return best;
}

/* Queues resp (adding "Connection: close" while stopping) and releases it. */
static enum MHD_Result queue(http_server *s, struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *resp)
{
	if (!resp)
		return MHD_NO;
	if (atomic_load(&s->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_text(http_server *s, struct MHD_Connection *c, unsigned status,
				  const char *text)
{
	return queue(s, c, status, hh_text_response((int)status, text));
}

/* True when the Content-Length header announces more than max bytes. */
static bool length_exceeds(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return false;
	errno = 0;
	char *end;
	uintmax_t v = strtoumax(cl, &end, 10);
	if (errno == ERANGE)
		return true;
	/* MHD itself rejects a malformed Content-Length. */
	return end != cl && v > max;
}

static void susp_link(http_server *s, http_req *r)
{
	r->srv = s;
	r->susp_prev = NULL;
	r->susp_next = s->susp_head;
	if (s->susp_head)
		s->susp_head->susp_prev = r;
	s->susp_head = r;
}

/* Takes r off its server's suspended list, if on it (MHD thread only). */
static void susp_unlink(http_req *r)
{
	http_server *s = r->srv;
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (r->susp_prev)
		r->susp_prev->susp_next = r->susp_next;
	else
		s->susp_head = r->susp_next;
	if (r->susp_next)
		r->susp_next->susp_prev = r->susp_prev;
	r->susp_prev = r->susp_next = NULL;
	r->srv = NULL;
	pthread_mutex_unlock(&s->mu);
}

/* Refuses a request the handler never saw: drops the application's ref. */
static enum MHD_Result refuse(http_server *s, http_req *r, unsigned status, const char *text)
{
	pthread_mutex_lock(&r->mu);
	r->phase = HH_DONE;
	pthread_mutex_unlock(&r->mu);
	hh_req_unref(r);
	return queue_text(s, r->conn, status, text);
}

/*
 * Queues the stored answer, or suspends the connection until http_respond
 * (or answers 503 if http_stop has begun). Called once the body is in.
 */
static enum MHD_Result answer_or_suspend(http_server *s, http_req *r)
{
	struct MHD_Response *resp;
	unsigned status;

	pthread_mutex_lock(&r->mu);
	if (r->resp) {
		resp = r->resp;
		status = r->status;
		r->resp = NULL;
		r->phase = HH_DONE;
		pthread_mutex_unlock(&r->mu);
		return queue(s, r->conn, status, resp);
	}
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		/* http_stop has swept the suspended list: answer now instead. */
		pthread_mutex_unlock(&s->mu);
		r->phase = HH_DONE;
		http_hijack_fn fn = r->hijack_fn;
		r->hijack_fn = NULL;
		pthread_mutex_unlock(&r->mu);
		if (fn) { /* the owner learns it gets nothing; its ref goes */
			fn(r->hijack_arg, NULL);
			hh_req_unref(r);
		}
		return queue_text(s, r->conn, 503, "Service Unavailable");
	}
	susp_link(s, r);
	pthread_mutex_unlock(&s->mu);
	MHD_suspend_connection(r->conn);
	r->phase = HH_SUSPENDED;
	bool hijack = r->hijack_fn != NULL;
	pthread_mutex_unlock(&r->mu);
	if (hijack) /* http_hijack: the owner takes the suspended connection */
		return hh_hijack_start(r);
	return MHD_YES;
}

/* Runs the route's handler (r is kept alive by the connection's ref). */
static void run_handler(http_server *s, http_req *r)
{
	pthread_mutex_lock(&r->mu);
	r->phase = HH_HANDLER;
	pthread_mutex_unlock(&r->mu);
	r->route->r.handler(s->app, r);
}

/*
 * Stream route, headers complete: the handler runs now. If it answered
 * without asking for the body, the answer goes out at once (MHD then drops
 * the body and closes); otherwise the body streams to its callback.
 */
static enum MHD_Result stream_start(http_server *s, http_req *r)
{
	run_handler(s, r);
	pthread_mutex_lock(&r->mu);
	if (r->resp && !r->body_fn) {
		struct MHD_Response *resp = r->resp;
		unsigned status = r->status;
		r->resp = NULL;
		r->phase = HH_DONE;
		pthread_mutex_unlock(&r->mu);
		return queue(s, r->conn, status, resp);
	}
	r->phase = HH_STREAMING;
	pthread_mutex_unlock(&r->mu);
	return MHD_YES;
}

/* Stream route, body complete: 413 if it was cut, else answer or wait. */
static enum MHD_Result stream_end(http_server *s, http_req *r)
{
	hh_stream_end(r);
	if (r->too_large) {
		/* The handler's answer, now or later, is dropped (phase DONE). */
		pthread_mutex_lock(&r->mu);
		if (r->resp) {
			MHD_destroy_response(r->resp);
			r->resp = NULL;
		}
		r->phase = HH_DONE;
		pthread_mutex_unlock(&r->mu);
		return queue_text(s, r->conn, 413, "Payload Too Large");
	}
	return answer_or_suspend(s, r);
}

/* Step 4: the connection was resumed by http_respond or http_stop. */
static enum MHD_Result resumed(http_server *s, http_req *r)
{
	struct MHD_Response *resp;
	unsigned status;

	susp_unlink(r);
	pthread_mutex_lock(&r->mu);
	if (r->hijack_fn) {
		/* A taken-over connection came back from its owner: close it. */
		r->phase = HH_DONE;
		pthread_mutex_unlock(&r->mu);
		return MHD_NO;
	}
	resp = r->resp;
	status = r->status;
	r->resp = NULL;
	r->phase = HH_DONE;
	pthread_mutex_unlock(&r->mu);
	if (!resp)
		return queue_text(s, r->conn, 503, "Service Unavailable");
	return queue(s, r->conn, status, resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version,
				 const char *upload_data, size_t *upload_data_size,
				 void **req_cls)
{
	struct hh_listener *l = cls;
	http_server *s = l->srv;
	http_req *r = *req_cls;
	enum hh_phase phase;

	if (!r) {
		const struct hh_route *route = find_route(s, method, url);
		if (!route)
			return queue_text(s, c, 404, "Not Found");
		if (length_exceeds(c, route->r.max_body))
			return queue_text(s, c, 413, "Payload Too Large");
		r = hh_req_new(l, c, method, url, route);
		*req_cls = r;
		if (route->stream)
			return stream_start(s, r);
		return MHD_YES;
	}

	if (*upload_data_size) {
		if (r->route->stream)
			hh_stream_chunk(r, upload_data, *upload_data_size);
		else
			hh_body_append(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	pthread_mutex_lock(&r->mu);
	phase = r->phase;
	pthread_mutex_unlock(&r->mu);
	switch (phase) {
	case HH_RECEIVING:
		if (r->too_large)
			return refuse(s, r, 413, "Payload Too Large");
		run_handler(s, r);
		return answer_or_suspend(s, r);
	case HH_STREAMING:
		return stream_end(s, r);
	case HH_RESUMING:
		return resumed(s, r);
	default:
		return MHD_NO; /* cannot happen: MHD calls us only when it waits */
	}
}

/* The connection is done (answered, failed, or daemon stopping). */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_req *r = *req_cls;
	if (!r)
		return;
	*req_cls = NULL;
	susp_unlink(r);
	pthread_mutex_lock(&r->mu);
	bool mid_stream = r->phase == HH_STREAMING;
	pthread_mutex_unlock(&r->mu);
	if (mid_stream) {
		/* The body stopped short: tell the handler (it may answer, dropped). */
		r->body_cut = true;
		hh_stream_end(r);
	}
	pthread_mutex_lock(&r->mu);
	if (mid_stream)
		r->phase = HH_DONE;
	bool app_never_had_it = r->phase == HH_RECEIVING;
	if (app_never_had_it)
		r->phase = HH_DONE;
	pthread_mutex_unlock(&r->mu);
	if (app_never_had_it) /* e.g. the client went away mid-upload */
		hh_req_unref(r);
	hh_req_unref(r);
}

/* Validates and copies one route table into out (strings duplicated). */
static int copy_routes(const http_route *routes, size_t n, bool stream, struct hh_route *out,
		       char **errmsg)
{
	for (size_t i = 0; i < n; i++) {
		const http_route *rt = &routes[i];
		if (!rt->method || !rt->prefix || !rt->handler) {
			*errmsg = hh_asprintf("%sroute %zu: method, prefix and handler are required",
					      stream ? "stream " : "", i);
			return -EINVAL;
		}
		out[i].r = *rt;
		out[i].r.method = hh_strdup(rt->method);
		out[i].r.prefix = hh_strdup(rt->prefix);
		out[i].stream = stream;
	}
	return 0;
}

static void free_routes(struct hh_route *routes, size_t n)
{
	for (size_t i = 0; routes && i < n; i++) {
		free((char *)routes[i].r.method);
		free((char *)routes[i].r.prefix);
	}
	free(routes);
}

/* Options common to both listeners; returns the count filled in opts. */
static size_t common_options(const http_config *cfg, struct hh_listener *l,
			     struct MHD_OptionItem *opts)
{
	size_t n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					     (intptr_t)on_completed, l };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					     (intptr_t)HH_CONN_MEMORY, NULL };
	if (cfg->conn_limit)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
						     (intptr_t)cfg->conn_limit, NULL };
	if (cfg->timeout_s)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
						     (intptr_t)cfg->timeout_s, NULL };
	if (cfg->threads > 1)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
						     (intptr_t)cfg->threads, NULL };
	return n;
}

/*
 * poll(), not epoll: with MHD 0.9.75's epoll mode a client closing in the
 * middle of an upload stays in CLOSE-WAIT until the idle timeout, while
 * poll() mode sees the EOF at once. Suspended connections leave the poll
 * set, so thousands of parked long-polls cost nothing per iteration.
 */
#define HH_BASE_FLAGS \
	(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME)

/* Starts the TCP listener (HTTPS when cfg->tls). */
static int start_tcp(http_server *s, const http_config *cfg, char **errmsg)
{
	struct MHD_OptionItem opts[16];
	struct sockaddr_storage ss;
	char *cert = NULL, *key = NULL;
	unsigned flags = HH_BASE_FLAGS;
	bool v6;
	int rc;

	rc = hh_parse_bind(cfg->bind_addr, cfg->port, &ss, &v6, errmsg);
	if (rc < 0)
		return rc;
	if (v6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;
		flags |= IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ? MHD_USE_DUAL_STACK
								  : MHD_USE_IPv6;
	}

	size_t n = common_options(cfg, &s->tcp, opts);
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
	if (cfg->per_ip_limit)
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
						     (intptr_t)cfg->per_ip_limit, NULL };
	if (cfg->tls) {
		char host[256] = "localhost";
		if (!cfg->cert_file || !cfg->key_file) {
			*errmsg = hh_strdup("tls needs cert_file and key_file");
			return -EINVAL;
		}
		if (gethostname(host, sizeof host - 1) != 0)
			strcpy(host, "localhost");
		rc = http_ensure_cert(cfg->cert_file, cfg->key_file, host, errmsg);
		if (rc < 0)
			return rc;
		rc = hh_read_file(cfg->cert_file, 1 << 20, &cert, errmsg);
		if (rc < 0)
			return rc;
		rc = hh_read_file(cfg->key_file, 1 << 20, &key, errmsg);
		if (rc < 0)
			goto out;
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	s->tcp.daemon = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_access, &s->tcp,
					 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->tcp.daemon) {
		rc = -EADDRNOTAVAIL;
		*errmsg = hh_asprintf("cannot listen on %s port %u%s",
				      cfg->bind_addr ? cfg->bind_addr : "*", cfg->port,
				      cfg->tls ? " (TLS)" : "");
		goto out;
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(s->tcp.daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->port;
	rc = 0;
out:
	/* MHD has loaded the certificate into GnuTLS during start. */
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	return rc;
}

/* Starts the unix-socket listener (plain HTTP, peers known by SO_PEERCRED). */
static int start_unix(http_server *s, const http_config *cfg, char **errmsg)
{
	struct MHD_OptionItem opts[16];
	int fd, rc;

	rc = hh_unix_listen(cfg->unix_path, &fd, errmsg);
	if (rc < 0)
		return rc;
	s->unix_path = hh_strdup(cfg->unix_path);

	size_t n = common_options(cfg, &s->unx, opts);
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	s->unx.daemon = MHD_start_daemon(HH_BASE_FLAGS, 0, NULL, NULL, on_access, &s->unx,
					 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!s->unx.daemon) {
		close(fd);
		unlink(s->unix_path);
		*errmsg = hh_asprintf("cannot serve the unix socket %s", cfg->unix_path);
		return -EIO;
	}
	return 0;
}

int http_start(const http_config *cfg, http_server **out, char **errmsg)
{
	http_server *s;
	int rc;

	*out = NULL;
	*errmsg = NULL;
	if (!cfg->port && !cfg->ephemeral_port && !cfg->unix_path) {
		*errmsg = hh_strdup("no listener configured");
		return -EINVAL;
	}

	s = hh_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->stopping, false);
	s->nroutes = cfg->nroutes + cfg->nstream_routes;
	s->routes = hh_calloc(s->nroutes, sizeof(*s->routes));
	rc = copy_routes(cfg->routes, cfg->nroutes, false, s->routes, errmsg);
	if (rc == 0)
		rc = copy_routes(cfg->stream_routes, cfg->nstream_routes, true,
				 s->routes + cfg->nroutes, errmsg);
	if (rc < 0)
		goto err_stop;
	s->app = cfg->app;
	s->tcp = (struct hh_listener){ .srv = s, .is_unix = false };
	s->unx = (struct hh_listener){ .srv = s, .is_unix = true };

	if (cfg->port || cfg->ephemeral_port) {
		rc = start_tcp(s, cfg, errmsg);
		if (rc < 0)
			goto err_stop;
	}
	if (cfg->unix_path) {
		rc = start_unix(s, cfg, errmsg);
		if (rc < 0)
			goto err_stop;
	}
	*out = s;
	return 0;

err_stop:
	http_stop(s);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static unsigned live_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di;
	if (!d)
		return 0;
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di ? di->num_connections : 0;
}

/* Stops accepting on l and returns the listening fd, which we now own. */
static void quiesce(struct hh_listener *l)
{
	if (!l->daemon)
		return;
	MHD_socket fd = MHD_quiesce_daemon(l->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

/*
 * Stops the server: no new connections; suspended requests are answered
 * 503 (their handlers' later http_respond only frees); in-flight responses
 * get up to HH_STOP_GRACE_MS to drain; then everything is closed.
 */
http_server *http_stop(http_server *s)
{
	http_req **snap = NULL;
	size_t n = 0;

	if (!s)
		return NULL;
	quiesce(&s->tcp);
	quiesce(&s->unx);

	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stopping, true);
	for (http_req *r = s->susp_head; r; r = r->susp_next)
		n++;
	snap = hh_calloc(n, sizeof(*snap));
	n = 0;
	for (http_req *r = s->susp_head; r; r = r->susp_next) {
		atomic_fetch_add(&r->refs, 1);
		snap[n++] = r;
	}
	pthread_mutex_unlock(&s->mu);

	for (size_t i = 0; i < n; i++) {
		http_req *r = snap[i];
		pthread_mutex_lock(&r->mu);
		bool hijacked = r->hijack_fn != NULL;
		pthread_mutex_unlock(&r->mu);
		if (hijacked) {
			/* Its owner sees EOF and closes it (within the grace). */
			hh_hijack_shutdown(r);
			hh_req_unref(r);
			continue;
		}
		pthread_mutex_lock(&r->mu);
		if (r->phase == HH_SUSPENDED) {
			r->phase = HH_RESUMING;
			MHD_resume_connection(r->conn);
		}
		pthread_mutex_unlock(&r->mu);
		hh_req_unref(r);
	}
	free(snap);

	for (long waited = 0; waited < HH_STOP_GRACE_MS; waited += 10) {
		if (!live_connections(s->tcp.daemon) && !live_connections(s->unx.daemon))
			break;
		sleep_ms(10);
	}
	if (s->tcp.daemon)
		MHD_stop_daemon(s->tcp.daemon);
	if (s->unx.daemon)
		MHD_stop_daemon(s->unx.daemon);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	free_routes(s->routes, s->nroutes);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

uint16_t http_port(const http_server *s)
{
	return s ? s->port : 0;
}
