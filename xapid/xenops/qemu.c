/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The qemu backend: one supervised QEMU process per domain, driven over
 * QMP (json-c on a unix socket).
 *
 * Files in the domain's directory (<state>/vms/<uuid>/):
 *   qemu.pid     the QEMU process id (written by xapid after the fork)
 *   qmp.sock     the QMP socket (one client at a time; the engine
 *                serialises access per domain)
 *   qemu.log     QEMU's stdout and stderr (appended)
 *   serial.sock  the guest's serial port; xapid captures it into
 *                console.log (bounded, see console_io.h)
 *   vnc.sock     the VNC server (the RFB console)
 *
 * QEMU is started without a shell (execv of an absolute path), in a session of its own (setsid), so
 * it outlives xapid (kill -9 of xapid leaves guests running) and signals
 * meant for xapid's group never reach it. A QEMU that xapid forked is
 * reaped by xapid; one left by an earlier xapid is watched by pid.
 *
 * -no-shutdown keeps the process after a guest poweroff (status
 * "shutdown"), -action reboot=shutdown does the same for a guest reboot
 * and -action panic=pause stops a panicked guest ("guest-panicked"), so
 * the engine can tell a guest poweroff, reboot or crash from a process
 * that died, and apply the VM's actions_after_*. Poweroff and reboot are
 * told apart by the reason of QMP's SHUTDOWN event, read from a second
 * QMP monitor (qmp-ev.sock) that xapid keeps connected for events only.
 * A reboot that happens while xapid is down is seen as a poweroff.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console_io.h"
#include "qemu_stats.h"
#include "qemu_int.h"
#include "qemu_boot.h"
#include "qemu_disk.h"
#include "qemu_nic.h"
#include "util.h"
#include "xenops.h"

#define QMP_CONNECT_MS 10000
#define QMP_CMD_MS 30000
#define QEMU_START_MS 60000
#define SUSPEND_MS (10 * 60 * 1000)
#define QUIESCE_CONNECT_MS 3000
#define WATCH_FULL_MS 10000
#define QUIESCE_MS 15000

struct xo_domain {
	char *dir;
	char *qmp_path;
	pid_t pid;
	bool child;  /* forked by this xapid: reap with waitpid */
	bool gone;
	/* The event monitor: connected lazily, read without blocking. */
	int ev_fd;
	char evbuf[16384];
	size_t evlen;
	bool saw_shutdown;    /* a SHUTDOWN event since the last reset */
	bool ev_changed;      /* an event that may change the run state, unseen by watch */
	int64_t full_at;      /* when qemu_watch last asked query-status */
	char reason[32];      /* its reason ("guest-shutdown", "guest-reset" …) */
	/* A command connection kept open between xo_qemu_qmp_hold and
	 * xo_qemu_qmp_release (one caller at a time: the domain's lock). */
	struct qmp *held;
};

/* ---- QMP ------------------------------------------------------------------ */

typedef struct qmp {
	int fd;
	char buf[65536];
	size_t len;
} qmp;

static void qmp_close(qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/* One JSON line from the socket, or an error (timeout, EOF, bad JSON). */
static xerr *qmp_read(qmp *q, int64_t deadline, json_object **out)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			*nl = 0;
			json_object *o = json_tokener_parse(q->buf);
			size_t used = (size_t)(nl - q->buf) + 1;
			memmove(q->buf, q->buf + used, q->len - used);
			q->len -= used;
			if (!o || !json_object_is_type(o, json_type_object)) {
				json_object_put(o);
				return xerr_new("INTERNAL_ERROR", "QMP: malformed message", NULL);
			}
			*out = o;
			return NULL;
		}
		if (q->len == sizeof(q->buf))
			return xerr_new("INTERNAL_ERROR", "QMP: message too long", NULL);
		int64_t left = deadline - hx_mono_ms();
		if (left <= 0)
			return xerr_new("INTERNAL_ERROR", "QMP: timeout", NULL);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR)
			return xerr_newf("INTERNAL_ERROR", "QMP: poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		ssize_t n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return xerr_new("INTERNAL_ERROR", "QMP: connection closed", NULL);
		q->len += (size_t)n;
	}
}

/* Sends cmd (with args, may be NULL; with fd passed by SCM_RIGHTS when
 * fd >= 0) and waits for its return value (events are skipped). */
static xerr *qmp_exec(qmp *q, const char *cmd, json_object *args, int fd, int64_t timeout_ms,
		      json_object **ret)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", json_object_get(args));
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *line = hx_asprintf("%s\n", s);
	json_object_put(o);
	size_t len = strlen(line), off = 0;
	xerr *e = NULL;
	while (off < len) {
		struct iovec iov = { line + off, len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		char cbuf[CMSG_SPACE(sizeof(int))];
		if (fd >= 0 && off == 0) {
			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		ssize_t n = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = xerr_newf("INTERNAL_ERROR", "QMP: send: %s", strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	free(line);
	if (e)
		return e;
	int64_t deadline = hx_mono_ms() + timeout_ms;
	for (;;) {
		json_object *m = NULL;
		if ((e = qmp_read(q, deadline, &m)))
			return e;
		json_object *v;
		if (json_object_object_get_ex(m, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			json_object_put(m);
			return NULL;
		}
		if (json_object_object_get_ex(m, "error", &v)) {
			json_object *d = NULL;
			json_object_object_get_ex(v, "desc", &d);
			e = xerr_newf("INTERNAL_ERROR", "QMP %s: %s", cmd,
				      d ? json_object_get_string(d) : "error");
			json_object_put(m);
			return e;
		}
		json_object_put(m); /* an event */
	}
}

/* Connects, reads the greeting and enters command mode. */
static xerr *qmp_open(const char *path, int64_t timeout_ms, qmp *q)
{
	q->len = 0;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return xerr_newf("INTERNAL_ERROR", "socket: %s", strerror(errno));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		qmp_close(q);
		return xerr_new("INTERNAL_ERROR", "QMP socket path too long", NULL);
	}
	strcpy(sa.sun_path, path);
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		xerr *e = xerr_newf("INTERNAL_ERROR", "QMP connect: %s", strerror(errno));
		qmp_close(q);
		return e;
	}
	int64_t deadline = hx_mono_ms() + timeout_ms;
	json_object *g = NULL;
	xerr *e = qmp_read(q, deadline, &g);
	/* An event can come before the greeting (seen: a block job's
	 * JOB_STATUS_CHANGE while another client's session ended): skip it. */
	while (!e && json_object_object_get_ex(g, "event", NULL)) {
		json_object_put(g);
		g = NULL;
		e = qmp_read(q, deadline, &g);
	}
	if (!e && !json_object_object_get_ex(g, "QMP", NULL)) {
		/* Say what came instead (the first 200 bytes). */
		const char *got = json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN);
		e = xerr_newf("INTERNAL_ERROR", "QMP: no greeting (got %.200s)", got ? got : "");
	}
	json_object_put(g);
	if (!e)
		e = qmp_exec(q, "qmp_capabilities", NULL, -1, timeout_ms, NULL);
	if (e)
		qmp_close(q);
	return e;
}

/* One command on a fresh connection (qemu_int.h). */
xerr *qmp_once(xo_domain *d, const char *cmd, json_object *args, json_object **ret)
{
	qmp q;
	xerr *e = qmp_open(d->qmp_path, QMP_CONNECT_MS, &q);
	if (!e)
		e = qmp_exec(&q, cmd, args, -1, QMP_CMD_MS, ret);
	qmp_close(&q);
	return e;
}

xerr *xo_qemu_qmp(xo_domain *d, const char *cmd, json_object *args, json_object **ret)
{
	if (d->held)
		return qmp_exec(d->held, cmd, args, -1, QMP_CMD_MS, ret);
	return qmp_once(d, cmd, args, ret);
}

xerr *xo_qemu_qmp_fd(xo_domain *d, const char *cmd, json_object *args, int fd, json_object **ret)
{
	if (d->held)
		return qmp_exec(d->held, cmd, args, fd, QMP_CMD_MS, ret);
	qmp q;
	xerr *e = qmp_open(d->qmp_path, QMP_CONNECT_MS, &q);
	if (!e)
		e = qmp_exec(&q, cmd, args, fd, QMP_CMD_MS, ret);
	qmp_close(&q);
	return e;
}

bool xo_qemu_qmp_held(const xo_domain *d)
{
	return d->held != NULL;
}

void xo_qemu_qmp_hold(xo_domain *d)
{
	if (d->held)
		return;
	qmp *q = hx_malloc(sizeof(*q));
	xerr *e = qmp_open(d->qmp_path, QMP_CONNECT_MS, q);
	if (e) {
		xerr_free(e);
		free(q);
		return; /* commands fall back to a connection each */
	}
	d->held = q;
}

void xo_qemu_qmp_release(xo_domain *d)
{
	if (!d->held)
		return;
	qmp_close(d->held);
	free(d->held);
	d->held = NULL;
}

int xo_devnum(const char *s, int limit)
{
	char *end;
	long n = strtol(s ? s : "", &end, 10);
	return (s && *s && !*end && n >= 0 && n < limit) ? (int)n : -1;
}

struct qcall {
	const char *cmd;
	json_object *args;
	json_object *ret;
};

static xerr *cb_qmp(xo_domain *d, void *arg)
{
	struct qcall *c = arg;
	return xo_qemu_qmp(d, c->cmd, c->args, &c->ret);
}

static xerr *cb_pid(xo_domain *d, void *arg)
{
	*(pid_t *)arg = d->pid;
	return NULL;
}

pid_t xo_vm_pid(const char *vm_uuid)
{
	pid_t pid = -1;
	xerr_free(xenops_with(vm_uuid, cb_pid, &pid));
	return pid;
}

xerr *xo_vm_qmp(const char *vm_uuid, const char *cmd, json_object *args, json_object **ret)
{
	struct qcall c = { cmd, args, NULL };
	xerr *e = xenops_with(vm_uuid, cb_qmp, &c);
	json_object_put(args);
	if (ret)
		*ret = c.ret;
	else
		json_object_put(c.ret);
	return e;
}

/* ---- process handling ----------------------------------------------------- */

static bool pid_alive(pid_t pid)
{
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return false;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

static bool qemu_reap(xo_domain *d)
{
	if (d->gone)
		return true;
	if (d->child) {
		int st;
		pid_t r = waitpid(d->pid, &st, WNOHANG);
		if (r == d->pid || (r < 0 && errno == ECHILD))
			d->gone = true;
	} else if (!pid_alive(d->pid)) {
		d->gone = true;
	}
	return d->gone;
}

static pid_t qemu_pid(xo_domain *d)
{
	return d->pid;
}

static xo_domain *dom_new(const char *dir, pid_t pid, bool child)
{
	xo_domain *d = hx_calloc(1, sizeof(*d));
	d->ev_fd = -1;
	d->dir = hx_strdup(dir);
	d->qmp_path = hx_asprintf("%s/qmp.sock", dir);
	d->pid = pid;
	d->child = child;
	return d;
}

static void qemu_release(xo_domain *d)
{
	if (!d)
		return;
	if (d->ev_fd >= 0)
		close(d->ev_fd);
	xo_qemu_qmp_release(d);
	free(d->dir);
	free(d->qmp_path);
	free(d);
}

static void remove_runtime(const char *dir)
{
	char *p = hx_asprintf("%s/qemu.pid", dir);
	unlink(p);
	free(p);
	p = hx_asprintf("%s/qmp.sock", dir);
	unlink(p);
	free(p);
	p = hx_asprintf("%s/qmp-ev.sock", dir);
	unlink(p);
	free(p);
	p = hx_asprintf("%s/serial.sock", dir);
	unlink(p);
	free(p);
	p = hx_asprintf("%s/vnc.sock", dir);
	unlink(p);
	free(p);
	p = hx_asprintf("%s/qemu.user", dir);
	unlink(p);
	free(p);
}

/* Records who the QEMU of dir runs as (qemu.user: the -runas user or
 * "root"), for the operator and the tests; reattach needs nothing more
 * (xapid, root, reaches the sockets whoever QEMU became). */
static void write_user(const char *dir)
{
	char *p = hx_asprintf("%s/qemu.user", dir);
	FILE *f = fopen(p, "we");
	if (f) {
		const char *u = xo_qemu_runas();
		fprintf(f, "%s\n", u ? u : "root");
		fclose(f);
	}
	free(p);
}

/* Kills the whole session's group, waits for the process to go. */
static void qemu_kill_wait(xo_domain *d)
{
	if (!qemu_reap(d)) {
		kill(-d->pid, SIGKILL);
		kill(d->pid, SIGKILL);
		if (d->child) {
			while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
				;
			d->gone = true;
		} else {
			for (int i = 0; i < 200 && !qemu_reap(d); i++)
				usleep(50 * 1000);
		}
	}
}

/* Before a QEMU is killed: "stop" answers only after every block device
 * was drained and flushed, the qcow2 metadata caches included. Without
 * it a SIGKILL loses the L2 entries of clusters allocated since the last
 * flush, i.e. writes the disk had completed (a guest that writes a raw
 * device and calls sync(2) never sends a flush). Bounded: a QEMU that
 * does not answer is killed all the same. */
static void qemu_quiesce(xo_domain *d)
{
	if (qemu_reap(d))
		return;
	if (d->held) {
		xerr_free(qmp_exec(d->held, "stop", NULL, -1, QUIESCE_MS, NULL));
		return;
	}
	qmp q;
	xerr *e = qmp_open(d->qmp_path, QUIESCE_CONNECT_MS, &q);
	if (!e) {
		e = qmp_exec(&q, "stop", NULL, -1, QUIESCE_MS, NULL);
		qmp_close(&q);
	}
	if (e)
		fprintf(stderr, "xapid: %s: QEMU not stopped before the kill (%s)\n", d->dir,
			e->nparams ? e->params[e->nparams - 1] : e->code);
	xerr_free(e);
}

static void qemu_destroy(xo_domain *d)
{
	if (!d)
		return;
	qemu_quiesce(d);
	qemu_kill_wait(d);
	remove_runtime(d->dir);
	qemu_release(d);
}

/* The last bytes of qemu.log, for errors (heap, printable). */
static char *log_tail(const char *dir)
{
	char *p = hx_asprintf("%s/qemu.log", dir);
	char buf[1024] = "";
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd >= 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		off_t from = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
		buf[n > 0 ? n : 0] = 0;
		close(fd);
	}
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\n')
			*c = ' ';
		else if ((unsigned char)*c >= 0x80)
			*c = '?';
	return hx_strdup(buf);
}

/* The QEMU executable as an absolute path (heap), searched in PATH here
 * so that the forked child only calls execv (execvp is not
 * async-signal-safe); NULL when there is none. */
char *qemu_binary(void)
{
	const char *b = getenv("HALYARD_QEMU");
	if (!b || !*b)
		b = "qemu-system-x86_64";
	if (strchr(b, '/'))
		return access(b, X_OK) ? NULL : hx_strdup(b);
	const char *path = getenv("PATH");
	char *dirs = hx_strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	char *found = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *c = hx_asprintf("%s/%s", *d ? d : ".", b);
		if (!access(c, X_OK))
			found = c;
		else
			free(c);
	}
	free(dirs);
	return found;
}

struct argv {
	char **v;
	size_t n, cap;
};

static void arg_add(struct argv *a, char *s /* taken */)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = hx_realloc(a->v, a->cap * sizeof(char *));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* QEMU's comma-separated option syntax doubles commas in values. */
char *xo_opt_escape(const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	char *r = hx_malloc(n + 1), *o = r;
	for (const char *c = s; *c; c++) {
		*o++ = *c;
		if (*c == ',')
			*o++ = ',';
	}
	*o = 0;
	return r;
}

static void arg_add_cb(void *a, char *s)
{
	arg_add(a, s);
}

static void build_argv(const xo_spec *s, char *binary /* taken */, struct argv *a)
{
	arg_add(a, binary);
	const char *fixed[] = { "-nodefaults", "-no-user-config", "-display", "none",
				"-sandbox", "on", "-no-shutdown", "-action", "panic=pause",
				"-action", "reboot=shutdown",
				"-S", NULL };
	for (int i = 0; fixed[i]; i++)
		arg_add(a, hx_strdup(fixed[i]));
	char *name = xo_opt_escape(s->name ? s->name : s->uuid);
	arg_add(a, hx_strdup("-name"));
	arg_add(a, hx_asprintf("guest=%s", name));
	free(name);
	const char *runas = xo_qemu_runas();
	if (runas) { /* drops after devices and start-time disks are open */
		arg_add(a, hx_strdup("-runas"));
		arg_add(a, hx_strdup(runas));
	}
	arg_add(a, hx_strdup("-uuid"));
	arg_add(a, hx_strdup(s->uuid));
	arg_add(a, hx_strdup("-machine"));
	arg_add(a, hx_asprintf("q35,accel=%s", xo_qemu_accel()));
	arg_add(a, hx_strdup("-m"));
	arg_add(a, hx_asprintf("%lldM", (long long)((s->memory_bytes + (1 << 20) - 1) >> 20)));
	arg_add(a, hx_strdup("-smp"));
	arg_add(a, hx_asprintf("cpus=%lld,maxcpus=%lld", (long long)s->vcpus,
			       (long long)(s->vcpus_max > s->vcpus ? s->vcpus_max : s->vcpus)));
	char *dir = xo_opt_escape(s->dir);
	arg_add(a, hx_strdup("-qmp"));
	arg_add(a, hx_asprintf("unix:%s/qmp.sock,server=on,wait=off", dir));
	arg_add(a, hx_strdup("-chardev"));
	arg_add(a, hx_asprintf("socket,id=qmpev,path=%s/qmp-ev.sock,server=on,wait=off", dir));
	arg_add(a, hx_strdup("-mon"));
	arg_add(a, hx_strdup("chardev=qmpev,mode=control"));
	arg_add(a, hx_strdup("-chardev"));
	arg_add(a, hx_asprintf("socket,id=ser0,path=%s/serial.sock,server=on,wait=off", dir));
	arg_add(a, hx_strdup("-vnc")); /* the RFB console (console_io.c proxies it) */
	arg_add(a, hx_asprintf("unix:%s/vnc.sock", dir));
	free(dir);
	arg_add(a, hx_strdup("-serial"));
	arg_add(a, hx_strdup("chardev:ser0"));
	arg_add(a, hx_strdup("-device"));
	arg_add(a, hx_strdup("pvpanic"));
	arg_add(a, hx_strdup("-device"));
	arg_add(a, hx_strdup("virtio-balloon-pci,id=balloon0"));
	xo_qemu_disk_argv(s, arg_add_cb, a);
	xo_qemu_nic_argv(s, arg_add_cb, a);
	if (!strcmp(s->domain_type, "pvh")) {
		arg_add(a, hx_strdup("-kernel"));
		arg_add(a, hx_strdup(s->kernel));
		if (s->ramdisk && *s->ramdisk) {
			arg_add(a, hx_strdup("-initrd"));
			arg_add(a, hx_strdup(s->ramdisk));
		}
		if (s->cmdline && *s->cmdline) {
			arg_add(a, hx_strdup("-append"));
			arg_add(a, hx_strdup(s->cmdline));
		}
	} else {
		xo_qemu_boot_argv(s, arg_add_cb, a); /* hvm firmware, boot order */
	}
	if (s->incoming) {
		arg_add(a, hx_strdup("-incoming"));
		arg_add(a, hx_strdup("fd:3"));
	}
}

/* The child side of the fork: only async-signal-safe calls. */
static _Noreturn void child_exec(char *const *argv, int log_fd, int in_fd)
{
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(127);
	int first = 3;
	if (in_fd >= 0) {
		if (in_fd != 3 && dup2(in_fd, 3) < 0)
			_exit(127);
		fcntl(3, F_SETFD, 0);
		first = 4;
	}
	long maxfd = sysconf(_SC_OPEN_MAX);
	for (int fd = first; fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++)
		close(fd);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	_exit(127);
}

static xerr *write_pid(const char *dir, pid_t pid)
{
	char *p = hx_asprintf("%s/qemu.pid", dir), *tmp = hx_asprintf("%s.tmp", p);
	FILE *f = fopen(tmp, "we");
	xerr *e = NULL;
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fflush(f) || fsync(fileno(f)))
		e = xerr_newf("INTERNAL_ERROR", "cannot write %s: %s", tmp, strerror(errno));
	if (f)
		fclose(f);
	if (!e && rename(tmp, p))
		e = xerr_newf("INTERNAL_ERROR", "rename %s: %s", p, strerror(errno));
	free(p);
	free(tmp);
	return e;
}

/* The status string of query-status (heap) or NULL with *err. */
static char *query_status(xo_domain *d, xerr **err)
{
	json_object *r = NULL, *st;
	*err = qmp_once(d, "query-status", NULL, &r);
	if (*err)
		return NULL;
	char *s = NULL;
	if (json_object_object_get_ex(r, "status", &st))
		s = hx_strdup(json_object_get_string(st));
	else
		*err = xerr_new("INTERNAL_ERROR", "QMP query-status: no status", NULL);
	json_object_put(r);
	return s;
}

static xerr *qemu_create(const xo_spec *s, xo_domain **out)
{
	*out = NULL;
	if (mkdir(s->dir, 0700) && errno != EEXIST)
		return xerr_newf("INTERNAL_ERROR", "mkdir %s: %s", s->dir, strerror(errno));
	remove_runtime(s->dir);
	xerr *pe = xo_boot_prepare(s);
	if (pe)
		return pe;
	char *logp = hx_asprintf("%s/qemu.log", s->dir);
	int log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(logp);
	if (log_fd < 0)
		return xerr_newf("INTERNAL_ERROR", "qemu.log: %s", strerror(errno));
	int in_fd = -1;
	if (s->incoming && (in_fd = open(s->incoming, O_RDONLY | O_CLOEXEC)) < 0) {
		xerr *e = xerr_newf("INTERNAL_ERROR", "%s: %s", s->incoming, strerror(errno));
		close(log_fd);
		return e;
	}
	char *binary = qemu_binary();
	if (!binary) {
		close(log_fd);
		if (in_fd >= 0)
			close(in_fd);
		return xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "not found",
				"qemu-system-x86_64 is not installed (or HALYARD_QEMU is wrong)",
				NULL);
	}
	struct argv a = { 0 };
	build_argv(s, binary, &a);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(a.v, log_fd, in_fd);
	int fork_errno = errno;
	argv_free(&a);
	close(log_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (pid < 0)
		return xerr_newf("INTERNAL_ERROR", "fork: %s", strerror(fork_errno));
	xo_domain *d = dom_new(s->dir, pid, true);
	xerr *e = write_pid(s->dir, pid);
	write_user(s->dir);
	/* Wait for QMP (or for QEMU to give up). */
	int64_t deadline = hx_mono_ms() + QEMU_START_MS;
	while (!e) {
		if (qemu_reap(d)) {
			char *tail = log_tail(s->dir);
			e = xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "exited", tail, NULL);
			free(tail);
			break;
		}
		qmp q;
		xerr *c = qmp_open(d->qmp_path, QMP_CONNECT_MS, &q);
		if (!c) {
			qmp_close(&q);
			break;
		}
		xerr_free(c);
		if (hx_mono_ms() > deadline) {
			e = xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "timeout",
				     "QMP did not come up", NULL);
			break;
		}
		usleep(20 * 1000);
	}
	if (!e) /* capture the serial console before the guest runs */
		conio_serial_attach(s->uuid, s->dir);
	if (!e && s->incoming) {
		/* Wait for the incoming migration to finish (it ends paused: -S). */
		for (;;) {
			char *st = query_status(d, &e);
			if (e)
				break;
			bool done = strcmp(st, "inmigrate") != 0;
			bool failed = !strcmp(st, "internal-error") || !strcmp(st, "shutdown");
			free(st);
			if (failed)
				e = xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "resume",
					     "loading the suspend image failed", NULL);
			if (done || e)
				break;
			if (hx_mono_ms() > deadline + SUSPEND_MS) {
				e = xerr_new("DOMAIN_BUILDER_ERROR", "qemu", "resume", "timeout",
					     NULL);
				break;
			}
			usleep(50 * 1000);
		}
	}
	if (!e && !s->incoming && s->memory_target > 0 && s->memory_target < s->memory_bytes)
		e = qemu_set_memory_target(d, s->memory_target);
	if (!e && !s->paused)
		e = qmp_once(d, "cont", NULL, NULL);
	if (e) {
		qemu_destroy(d);
		return e;
	}
	*out = d;
	return NULL;
}

static xerr *qemu_attach(const char *dir, xo_domain **out)
{
	*out = NULL;
	char *p = hx_asprintf("%s/qemu.pid", dir);
	FILE *f = fopen(p, "re");
	free(p);
	if (!f)
		return NULL;
	int pid = 0;
	int ok = fscanf(f, "%d", &pid);
	fclose(f);
	if (ok != 1 || pid <= 1 || !pid_alive(pid)) {
		remove_runtime(dir);
		return NULL;
	}
	/* Make sure the pid is still our QEMU: its argv names our socket. */
	char cpath[64];
	snprintf(cpath, sizeof(cpath), "/proc/%d/cmdline", pid);
	int fd = open(cpath, O_RDONLY | O_CLOEXEC);
	char buf[8192];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		remove_runtime(dir);
		return NULL;
	}
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	char *sock = hx_asprintf("%s/qmp.sock", dir);
	bool ours = strstr(buf, sock) != NULL;
	free(sock);
	if (!ours) {
		remove_runtime(dir);
		return NULL;
	}
	*out = dom_new(dir, pid, false);
	return NULL;
}

/* Connects the event monitor if needed, then takes in the events that
 * are there (waiting up to wait_ms for the first bytes). */
/* QMP events after which the run state may differ (the rest — balloon,
 * block jobs, RTC, devices — leave it alone). */
static bool run_state_event(const char *ev)
{
	static const char *const evs[] = { "SHUTDOWN", "POWERDOWN", "RESET", "STOP", "RESUME",
					   "SUSPEND", "WAKEUP", "GUEST_PANICKED",
					   "GUEST_CRASHLOADED", "BLOCK_IO_ERROR", NULL };
	for (const char *const *e = evs; ev && *e; e++)
		if (!strcmp(ev, *e))
			return true;
	return false;
}

static void events_poll(xo_domain *d, int wait_ms)
{
	if (d->ev_fd < 0) {
		char *p = hx_asprintf("%s/qmp-ev.sock", d->dir);
		qmp q;
		xerr *e = qmp_open(p, QMP_CONNECT_MS, &q);
		free(p);
		if (e) {
			xerr_free(e);
			return;
		}
		d->ev_fd = q.fd;
		d->evlen = 0;
		d->ev_changed = true; /* what happened while nobody listened is unknown */
	}
	for (;;) {
		struct pollfd pf = { .fd = d->ev_fd, .events = POLLIN };
		int r = poll(&pf, 1, wait_ms);
		wait_ms = 0;
		if (r <= 0)
			return;
		ssize_t n = read(d->ev_fd, d->evbuf + d->evlen, sizeof(d->evbuf) - 1 - d->evlen);
		if (n <= 0) {
			close(d->ev_fd);
			d->ev_fd = -1;
			return;
		}
		d->evlen += (size_t)n;
		char *nl;
		while ((nl = memchr(d->evbuf, '\n', d->evlen))) {
			*nl = 0;
			json_object *o = json_tokener_parse(d->evbuf), *ev, *data, *reason;
			if (o && json_object_object_get_ex(o, "event", &ev) &&
			    run_state_event(json_object_get_string(ev)))
				d->ev_changed = true;
			if (o && json_object_object_get_ex(o, "event", &ev) &&
			    !strcmp(json_object_get_string(ev), "SHUTDOWN")) {
				d->saw_shutdown = true;
				const char *rs = json_object_object_get_ex(o, "data", &data) &&
							 json_object_object_get_ex(data, "reason",
										   &reason) ?
							 json_object_get_string(reason) :
							 "";
				snprintf(d->reason, sizeof(d->reason), "%s", rs ? rs : "");
			}
			json_object_put(o);
			size_t used = (size_t)(nl - d->evbuf) + 1;
			memmove(d->evbuf, d->evbuf + used, d->evlen - used);
			d->evlen -= used;
		}
		if (d->evlen == sizeof(d->evbuf) - 1)
			d->evlen = 0; /* an absurd line: drop it */
	}
}

static xo_state qemu_state(xo_domain *d)
{
	events_poll(d, 0);
	if (qemu_reap(d))
		return XO_GONE;
	xerr *e = NULL;
	char *st = query_status(d, &e);
	if (e) {
		xerr_free(e);
		return qemu_reap(d) ? XO_GONE : XO_UNKNOWN;
	}
	xo_state r = XO_UNKNOWN;
	if (!strcmp(st, "running"))
		r = XO_RUNNING;
	else if (!strcmp(st, "paused") || !strcmp(st, "suspended") || !strcmp(st, "prelaunch"))
		r = XO_PAUSED;
	else if (!strcmp(st, "shutdown")) {
		/* The event may trail the state change: give it a moment. */
		for (int i = 0; i < 10 && !d->saw_shutdown && d->ev_fd >= 0; i++)
			events_poll(d, 100);
		r = d->saw_shutdown && !strcmp(d->reason, "guest-reset") ? XO_REBOOTED :
									   XO_SHUTDOWN;
	}
	else if (!strcmp(st, "guest-panicked") || !strcmp(st, "internal-error") ||
		 !strcmp(st, "io-error"))
		r = XO_CRASHED;
	free(st);
	return r;
}

/* The monitor's look (xo_backend.watch): query-status only after an
 * event that may change the run state, when the event connection is not
 * up, or every WATCH_FULL_MS as a safety net; otherwise XO_UNKNOWN. A
 * dead process is seen at once either way (reap). Saves a QMP connection
 * per VM per monitor pass. */
static xo_state qemu_watch(xo_domain *d)
{
	events_poll(d, 0);
	if (qemu_reap(d))
		return XO_GONE;
	int64_t now = hx_mono_ms();
	if (d->ev_fd >= 0 && !d->ev_changed && d->full_at && now - d->full_at < WATCH_FULL_MS)
		return XO_UNKNOWN;
	d->ev_changed = false;
	d->full_at = now;
	return qemu_state(d);
}

static xerr *qemu_pause(xo_domain *d)
{
	return qmp_once(d, "stop", NULL, NULL);
}

static xerr *qemu_unpause(xo_domain *d)
{
	return qmp_once(d, "cont", NULL, NULL);
}

static xerr *qemu_reset(xo_domain *d)
{
	events_poll(d, 0);
	d->saw_shutdown = false;
	d->reason[0] = 0;
	/* -action reboot=shutdown would turn this reset into a shutdown too:
	 * reset for real meanwhile. */
	qmp q;
	xerr *e = qmp_open(d->qmp_path, QMP_CONNECT_MS, &q);
	if (e)
		return e;
	json_object *a = json_object_new_object();
	json_object_object_add(a, "reboot", json_object_new_string("reset"));
	e = qmp_exec(&q, "set-action", a, -1, QMP_CMD_MS, NULL);
	if (!e)
		e = qmp_exec(&q, "system_reset", NULL, -1, QMP_CMD_MS, NULL);
	/* The reset runs from QEMU's main loop: cont may come too early. */
	for (int i = 0; !e; i++) {
		e = qmp_exec(&q, "cont", NULL, -1, QMP_CMD_MS, NULL);
		if (!e || i >= 100 || !strstr(e->params && e->nparams ? e->params[0] : "",
					      "Resetting"))
			break;
		xerr_free(e);
		e = NULL;
		usleep(20 * 1000);
	}
	json_object_object_add(a, "reboot", json_object_new_string("shutdown"));
	xerr *e2 = qmp_exec(&q, "set-action", a, -1, QMP_CMD_MS, NULL);
	json_object_put(a);
	qmp_close(&q);
	if (e) {
		xerr_free(e2);
		return e;
	}
	return e2;
}

static xerr *qemu_powerdown(xo_domain *d)
{
	return qmp_once(d, "system_powerdown", NULL, NULL);
}

/* stop, migrate to an fd on path, wait, quit. On failure the guest is
 * left as it was (running again if it ran) and path removed. */
static xerr *qemu_suspend(xo_domain *d, const char *path)
{
	xerr *e = NULL;
	char *st = query_status(d, &e);
	if (e)
		return e;
	bool was_running = !strcmp(st, "running");
	free(st);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return xerr_newf("INTERNAL_ERROR", "%s: %s", path, strerror(errno));
	qmp q;
	if ((e = qmp_open(d->qmp_path, QMP_CONNECT_MS, &q)))
		goto fail_fd;
	if ((e = qmp_exec(&q, "stop", NULL, -1, QMP_CMD_MS, NULL)))
		goto fail_q;
	json_object *a = json_object_new_object();
	json_object_object_add(a, "fdname", json_object_new_string("suspend"));
	e = qmp_exec(&q, "getfd", a, fd, QMP_CMD_MS, NULL);
	json_object_put(a);
	if (e)
		goto fail_cont;
	a = json_object_new_object();
	json_object_object_add(a, "uri", json_object_new_string("fd:suspend"));
	e = qmp_exec(&q, "migrate", a, -1, QMP_CMD_MS, NULL);
	json_object_put(a);
	if (e)
		goto fail_cont;
	int64_t deadline = hx_mono_ms() + SUSPEND_MS;
	for (;;) {
		json_object *r = NULL, *s;
		if ((e = qmp_exec(&q, "query-migrate", NULL, -1, QMP_CMD_MS, &r)))
			goto fail_cont;
		const char *ms = json_object_object_get_ex(r, "status", &s) ?
					 json_object_get_string(s) : "";
		bool done = !strcmp(ms, "completed");
		bool failed = !strcmp(ms, "failed") || !strcmp(ms, "cancelled");
		if (failed) {
			json_object *de = NULL;
			json_object_object_get_ex(r, "error-desc", &de);
			e = xerr_newf("INTERNAL_ERROR", "suspend failed: %s",
				      de ? json_object_get_string(de) : ms);
		}
		json_object_put(r);
		if (e)
			goto fail_cont;
		if (done)
			break;
		if (hx_mono_ms() > deadline) {
			e = xerr_new("INTERNAL_ERROR", "suspend: timeout", NULL);
			qmp_exec(&q, "migrate_cancel", NULL, -1, QMP_CMD_MS, NULL);
			goto fail_cont;
		}
		usleep(50 * 1000);
	}
	if (fsync(fd)) {
		e = xerr_newf("INTERNAL_ERROR", "suspend image: fsync: %s", strerror(errno));
		goto fail_cont;
	}
	close(fd);
	xerr_free(qmp_exec(&q, "quit", NULL, -1, QMP_CMD_MS, NULL));
	qmp_close(&q);
	for (int i = 0; i < 200 && !qemu_reap(d); i++)
		usleep(50 * 1000);
	qemu_kill_wait(d);
	remove_runtime(d->dir);
	return NULL;
fail_cont:
	if (was_running)
		xerr_free(qmp_exec(&q, "cont", NULL, -1, QMP_CMD_MS, NULL));
fail_q:
	qmp_close(&q);
fail_fd:
	close(fd);
	unlink(path);
	return e;
}

const xo_backend xo_qemu_backend = {
	.name = "qemu",
	.create = qemu_create,
	.attach = qemu_attach,
	.state = qemu_state,
	.watch = qemu_watch,
	.pause = qemu_pause,
	.unpause = qemu_unpause,
	.reset = qemu_reset,
	.powerdown = qemu_powerdown,
	.suspend = qemu_suspend,
	.destroy = qemu_destroy,
	.release = qemu_release,
	.pid = qemu_pid,
	.reap = qemu_reap,
	.stats = xo_qemu_stats,
	.set_vcpus = qemu_set_vcpus,
	.set_memory_target = qemu_set_memory_target,
	.live_state = qemu_live_state,
};
