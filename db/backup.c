/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backup and restore.
 *
 * store_dump: an online, consistent copy. sqlite3_backup copies the
 * database from a reader connection in one step (one read snapshot, so
 * writers go on meanwhile) into "<dest>.tmp.<pid>", which is switched to
 * journal_mode=DELETE (a self-contained file), fsync'd and renamed over
 * dest.
 *
 * store_restore: the file is first checked on its own connection: it must
 * be an SQLite database passing quick_check, with a _meta of our format
 * and a schema of ours or older (a different hash at a version not newer
 * than ours is accepted and upgraded on the fly); anything else is
 * RESTORE_INCOMPATIBLE_VERSION. Then, holding the writer lock, the file is
 * ATTACHed and ONE write txn replaces the rows of every persistent class
 * with the file's rows (columns both sides have are copied; columns the
 * file lacks get their defaults) and resets non-persistent fields, as a
 * restart would. Rows of non-persistent classes (sessions, tasks) are the
 * running server's, not the backup's: they are kept. Every restored row
 * gets the new generation G as _gen and _cgen, the tombstones are dropped
 * and the tombstone horizon is set to G: every event client with an older
 * token gets EVENTS_LOST and re-reads everything. Readers see the old or
 * the new data, never a mix (it is one txn), so nothing needs resetting.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define SRC_SCHEMA "halyard_restore_src"

static int fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int ret = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

xerr *store_dump(store *s, const char *dest_path)
{
	if (!s || !dest_path || !*dest_path)
		return xerr_new("INTERNAL_ERROR", "store: dump: bad arguments", NULL);
	xerr *e = NULL;
	conn *c = st_conn_get(s, &e);
	if (!c)
		return e;
	char *tmp = hx_asprintf("%s.tmp.%ld", dest_path, (long)getpid());
	unlink(tmp);
	sqlite3 *dst = NULL;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		e = st_sqlerr(dst, "dump: open destination");
		goto err_close;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", c->db, "main");
	if (!b) {
		e = st_sqlerr(dst, "dump: backup_init");
		goto err_close;
	}
	int rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		e = xerr_newf("INTERNAL_ERROR", "store: dump: %s", sqlite3_errstr(rc));
		goto err_close;
	}
	char *m = NULL;
	if (st_exec(dst, "PRAGMA journal_mode=DELETE", &m) != SQLITE_OK) {
		e = xerr_newf("INTERNAL_ERROR", "store: dump: %s", m);
		free(m);
		goto err_close;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		e = xerr_new("INTERNAL_ERROR", "store: dump: close failed", NULL);
		dst = NULL;
		goto err_unlink;
	}
	dst = NULL;
	if (fsync_path(tmp, false) < 0 || rename(tmp, dest_path) < 0) {
		e = xerr_newf("INTERNAL_ERROR", "store: dump: %s: %s", dest_path, strerror(errno));
		goto err_unlink;
	}
	char *d = hx_strdup(dest_path);
	fsync_path(dirname(d), true);
	free(d);
	free(tmp);
	st_conn_put(s, c);
	return NULL;

err_close:
	sqlite3_close(dst);
err_unlink:
	unlink(tmp);
	free(tmp);
	st_conn_put(s, c);
	return e;
}

static int64_t version_num(const char *v)
{
	int ma, mi;
	if (!v || sscanf(v, "%d.%d", &ma, &mi) != 2 || ma < 0 || mi < 0)
		return -1;
	return (int64_t)ma * 1000000 + mi;
}

static char *query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *r = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		r = hx_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r;
}

/* Checks the file on its own connection (see the comment at the top). */
static xerr *validate(store *s, const char *src)
{
	struct stat a, b;
	if (stat(src, &a) < 0)
		return xerr_newf("INTERNAL_ERROR", "store: restore: %s: %s", src, strerror(errno));
	if (stat(s->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return xerr_new("INTERNAL_ERROR", "store: restore: that is the live database",
				NULL);
	sqlite3 *db = NULL;
	xerr *e = NULL;
	if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		e = xerr_new("RESTORE_INCOMPATIBLE_VERSION", NULL);
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	char *ok = query_text(db, "PRAGMA quick_check");
	char *fmt = ok && strcmp(ok, "ok") == 0
			    ? query_text(db, "SELECT value FROM _meta WHERE key='format'")
			    : NULL;
	char *hash = query_text(db, "SELECT value FROM _meta WHERE key='schema_hash'");
	char *ver = query_text(db, "SELECT value FROM _meta WHERE key='schema_version'");
	int64_t ours = (int64_t)s->sc.version_major * 1000000 + s->sc.version_minor;
	bool same = hash && s->sc.hash && strcmp(hash, s->sc.hash) == 0;
	if (!fmt || strcmp(fmt, META_FORMAT_VALUE) != 0 ||
	    (!same && (version_num(ver) < 0 || version_num(ver) > ours)))
		e = xerr_new("RESTORE_INCOMPATIBLE_VERSION", NULL);
	free(ok);
	free(fmt);
	free(hash);
	free(ver);
out:
	sqlite3_close(db);
	return e;
}

static bool src_columns(sqlite3 *db, const char *qname, char ***out, int *n)
{
	char *sql = hx_asprintf("PRAGMA " SRC_SCHEMA ".table_info(%s)", qname);
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	free(sql);
	int rc = SQLITE_DONE;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		*out = hx_realloc(*out, (size_t)(*n + 1) * sizeof(char *));
		(*out)[(*n)++] = hx_strdup(name ? (const char *)name : "");
	}
	sqlite3_finalize(st);
	return ok && rc == SQLITE_DONE;
}

static bool in_list(char **v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(v[i], name) == 0)
			return true;
	return false;
}

/* Replaces the rows of one persistent class by the attached file's. */
static xerr *copy_class(store *s, sqlite3 *db, int cls, int64_t g)
{
	const cls_info *ci = &s->ci[cls];
	char **cols;
	int ncols;
	if (!src_columns(db, ci->qname, &cols, &ncols))
		return st_sqlerr(db, "restore: table_info");
	char *sql = hx_asprintf("DELETE FROM main.%s", ci->qname);
	xerr *e = NULL;
	if (st_exec(db, sql, NULL) != SQLITE_OK)
		e = st_sqlerr(db, "restore: delete");
	free(sql);
	bool have = in_list(cols, ncols, "_ref");
	if (!e && have) {
		strbuf names = STRBUF_INIT;
		for (int k = 0; k < ci->nstored; k++) {
			const char *fn = ci->c->fields[ci->stored[k]].name;
			if (!in_list(cols, ncols, fn))
				continue;
			char *q = st_quote(fn);
			sb_printf(&names, ",%s", q);
			free(q);
		}
		const char *nm = names.s ? names.s : "";
		sql = hx_asprintf("INSERT INTO main.%s(_ref,_gen,_cgen%s)"
				  " SELECT _ref,?1,?1%s FROM " SRC_SCHEMA ".%s",
				  ci->qname, nm, nm, ci->qname);
		sb_free(&names);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			e = st_sqlerr(db, "restore: copy");
		free(sql);
		if (!e) {
			sqlite3_bind_int64(st, 1, g);
			if (sqlite3_step(st) != SQLITE_DONE)
				e = st_sqlerr(db, "restore: copy");
		}
		sqlite3_finalize(st);
	}
	/* Columns the file lacks (an older schema): their defaults. */
	for (int k = 0; !e && have && k < ci->nstored; k++) {
		int fi = ci->stored[k];
		const api_field *f = &ci->c->fields[fi];
		if (in_list(cols, ncols, f->name))
			continue;
		char *q = st_quote(f->name);
		sql = hx_asprintf("UPDATE main.%s SET %s=?1", ci->qname, q);
		free(q);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			e = st_sqlerr(db, "restore: defaults");
		free(sql);
		if (!e)
			e = rec_bind(st, 1, ci->c, f, ci->defaults[fi]);
		if (!e && sqlite3_step(st) != SQLITE_DONE)
			e = st_sqlerr(db, "restore: defaults");
		sqlite3_finalize(st);
	}
	for (int i = 0; i < ncols; i++)
		free(cols[i]);
	free(cols);
	return e;
}

xerr *store_restore(store *s, const char *src_path)
{
	if (!s || !src_path)
		return xerr_new("INTERNAL_ERROR", "store: restore: bad arguments", NULL);
	xerr *e = validate(s, src_path);
	if (e)
		return e;
	pthread_mutex_lock(&s->wlock);
	conn *c = s->writer;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, "ATTACH DATABASE ?1 AS " SRC_SCHEMA, -1, &st, NULL) !=
	    SQLITE_OK) {
		e = st_sqlerr(c->db, "restore: attach");
		sqlite3_finalize(st);
		pthread_mutex_unlock(&s->wlock);
		return e;
	}
	sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		e = st_sqlerr(c->db, "restore: attach");
		pthread_mutex_unlock(&s->wlock);
		return e;
	}
	int64_t g = atomic_load(&s->gen) + 1, changes = 0;
	if (st_exec(c->db, "BEGIN IMMEDIATE", NULL) != SQLITE_OK)
		e = st_sqlerr(c->db, "restore: begin");
	for (int i = 0; !e && i < s->sc.nclasses; i++)
		if (s->ci[i].table && s->ci[i].c->persist)
			e = copy_class(s, c->db, i, g);
	if (!e)
		e = st_reset_nonpersistent(s, c, g, false, &changes);
	if (!e && st_exec(c->db, "DELETE FROM main._tombstone", NULL) != SQLITE_OK)
		e = st_sqlerr(c->db, "restore: tombstones");
	if (!e)
		e = st_meta_set_int(c, "generation", g);
	if (!e)
		e = st_meta_set_int(c, "tomb_horizon", g);
	if (!e && st_exec(c->db, "COMMIT", NULL) != SQLITE_OK)
		e = st_sqlerr(c->db, "restore: commit");
	if (e && !sqlite3_get_autocommit(c->db))
		st_exec(c->db, "ROLLBACK", NULL);
	st_exec(c->db, "DETACH DATABASE " SRC_SCHEMA, NULL);
	if (!e)
		atomic_store(&s->gen, g);
	pthread_mutex_unlock(&s->wlock);
	if (!e)
		ev_wake(s, g);
	return e;
}
