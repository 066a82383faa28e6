/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listening sockets and small file helpers for the HTTP transport.
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Creates the AF_UNIX listening socket at path, mode 0600 (owned by the
 * daemon's euid, i.e. root in production: XAPI's socket trusts every peer
 * as local superuser, so only root may connect). A stale socket at path
 * is replaced; any other file there is an error. The mode is set between
 * bind() and listen(), when nobody can connect yet. Returns 0 with *fd_out
 * or negative errno with *errmsg.
 */
int hh_unix_listen(const char *path, int *fd_out, char **errmsg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof sun.sun_path) {
		*errmsg = hh_asprintf("unix socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*errmsg = hh_asprintf("%s exists and is not a socket", path);
			return -EEXIST;
		}
		if (unlink(path) != 0) {
			rc = -errno;
			*errmsg = hh_asprintf("unlink %s: %s", path, strerror(errno));
			return rc;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		*errmsg = hh_asprintf("socket(AF_UNIX): %s", strerror(errno));
		return rc;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		rc = -errno;
		*errmsg = hh_asprintf("bind %s: %s", path, strerror(errno));
		goto err_close;
	}
	if (chmod(path, 0600) != 0) {
		rc = -errno;
		*errmsg = hh_asprintf("chmod %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		rc = -errno;
		*errmsg = hh_asprintf("listen %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	*fd_out = fd;
	return 0;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return rc;
}

/*
 * Fills *ss for addr:port. addr NULL means any (IPv6 "::", used dual-stack).
 * Returns 0 or -EINVAL with *errmsg.
 */
int hh_parse_bind(const char *addr, uint16_t port, struct sockaddr_storage *ss, bool *is_v6,
		  char **errmsg)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (!addr || !*addr)
		addr = "::";
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*is_v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*is_v6 = true;
		return 0;
	}
	*errmsg = hh_asprintf("bad bind address: %s", addr);
	return -EINVAL;
}

/*
 * Reads a whole (small) file into a NUL-terminated heap buffer.
 * Returns the length or negative errno with *errmsg.
 */
int hh_read_file(const char *path, size_t max, char **out, char **errmsg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0) {
		rc = -errno;
		*errmsg = hh_asprintf("open %s: %s", path, strerror(errno));
		return rc;
	}
	buf = hh_malloc(cap);
	for (;;) {
		if (len + 1 == cap) {
			if (cap > max) {
				*errmsg = hh_asprintf("%s: too large", path);
				rc = -EFBIG;
				goto err_free;
			}
			cap *= 2;
			buf = hh_realloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			*errmsg = hh_asprintf("read %s: %s", path, strerror(errno));
			goto err_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return (int)len;

err_free:
	free(buf);
	close(fd);
	return rc;
}
