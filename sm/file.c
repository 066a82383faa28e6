/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/file: the `file` and `ext` SR types: a local directory
 * (device_config:location, an absolute path) holding one qcow2 (or raw)
 * image per VDI, through the shared chain engine (chain.h). Thin
 * provisioned; snapshots and clones are backing chains.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "chain.h"

typedef struct file_sr {
	sm_chain chain;   /* first member (chain.h) */
	char *dir;
	int dirfd;
} file_sr;

/* ---- sm_fsops on a local directory -------------------------------------- */

static int fs_list(void *fs, int (*fn)(void *arg, const char *name), void *arg)
{
	file_sr *f = fs;
	int fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = fn(arg, de->d_name);
	}
	closedir(d);
	return r;
}

static bool name_ok(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static int fs_stat(void *fs, const char *name, int64_t *size, int64_t *allocated)
{
	file_sr *f = fs;
	struct stat st;
	if (!name_ok(name))
		return -EINVAL;
	if (fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = st.st_size;
	*allocated = (int64_t)st.st_blocks * 512;
	return 0;
}

static int fs_rename(void *fs, const char *from, const char *to)
{
	file_sr *f = fs;
	if (!name_ok(from) || !name_ok(to))
		return -EINVAL;
	/* Never replace an existing entry. */
	if (renameat2(f->dirfd, from, f->dirfd, to, RENAME_NOREPLACE) < 0)
		return -errno;
	fsync(f->dirfd);
	return 0;
}

static int fs_unlink(void *fs, const char *name)
{
	file_sr *f = fs;
	if (!name_ok(name))
		return -EINVAL;
	if (unlinkat(f->dirfd, name, 0) < 0)
		return -errno;
	fsync(f->dirfd);
	return 0;
}

static int fs_statfs(void *fs, int64_t *total, int64_t *free_bytes)
{
	file_sr *f = fs;
	struct statvfs sv;
	if (fstatvfs(f->dirfd, &sv) < 0)
		return -errno;
	*total = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
	*free_bytes = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	return 0;
}

static int fs_open_spec(void *fs, const char *name, sm_open *out)
{
	file_sr *f = fs;
	if (!name_ok(name))
		return -EINVAL;
	out->protocol = hx_strdup("file");
	out->filename = hx_asprintf("%s/%s", f->dir, name);
	return 0;
}

static int fs_put_small(void *fs, const char *name, const void *buf, size_t n)
{
	file_sr *f = fs;
	if (!name_ok(name))
		return -EINVAL;
	int fd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (write(fd, buf, n) != (ssize_t)n || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (r < 0)
		unlinkat(f->dirfd, name, 0);
	else
		fsync(f->dirfd);
	return r;
}

static int64_t fs_get_small(void *fs, const char *name, void *buf, size_t cap)
{
	file_sr *f = fs;
	if (!name_ok(name))
		return -EINVAL;
	int fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap);
	int e = errno;
	close(fd);
	return n < 0 ? -e : n;
}

static int fs_link(void *fs, const char *from, const char *to)
{
	file_sr *f = fs;
	if (!name_ok(from) || !name_ok(to))
		return -EINVAL;
	if (linkat(f->dirfd, from, f->dirfd, to, 0) < 0)
		return -errno;
	fsync(f->dirfd);
	return 0;
}

static int fs_sync(void *fs, const char *name)
{
	file_sr *f = fs;
	if (!name_ok(name))
		return -EINVAL;
	int fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static const sm_fsops file_fsops = {
	.sync = fs_sync,
	.link = fs_link,
	.list = fs_list,
	.stat = fs_stat,
	.rename = fs_rename,
	.unlink = fs_unlink,
	.statfs = fs_statfs,
	.open_spec = fs_open_spec,
	.put_small = fs_put_small,
	.get_small = fs_get_small,
};

/* ---- the driver ----------------------------------------------------------- */

/* Checks device_config:location: an absolute, clean path. */
static xerr *check_location(const xv *dc, const char **out)
{
	const char *loc = dc ? xv_struct_str(dc, "location") : NULL;
	if (!loc || !*loc)
		return sm_backend_failure(SM_E_CONFIG_MISSING,
			"device_config:location (an absolute directory path) is missing");
	if (loc[0] != '/' || strstr(loc, "/../") || strstr(loc, "/./") ||
	    strlen(loc) >= 4000 ||
	    (strlen(loc) >= 3 && strcmp(loc + strlen(loc) - 3, "/..") == 0))
		return sm_backend_failure(SM_E_CONFIG_INVALID,
			"device_config:location must be an absolute path: %s", loc);
	if (out)
		*out = loc;
	return NULL;
}

static xerr *file_check_config(const xv *dc)
{
	return check_location(dc, NULL);
}

/* Opens the SR directory into a new file_sr (mkdir when create). */
static xerr *open_dir(sm_sr *sr, bool create, file_sr **out)
{
	const char *loc;
	xerr *e = check_location(sr->device_config, &loc);
	if (e)
		return e;
	if (create && mkdir(loc, 0755) < 0 && errno != EEXIST)
		return sm_backend_failure(SM_E_CONFIG_INVALID, "cannot create %s: %s", loc,
		                          strerror(errno));
	int fd = open(loc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sm_backend_failure(create ? SM_E_CONFIG_INVALID : SM_E_SR_UNAVAILABLE,
			"cannot open directory %s: %s", loc, strerror(errno));
	file_sr *f = hx_calloc(1, sizeof(*f));
	f->chain.ops = &file_fsops;
	f->chain.fs = f;
	f->dir = hx_strdup(loc);
	f->dirfd = fd;
	*out = f;
	return NULL;
}

static void close_dir(file_sr *f)
{
	if (!f)
		return;
	close(f->dirfd);
	free(f->dir);
	free(f);
}

static xerr *file_sr_create(sm_sr *sr, int64_t physical_size)
{
	const char *loc;
	xerr *e = check_location(sr->device_config, &loc);
	if (e)
		return e;
	struct stat st;
	bool existed = stat(loc, &st) == 0;
	if (existed && !S_ISDIR(st.st_mode))
		return sm_backend_failure(SM_E_CONFIG_INVALID, "%s is not a directory", loc);
	file_sr *f;
	e = open_dir(sr, true, &f);
	if (e)
		return e;
	e = sm_chain_sr_create(&f->chain, sr->uuid);
	close_dir(f);
	if (e && !existed)
		rmdir(loc);
	return e;
}

static xerr *file_sr_attach(sm_sr *sr)
{
	file_sr *f;
	xerr *e = open_dir(sr, false, &f);
	if (e)
		return e;
	/* An SR introduced on a directory made elsewhere adopts it. */
	e = sm_chain_sr_attach(&f->chain, sr->uuid, true);
	if (e) {
		close_dir(f);
		return e;
	}
	sr->priv = f;
	return NULL;
}

static xerr *file_sr_detach(sm_sr *sr)
{
	close_dir(sr->priv);
	sr->priv = NULL;
	return NULL;
}

static xerr *file_sr_destroy(sm_sr *sr)
{
	file_sr *f = sr->priv;
	xerr *e = sm_chain_sr_destroy(&f->chain);
	if (e)
		return e;
	/* The directory goes too when nothing else is left in it. */
	rmdir(f->dir);
	return NULL;
}

static xerr *file_sr_probe(const xv *dc, const xv *smc, sm_probe_result *out)
{
	const char *loc;
	memset(out, 0, sizeof(*out));
	xerr *e = check_location(dc, &loc);
	if (e)
		return e;
	char *mk = hx_asprintf("%s/.halyard-sr", loc);
	FILE *fp = fopen(mk, "re");
	free(mk);
	if (!fp)
		return NULL; /* nothing there */
	char buf[128] = { 0 };
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	char *u = buf;
	if (strncmp(u, "halyard-sr ", 11) == 0)
		u += 11;
	u[strcspn(u, "\r\n")] = 0;
	sm_probe_sr *p = sm_probe_result_add(out);
	p->uuid = hx_strdup(u);
	p->device_config = xv_struct();
	xv_struct_set(p->device_config, "location", xv_str(loc));
	struct statvfs sv;
	if (statvfs(loc, &sv) == 0) {
		p->total_space = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
		p->free_space = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	}
	return NULL;
}

static const char *const file_caps[] = {
	SM_CAP_SR_PROBE, SM_CAP_SR_UPDATE, SM_CAP_VDI_CREATE, SM_CAP_VDI_DELETE,
	SM_CAP_VDI_ATTACH, SM_CAP_VDI_DETACH, SM_CAP_VDI_CLONE, SM_CAP_VDI_SNAPSHOT,
	SM_CAP_VDI_RESIZE, SM_CAP_VDI_RESIZE_ONLINE, SM_CAP_VDI_INTRODUCE,
	SM_CAP_VDI_UPDATE, SM_CAP_VDI_COMPOSE, SM_CAP_THIN_PROVISIONING, NULL,
};

static const char *const file_config[] = {
	"location", "an absolute path of a local directory holding the SR", NULL,
};

#define FILE_DRIVER_BODY                                         \
	.vendor = "Halyard",                                     \
	.copyright = "Apache-2.0",                               \
	.version = "1.0",                                        \
	.required_api_version = "1.0",                           \
	.capabilities = file_caps,                               \
	.configuration = file_config,                            \
	.content_type = "user",                                  \
	.check_config = file_check_config,                       \
	.sr_create = file_sr_create,                             \
	.sr_attach = file_sr_attach,                             \
	.sr_detach = file_sr_detach,                             \
	.sr_destroy = file_sr_destroy,                           \
	.sr_probe = file_sr_probe,                               \
	.sr_scan = sm_chain_scan,                                \
	.sr_stat = sm_chain_stat,                                \
	.vdi_create = sm_chain_vdi_create,                       \
	.vdi_destroy = sm_chain_vdi_destroy,                     \
	.vdi_stat = sm_chain_vdi_stat,                           \
	.vdi_snapshot = sm_chain_vdi_snapshot,                   \
	.vdi_clone = sm_chain_vdi_clone,                         \
	.vdi_resize = sm_chain_vdi_resize,                       \
	.vdi_copy = sm_chain_vdi_copy,                           \
	.vdi_compose = sm_chain_vdi_compose,                     \
	.vdi_attach = sm_chain_vdi_attach,                       \
	.vdi_introduce = sm_chain_vdi_introduce,                 \
	.sr_gc = sm_chain_gc,                                    \
	.sr_recover = sm_chain_sr_recover,                       \
	.vdi_settle = sm_chain_vdi_settle

const sm_driver sm_driver_file = {
	.type = "file",
	.name_label = "Local file SR",
	.name_description = "SR on a local directory: one qcow2 (or raw) image per VDI",
	FILE_DRIVER_BODY,
};

const sm_driver sm_driver_ext = {
	.type = "ext",
	.name_label = "Local EXT SR",
	.name_description = "SR on a local directory (of an ext file system): one qcow2 image per VDI",
	FILE_DRIVER_BODY,
};
