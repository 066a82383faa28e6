/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small synchronous NFS client over libnfs, for the SR-level file
 * operations of the nfs and iso SR types (directories, metadata files,
 * sizes, free space). Guest I/O does not go through here: QEMU opens the
 * disk images itself with its nfs:// block driver.
 *
 * One nfsc is one mounted export: a libnfs context with its own TCP
 * connections. It is not thread-safe; use one per thread or serialise.
 * Paths are inside the export and absolute ("/<sr-uuid>/<vdi>.qcow2").
 *
 * Errors: functions return 0 (or a count) on success and a negative errno
 * on failure; nfsc_error() then gives libnfs's message (owned by the nfsc,
 * valid until the next call). Nothing here logs or exits.
 */
#ifndef HALYARD_SM_NFS_CLIENT_H
#define HALYARD_SM_NFS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nfsc nfsc;
typedef struct nfsc_file nfsc_file;

/* What nfsc_stat reports. */
typedef struct nfsc_attr {
	uint64_t size;      /* bytes (the file's length) */
	uint64_t allocated; /* bytes the server reports in use for it */
	uint32_t mode;      /* st_mode bits, S_IFDIR / S_IFREG … included */
	bool is_dir;
	bool is_reg;
} nfsc_attr;

/* Space of the filesystem holding the export, in bytes. */
typedef struct nfsc_space {
	uint64_t total;
	uint64_t free;  /* available to the client (f_bavail) */
} nfsc_space;

/*
 * Mounts export (absolute path on the server) of server (host name or IP
 * address) with NFS version 3 or 4. timeout_ms bounds every later call
 * (0: libnfs's default, i.e. retry forever). On success *out owns the
 * mount. On failure returns -errno and, when errmsg is not NULL, sets
 * *errmsg to a malloc'd message naming the cause (caller frees).
 */
int nfsc_mount(const char *server, const char *export_path, int version, int timeout_ms, nfsc **out,
	       char **errmsg);

/*
 * Whether an NFS service answers at server before mounting (as XAPI tests
 * the host first): resolves server (-ENXIO when it does not resolve) and
 * connects over TCP to the portmapper (port 111, NFSv3) or to 2049 (NFSv4)
 * within timeout_ms. 0 or the connect's -errno (-ETIMEDOUT on timeout).
 */
int nfsc_reachable(const char *server, int version, int timeout_ms);

/* One entry of a server's export list (MOUNT EXPORT, as showmount -e). */
typedef struct nfsc_export {
	char *path;   /* heap */
	char *access; /* the client groups joined by ',', or "*" (heap) */
} nfsc_export;

/*
 * The export list of server (NFSv3 MOUNT protocol through the portmapper).
 * Call nfsc_reachable first: libnfs has no timeout for this call. *out is
 * a heap array of *n entries (free with nfsc_exports_free). 0 or -errno.
 */
int nfsc_exports(const char *server, nfsc_export **out, size_t *n);
void nfsc_exports_free(nfsc_export *v, size_t n);

/* Unmounts and frees. Accepts NULL, returns NULL. */
nfsc *nfsc_close(nfsc *c);

/* libnfs's message for the last failure on c ("" if none). */
const char *nfsc_error(nfsc *c);

int nfsc_mkdir(nfsc *c, const char *path, int mode);
int nfsc_rmdir(nfsc *c, const char *path);
int nfsc_unlink(nfsc *c, const char *path);
/* A hard link to from (an existing file) at to (which must not exist). */
int nfsc_link(nfsc *c, const char *from, const char *to);
/* Renames within the export; replaces an existing regular file at to. */
int nfsc_rename(nfsc *c, const char *from, const char *to);
int nfsc_stat(nfsc *c, const char *path, nfsc_attr *st);
/* 1 if path exists, 0 if not (ENOENT), -errno on any other failure. */
int nfsc_exists(nfsc *c, const char *path);
int nfsc_statvfs(nfsc *c, const char *path, nfsc_space *sp);

/*
 * The names in directory path, without "." and "..", sorted (strcmp).
 * *names is a malloc'd array of *n malloc'd strings; free with
 * nfsc_names_free.
 */
int nfsc_readdir(nfsc *c, const char *path, char ***names, size_t *n);
void nfsc_names_free(char **names, size_t n);

/*
 * Opens path. flags: O_RDONLY / O_WRONLY / O_RDWR, with O_CREAT, O_EXCL
 * and O_TRUNC honoured (mode applies when the file is created).
 */
int nfsc_open(nfsc *c, const char *path, int flags, int mode, nfsc_file **out);
/* Reads or writes exactly len bytes at off (short reads only at EOF: the
 * count read is returned). Loops over libnfs's transfer size. */
int64_t nfsc_pread(nfsc *c, nfsc_file *f, uint64_t off, void *buf, size_t len);
int64_t nfsc_pwrite(nfsc *c, nfsc_file *f, uint64_t off, const void *buf, size_t len);
int nfsc_ftruncate(nfsc *c, nfsc_file *f, uint64_t len);
int nfsc_fsync(nfsc *c, nfsc_file *f);
/* Closes f (accepts NULL); returns the close status. */
int nfsc_fclose(nfsc *c, nfsc_file *f);

/*
 * Reads a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer (*len excludes the NUL). -EFBIG if it is larger.
 */
int nfsc_read_file(nfsc *c, const char *path, size_t max, char **buf, size_t *len);
/*
 * Replaces path with data atomically: writes "<path>.tmp-<pid>", syncs,
 * renames over path. Nothing is left behind on failure.
 */
int nfsc_write_file(nfsc *c, const char *path, const void *data, size_t len, int mode);

#endif
