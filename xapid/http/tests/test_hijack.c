/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid/http: connections taken over with http_hijack (CONNECT tunnels).
 * Over plain TCP, the unix socket and TLS (a GnuTLS client): the owner
 * writes its own "HTTP/1.1 200 OK", then echoes upper-cased bytes both
 * ways; the client closing ends the stream; many tunnels in sequence leak
 * no descriptor; ordinary requests still work on the same server; a
 * handler that refuses answers normally; http_stop with a tunnel open
 * makes its owner see EOF and returns.
 */
#include "harness.h"
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static atomic_int owners_done;

/* The owner: greets, then echoes upper-cased until EOF, then closes. */
static void *owner(void *arg)
{
	http_stream *s = arg;
	const char *hello = "HTTP/1.1 200 OK\r\n\r\n";
	size_t off = 0, len = strlen(hello);
	char buf[4096];
	while (off < len) {
		ssize_t k = http_stream_write(s, hello + off, len - off);
		if (k == HTTP_STREAM_AGAIN) {
			struct pollfd p = { http_stream_fd(s), POLLOUT, 0 };
			poll(&p, 1, 1000);
			continue;
		}
		if (k < 0)
			goto out;
		off += (size_t)k;
	}
	for (;;) {
		if (!http_stream_pending(s)) {
			struct pollfd p = { http_stream_fd(s), POLLIN, 0 };
			poll(&p, 1, 1000);
		}
		ssize_t k = http_stream_read(s, buf, sizeof buf);
		if (k == HTTP_STREAM_AGAIN)
			continue;
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		for (ssize_t o = 0; o < k;) {
			ssize_t w = http_stream_write(s, buf + o, (size_t)(k - o));
			if (w == HTTP_STREAM_AGAIN) {
				struct pollfd p = { http_stream_fd(s), POLLOUT, 0 };
				poll(&p, 1, 1000);
				continue;
			}
			if (w < 0)
				goto out;
			o += w;
		}
	}
out:
	atomic_fetch_add(&owners_done, 1);
	http_stream_close(s);
	return NULL;
}

static void take(void *arg, http_stream *s)
{
	(void)arg;
	if (!s)
		return;
	pthread_t t;
	pthread_create(&t, NULL, owner, s);
	pthread_detach(t);
}

static void h_tunnel(void *app, http_req *r)
{
	(void)app;
	if (http_query(r, "refuse")) {
		char *b = strdup("no");
		http_respond(r, 403, "text/plain", b, 2, NULL);
		return;
	}
	http_hijack(r, take, NULL);
}

static void h_ping(void *app, http_req *r)
{
	(void)app;
	char *b = strdup("pong");
	http_respond(r, 200, "text/plain", b, 4, NULL);
}

static const http_route routes[] = {
	{ "CONNECT", "/tunnel", 0, h_tunnel },
	{ "GET", "/ping", 0, h_ping },
};

/* A client connection: plain socket or TLS on it. */
typedef struct cl {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
} cl;

static bool cl_send(cl *c, const char *s, size_t n)
{
	while (n) {
		ssize_t k = c->tls ? gnutls_record_send(c->tls, s, n) : send(c->fd, s, n, MSG_NOSIGNAL);
		if (k <= 0)
			return false;
		s += k;
		n -= (size_t)k;
	}
	return true;
}

/* Reads until want is in buf (or EOF); returns the length. */
static size_t cl_recv_until(cl *c, char *buf, size_t cap, const char *want)
{
	size_t len = 0;
	buf[0] = 0;
	while (len + 1 < cap && !strstr(buf, want)) {
		ssize_t k = c->tls ? gnutls_record_recv(c->tls, buf + len, cap - 1 - len) :
				     recv(c->fd, buf + len, cap - 1 - len, 0);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = 0;
	}
	return len;
}

static bool cl_open(cl *c, uint16_t port, const char *unix_path, bool tls)
{
	memset(c, 0, sizeof *c);
	if (unix_path) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", unix_path);
		c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof sun))
			return false;
	} else {
		struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };
		inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c->fd, (struct sockaddr *)&in, sizeof in))
			return false;
	}
	if (!tls)
		return true;
	gnutls_certificate_allocate_credentials(&c->cred);
	gnutls_init(&c->tls, GNUTLS_CLIENT);
	gnutls_set_default_priority(c->tls);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
	gnutls_transport_set_int(c->tls, c->fd);
	int rc;
	do
		rc = gnutls_handshake(c->tls);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	return rc >= 0;
}

static void cl_close(cl *c)
{
	if (c->tls) {
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
		gnutls_certificate_free_credentials(c->cred);
	}
	if (c->fd >= 0)
		close(c->fd);
}

/* One tunnel: CONNECT, 200, an echo; true when all went as expected. */
static bool one_tunnel(uint16_t port, const char *unix_path, bool tls, const char *word)
{
	cl c;
	char buf[4096], want[64];
	bool ok = cl_open(&c, port, unix_path, tls);
	const char *req = "CONNECT /tunnel?x=1 HTTP/1.0\r\n\r\n";
	ok = ok && cl_send(&c, req, strlen(req));
	ok = ok && cl_recv_until(&c, buf, sizeof buf, "\r\n\r\n") &&
	     !strncmp(buf, "HTTP/1.1 200 OK\r\n\r\n", 19) && strlen(buf) == 19;
	ok = ok && cl_send(&c, word, strlen(word));
	for (size_t i = 0; i <= strlen(word); i++)
		want[i] = (char)toupper((unsigned char)word[i]);
	ok = ok && cl_recv_until(&c, buf, sizeof buf, want) && !strcmp(buf, want);
	cl_close(&c);
	return ok;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void wait_owners(int n)
{
	/* The owners end as soon as they see EOF; no wall-clock bound. */
	while (atomic_load(&owners_done) < n)
		usleep(1000);
}

static void run(const char *what, http_config *cfg, bool tls)
{
	http_server *s;
	char *err = NULL, buf[512];
	printf("# %s\n", what);
	int rc = http_start(cfg, &s, &err);
	CHECK(rc == 0, "http_start: %s", err ? err : "ok");
	if (rc)
		exit(1);
	uint16_t port = http_port(s);
	const char *up = cfg->port || cfg->ephemeral_port ? NULL : cfg->unix_path;

	atomic_store(&owners_done, 0);
	CHECK(one_tunnel(port, up, tls, "hello tunnel"), "CONNECT: 200 OK then bytes both ways");
	wait_owners(1);
	int fds = count_fds();
	int good = 0;
	for (int i = 0; i < 100; i++)
		good += one_tunnel(port, up, tls, "again");
	wait_owners(101);
	CHECK(good == 100, "100 tunnels in sequence (%d good)", good);
	/* MHD closes each socket once its owner is done: let it catch up. */
	for (int i = 0; i < 5000 && count_fds() > fds; i++)
		usleep(1000);
	CHECK(count_fds() <= fds, "no descriptor leaked (%d before, %d after)", fds, count_fds());

	/* An ordinary request, and a handler that refuses. */
	cl c;
	bool ok = cl_open(&c, port, up, tls);
	const char *get = "GET /ping HTTP/1.0\r\n\r\n";
	ok = ok && cl_send(&c, get, strlen(get));
	cl_recv_until(&c, buf, sizeof buf, "pong");
	CHECK(ok && strstr(buf, " 200 ") && strstr(buf, "pong"), "GET /ping still answers");
	cl_close(&c);
	ok = cl_open(&c, port, up, tls);
	const char *no = "CONNECT /tunnel?refuse=1 HTTP/1.0\r\n\r\n";
	ok = ok && cl_send(&c, no, strlen(no));
	cl_recv_until(&c, buf, sizeof buf, "\r\n\r\n");
	CHECK(ok && !strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 403", 4),
	      "a refusing handler answers 403 (%.12s)", buf);
	cl_close(&c);

	/* http_stop with a tunnel open: its owner sees EOF and closes. */
	int before = atomic_load(&owners_done);
	ok = cl_open(&c, port, up, tls);
	const char *req = "CONNECT /tunnel HTTP/1.0\r\n\r\n";
	ok = ok && cl_send(&c, req, strlen(req));
	ok = ok && cl_recv_until(&c, buf, sizeof buf, "\r\n\r\n") && strstr(buf, " 200 ");
	CHECK(ok, "a tunnel is open");
	s = http_stop(s);
	CHECK(atomic_load(&owners_done) == before + 1, "http_stop returned after the owner closed");
	ssize_t k = c.tls ? gnutls_record_recv(c.tls, buf, sizeof buf) : recv(c.fd, buf, sizeof buf, 0);
	CHECK(k <= 0, "the client sees the tunnel closed");
	cl_close(&c);
}

int main(void)
{
	http_config cfg = {
		.bind_addr = "127.0.0.1",
		.ephemeral_port = true,
		.threads = 2,
		.conn_limit = 256,
		.timeout_s = 30,
		.routes = routes,
		.nroutes = sizeof routes / sizeof routes[0],
	};
	run("plain TCP", &cfg, false);

	char *dir = t_tmpdir(), *sock, *cert, *key;
	if (asprintf(&sock, "%s/h.sock", dir) < 0 || asprintf(&cert, "%s/c.pem", dir) < 0 ||
	    asprintf(&key, "%s/c.key", dir) < 0)
		abort();
	http_config ucfg = cfg;
	ucfg.ephemeral_port = false;
	ucfg.unix_path = sock;
	run("unix socket", &ucfg, false);

	http_config tcfg = cfg;
	tcfg.tls = true;
	tcfg.cert_file = cert;
	tcfg.key_file = key;
	run("TLS", &tcfg, true);

	t_rmtree(dir);
	free(dir);
	free(sock);
	free(cert);
	free(key);
	printf("%s\n", t_failures ? "FAILED" : "all passed");
	return t_failures ? 1 : 0;
}
