/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP transport of xapid (libmicrohttpd): HTTPS on a TCP port (GnuTLS)
 * and plain HTTP on a unix socket whose peers are identified by
 * SO_PEERCRED. Routes are matched by method and longest path prefix, as
 * XAPI does. A request is handed to its route once the body is complete
 * (bodies are capped per route); the handler answers with http_respond(),
 * either before it returns or later from any thread (the connection is
 * suspended meanwhile, holding no thread: this is how event.from long-polls).
 */
#ifndef HALYARD_HTTP_H
#define HALYARD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct http_server http_server;
typedef struct http_req http_req;

typedef void (*http_handler)(void *app, http_req *r);

typedef struct http_route {
	const char *method;  /* "POST", "GET", "PUT", "OPTIONS", "CONNECT" or "*" */
	const char *prefix;  /* "/" matches everything; longest prefix wins */
	size_t max_body;     /* bytes; a larger body gets 413 before the handler */
	http_handler handler;
} http_route;

typedef struct http_config {
	const char *bind_addr;   /* "0.0.0.0", "127.0.0.1", "::" … NULL: any */
	uint16_t port;           /* 0: no TCP listener */
	bool tls;                /* HTTPS on the TCP port */
	const char *cert_file;   /* PEM; generated self-signed when missing */
	const char *key_file;
	const char *unix_path;   /* NULL: no unix socket */
	unsigned threads;        /* worker threads for request handling */
	unsigned conn_limit;     /* max simultaneous connections */
	unsigned per_ip_limit;   /* max connections per client address */
	unsigned timeout_s;      /* idle/read timeout per connection */
	const http_route *routes;
	size_t nroutes;
	void *app;               /* passed to every handler */
	bool ephemeral_port;     /* with port 0: listen on a port the kernel picks
				    (tests; read it back with http_port()) */
} http_config;

/* Starts listening; returns 0 or negative errno with *errmsg (heap). */
int http_start(const http_config *cfg, http_server **out, char **errmsg);
/* Stops accepting, finishes in-flight responses, frees. Accepts NULL. */
http_server *http_stop(http_server *s);
/* The TCP port actually bound (useful with port 0 … see http_config). */
uint16_t http_port(const http_server *s);

/*
 * Ensures a PEM certificate and key exist at the given paths, generating a
 * self-signed RSA/ECDSA pair for hostname (and its addresses) with GnuTLS
 * when they do not. Returns 0 or negative errno with *errmsg.
 */
int http_ensure_cert(const char *cert_file, const char *key_file, const char *hostname,
		     char **errmsg);

/* Request accessors (valid until http_respond()). */
const char *http_method(const http_req *r);
const char *http_path(const http_req *r);          /* without the query */
const char *http_query(const http_req *r, const char *name); /* decoded, or NULL */
const char *http_header(const http_req *r, const char *name); /* case-insensitive */
const char *http_cookie(const http_req *r, const char *name);
const char *http_body(const http_req *r, size_t *len); /* NUL-terminated, "" if none */
bool http_is_unix(const http_req *r);
uid_t http_peer_uid(const http_req *r);        /* unix socket peers only */
const char *http_peer_addr(const http_req *r); /* "127.0.0.1", "unix" … */

/*
 * Answers the request and releases r. Takes body (malloc'd, may be NULL).
 * extra_headers: NULL or a NULL-terminated list of "Name", "value" pairs.
 * May be called from any thread, exactly once per request.
 */
void http_respond(http_req *r, int status, const char *content_type, char *body, size_t len,
		  const char *const *extra_headers);

#endif
