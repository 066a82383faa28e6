/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serial capture and console proxies on one poll() thread (see
 * console_io.h). Every descriptor is non-blocking. Hubs (serial
 * captures) and proxies are created by other threads under mu and only
 * ever freed by the event thread: others just mark them dead and wake it
 * through a pipe, so a pollfd never points at freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_io.h"
#include "ws.h"
#include "util.h"
#include "value.h"

#define BUF_SZ (64 * 1024)
#define ATTACH_WAIT_MS 2000

struct hub {
	char uuid[40];
	char *dir;
	int fd;        /* connected to serial.sock; -1 once lost */
	int log_fd;
	off_t log_size;
	bool dead;     /* detached: the thread frees it */
	struct hub *next;
};

struct proxy {
	http_stream *cs;
	int bfd;               /* RFB backend, or -1 for a serial proxy */
	struct hub *hub;       /* serial proxy */
	char c2b[BUF_SZ];      /* client -> backend */
	size_t c2b_off, c2b_len;
	char b2c[BUF_SZ];      /* backend -> client */
	size_t b2c_off, b2c_len;
	size_t pend;           /* TLS: a write that must be repeated as is */
	bool ws;               /* WebSocket framing towards the client */
	ws_dec dec;
	uint8_t win[16384];    /* client bytes not decoded yet (ws) */
	size_t win_len;
	bool closing;          /* ws: a close frame is queued; end once sent */
	bool dead;
	struct proxy *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct hub *hubs;
static struct proxy *proxies;
static int wake_pipe[2] = { -1, -1 };
static pthread_t thread;
static bool running, stopping;

static void wake(void)
{
	if (wake_pipe[1] >= 0) {
		char c = 1;
		ssize_t n = write(wake_pipe[1], &c, 1);
		(void)n; /* a full pipe already wakes the thread */
	}
}

/* ---- the log ------------------------------------------------------------ */

static int log_open(struct hub *h)
{
	char *p = hx_asprintf("%s/console.log", h->dir);
	h->log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(p);
	struct stat st;
	h->log_size = h->log_fd >= 0 && !fstat(h->log_fd, &st) ? st.st_size : 0;
	return h->log_fd;
}

static void log_write(struct hub *h, const char *buf, size_t n)
{
	if (h->log_fd < 0)
		return;
	if (h->log_size + (off_t)n > CONIO_LOG_MAX) {
		char *p = hx_asprintf("%s/console.log", h->dir);
		char *q = hx_asprintf("%s/console.log.1", h->dir);
		rename(p, q);
		free(p);
		free(q);
		close(h->log_fd);
		if (log_open(h) < 0)
			return;
	}
	while (n) {
		ssize_t k = write(h->log_fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		buf += k;
		n -= (size_t)k;
		h->log_size += k;
	}
}

static void append_file(const char *path, char **buf, size_t *len, size_t *cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		if (*cap - *len < 65536)
			*buf = hx_realloc(*buf, *cap = *cap * 2 + 65536);
		ssize_t k = read(fd, *buf + *len, *cap - *len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		*len += (size_t)k;
	}
	close(fd);
}

char *conio_log_read(const char *dir, size_t *len)
{
	size_t cap = 0;
	char *buf = NULL;
	*len = 0;
	char *p = hx_asprintf("%s/console.log.1", dir);
	append_file(p, &buf, len, &cap);
	free(p);
	p = hx_asprintf("%s/console.log", dir);
	append_file(p, &buf, len, &cap);
	free(p);
	if (!buf)
		buf = hx_malloc(1);
	buf[*len] = 0;
	return buf;
}

/* ---- attach / detach ----------------------------------------------------- */

static int unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

void conio_serial_attach(const char *uuid, const char *dir)
{
	conio_start();
	pthread_mutex_lock(&mu);
	for (struct hub *h = hubs; h; h = h->next)
		if (!h->dead && h->fd >= 0 && !strcmp(h->uuid, uuid)) {
			pthread_mutex_unlock(&mu);
			return;
		}
	pthread_mutex_unlock(&mu);

	char *path = hx_asprintf("%s/serial.sock", dir);
	int fd = -1;
	int64_t deadline = hx_mono_ms() + ATTACH_WAIT_MS;
	while ((fd = unix_connect(path)) < 0 && hx_mono_ms() < deadline)
		usleep(20 * 1000);
	free(path);
	if (fd < 0)
		return; /* no serial socket (an older QEMU command line) */

	struct hub *h = hx_calloc(1, sizeof(*h));
	snprintf(h->uuid, sizeof(h->uuid), "%s", uuid);
	h->dir = hx_strdup(dir);
	h->fd = fd;
	log_open(h);
	pthread_mutex_lock(&mu);
	/* A capture attached meanwhile by another thread wins. */
	for (struct hub *o = hubs; o; o = o->next)
		if (!o->dead && o->fd >= 0 && !strcmp(o->uuid, uuid)) {
			pthread_mutex_unlock(&mu);
			close(h->fd);
			if (h->log_fd >= 0)
				close(h->log_fd);
			free(h->dir);
			free(h);
			return;
		}
	h->next = hubs;
	hubs = h;
	pthread_mutex_unlock(&mu);
	wake();
}

void conio_serial_detach(const char *uuid)
{
	pthread_mutex_lock(&mu);
	for (struct hub *h = hubs; h; h = h->next)
		if (!strcmp(h->uuid, uuid))
			h->dead = true;
	pthread_mutex_unlock(&mu);
	wake();
}

bool conio_proxy(http_stream *s, int backend_fd, const char *uuid, const char *first, bool ws)
{
	conio_start();
	struct proxy *p = hx_calloc(1, sizeof(*p));
	p->cs = s;
	p->bfd = backend_fd;
	p->ws = ws;
	ws_dec_init(&p->dec);
	if (backend_fd >= 0)
		fcntl(backend_fd, F_SETFL, fcntl(backend_fd, F_GETFL) | O_NONBLOCK);
	if (first) {
		size_t n = strlen(first);
		if (n > sizeof(p->b2c))
			n = sizeof(p->b2c);
		memcpy(p->b2c, first, n);
		p->b2c_len = n;
	}
	pthread_mutex_lock(&mu);
	if (backend_fd < 0) {
		for (struct hub *h = hubs; h && uuid; h = h->next)
			if (!h->dead && h->fd >= 0 && !strcmp(h->uuid, uuid))
				p->hub = h;
		if (!p->hub || stopping) {
			pthread_mutex_unlock(&mu);
			http_stream_close(s);
			free(p);
			return false;
		}
	}
	if (stopping) {
		pthread_mutex_unlock(&mu);
		http_stream_close(s);
		if (backend_fd >= 0)
			close(backend_fd);
		free(p);
		return true;
	}
	p->next = proxies;
	proxies = p;
	pthread_mutex_unlock(&mu);
	wake();
	return true;
}

/* ---- the event thread ------------------------------------------------------ */

/* Sends what b2c holds to the client; false when the client is gone. */
static bool flush_client(struct proxy *p)
{
	while (p->b2c_len > p->b2c_off) {
		size_t n = p->pend ? p->pend : p->b2c_len - p->b2c_off;
		ssize_t k = http_stream_write(p->cs, p->b2c + p->b2c_off, n);
		if (k == HTTP_STREAM_AGAIN) {
			p->pend = n;
			return true;
		}
		p->pend = 0;
		if (k <= 0)
			return false;
		p->b2c_off += (size_t)k;
	}
	p->b2c_off = p->b2c_len = 0;
	return true;
}

/* Sends what c2b holds to fd; false when the backend is gone. */
static bool flush_backend(struct proxy *p, int fd)
{
	while (p->c2b_len > p->c2b_off) {
		ssize_t k = send(fd, p->c2b + p->c2b_off, p->c2b_len - p->c2b_off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (k <= 0)
			return false;
		p->c2b_off += (size_t)k;
	}
	p->c2b_off = p->c2b_len = 0;
	return true;
}

/* Appends to b2c (compacting when no TLS write is pending); returns the
 * room left. */
static size_t b2c_room(struct proxy *p)
{
	if (p->b2c_off && !p->pend) {
		memmove(p->b2c, p->b2c + p->b2c_off, p->b2c_len - p->b2c_off);
		p->b2c_len -= p->b2c_off;
		p->b2c_off = 0;
	}
	return sizeof(p->b2c) - p->b2c_len;
}

/* Queues bytes for the client (as one binary frame on a websocket);
 * returns how many fitted. */
static size_t b2c_put(struct proxy *p, int opcode, const void *buf, size_t n)
{
	size_t room = b2c_room(p);
	if (!p->ws) {
		size_t k = n < room ? n : room;
		memcpy(p->b2c + p->b2c_len, buf, k);
		p->b2c_len += k;
		return k;
	}
	if (room <= 10)
		return 0;
	size_t k = n < room - 10 ? n : room - 10;
	p->b2c_len += ws_header((uint8_t *)p->b2c + p->b2c_len, opcode, k);
	memcpy(p->b2c + p->b2c_len, buf, k);
	p->b2c_len += k;
	return k;
}

static void hub_output(struct hub *h, const char *buf, size_t n)
{
	log_write(h, buf, n);
	for (struct proxy *p = proxies; p; p = p->next) {
		if (p->dead || p->closing || p->hub != h)
			continue;
		b2c_put(p, WS_OP_BINARY, buf, n); /* a slow client loses output */
		if (!flush_client(p))
			p->dead = true;
	}
}

/* ws: decodes what the client sent into c2b and answers control frames. */
static void ws_input(struct proxy *p)
{
	while (!p->closing) {
		if (p->c2b_off) {
			memmove(p->c2b, p->c2b + p->c2b_off, p->c2b_len - p->c2b_off);
			p->c2b_len -= p->c2b_off;
			p->c2b_off = 0;
		}
		size_t produced = 0;
		ws_event ev;
		size_t used = ws_decode(&p->dec, p->win, p->win_len, (uint8_t *)p->c2b + p->c2b_len,
					sizeof(p->c2b) - p->c2b_len, &produced, &ev);
		p->c2b_len += produced;
		memmove(p->win, p->win + used, p->win_len - used);
		p->win_len -= used;
		if (ev == WS_EV_PING) {
			b2c_put(p, WS_OP_PONG, p->dec.ctl, p->dec.ctl_len);
		} else if (ev == WS_EV_CLOSE) {
			/* Echo the status code (the first two bytes), then end. */
			b2c_put(p, WS_OP_CLOSE, p->dec.ctl, p->dec.ctl_len >= 2 ? 2 : 0);
			p->closing = true;
		} else if (ev == WS_EV_ERROR) {
			static const uint8_t proto_err[2] = { 0x03, 0xEA }; /* 1002 */
			b2c_put(p, WS_OP_CLOSE, proto_err, 2);
			p->closing = true;
		}
		if (!used && ev == WS_EV_NONE)
			break;
	}
}

static void hub_read(struct hub *h)
{
	char buf[16384];
	for (int i = 0; i < 16; i++) {
		ssize_t k = recv(h->fd, buf, sizeof(buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k <= 0) {
			/* QEMU went away: the capture ends, so do its proxies. */
			close(h->fd);
			h->fd = -1;
			h->dead = true;
			return;
		}
		hub_output(h, buf, (size_t)k);
	}
}

static void proxy_client_read(struct proxy *p)
{
	int bfd = p->bfd >= 0 ? p->bfd : (p->hub ? p->hub->fd : -1);
	if (p->ws) {
		if (p->closing) {
			char junk[4096]; /* whatever follows the close frame */
			if (http_stream_read(p->cs, junk, sizeof(junk)) == 0)
				p->dead = true;
			return;
		}
		for (int i = 0; i < 16 && p->win_len < sizeof(p->win); i++) {
			ssize_t k = http_stream_read(p->cs, p->win + p->win_len,
						     sizeof(p->win) - p->win_len);
			if (k == HTTP_STREAM_AGAIN)
				break;
			if (k <= 0) {
				p->dead = true;
				return;
			}
			p->win_len += (size_t)k;
			ws_input(p);
		}
		if (bfd < 0 || !flush_backend(p, bfd) || !flush_client(p))
			p->dead = true;
		return;
	}
	for (int i = 0; i < 16 && p->c2b_len < sizeof(p->c2b); i++) {
		if (p->c2b_off) {
			memmove(p->c2b, p->c2b + p->c2b_off, p->c2b_len - p->c2b_off);
			p->c2b_len -= p->c2b_off;
			p->c2b_off = 0;
		}
		ssize_t k = http_stream_read(p->cs, p->c2b + p->c2b_len,
					     sizeof(p->c2b) - p->c2b_len);
		if (k == HTTP_STREAM_AGAIN)
			break;
		if (k <= 0) {
			p->dead = true;
			return;
		}
		p->c2b_len += (size_t)k;
	}
	if (bfd < 0 || !flush_backend(p, bfd))
		p->dead = true;
}

static void proxy_backend_read(struct proxy *p)
{
	for (int i = 0; i < 16 && !p->closing; i++) {
		size_t room = b2c_room(p);
		if (p->ws) {
			char tmp[16384];
			if (room <= 10)
				break;
			size_t want = room - 10 < sizeof(tmp) ? room - 10 : sizeof(tmp);
			ssize_t k = recv(p->bfd, tmp, want, 0);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (k <= 0) {
				p->dead = true;
				return;
			}
			b2c_put(p, WS_OP_BINARY, tmp, (size_t)k);
			continue;
		}
		if (!room)
			break;
		ssize_t k = recv(p->bfd, p->b2c + p->b2c_len, room, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) {
			p->dead = true;
			return;
		}
		p->b2c_len += (size_t)k;
	}
	if (!flush_client(p))
		p->dead = true;
}

static void proxy_free(struct proxy *p)
{
	http_stream_close(p->cs);
	if (p->bfd >= 0)
		close(p->bfd);
	free(p);
}

static void hub_free(struct hub *h)
{
	if (h->fd >= 0)
		close(h->fd);
	if (h->log_fd >= 0)
		close(h->log_fd);
	free(h->dir);
	free(h);
}

/* Frees what is dead (mu held); proxies of a dead hub die with it, and a
 * websocket whose close frame went out. */
static void reap(bool all)
{
	for (struct proxy *p = proxies; p; p = p->next)
		if ((p->hub && p->hub->dead) || (p->closing && p->b2c_len == p->b2c_off))
			p->dead = true;
	for (struct proxy **pp = &proxies; *pp;) {
		struct proxy *p = *pp;
		if (p->dead || all) {
			*pp = p->next;
			proxy_free(p);
		} else {
			pp = &p->next;
		}
	}
	for (struct hub **hp = &hubs; *hp;) {
		struct hub *h = *hp;
		if (h->dead || all) {
			*hp = h->next;
			hub_free(h);
		} else {
			hp = &h->next;
		}
	}
}

enum { K_WAKE, K_HUB, K_CLIENT, K_BACKEND };
struct slot {
	int kind;
	void *obj;
};

static void *loop_main(void *arg)
{
	(void)arg;
	struct pollfd *pfd = NULL;
	struct slot *slots = NULL;
	size_t cap = 0;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		reap(false);
		size_t n = 1, want = 1;
		for (struct hub *h = hubs; h; h = h->next)
			want++;
		for (struct proxy *p = proxies; p; p = p->next)
			want += 2;
		if (want > cap) {
			cap = want * 2;
			pfd = hx_realloc(pfd, cap * sizeof(*pfd));
			slots = hx_realloc(slots, cap * sizeof(*slots));
		}
		pfd[0] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
		slots[0] = (struct slot){ K_WAKE, NULL };
		bool pending = false;
		for (struct hub *h = hubs; h; h = h->next) {
			short ev = POLLIN;
			for (struct proxy *p = proxies; p; p = p->next)
				if (p->hub == h && p->c2b_len > p->c2b_off)
					ev |= POLLOUT; /* typed input waits for the guest */
			pfd[n] = (struct pollfd){ .fd = h->fd, .events = ev };
			slots[n++] = (struct slot){ K_HUB, h };
		}
		for (struct proxy *p = proxies; p; p = p->next) {
			short ev = 0;
			if (p->ws ? p->win_len < sizeof(p->win) : p->c2b_len < sizeof(p->c2b))
				ev |= POLLIN;
			if (p->b2c_len > p->b2c_off)
				ev |= POLLOUT;
			if (http_stream_pending(p->cs))
				pending = true;
			pfd[n] = (struct pollfd){ .fd = http_stream_fd(p->cs), .events = ev };
			slots[n++] = (struct slot){ K_CLIENT, p };
			if (p->bfd >= 0) {
				ev = 0;
				if (p->b2c_len < sizeof(p->b2c))
					ev |= POLLIN;
				if (p->c2b_len > p->c2b_off)
					ev |= POLLOUT;
				pfd[n] = (struct pollfd){ .fd = p->bfd, .events = ev };
				slots[n++] = (struct slot){ K_BACKEND, p };
			}
		}
		pthread_mutex_unlock(&mu);
		int r = poll(pfd, n, pending ? 0 : 1000);
		pthread_mutex_lock(&mu);
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			short re = r > 0 ? pfd[i].revents : 0;
			switch (slots[i].kind) {
			case K_WAKE:
				if (re) {
					char b[64];
					while (read(wake_pipe[0], b, sizeof(b)) > 0)
						;
				}
				break;
			case K_HUB: {
				struct hub *h = slots[i].obj;
				if ((re & POLLOUT) && !h->dead)
					for (struct proxy *p = proxies; p; p = p->next)
						if (p->hub == h && !p->dead && !flush_backend(p, h->fd))
							p->dead = true;
				if ((re & ~POLLOUT) && !h->dead)
					hub_read(h);
				break;
			}
			case K_CLIENT: {
				struct proxy *p = slots[i].obj;
				if (p->dead)
					break;
				if ((re & (POLLIN | POLLHUP | POLLERR)) || http_stream_pending(p->cs))
					proxy_client_read(p);
				if (!p->dead && (re & POLLOUT) && !flush_client(p))
					p->dead = true;
				break;
			}
			case K_BACKEND: {
				struct proxy *p = slots[i].obj;
				if (p->dead)
					break;
				if (re & (POLLIN | POLLHUP | POLLERR))
					proxy_backend_read(p);
				if (!p->dead && (re & POLLOUT) && !flush_backend(p, p->bfd))
					p->dead = true;
				break;
			}
			}
		}
	}
	reap(true);
	pthread_mutex_unlock(&mu);
	free(pfd);
	free(slots);
	return NULL;
}

void conio_start(void)
{
	pthread_mutex_lock(&mu);
	if (!running && !stopping) {
		if (!pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK)) {
			if (!pthread_create(&thread, NULL, loop_main, NULL)) {
				running = true;
			} else {
				close(wake_pipe[0]);
				close(wake_pipe[1]);
				wake_pipe[0] = wake_pipe[1] = -1;
			}
		}
	}
	pthread_mutex_unlock(&mu);
}

void conio_stop(void)
{
	pthread_mutex_lock(&mu);
	bool was = running;
	stopping = true;
	pthread_mutex_unlock(&mu);
	if (!was)
		return;
	wake();
	pthread_join(thread, NULL);
	pthread_mutex_lock(&mu);
	running = false;
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
	pthread_mutex_unlock(&mu);
}
