/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/qimg: qemu-img as a child process (fork + execvp, no shell): info,
 * create, convert (with progress and cancellation), rebase, resize.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "qimg.h"
#include "strbuf.h"

void qimg_info_clear(qimg_info *i)
{
	free(i->format);
	free(i->backing_filename);
	memset(i, 0, sizeof(*i));
}

/* The qemu-img binary: $HALYARD_QEMU_IMG or "qemu-img" from PATH. */
static const char *qimg_bin(void)
{
	const char *e = getenv("HALYARD_QEMU_IMG");
	return e && *e ? e : "qemu-img";
}

/* Parses the last "(NN.NN/100%)" in buf[0..n) and reports it. */
static void progress_scan(const char *buf, size_t n, const sm_progress *prog)
{
	for (size_t i = n; i-- > 0;) {
		if (buf[i] != '(')
			continue;
		double f;
		if (sscanf(buf + i, "(%lf/100%%)", &f) == 1)
			sm_progress_set(prog, f / 100.0);
		return;
	}
}

int qimg_run(const char *const *argv, char **out, char **err, const sm_progress *prog)
{
	size_t argc = 0;
	while (argv[argc])
		argc++;
	const char **full = hx_calloc(argc + 2, sizeof(*full));
	full[0] = qimg_bin();
	for (size_t i = 0; i < argc; i++)
		full[i + 1] = argv[i];
	int r = sm_run(full, out, err, prog);
	free(full);
	return r;
}

int sm_run(const char *const *full, char **out, char **err, const sm_progress *prog)
{
	int po[2], pe[2];
	if (out)
		*out = NULL;
	if (err)
		*err = NULL;
	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		int e = -errno;
		close(po[0]);
		close(po[1]);
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
		return e;
	}
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		execvp(full[0], (char *const *)full);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	strbuf ob = STRBUF_INIT, eb = STRBUF_INIT;
	struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int open_fds = 2;
	bool killed = false;
	while (open_fds > 0) {
		int r = poll(pf, 2, 200);
		if (r < 0 && errno == EINTR)
			continue;
		if (!killed && sm_progress_cancelled(prog)) {
			kill(pid, SIGKILL);
			killed = true;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t n = read(pf[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (prog)
					progress_scan(buf, (size_t)n, prog);
				else if (ob.len < (1u << 20))
					sb_putn(&ob, buf, (size_t)n);
			} else if (eb.len < 65536) {
				sb_putn(&eb, buf, (size_t)n);
			}
		}
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = ob.s ? sb_steal(&ob, NULL) : hx_strdup("");
	else
		sb_free(&ob);
	if (err)
		*err = eb.s ? sb_steal(&eb, NULL) : hx_strdup("");
	else
		sb_free(&eb);
	if (killed)
		return -ECANCELED;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Trims trailing newlines of a qemu-img message in place. */
static char *trim(char *s)
{
	size_t n = s ? strlen(s) : 0;
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Runs argv; on failure an SR_BACKEND_FAILURE_<code> with qemu-img's text. */
static xerr *run_or_fail(int code, const char *const *argv, char **out,
                         const sm_progress *prog)
{
	char *err = NULL;
	int r = qimg_run(argv, out, &err, prog);
	xerr *e = NULL;
	if (r == -ECANCELED)
		e = xerr_new("TASK_CANCELLED", "", NULL);
	else if (r < 0)
		e = sm_backend_failure(code, "cannot run qemu-img: %s", strerror(-r));
	else if (r != 0)
		e = sm_backend_failure(code, "qemu-img %s: %s", argv[0],
		                       trim(err) && *err ? err : "failed");
	free(err);
	if (e && out) {
		free(*out);
		*out = NULL;
	}
	return e;
}

xerr *qimg_info_get(const char *filename, const char *fmt, qimg_info *out)
{
	memset(out, 0, sizeof(*out));
	const char *argv[8];
	int a = 0;
	argv[a++] = "info";
	argv[a++] = "--output=json";
	argv[a++] = "-U";
	if (fmt) {
		argv[a++] = "-f";
		argv[a++] = fmt;
	}
	argv[a++] = filename;
	argv[a] = NULL;
	char *text = NULL;
	xerr *e = run_or_fail(SM_E_VDI_UNAVAILABLE, argv, &text, NULL);
	if (e)
		return e;
	json_object *j = json_tokener_parse(text);
	free(text);
	if (!j || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return sm_backend_failure(SM_E_VDI_UNAVAILABLE, "qemu-img info: bad output");
	}
	json_object *v;
	if (json_object_object_get_ex(j, "format", &v))
		out->format = hx_strdup(json_object_get_string(v));
	out->virtual_size = json_object_object_get_ex(j, "virtual-size", &v) ?
		json_object_get_int64(v) : 0;
	out->actual_size = json_object_object_get_ex(j, "actual-size", &v) ?
		json_object_get_int64(v) : -1;
	if (json_object_object_get_ex(j, "backing-filename", &v))
		out->backing_filename = hx_strdup(json_object_get_string(v));
	json_object *fs, *d;
	if (json_object_object_get_ex(j, "format-specific", &fs) &&
	    json_object_object_get_ex(fs, "data", &d) &&
	    json_object_object_get_ex(d, "corrupt", &v))
		out->corrupt = json_object_get_boolean(v);
	json_object_put(j);
	if (!out->format)
		out->format = hx_strdup("raw");
	return NULL;
}

xerr *qimg_create(const char *filename, const char *fmt, int64_t size,
                  const char *backing, const char *backing_fmt)
{
	char sz[32];
	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	const char *argv[14];
	int a = 0;
	argv[a++] = "create";
	argv[a++] = "-q";
	argv[a++] = "-f";
	argv[a++] = fmt;
	if (backing) {
		argv[a++] = "-u";
		argv[a++] = "-b";
		argv[a++] = backing;
		argv[a++] = "-F";
		argv[a++] = backing_fmt;
	}
	argv[a++] = filename;
	argv[a++] = sz;
	argv[a] = NULL;
	return run_or_fail(SM_E_VDI_CREATE, argv, NULL, NULL);
}

xerr *qimg_convert(const sm_open *src, const char *dst, const char *dst_fmt,
                   bool create, const sm_progress *prog)
{
	const char *argv[16];
	int a = 0;
	argv[a++] = "convert";
	if (prog)
		argv[a++] = "-p";
	argv[a++] = "-U";
	argv[a++] = "-f";
	argv[a++] = src->format ? src->format : "raw";
	argv[a++] = "-O";
	argv[a++] = dst_fmt;
	if (!create)
		argv[a++] = "-n";
	argv[a++] = "-W";
	argv[a++] = src->filename;
	argv[a++] = dst;
	argv[a] = NULL;
	return run_or_fail(SM_E_VDI_COPY, argv, NULL, prog);
}

xerr *qimg_rebase(const char *filename, const char *new_backing,
                  const char *backing_fmt, bool unsafe)
{
	const char *argv[12];
	int a = 0;
	argv[a++] = "rebase";
	argv[a++] = "-q";
	if (unsafe) {
		argv[a++] = "-u";
	} else {
		/* Every copied cluster and its L2 entry reach the disk before
		 * the header names the new backing file (qemu-img would
		 * otherwise keep L2 updates in its cache until the end, and a
		 * kill between the header write and that flush loses data). */
		argv[a++] = "-t";
		argv[a++] = "writethrough";
	}
	argv[a++] = "-f";
	argv[a++] = "qcow2";
	argv[a++] = "-b";
	argv[a++] = new_backing ? new_backing : "";
	if (new_backing) {
		argv[a++] = "-F";
		argv[a++] = backing_fmt;
	}
	argv[a++] = filename;
	argv[a] = NULL;
	return run_or_fail(SM_E_IO, argv, NULL, NULL);
}

xerr *qimg_resize(const char *filename, const char *fmt, int64_t size)
{
	char sz[32];
	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	const char *argv[] = { "resize", "-q", "-f", fmt, filename, sz, NULL };
	return run_or_fail(SM_E_VDI_RESIZE, argv, NULL, NULL);
}

xerr *sm_copy_data(const sm_open *src, const sm_open *dst, const sm_progress *prog)
{
	return qimg_convert(src, dst->filename, dst->format ? dst->format : "raw",
	                    false, prog);
}
