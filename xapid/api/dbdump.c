/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Database backup and restore over HTTP (xe pool-dump-database /
 * pool-restore-database): GET /pool/xmldbdump returns a consistent copy of
 * the SQLite database; PUT /pool/xmldbdump?restore=true replaces the live
 * database with the uploaded one (dry_run=true only checks it). Both need a
 * pool-admin session (session_id, Basic auth or the local socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispatch.h"
#include "http.h"
#include "http_auth.h"
#include "rpc_http.h"
#include "sessions.h"
#include "util.h"
#include "xapid.h"

static void respond_text(http_req *r, int status, const char *text)
{
	http_respond(r, status, "text/plain", hx_strdup(text), strlen(text), NULL);
}

static bool admin_ok(xapid *app, http_req *r)
{
	session_view v = { 0 };
	if (!http_session_ok(app, r, &v)) {
		static const char *const h[] = { "WWW-Authenticate", "Basic realm=\"xapi\"", NULL };
		const char *t = "Unauthorised\n";
		http_respond(r, 401, "text/plain", hx_strdup(t), strlen(t), h);
		return false;
	}
	bool ok = v.role == ROLE_POOL_ADMIN;
	session_view_clear(&v);
	if (!ok)
		respond_text(r, 403, "RBAC_PERMISSION_DENIED\n");
	return ok;
}

static char *temp_path(xapid *app, const char *tag)
{
	char uuid[37];
	hx_uuid(uuid);
	return hx_asprintf("%s/%s-%s.tmp", app->cfg.state_dir, tag, uuid);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	char *b = hx_malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;
			free(b);
			close(fd);
			return e;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

void handler_dbdump_get(void *vapp, http_req *r)
{
	xapid *app = vapp;
	if (!admin_ok(app, r))
		return;
	char *tmp = temp_path(app, "dump");
	xerr *e = store_dump(app->db, tmp);
	char *buf = NULL;
	size_t len = 0;
	int rc = e ? -EIO : read_file(tmp, &buf, &len);
	unlink(tmp);
	free(tmp);
	if (e || rc) {
		char *t = hx_asprintf("dump failed: %s\n", e ? e->code : strerror(-rc));
		xerr_free(e);
		http_respond(r, 500, "text/plain", t, strlen(t), NULL);
		return;
	}
	static const char *const h[] = { "Content-Disposition",
					 "attachment; filename=\"halyard-db.sqlite\"", NULL };
	http_respond(r, 200, "application/octet-stream", buf, len, h);
}

void handler_dbdump_put(void *vapp, http_req *r)
{
	xapid *app = vapp;
	if (!admin_ok(app, r))
		return;
	size_t len;
	const char *body = http_body(r, &len);
	if (!len) {
		respond_text(r, 400, "empty upload\n");
		return;
	}
	char *tmp = temp_path(app, "restore");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t n = write(fd, body + off, len - off);
		if (n <= 0)
			ok = false;
		else
			off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (!ok) {
		unlink(tmp);
		free(tmp);
		respond_text(r, 500, "cannot stage the upload\n");
		return;
	}
	const char *dry = http_query(r, "dry_run");
	xerr *e;
	if (dry && !strcmp(dry, "true")) {
		/* Open the upload as a store of its own: that checks it fully. */
		store *probe = NULL;
		char *msg = NULL;
		int rc = store_open(&probe, tmp, &msg);
		e = rc ? xerr_new("RESTORE_INCOMPATIBLE_VERSION", NULL) : NULL;
		free(msg);
		store_close(probe);
		char *wal = hx_asprintf("%s-wal", tmp), *shm = hx_asprintf("%s-shm", tmp);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
	} else {
		e = store_restore(app->db, tmp);
		if (!e)
			e = bootstrap_run(app); /* the restored host record gets today's facts */
	}
	unlink(tmp);
	free(tmp);
	if (e) {
		char *t = hx_asprintf("restore failed: %s\n", e->code);
		xerr_free(e);
		http_respond(r, 400, "text/plain", t, strlen(t), NULL);
		return;
	}
	respond_text(r, 200, "OK\n");
}
