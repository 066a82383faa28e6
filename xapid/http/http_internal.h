/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to xapid/http: the server and request structures shared by
 * server.c (listeners, MHD callbacks, routing), request.c (request
 * lifetime, accessors, http_respond) and listen.c (sockets).
 */
#ifndef HALYARD_HTTP_INTERNAL_H
#define HALYARD_HTTP_INTERNAL_H

#include "http.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Allocation failure aborts, as everywhere in Halyard (hx_oom()). */
void *hh_malloc(size_t n);
void *hh_calloc(size_t n, size_t size);
void *hh_realloc(void *p, size_t n);
char *hh_strdup(const char *s);
char *hh_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Header block limit per connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT). */
#define HH_CONN_MEMORY (64u * 1024u)

/* A request's position in its life (guarded by http_req.mu). */
enum hh_phase {
	HH_RECEIVING, /* headers seen, body arriving */
	HH_HANDLER,   /* the handler is running in the MHD thread */
	HH_STREAMING, /* stream route: handler returned, body arriving */
	HH_SUSPENDED, /* the handler returned without answering */
	HH_RESUMING,  /* resumed (answered, or aborted by http_stop) */
	HH_DONE,      /* a response was queued or the request was refused */
};

struct hh_kv {
	enum MHD_ValueKind kind;
	const char *key;
	const char *value; /* "" for a bare "?flag" */
};

/* A route as stored: a copy of the caller's, plus how its body is taken. */
struct hh_route {
	http_route r;
	bool stream; /* from cfg->stream_routes */
};

/* One listener: the MHD daemon and what its callbacks need. */
struct hh_listener {
	struct http_server *srv;
	struct MHD_Daemon *daemon;
	bool is_unix;
};

struct http_server {
	struct hh_listener tcp;
	struct hh_listener unx;
	char *unix_path; /* unlinked by http_stop */
	uint16_t port;
	struct hh_route *routes; /* deep copy of routes + stream_routes */
	size_t nroutes;
	void *app;

	pthread_mutex_t mu; /* guards stopping and the suspended list */
	atomic_bool stopping; /* read without mu by queue() */
	struct http_req *susp_head;
};

/*
 * A request. Two references: one for the MHD connection (dropped in the
 * completion callback) and one for the application (dropped by
 * http_respond). Everything the accessors return is copied out of MHD at
 * the start, so an accessor never touches a connection that MHD may have
 * closed meanwhile (http_stop).
 */
struct http_req {
	atomic_int refs;
	pthread_mutex_t mu;
	enum hh_phase phase;
	struct MHD_Connection *conn;
	const struct hh_route *route;
	struct http_server *srv; /* only while on the suspended list */
	struct http_req *susp_prev, *susp_next;

	/* Request data (immutable once the handler runs). */
	char *method;
	char *path;
	struct hh_kv *kv;
	size_t nkv;
	char *peer;
	bool is_unix;
	uid_t uid;

	/* Body: bounded by route->max_body; too_large discards the rest. */
	char *body;
	size_t body_len, body_cap;
	bool too_large;
	/* Stream routes: the body goes to body_fn instead (body_len counts). */
	http_body_fn body_fn;
	void *body_cls;
	bool body_failed;
	bool body_cut;

	/* The stored response (set by http_respond, queued by the MHD thread). */
	struct MHD_Response *resp;
	unsigned status;

	/* http_hijack: the owner's callback; set once the stream exists. */
	http_hijack_fn hijack_fn;
	void *hijack_arg;
	struct http_stream *stream;
};

/* request.c */
http_req *hh_req_new(struct hh_listener *l, struct MHD_Connection *c, const char *method,
		     const char *url, const struct hh_route *route);
void hh_req_unref(http_req *r);
bool hh_body_append(http_req *r, const char *data, size_t len);
struct MHD_Response *hh_make_response(int status, const char *content_type, char *body,
				      size_t len, const char *const *extra_headers);
void hh_stream_chunk(http_req *r, const char *data, size_t len);
void hh_stream_end(http_req *r);
struct MHD_Response *hh_text_response(int status, const char *text);

/* hijack.c */
/* Suspends r's connection and hands it to its owner (MHD thread, r->mu held
 * by nobody). Returns MHD_YES. */
enum MHD_Result hh_hijack_start(http_req *r);
/* http_stop: makes a hijacked stream's socket read EOF. */
void hh_hijack_shutdown(http_req *r);

/* listen.c */
int hh_unix_listen(const char *path, int *fd_out, char **errmsg);
int hh_parse_bind(const char *addr, uint16_t port, struct sockaddr_storage *ss, bool *is_v6,
		  char **errmsg);
int hh_read_file(const char *path, size_t max, char **out, char **errmsg);

#endif
