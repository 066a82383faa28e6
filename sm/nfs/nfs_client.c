/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synchronous NFS client over libnfs (see nfs_client.h). libnfs's sync
 * calls already return -errno; this layer adds the loops (short transfers,
 * directory listing), sorting, atomic replace, and keeps libnfs types out
 * of the callers.
 */
#include "nfs_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h> /* libnfs.h uses struct timeval without including it */
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw-mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "value.h"

struct nfsc {
	struct nfs_context *ctx;
};

struct nfsc_file {
	struct nfsfh *fh;
};

int nfsc_mount(const char *server, const char *export_path, int version, int timeout_ms, nfsc **out,
	       char **errmsg)
{
	*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (!server || !*server || !export_path || export_path[0] != '/' || (version != 3 && version != 4)) {
		if (errmsg)
			*errmsg = hx_strdup("bad mount arguments");
		return -EINVAL;
	}
	struct nfs_context *ctx = nfs_init_context();
	if (!ctx) {
		if (errmsg)
			*errmsg = hx_strdup("cannot create an NFS context");
		return -ENOMEM;
	}
	int r = nfs_set_version(ctx, version) /* NFS_V3 == 3, NFS_V4 == 4 */;
	if (r < 0)
		goto err;
	if (timeout_ms > 0)
		nfs_set_timeout(ctx, timeout_ms);
	/* libnfs caches directory listings by the directory's attributes; a
	 * shared SR changes behind our back (other hosts, users of an ISO
	 * library), and a stale listing would hide or resurrect files. */
	nfs_set_dircache(ctx, 0);
	r = nfs_mount(ctx, server, export_path);
	if (r < 0)
		goto err;
	nfsc *c = hx_calloc(1, sizeof(*c));
	c->ctx = ctx;
	*out = c;
	return 0;
err:
	if (errmsg) {
		const char *m = nfs_get_error(ctx);
		*errmsg = hx_strdup(m && *m ? m : strerror(-r));
	}
	nfs_destroy_context(ctx);
	return r < 0 ? r : -EIO;
}

int nfsc_reachable(const char *server, int version, int timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	if (getaddrinfo(server, version == 4 ? "2049" : "111", &hints, &ai) != 0 || !ai)
		return -ENXIO;
	int r = -EHOSTUNREACH;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			r = 0;
		} else if (errno != EINPROGRESS) {
			r = -errno;
		} else {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
			int err = 0;
			socklen_t len = sizeof(err);
			if (n == 0)
				r = -ETIMEDOUT;
			else if (n < 0)
				r = -errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				r = -errno;
			else
				r = err ? -err : 0;
		}
		close(fd);
		if (r == 0)
			break;
	}
	freeaddrinfo(ai);
	return r;
}

int nfsc_exports(const char *server, nfsc_export **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct exportnode *list = mount_getexports(server);
	if (!list)
		return -EIO; /* libnfs gives no reason; an empty list is NULL too */
	size_t k = 0;
	for (struct exportnode *e = list; e; e = e->ex_next)
		k++;
	nfsc_export *v = hx_calloc(k, sizeof(*v));
	size_t i = 0;
	for (struct exportnode *e = list; e; e = e->ex_next, i++) {
		v[i].path = hx_strdup(e->ex_dir ? e->ex_dir : "");
		size_t len = 0;
		for (struct groupnode *g = e->ex_groups; g; g = g->gr_next)
			len += strlen(g->gr_name ? g->gr_name : "") + 1;
		if (!len) {
			v[i].access = hx_strdup("*");
			continue;
		}
		char *acc = hx_calloc(1, len);
		for (struct groupnode *g = e->ex_groups; g; g = g->gr_next) {
			if (*acc)
				strcat(acc, ",");
			strcat(acc, g->gr_name ? g->gr_name : "");
		}
		v[i].access = acc;
	}
	mount_free_export_list(list);
	*out = v;
	*n = k;
	return 0;
}

void nfsc_exports_free(nfsc_export *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].path);
		free(v[i].access);
	}
	free(v);
}

nfsc *nfsc_close(nfsc *c)
{
	if (!c)
		return NULL;
	/* nfs_destroy_context closes the sockets; NFSv3 has no mount state on
	 * the server worth an UMNT round trip (and a dead server would stall it). */
	nfs_destroy_context(c->ctx);
	free(c);
	return NULL;
}

const char *nfsc_error(nfsc *c)
{
	const char *m = c ? nfs_get_error(c->ctx) : NULL;
	return m ? m : "";
}

int nfsc_mkdir(nfsc *c, const char *path, int mode)
{
	return nfs_mkdir2(c->ctx, path, mode);
}

int nfsc_rmdir(nfsc *c, const char *path)
{
	return nfs_rmdir(c->ctx, path);
}

int nfsc_unlink(nfsc *c, const char *path)
{
	return nfs_unlink(c->ctx, path);
}

int nfsc_link(nfsc *c, const char *from, const char *to)
{
	return nfs_link(c->ctx, from, to);
}

int nfsc_rename(nfsc *c, const char *from, const char *to)
{
	return nfs_rename(c->ctx, from, to);
}

int nfsc_stat(nfsc *c, const char *path, nfsc_attr *st)
{
	struct nfs_stat_64 s;
	int r = nfs_stat64(c->ctx, path, &s);
	if (r < 0)
		return r;
	st->size = s.nfs_size;
	/* NFSv3 reports "used" bytes; v4 fills blocks (512-byte units). */
	st->allocated = s.nfs_used ? s.nfs_used : s.nfs_blocks * 512;
	st->mode = (uint32_t)s.nfs_mode;
	st->is_dir = S_ISDIR(s.nfs_mode);
	st->is_reg = S_ISREG(s.nfs_mode);
	return 0;
}

int nfsc_exists(nfsc *c, const char *path)
{
	nfsc_attr st;
	int r = nfsc_stat(c, path, &st);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

int nfsc_statvfs(nfsc *c, const char *path, nfsc_space *sp)
{
	struct nfs_statvfs_64 v;
	int r = nfs_statvfs64(c->ctx, path, &v);
	if (r < 0)
		return r;
	uint64_t unit = v.f_frsize ? v.f_frsize : v.f_bsize;
	sp->total = v.f_blocks * unit;
	sp->free = v.f_bavail * unit;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nfsc_readdir(nfsc *c, const char *path, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	struct nfsdir *d;
	int r = nfs_opendir(c->ctx, path, &d);
	if (r < 0)
		return r;
	size_t cap = 0, k = 0;
	char **v = NULL;
	struct nfsdirent *e;
	while ((e = nfs_readdir(c->ctx, d))) {
		if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
			continue;
		if (k == cap)
			v = hx_realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
		v[k++] = hx_strdup(e->name);
	}
	nfs_closedir(c->ctx, d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return 0;
}

void nfsc_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int nfsc_open(nfsc *c, const char *path, int flags, int mode, nfsc_file **out)
{
	*out = NULL;
	struct nfsfh *fh = NULL;
	int r;
	if (flags & O_CREAT)
		r = nfs_create(c->ctx, path, flags & ~O_CREAT, mode, &fh);
	else
		r = nfs_open(c->ctx, path, flags, &fh);
	if (r < 0)
		return r;
	nfsc_file *f = hx_calloc(1, sizeof(*f));
	f->fh = fh;
	*out = f;
	return 0;
}

int64_t nfsc_pread(nfsc *c, nfsc_file *f, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	uint64_t chunk = nfs_get_readmax(c->ctx);
	if (!chunk)
		chunk = 65536;
	while (done < len) {
		uint64_t want = len - done < chunk ? len - done : chunk;
		int r = nfs_pread(c->ctx, f->fh, off + done, want, (char *)buf + done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (int64_t)done;
}

int64_t nfsc_pwrite(nfsc *c, nfsc_file *f, uint64_t off, const void *buf, size_t len)
{
	size_t done = 0;
	/* libnfs 4.0 reports no maximum under NFSv4, and its v4 encoder fails
	 * on WRITE payloads over about 3.5 KiB: stay well below that there. */
	uint64_t chunk = nfs_get_writemax(c->ctx);
	if (!chunk)
		chunk = 2048;
	while (done < len) {
		uint64_t want = len - done < chunk ? len - done : chunk;
		int r = nfs_pwrite(c->ctx, f->fh, off + done, want, (const char *)buf + done);
		if (r < 0)
			return r;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return (int64_t)done;
}

int nfsc_ftruncate(nfsc *c, nfsc_file *f, uint64_t len)
{
	return nfs_ftruncate(c->ctx, f->fh, len);
}

int nfsc_fsync(nfsc *c, nfsc_file *f)
{
	return nfs_fsync(c->ctx, f->fh);
}

int nfsc_fclose(nfsc *c, nfsc_file *f)
{
	if (!f)
		return 0;
	int r = nfs_close(c->ctx, f->fh);
	free(f);
	return r;
}

int nfsc_read_file(nfsc *c, const char *path, size_t max, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	nfsc_attr st;
	int r = nfsc_stat(c, path, &st);
	if (r < 0)
		return r;
	if (!st.is_reg)
		return st.is_dir ? -EISDIR : -EINVAL;
	if (st.size > max)
		return -EFBIG;
	nfsc_file *f;
	if ((r = nfsc_open(c, path, O_RDONLY, 0, &f)) < 0)
		return r;
	/* one byte more than stat said, to notice a file that grew */
	char *b = hx_malloc((size_t)st.size + 2);
	int64_t got = nfsc_pread(c, f, 0, b, (size_t)st.size + 1);
	nfsc_fclose(c, f);
	if (got < 0) {
		free(b);
		return (int)got;
	}
	if ((uint64_t)got > max) {
		free(b);
		return -EFBIG;
	}
	b[got] = '\0';
	*buf = b;
	*len = (size_t)got;
	return 0;
}

int nfsc_write_file(nfsc *c, const char *path, const void *data, size_t len, int mode)
{
	char *tmp = hx_asprintf("%s.tmp-%ld", path, (long)getpid());
	nfsc_file *f;
	int r = nfsc_open(c, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);
	if (r < 0)
		goto out;
	int64_t w = nfsc_pwrite(c, f, 0, data, len);
	r = w < 0 ? (int)w : nfsc_fsync(c, f);
	int rc = nfsc_fclose(c, f);
	if (r >= 0)
		r = rc;
	if (r >= 0)
		r = nfsc_rename(c, tmp, path);
	if (r < 0)
		nfs_unlink(c->ctx, tmp);
out:
	free(tmp);
	return r < 0 ? r : 0;
}
