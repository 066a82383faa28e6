/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests: creation from an MHD connection (everything copied out),
 * reference counting, accessors, and http_respond().
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

void *hh_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *hh_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *hh_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

char *hh_strdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

char *hh_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

/* Collects every header, query argument and cookie of the connection. */
struct kv_collect {
	struct hh_kv *kv;
	size_t n, cap;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	struct kv_collect *kc = cls;
	if (kc->n == kc->cap) {
		kc->cap = kc->cap ? kc->cap * 2 : 16;
		kc->kv = hh_realloc(kc->kv, kc->cap * sizeof(*kc->kv));
	}
	/* key and value in one block: "key\0value\0" */
	char *blk = hh_malloc(key_size + value_size + 2);
	memcpy(blk, key, key_size);
	blk[key_size] = '\0';
	if (value)
		memcpy(blk + key_size + 1, value, value_size);
	else
		value_size = 0;
	blk[key_size + 1 + value_size] = '\0';
	kc->kv[kc->n++] = (struct hh_kv){ .kind = kind, .key = blk, .value = blk + key_size + 1 };
	return MHD_YES;
}

/* The peer as text: dotted IPv4 (also for v4-mapped v6), IPv6, or "unix". */
static char *peer_text(const struct sockaddr *sa, bool is_unix)
{
	char buf[INET6_ADDRSTRLEN];
	if (is_unix || !sa)
		return hh_strdup("unix");
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf))
			return hh_strdup(buf);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf))
				return hh_strdup(buf);
		} else if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf)) {
			return hh_strdup(buf);
		}
	} else if (sa->sa_family == AF_UNIX) {
		return hh_strdup("unix");
	}
	return hh_strdup("unknown");
}

/* The uid of a unix-socket peer, or (uid_t)-1 when unknown. */
static uid_t peer_uid(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof cred)
		return (uid_t)-1;
	return cred.uid;
}

/*
 * Creates the request for a connection whose headers are complete, with
 * two references (connection + application). url is MHD's decoded path.
 */
http_req *hh_req_new(struct hh_listener *l, struct MHD_Connection *c, const char *method,
		     const char *url, const struct hh_route *route)
{
	http_req *r = hh_calloc(1, sizeof(*r));
	atomic_init(&r->refs, 2);
	pthread_mutex_init(&r->mu, NULL);
	r->phase = HH_RECEIVING;
	r->conn = c;
	r->route = route;
	r->method = hh_strdup(method);
	r->path = hh_strdup(url);
	r->is_unix = l->is_unix;
	r->uid = l->is_unix ? peer_uid(c) : (uid_t)-1;

	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	r->peer = peer_text(ci ? ci->client_addr : NULL, l->is_unix);

	struct kv_collect kc = { 0 };
	MHD_get_connection_values_n(c, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND | MHD_COOKIE_KIND,
				    collect_kv, &kc);
	r->kv = kc.kv;
	r->nkv = kc.n;
	return r;
}

static void req_free(http_req *r)
{
	for (size_t i = 0; i < r->nkv; i++)
		free((char *)r->kv[i].key);
	free(r->kv);
	free(r->method);
	free(r->path);
	free(r->peer);
	free(r->body);
	if (r->resp)
		MHD_destroy_response(r->resp);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Drops one reference; the last one frees the request. Accepts NULL. */
void hh_req_unref(http_req *r)
{
	if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		req_free(r);
}

/*
 * Appends upload data, never holding more than the route's max_body bytes:
 * beyond it the request is marked too large and the data is discarded.
 * Returns false once the request is too large.
 */
bool hh_body_append(http_req *r, const char *data, size_t len)
{
	size_t max = r->route->r.max_body;
	if (r->too_large)
		return false;
	if (len > max - r->body_len) {
		r->too_large = true;
		free(r->body);
		r->body = NULL;
		r->body_len = r->body_cap = 0;
		return false;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + len + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		r->body = hh_realloc(r->body, cap);
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return true;
}

/* Adds Content-Type (verbatim) and the extra headers; false if MHD refuses one. */
static bool add_headers(struct MHD_Response *resp, const char *content_type,
			const char *const *extra_headers)
{
	if (content_type &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES)
		return false;
	for (size_t i = 0; extra_headers && extra_headers[i] && extra_headers[i + 1]; i += 2)
		if (MHD_add_response_header(resp, extra_headers[i], extra_headers[i + 1]) !=
		    MHD_YES)
			return false;
	return true;
}

/*
 * Builds an MHD response; takes body (malloc'd). Content-Type is set
 * verbatim; MHD adds Content-Length. Returns NULL if MHD refuses a header.
 */
struct MHD_Response *hh_make_response(int status, const char *content_type, char *body,
				      size_t len, const char *const *extra_headers)
{
	struct MHD_Response *resp;
	(void)status;
	if (body)
		resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return NULL;
	}
	if (!add_headers(resp, content_type, extra_headers)) {
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

/* A short text/plain response (404, 413, 503 …). */
struct MHD_Response *hh_text_response(int status, const char *text)
{
	char *body = hh_asprintf("%d %s\n", status, text);
	return hh_make_response(status, "text/plain", body, strlen(body), NULL);
}

/*
 * Stores the answer to r (resp NULL: MHD refused it, answer 500) and
 * releases the application's reference. See the phases in http_internal.h.
 */
static void store_response(http_req *r, int status, struct MHD_Response *resp)
{
	if (!resp || status < 100 || status > 999) {
		if (resp)
			MHD_destroy_response(resp);
		status = 500;
		resp = hh_text_response(500, "Internal Server Error");
	}

	pthread_mutex_lock(&r->mu);
	switch (r->phase) {
	case HH_HANDLER:
	case HH_STREAMING:
		/* The MHD thread queues it when the handler returns / the body is in. */
		r->resp = resp;
		r->status = (unsigned)status;
		break;
	case HH_SUSPENDED:
		/*
		 * The connection stays suspended (so MHD cannot free it) until
		 * this resume, made under r->mu so that http_stop, which
		 * resumes under the same lock, never resumes it twice.
		 */
		r->resp = resp;
		r->status = (unsigned)status;
		r->phase = HH_RESUMING;
		MHD_resume_connection(r->conn);
		break;
	default:
		/* Refused (413), aborted by http_stop, or answered twice: drop it. */
		MHD_destroy_response(resp);
		break;
	}
	pthread_mutex_unlock(&r->mu);
	hh_req_unref(r);
}

void http_respond(http_req *r, int status, const char *content_type, char *body, size_t len,
		  const char *const *extra_headers)
{
	store_response(r, status, hh_make_response(status, content_type, body, len,
						   extra_headers));
}

/* Adapts http_read_fn to MHD's content reader. */
struct stream_src {
	http_read_fn read;
	void (*free_fn)(void *cls);
	void *cls;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_src *src = cls;
	ssize_t n = src->read(src->cls, pos, buf, max);
	if (n > 0)
		return n;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream_src *src = cls;
	if (src->free_fn)
		src->free_fn(src->cls);
	free(src);
}

void http_respond_stream(http_req *r, int status, const char *content_type, uint64_t size,
			 http_read_fn read, void (*free_fn)(void *cls), void *cls,
			 const char *const *extra_headers)
{
	struct stream_src *src = hh_malloc(sizeof(*src));
	*src = (struct stream_src){ read, free_fn, cls };
	struct MHD_Response *resp = MHD_create_response_from_callback(
		size == HTTP_SIZE_UNKNOWN ? MHD_SIZE_UNKNOWN : size, 64 * 1024, stream_read, src,
		stream_free);
	if (!resp)
		stream_free(src);
	else if (!add_headers(resp, content_type, extra_headers)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	store_response(r, status, resp);
}

void http_recv_body(http_req *r, http_body_fn fn, void *cls)
{
	r->body_fn = fn;
	r->body_cls = cls;
}

bool http_body_cut(const http_req *r)
{
	return r->body_cut;
}

/* A chunk of a stream route's body: counted against max_body, then to fn. */
void hh_stream_chunk(http_req *r, const char *data, size_t len)
{
	if (r->too_large)
		return;
	if (len > r->route->r.max_body - r->body_len) {
		r->too_large = true;
		r->body_cut = true;
		return;
	}
	r->body_len += len;
	if (r->body_fn && !r->body_failed && r->body_fn(r->body_cls, data, len) < 0)
		r->body_failed = true;
}

/* The end of a stream route's body (also after a cut or a failure). */
void hh_stream_end(http_req *r)
{
	if (r->body_fn && !r->body_failed)
		r->body_fn(r->body_cls, NULL, 0);
	r->body_fn = NULL;
}

const char *http_method(const http_req *r)
{
	return r->method;
}

const char *http_path(const http_req *r)
{
	return r->path;
}

static const char *find_kv(const http_req *r, enum MHD_ValueKind kind, const char *name,
			   bool nocase)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < r->nkv; i++) {
		const struct hh_kv *kv = &r->kv[i];
		if (kv->kind == kind &&
		    (nocase ? strcasecmp(kv->key, name) : strcmp(kv->key, name)) == 0)
			return kv->value;
	}
	return NULL;
}

const char *http_query(const http_req *r, const char *name)
{
	return find_kv(r, MHD_GET_ARGUMENT_KIND, name, false);
}

const char *http_header(const http_req *r, const char *name)
{
	return find_kv(r, MHD_HEADER_KIND, name, true);
}

const char *http_cookie(const http_req *r, const char *name)
{
	return find_kv(r, MHD_COOKIE_KIND, name, false);
}

const char *http_body(const http_req *r, size_t *len)
{
	if (len)
		*len = r->body ? r->body_len : 0; /* stream routes keep no body */
	return r->body ? r->body : "";
}

bool http_is_unix(const http_req *r)
{
	return r->is_unix;
}

uid_t http_peer_uid(const http_req *r)
{
	return r->uid;
}

const char *http_peer_addr(const http_req *r)
{
	return r->peer;
}
