/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connections taken over from libmicrohttpd (http_hijack).
 *
 * MHD 0.9.75 only hands a socket over after a "101 Switching Protocols"
 * answer, while XAPI's CONNECT /console answers "200 OK" and then carries
 * raw bytes. So the connection is suspended in MHD (which then neither
 * polls nor times it out nor touches its TLS session) and its socket and
 * GnuTLS session are driven from the owner's thread; MHD never writes a
 * response. The TLS session's transport callbacks are replaced by plain
 * recv/send on the descriptor (MHD's own ones assume its thread). When
 * the owner closes the stream the connection is resumed and the access
 * callback refuses it (MHD_NO), so MHD closes the socket and frees the
 * session as for any connection.
 */
#include "http_internal.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <string.h>

struct http_stream {
	http_req *r;
	int fd;
	gnutls_session_t tls; /* NULL on plain HTTP */
};

void http_hijack(http_req *r, http_hijack_fn fn, void *arg)
{
	pthread_mutex_lock(&r->mu);
	r->hijack_fn = fn;
	r->hijack_arg = arg;
	pthread_mutex_unlock(&r->mu);
}

static ssize_t fd_pull(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	ssize_t k;
	do
		k = recv((int)(intptr_t)p, buf, n, 0);
	while (k < 0 && errno == EINTR);
	return k;
}

static ssize_t fd_push(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	ssize_t k;
	do
		k = send((int)(intptr_t)p, buf, n, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	return k;
}

enum MHD_Result hh_hijack_start(http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	http_stream *s = hh_calloc(1, sizeof(*s));
	s->r = r;
	s->fd = ci ? ci->connect_fd : -1;
	if (!r->is_unix) {
		ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		s->tls = ci ? (gnutls_session_t)ci->tls_session : NULL;
	}
	if (s->tls) {
		gnutls_transport_set_int(s->tls, s->fd);
		gnutls_transport_set_pull_function(s->tls, fd_pull);
		gnutls_transport_set_push_function(s->tls, fd_push);
	}
	pthread_mutex_lock(&r->mu);
	r->stream = s;
	http_hijack_fn fn = r->hijack_fn;
	void *arg = r->hijack_arg;
	pthread_mutex_unlock(&r->mu);
	/* The application's reference now belongs to the stream. */
	fn(arg, s);
	return MHD_YES;
}

void hh_hijack_shutdown(http_req *r)
{
	pthread_mutex_lock(&r->mu);
	if (r->stream && r->stream->fd >= 0)
		shutdown(r->stream->fd, SHUT_RDWR);
	pthread_mutex_unlock(&r->mu);
}

int http_stream_fd(const http_stream *s)
{
	return s->fd;
}

const http_req *http_stream_req(const http_stream *s)
{
	return s->r;
}

bool http_stream_pending(http_stream *s)
{
	return s->tls && gnutls_record_check_pending(s->tls) > 0;
}

ssize_t http_stream_read(http_stream *s, void *buf, size_t n)
{
	if (s->fd < 0)
		return -1;
	if (!s->tls) {
		ssize_t k;
		do
			k = recv(s->fd, buf, n, 0);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? HTTP_STREAM_AGAIN : -1;
		return k;
	}
	for (;;) {
		ssize_t k = gnutls_record_recv(s->tls, buf, n);
		if (k >= 0)
			return k;
		if (k == GNUTLS_E_INTERRUPTED)
			continue;
		if (k == GNUTLS_E_AGAIN)
			return HTTP_STREAM_AGAIN;
		/* A client that drops the socket without close_notify is at EOF. */
		if (k == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		return -1;
	}
}

ssize_t http_stream_write(http_stream *s, const void *buf, size_t n)
{
	if (s->fd < 0)
		return -1;
	if (!s->tls) {
		ssize_t k = fd_push((gnutls_transport_ptr_t)(intptr_t)s->fd, buf, n);
		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? HTTP_STREAM_AGAIN : -1;
		return k;
	}
	for (;;) {
		ssize_t k = gnutls_record_send(s->tls, buf, n);
		if (k >= 0)
			return k;
		if (k == GNUTLS_E_INTERRUPTED)
			continue;
		return k == GNUTLS_E_AGAIN ? HTTP_STREAM_AGAIN : -1;
	}
}

void http_stream_close(http_stream *s)
{
	if (!s)
		return;
	http_req *r = s->r;
	if (s->tls)
		gnutls_bye(s->tls, GNUTLS_SHUT_WR); /* best effort, non-blocking */
	pthread_mutex_lock(&r->mu);
	r->stream = NULL;
	if (r->phase == HH_SUSPENDED) {
		r->phase = HH_RESUMING;
		MHD_resume_connection(r->conn);
	}
	pthread_mutex_unlock(&r->mu);
	free(s);
	hh_req_unref(r);
}

size_t http_query_all(const http_req *r, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; name && i < r->nkv && n < max; i++)
		if (r->kv[i].kind == MHD_GET_ARGUMENT_KIND && !strcmp(r->kv[i].key, name))
			out[n++] = r->kv[i].value;
	return n;
}
