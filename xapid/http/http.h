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
	const char *unix_path;   /* NULL: no unix socket. Created mode 0600, owned
				    by the daemon's euid (root): every peer there is
				    trusted as local root, so only root may connect.
				    A stale socket at the path is replaced. */
	unsigned threads;        /* worker threads per listener (handlers run there) */
	unsigned conn_limit;     /* max simultaneous connections */
	unsigned per_ip_limit;   /* max connections per client address */
	unsigned timeout_s;      /* idle/read timeout per connection */
	const http_route *routes;
	size_t nroutes;
	void *app;               /* passed to every handler */
	bool ephemeral_port;     /* with port 0: listen on a port the kernel picks
				    (tests; read it back with http_port()) */
	const http_route *stream_routes; /* routed like routes (one table), but */
	size_t nstream_routes;           /* streamed: see http_recv_body() */
} http_config;

/* Starts listening; returns 0 or negative errno with *errmsg (heap). */
int http_start(const http_config *cfg, http_server **out, char **errmsg);
/*
 * Stops accepting, answers suspended requests 503 (a later http_respond on
 * them only frees), gives in-flight responses up to 2 s, frees. Accepts
 * NULL; returns NULL.
 */
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

/*
 * Request accessors (valid until http_respond(); copied out of the
 * connection, so safe even after the client has gone). http_path is
 * percent-decoded; a bare "?flag" reads as "".
 */
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

/*
 * Streaming (bounded memory), for uploads and downloads of any size.
 *
 * Upload: on a route from cfg->stream_routes the handler runs as soon as
 * the headers are complete, before any body byte. To read the body it
 * calls http_recv_body() before returning; fn then gets each chunk as it
 * arrives (on the listener's thread: fn must not block for long), then
 * one call with data NULL, len 0 at the end. fn returns 0 to go on, or a
 * negative value to discard the rest. max_body still applies (SIZE_MAX for
 * none); a chunked body beyond it is cut, fn sees the end, and the client
 * gets 413 whatever the handler answers. The handler answers with
 * http_respond() or http_respond_stream() at any time, exactly once; the
 * answer goes out once the body is in. A handler that answers without
 * calling http_recv_body() refuses the body: the answer goes out at once
 * and the connection is closed after it.
 */
typedef int (*http_body_fn)(void *cls, const char *data, size_t len);
void http_recv_body(http_req *r, http_body_fn fn, void *cls);
/*
 * In the end call: true if the body was cut short (the client went away,
 * or it passed max_body) rather than complete. After a client went away
 * the handler's answer is dropped, but it must still answer.
 */
bool http_body_cut(const http_req *r);

/*
 * Download: answers with a body produced by read(cls, pos, buf, max),
 * which fills buf with up to max bytes at offset pos and returns the count
 * (> 0), 0 at the end, or -1 on error (the connection is then closed). It
 * runs on the listener's thread and may block briefly. size is the total
 * length (Content-Length) or HTTP_SIZE_UNKNOWN (chunked on HTTP/1.1).
 * free_fn(cls), if not NULL, runs once the response is done with (also
 * when it is never sent). Otherwise as http_respond().
 */
#define HTTP_SIZE_UNKNOWN UINT64_MAX
typedef ssize_t (*http_read_fn)(void *cls, uint64_t pos, char *buf, size_t max);
void http_respond_stream(http_req *r, int status, const char *content_type, uint64_t size,
			 http_read_fn read, void (*free_fn)(void *cls), void *cls,
			 const char *const *extra_headers);

/*
 * Taking a connection over (CONNECT /console, XAPI's raw tunnels). A
 * handler on a plain (non-stream) route that calls http_hijack() instead
 * of answering gets the connection itself once the handler returns: MHD
 * sends nothing (the owner writes its own status line), the connection is
 * suspended in MHD and fn(arg, s) is called once, on the listener's
 * thread (fn must not block; s is NULL when the server is stopping and
 * the connection was refused). The owner then reads and writes the socket
 * through s (TLS handled) from any one thread at a time, and ends with
 * http_stream_close(), exactly once, after which MHD closes the socket.
 * http_stop shuts the socket down (reads see EOF) and waits up to its
 * grace period for the owners to close.
 */
typedef struct http_stream http_stream;
typedef void (*http_hijack_fn)(void *arg, http_stream *s);
void http_hijack(http_req *r, http_hijack_fn fn, void *arg);
/* The socket to poll (non-blocking). */
int http_stream_fd(const http_stream *s);
/* True when bytes already decrypted wait inside TLS (read without poll). */
bool http_stream_pending(http_stream *s);
/* > 0 bytes, 0 at EOF, HTTP_STREAM_AGAIN, or -1 on error. */
#define HTTP_STREAM_AGAIN (-2)
ssize_t http_stream_read(http_stream *s, void *buf, size_t n);
/* > 0 bytes taken, HTTP_STREAM_AGAIN (poll for POLLOUT) or -1. With TLS
 * a call that returned AGAIN must be repeated with the same bytes. */
ssize_t http_stream_write(http_stream *s, const void *buf, size_t n);
/* The request the stream came from (its query, headers, peer). */
const http_req *http_stream_req(const http_stream *s);
/* Ends the stream: closes the connection and frees s. */
void http_stream_close(http_stream *s);

/* Every value of a repeated query argument: fills up to max, returns the count. */
size_t http_query_all(const http_req *r, const char *name, const char **out, size_t max);

#endif
