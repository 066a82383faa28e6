/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved RRDs (see rrd_store.h): one file per owner, <dir>/<uuid>.rrd, in
 * rrd_save's form. A save writes <uuid>.rrd.tmp, fsyncs it, renames it over
 * the old file and fsyncs the directory, so a crash leaves the previous
 * or the new file, never a torn one. A file that does not load (damaged,
 * or from the future) is set aside as <uuid>.rrd.bad and the owner starts
 * afresh, as xcp-rrdd does with an unreadable archive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rrd_store.h"
#include "util.h"
#include "value.h"

#define MAX_FILE (64u << 20)
#define FUTURE_SLACK (24 * 3600)

static char *path_of(const char *dir, const char *uuid, const char *suffix)
{
	return hx_asprintf("%s/%s.rrd%s", dir, uuid, suffix);
}

static bool uuid_ok(const char *uuid)
{
	size_t n = strlen(uuid);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((uuid[i] >= '0' && uuid[i] <= '9') || (uuid[i] >= 'a' && uuid[i] <= 'f') ||
		      (uuid[i] >= 'A' && uuid[i] <= 'F') || uuid[i] == '-'))
			return false;
	return true;
}

int rrd_store_save(const char *dir, const char *uuid, const rrd *r)
{
	rrd_buf b = { 0 };
	rrd_save(r, &b);
	int rc = rrd_store_write(dir, uuid, &b);
	free(b.s);
	return rc;
}

int rrd_store_write(const char *dir, const char *uuid, const rrd_buf *saved)
{
	if (!uuid_ok(uuid))
		return -EINVAL;
	const rrd_buf b = *saved;
	char *tmp = path_of(dir, uuid, ".tmp"), *fin = path_of(dir, uuid, "");
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (size_t off = 0; off < b.len;) {
		ssize_t n = write(fd, b.s + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, fin))
		rc = -errno;
	if (rc) {
		unlink(tmp);
	} else {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
out:
	free(tmp);
	free(fin);
	return rc;
}

rrd *rrd_store_load(const char *dir, const char *uuid)
{
	if (!uuid_ok(uuid))
		return NULL;
	char *p = path_of(dir, uuid, "");
	rrd *r = NULL;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	bool read_ok = false;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= MAX_FILE) {
		buf = hx_malloc((size_t)st.st_size);
		while (len < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		read_ok = len == (size_t)st.st_size;
	}
	close(fd);
	if (read_ok)
		r = rrd_load(buf, len);
	free(buf);
	if (r && rrd_last_updated(r) > (int64_t)time(NULL) + FUTURE_SLACK) {
		rrd_free(r);
		r = NULL;
	}
	if (!r) {
		char *bad = path_of(dir, uuid, ".bad");
		rename(p, bad);
		free(bad);
	}
	free(p);
	return r;
}

void rrd_store_remove(const char *dir, const char *uuid)
{
	if (!uuid_ok(uuid))
		return;
	char *p = path_of(dir, uuid, "");
	unlink(p);
	free(p);
}

size_t rrd_store_list(const char *dir, char ***uuids)
{
	*uuids = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 4 || strcmp(de->d_name + l - 4, ".rrd"))
			continue;
		char *u = hx_strndup(de->d_name, l - 4);
		if (!uuid_ok(u)) {
			free(u);
			continue;
		}
		*uuids = hx_realloc(*uuids, (n + 1) * sizeof(char *));
		(*uuids)[n++] = u;
	}
	closedir(d);
	return n;
}
