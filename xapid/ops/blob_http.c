/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /blob?ref=…|uuid=… and PUT /blob?ref=…: the bytes of a blob.
 *
 * GET of a public blob needs no credentials (XAPI lists get_blob among
 * its public handlers); any other read needs an authenticated caller.
 * PUT needs vm-power-admin or better (XAPI's put_blob roles). The body
 * is written to a temporary file in the blob directory, fsynced, renamed
 * over <uuid> and the directory fsynced, so a reader sees the old bytes
 * or the new ones, never a mix, and an acknowledged PUT survives a crash.
 * Only then are size and last_updated recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "http_auth.h"
#include "ops.h"
#include "rpc_http.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

static void respond_text(http_req *r, int status, const char *msg)
{
	static const char *const auth_hdr[] = { "WWW-Authenticate", "Basic realm=\"xapi\"", NULL };
	char *body = hx_asprintf("<html><body><h1>HTTP %d %s</h1></body></html>", status, msg);
	http_respond(r, status, "text/html", body, strlen(body), status == 401 ? auth_hdr : NULL);
}

/* The blob named by the query: its ref and record (heap), or false. */
static bool find_blob(xapid *app, http_req *r, char **ref, xv **rec)
{
	const char *q_ref = http_query(r, "ref"), *q_uuid = http_query(r, "uuid");
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		xerr_free(e);
		return false;
	}
	*ref = NULL;
	if (q_ref && store_exists(t, CLS_blob, q_ref))
		*ref = hx_strdup(q_ref);
	else if (!q_ref && q_uuid)
		*ref = store_ref_of_uuid(t, CLS_blob, q_uuid);
	if (*ref && (e = store_get_record(t, CLS_blob, *ref, rec))) {
		xerr_free(e);
		free(*ref);
		*ref = NULL;
	}
	store_rollback(t);
	return *ref != NULL;
}

struct reader {
	int fd;
};

static ssize_t read_at(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct reader *rd = cls;
	ssize_t n;
	do
		n = pread(rd->fd, buf, max, (off_t)pos);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : n;
}

static void reader_free(void *cls)
{
	struct reader *rd = cls;
	close(rd->fd);
	free(rd);
}

void handler_blob_get(void *appv, http_req *r)
{
	xapid *app = appv;
	char *ref = NULL;
	xv *rec = NULL;
	if (!find_blob(app, r, &ref, &rec)) {
		respond_text(r, 404, "Not Found");
		return;
	}
	xv *pub = xv_struct_get(rec, "public");
	if (!(pub && pub->kind == XV_BOOL && pub->u.b)) {
		session_view v;
		bool ok = http_session_ok(app, r, &v);
		session_view_clear(&v);
		if (!ok) {
			respond_text(r, 401, "Unauthorised");
			goto out;
		}
	}
	const char *mime = xv_struct_str(rec, "mime_type");
	if (!mime || !*mime)
		mime = "application/octet-stream";
	const char *uuid = xv_struct_str(rec, "uuid");
	char *path = blob_path(app, uuid ? uuid : "");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	struct stat sb;
	if (fd < 0) {
		/* Created but never written: the blob is empty. */
		if (errno == ENOENT)
			http_respond(r, 200, mime, NULL, 0, NULL);
		else
			respond_text(r, 500, "Internal Server Error");
		goto out;
	}
	if (fstat(fd, &sb)) {
		close(fd);
		respond_text(r, 500, "Internal Server Error");
		goto out;
	}
	struct reader *rd = hx_calloc(1, sizeof(*rd));
	rd->fd = fd;
	http_respond_stream(r, 200, mime, (uint64_t)sb.st_size, read_at, reader_free, rd, NULL);
out:
	free(ref);
	xv_free(rec);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static atomic_uint tmp_seq;

/* Replaces <dir>/<uuid> with data durably (see the file comment). */
static int store_bytes(const char *dir, const char *uuid, const char *data, size_t len)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	char *tmp = hx_asprintf("%s/.%s.%ld.%u", dir, uuid, (long)getpid(),
				atomic_fetch_add(&tmp_seq, 1));
	char *dst = hx_asprintf("%s/%s", dir, uuid);
	int r = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (!(r = write_all(fd, data, len)) && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	if (!r && rename(tmp, dst))
		r = -errno;
	if (r) {
		unlink(tmp);
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		r = -errno;
	if (dfd >= 0)
		close(dfd);
out:
	free(tmp);
	free(dst);
	return r;
}

void handler_blob_put(void *appv, http_req *r)
{
	xapid *app = appv;
	session_view v;
	bool ok = http_session_ok(app, r, &v);
	enum api_role role = v.role;
	session_view_clear(&v);
	if (!ok) {
		respond_text(r, 401, "Unauthorised");
		return;
	}
	if (role > ROLE_VM_POWER_ADMIN) {
		respond_text(r, 403, "Forbidden");
		return;
	}
	char *ref = NULL;
	xv *rec = NULL;
	/* PUT names blobs by ref only. */
	if (!http_query(r, "ref") || !find_blob(app, r, &ref, &rec)) {
		respond_text(r, 404, "Not Found");
		return;
	}
	const char *uuid = xv_struct_str(rec, "uuid");
	size_t len;
	const char *body = http_body(r, &len);
	char *dir = hx_asprintf("%s/blobs", app->cfg.state_dir);
	int err = uuid && hx_is_uuid(uuid) ? store_bytes(dir, uuid, body, len) : -EINVAL;
	free(dir);
	if (err) {
		fprintf(stderr, "xapid: blob %s: cannot store %zu bytes: %s\n", uuid ? uuid : "?",
			len, strerror(-err));
		respond_text(r, 500, "Internal Server Error");
		goto out;
	}
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (!e && store_exists(t, CLS_blob, ref)) {
		e = obj_set(t, CLS_blob, ref, "size", xv_int((int64_t)len));
		if (!e)
			e = obj_set(t, CLS_blob, ref, "last_updated", xv_datetime(hx_now()));
		e = e ? (store_rollback(t), e) : store_commit(t);
	} else if (!e) {
		store_rollback(t); /* destroyed meanwhile: nothing to record */
	}
	if (e) {
		fprintf(stderr, "xapid: blob %s: cannot record its size: %s\n", uuid, e->code);
		xerr_free(e);
		respond_text(r, 500, "Internal Server Error");
		goto out;
	}
	http_respond(r, 200, "text/plain", NULL, 0, NULL);
out:
	free(ref);
	xv_free(rec);
}
