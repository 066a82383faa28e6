/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One unixctl command to ovs-vswitchd (ovs_appctl.h). The protocol is
 * JSON-RPC 1.0 over the control socket, one request and one reply, each a
 * bare JSON object (no delimiter: the reply is read until it parses).
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ovs_appctl.h"

static int fail(char **err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(err, fmt, ap) < 0)
			*err = NULL;
		va_end(ap);
	}
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_ctl(const char *rundir, char **err)
{
	char path[4200], pid[32] = "";
	snprintf(path, sizeof(path), "%s/ovs-vswitchd.pid", rundir);
	FILE *f = fopen(path, "re");
	if (!f)
		return fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!fgets(pid, sizeof(pid), f))
		pid[0] = 0;
	fclose(f);
	pid[strspn(pid, "0123456789")] = 0;
	if (!pid[0])
		return fail(err, -ENOENT, "%s: no pid", path);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ovs-vswitchd.%s.ctl", rundir, pid);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return fail(err, -ENAMETOOLONG, "control socket path too long");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return fail(err, -e, "%s: %s", sa.sun_path, strerror(e));
	}
	return fd;
}

int ovs_appctl(const char *rundir, const char *cmd, int timeout_ms, char **reply, char **err)
{
	if (reply)
		*reply = NULL;
	if (err)
		*err = NULL;
	int fd = connect_ctl(rundir, err);
	if (fd < 0)
		return fd;
	json_object *req = json_object_new_object();
	json_object_object_add(req, "method", json_object_new_string(cmd));
	json_object_object_add(req, "params", json_object_new_array());
	json_object_object_add(req, "id", json_object_new_int(0));
	const char *txt = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(txt), off = 0;
	int rc = 0;
	while (off < len) {
		ssize_t w = send(fd, txt + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = fail(err, -EIO, "send: %s", strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	json_object_put(req);
	json_tokener *tok = json_tokener_new();
	json_object *msg = NULL;
	long long deadline = now_ms() + timeout_ms;
	size_t total = 0;
	while (!rc && !msg) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			rc = fail(err, -ETIMEDOUT, "%s: no reply in %d ms", cmd, timeout_ms);
			break;
		}
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = fail(err, -EIO, "%s: connection closed", cmd);
			break;
		}
		total += (size_t)n;
		if (total > (1u << 20)) {
			rc = fail(err, -EMSGSIZE, "%s: reply too large", cmd);
			break;
		}
		msg = json_tokener_parse_ex(tok, buf, (int)n);
		enum json_tokener_error je = json_tokener_get_error(tok);
		if (!msg && je != json_tokener_continue) {
			rc = fail(err, -EPROTO, "%s: bad reply: %s", cmd, json_tokener_error_desc(je));
			break;
		}
	}
	json_tokener_free(tok);
	close(fd);
	if (rc)
		return rc;
	json_object *res = NULL, *er = NULL;
	if (!json_object_is_type(msg, json_type_object)) {
		rc = fail(err, -EPROTO, "%s: the reply is not an object", cmd);
	} else if (json_object_object_get_ex(msg, "error", &er) && er &&
		   !json_object_is_type(er, json_type_null)) {
		rc = fail(err, -EREMOTEIO, "%s: %s", cmd, json_object_get_string(er));
	} else if (reply && json_object_object_get_ex(msg, "result", &res) && res) {
		const char *s = json_object_get_string(res);
		*reply = s ? strdup(s) : NULL;
	}
	json_object_put(msg);
	return rc;
}
