/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.call_plugin: runs <plugin_dir>/<plugin> as XAPI runs
 * /etc/xapi.d/plugins/<plugin>, with the XML-RPC call as argv[1] and the
 * XML-RPC response read from stdout (plugin_xml.h has the convention).
 *
 * The child gets no shell, its own process group, /dev/null as stdin and
 * no inherited descriptors; it is killed (whole group) after
 * PLUGIN_TIMEOUT_MS, and its output is captured up to a bound (the rest
 * is drained and dropped so that it never blocks on a full pipe).
 * A synchronous call parks its reply and runs on a thread of its own, so
 * a slow plugin holds no HTTP worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "plugin_xml.h"
#include "strbuf.h"
#include "util.h"
#include "xapid.h"

#define PLUGIN_TIMEOUT_MS (300 * 1000)
#define PLUGIN_STDOUT_MAX (16u << 20)
#define PLUGIN_STDERR_MAX (1u << 20)
/* Plugin calls running on their own threads at once; more run inline. */
#define PLUGIN_THREADS_MAX 64

extern char **environ;

struct capture {
	int fd;
	strbuf buf;
	size_t max;
};

/* Reads what is there; false at EOF or error. */
static bool capture_read(struct capture *c)
{
	char tmp[65536];
	ssize_t n = read(c->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	size_t room = c->buf.len < c->max ? c->max - c->buf.len : 0;
	sb_putn(&c->buf, tmp, (size_t)n < room ? (size_t)n : room);
	return true;
}

/* The child side of the fork: only async-signal-safe calls. */
static _Noreturn void child(const char *path, const char *arg, int out_fd, int err_fd)
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	long maxfd = sysconf(_SC_OPEN_MAX);
	for (int fd = 3; fd < (maxfd > 0 ? maxfd : 1024); fd++)
		close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char *const argv[] = { (char *)path, (char *)arg, NULL };
	execve(path, argv, environ);
	_exit(127);
}

static const char *signal_name(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "unknown";
}

/* Output goes back inside an XML-RPC error: make it legal XML text. */
static void sanitize(char *s, size_t len)
{
	if (hx_valid_xml_utf8(s, len))
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
			s[i] = '?';
	}
}

/* Runs the plugin at path; see the file comment. */
static xerr *run_plugin(const char *path, const char *arg, xv **result)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC))
		return xerr_newf("INTERNAL_ERROR", "pipe: %s", strerror(errno));
	if (pipe2(err, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return xerr_newf("INTERNAL_ERROR", "pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid == 0)
		child(path, arg, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		int e = errno;
		close(out[0]);
		close(err[0]);
		return xerr_newf("INTERNAL_ERROR", "fork: %s", strerror(e));
	}
	/* Both sides set the group, so a kill never races the child's setpgid. */
	setpgid(pid, pid);

	struct capture cap[2] = { { out[0], STRBUF_INIT, PLUGIN_STDOUT_MAX },
				  { err[0], STRBUF_INIT, PLUGIN_STDERR_MAX } };
	bool open_[2] = { true, true };
	bool timed_out = false;
	int64_t deadline = hx_mono_ms() + PLUGIN_TIMEOUT_MS;
	while (open_[0] || open_[1]) {
		int64_t left = deadline - hx_mono_ms();
		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		struct pollfd p[2];
		nfds_t np = 0;
		int which[2];
		for (int i = 0; i < 2; i++) {
			if (!open_[i])
				continue;
			p[np] = (struct pollfd){ .fd = cap[i].fd, .events = POLLIN };
			which[np++] = i;
		}
		int r = poll(p, np, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR)
			break;
		for (nfds_t k = 0; r > 0 && k < np; k++)
			if (p[k].revents && !capture_read(&cap[which[k]]))
				open_[which[k]] = false;
	}
	close(cap[0].fd);
	close(cap[1].fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Whatever the plugin left running in its group goes with it. */
	kill(-pid, SIGKILL);

	size_t olen;
	char *o = sb_steal(&cap[0].buf, &olen);
	size_t elen;
	char *e = sb_steal(&cap[1].buf, &elen);
	sanitize(e, elen);
	xerr *x = NULL;
	sanitize(o, olen);
	if (timed_out) {
		x = xerr_new("XENAPI_PLUGIN_FAILURE", "timeout", o, e, NULL);
	} else if (WIFSIGNALED(st)) {
		char *why = hx_asprintf("signal: SIG%s", signal_name(WTERMSIG(st)));
		x = xerr_new("XENAPI_PLUGIN_FAILURE", why, o, e, NULL);
		free(why);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		x = xerr_new("XENAPI_PLUGIN_FAILURE", "non-zero exit", o, e, NULL);
	} else {
		x = plugin_parse_output(o, olen, result);
	}
	free(o);
	free(e);
	return x;
}

/* The plugin's path, or XENAPI_MISSING_PLUGIN. */
static xerr *find_plugin(const struct xapid *app, const char *name, char **path)
{
	const char *dir = app->cfg.plugin_dir;
	struct stat sb;
	if (!plugin_name_ok(name) || !dir || !*dir)
		return xerr_new("XENAPI_MISSING_PLUGIN", name ? name : "", NULL);
	*path = hx_asprintf("%s/%s", dir, name);
	if (stat(*path, &sb) || !S_ISREG(sb.st_mode)) {
		free(*path);
		*path = NULL;
		return xerr_new("XENAPI_MISSING_PLUGIN", name, NULL);
	}
	return NULL;
}

struct plugin_job {
	rpc_pending *pending;
	char *path, *arg;
};

static atomic_int plugin_threads;

static void *plugin_thread(void *p)
{
	struct plugin_job *j = p;
	xv *result = NULL;
	xerr *e = run_plugin(j->path, j->arg, &result);
	rpc_pending_complete(j->pending, result, e);
	free(j->path);
	free(j->arg);
	free(j);
	atomic_fetch_sub(&plugin_threads, 1);
	return NULL;
}

xerr *op_host_call_plugin(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	char *path = NULL;
	xerr *e = find_plugin(ctx->app, xv_s(args[1]), &path);
	if (e)
		return e;
	char *arg = plugin_build_call(xv_s(args[2]), ctx->session_ref, args[3]);

	/* Inside an Async task the task worker may wait; a direct call parks. */
	if (!ctx->task_ref && ctx->done &&
	    atomic_fetch_add(&plugin_threads, 1) < PLUGIN_THREADS_MAX) {
		struct plugin_job *j = hx_calloc(1, sizeof(*j));
		j->path = path;
		j->arg = arg;
		j->pending = rpc_defer(ctx);
		pthread_attr_t at;
		pthread_t th;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int r = pthread_create(&th, &at, plugin_thread, j);
		pthread_attr_destroy(&at);
		if (r) {
			/* No thread: answer through the parked reply, from here. */
			plugin_thread(j);
		}
		return RPC_DEFERRED;
	}
	if (!ctx->task_ref && ctx->done)
		atomic_fetch_sub(&plugin_threads, 1);
	e = run_plugin(path, arg, result);
	free(path);
	free(arg);
	return e;
}
