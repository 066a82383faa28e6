/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: opening (schema creation, upgrade, reset of non-persistent
 * state), connections and their statement caches, and transactions.
 *
 * Connections: one writer (guarded by s->wlock, so write txns are
 * serialised; BEGIN IMMEDIATE) and a pool of readers opened on demand
 * (read txns: BEGIN, then a read of _meta so the WAL snapshot is fixed
 * at store_begin). Each connection caches its prepared statements per
 * class and per field; a connection is only ever used by one txn at a
 * time, so the caches need no locking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_int.h"

xerr *st_sqlerr(sqlite3 *db, const char *what)
{
	return xerr_newf("INTERNAL_ERROR", "store: %s: %s", what,
			 db ? sqlite3_errmsg(db) : "no database");
}

xerr *st_bad_class(const store *s, int cls)
{
	if (cls < 0 || cls >= s->sc.nclasses)
		return xerr_newf("INTERNAL_ERROR", "store: bad class index %d", cls);
	return xerr_newf("INTERNAL_ERROR", "store: class %s is not in the database",
			 s->sc.classes[cls].name);
}

/* "name" with embedded quotes doubled (heap). */
char *st_quote(const char *name)
{
	strbuf b = STRBUF_INIT;
	sb_putc(&b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			sb_putc(&b, '"');
		sb_putc(&b, *p);
	}
	sb_putc(&b, '"');
	return sb_steal(&b, NULL);
}

int st_exec(sqlite3 *db, const char *sql, char **errmsg)
{
	char *m = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &m);
	if (rc != SQLITE_OK && errmsg)
		*errmsg = hx_asprintf("%s: %s", sql, m ? m : sqlite3_errstr(rc));
	sqlite3_free(m);
	return rc;
}

/* ---- statement caches ---- */

static const char *const ms_sql[MS__COUNT] = {
	[MS_META_GET] = "SELECT value FROM _meta WHERE key=?1",
	[MS_META_SET] = "INSERT OR REPLACE INTO _meta(key,value) VALUES(?1,?2)",
	[MS_TOMB_ADD] = "INSERT INTO _tombstone(class,ref,gen,cgen) VALUES(?1,?2,?3,?4)",
	[MS_TOMB_SINCE] = "SELECT class,ref,gen FROM _tombstone WHERE gen>?1 AND cgen<=?1 ORDER BY gen,id",
	[MS_TOMB_RANGE] = "SELECT min(id),max(id) FROM _tombstone",
	[MS_TOMB_HMAX] = "SELECT max(gen) FROM _tombstone WHERE id<=?1",
	[MS_TOMB_PRUNE] = "DELETE FROM _tombstone WHERE id<=?1",
	[MS_BEGIN] = "BEGIN",
	[MS_BEGIN_IMM] = "BEGIN IMMEDIATE",
	[MS_COMMIT] = "COMMIT",
	[MS_ROLLBACK] = "ROLLBACK",
};

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, xerr **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		*err = xerr_newf("INTERNAL_ERROR", "store: prepare %s: %s", sql,
				 sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

sqlite3_stmt *st_mstmt(conn *c, enum mstmt k, xerr **err)
{
	if (!c->ms[k])
		c->ms[k] = prepare(c->db, ms_sql[k], err);
	else
		sqlite3_reset(c->ms[k]);
	return c->ms[k];
}

static void put_cols(strbuf *b, const cls_info *ci)
{
	for (int k = 0; k < ci->nstored; k++) {
		char *q = st_quote(ci->c->fields[ci->stored[k]].name);
		sb_printf(b, ",%s", q);
		free(q);
	}
}

static char *cstmt_sql(const cls_info *ci, enum cstmt k)
{
	strbuf b = STRBUF_INIT;
	const char *t = ci->qname;
	switch (k) {
	case CS_GET_ROW:
	case CS_ALL_ROWS:
		sb_puts(&b, "SELECT _ref,_gen,_cgen");
		put_cols(&b, ci);
		sb_printf(&b, " FROM %s%s", t, k == CS_GET_ROW ? " WHERE _ref=?1" : "");
		break;
	case CS_EXISTS:
		sb_printf(&b, "SELECT _cgen FROM %s WHERE _ref=?1", t);
		break;
	case CS_INSERT:
		sb_printf(&b, "INSERT INTO %s(_ref,_gen,_cgen", t);
		put_cols(&b, ci);
		sb_puts(&b, ") VALUES(?1,?2,?3");
		for (int i = 0; i < ci->nstored; i++)
			sb_printf(&b, ",?%d", i + 4);
		sb_putc(&b, ')');
		break;
	case CS_DELETE:
		sb_printf(&b, "DELETE FROM %s WHERE _ref=?1", t);
		break;
	case CS_TOUCH:
		sb_printf(&b, "UPDATE %s SET _gen=?2 WHERE _ref=?1", t);
		break;
	case CS_ALL_REFS:
		sb_printf(&b, "SELECT _ref FROM %s", t);
		break;
	case CS_COUNT:
		sb_printf(&b, "SELECT count(*) FROM %s", t);
		break;
	case CS_CHANGED:
		sb_printf(&b, "SELECT _ref,_gen,_cgen FROM %s WHERE _gen>?1", t);
		break;
	case CS__COUNT:
		break;
	}
	return sb_steal(&b, NULL);
}

/* A cached per-class statement, reset and ready to bind; NULL with *err. */
sqlite3_stmt *st_cstmt(txn *t, int cls, enum cstmt k, xerr **err)
{
	store *s = t->s;
	if (cls < 0 || cls >= s->sc.nclasses || !s->ci[cls].table) {
		*err = st_bad_class(s, cls);
		return NULL;
	}
	sqlite3_stmt **slot = &t->c->cs[cls * CS__COUNT + k];
	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return *slot;
	}
	char *sql = cstmt_sql(&s->ci[cls], k);
	*slot = prepare(t->c->db, sql, err);
	free(sql);
	return *slot;
}

static char *fstmt_sql(const store *s, int cls, int field, enum fstmt k)
{
	const cls_info *ci = &s->ci[cls];
	const api_field *f = &ci->c->fields[field];
	strbuf b = STRBUF_INIT;
	char *q = st_quote(f->name);
	switch (k) {
	case FS_UPDATE:
		sb_printf(&b, "UPDATE %s SET %s=?2,_gen=?3 WHERE _ref=?1", ci->qname, q);
		break;
	case FS_FIND:
		sb_printf(&b, "SELECT _ref FROM %s WHERE %s=?1", ci->qname, q);
		break;
	case FS_GET:
		sb_printf(&b, "SELECT %s FROM %s WHERE _ref=?1", q, ci->qname);
		break;
	case FS_REL:
	case FS_RELALL: {
		const cls_info *rc = &s->ci[f->rel_class];
		char *rq = st_quote(rc->c->fields[f->rel_field].name);
		if (k == FS_REL)
			sb_printf(&b, "SELECT _ref FROM %s WHERE %s=?1", rc->qname, rq);
		else
			sb_printf(&b,
				  "SELECT %s,_ref FROM %s WHERE %s IS NOT NULL AND"
				  " %s NOT IN ('','OpaqueRef:NULL')",
				  rq, rc->qname, rq, rq);
		free(rq);
		break;
	}
	case FS__COUNT:
		break;
	}
	free(q);
	return sb_steal(&b, NULL);
}

/*
 * A cached per-field statement. FS_UPDATE/FS_FIND/FS_GET need a stored
 * field, FS_REL/FS_RELALL a derived one whose relation has a table.
 */
sqlite3_stmt *st_fstmt(txn *t, int cls, int field, enum fstmt k, xerr **err)
{
	store *s = t->s;
	if (cls < 0 || cls >= s->sc.nclasses || !s->ci[cls].table) {
		*err = st_bad_class(s, cls);
		return NULL;
	}
	const cls_info *ci = &s->ci[cls];
	if (field < 0 || field >= ci->c->nfields) {
		*err = xerr_newf("INTERNAL_ERROR", "store: bad field index %d of %s", field,
				 ci->c->name);
		return NULL;
	}
	const api_field *f = &ci->c->fields[field];
	bool derived = rec_is_derived(f);
	if (derived != (k == FS_REL || k == FS_RELALL)) {
		*err = xerr_newf("INTERNAL_ERROR", "store: %s.%s is %s", ci->c->name, f->name,
				 derived ? "derived (read-only)" : "not derived");
		return NULL;
	}
	if (derived && (f->rel_class >= s->sc.nclasses || !s->ci[f->rel_class].table ||
			f->rel_field < 0 ||
			f->rel_field >= s->ci[f->rel_class].c->nfields ||
			s->ci[f->rel_class].col[f->rel_field] < 0)) {
		*err = xerr_newf("INTERNAL_ERROR", "store: %s.%s: bad relation", ci->c->name,
				 f->name);
		return NULL;
	}
	sqlite3_stmt **slot = &t->c->fs[(s->fbase[cls] + field) * FS__COUNT + k];
	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
		return *slot;
	}
	char *sql = fstmt_sql(s, cls, field, k);
	*slot = prepare(t->c->db, sql, err);
	free(sql);
	return *slot;
}

/* ---- _meta ---- */

/* 0 and *out, or -ENOENT / -EIO. */
int st_meta_get_int(conn *c, const char *key, int64_t *out)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(c, MS_META_GET, &e);
	if (!st) {
		xerr_free(e);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = -ENOENT;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = -EIO;
	}
	sqlite3_reset(st);
	return ret;
}

int st_meta_get_text(conn *c, const char *key, char **out)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(c, MS_META_GET, &e);
	if (!st) {
		xerr_free(e);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret = -ENOENT;
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		*out = hx_strdup(v ? (const char *)v : "");
		ret = 0;
	} else if (rc != SQLITE_DONE) {
		ret = -EIO;
	}
	sqlite3_reset(st);
	return ret;
}

xerr *st_meta_set_int(conn *c, const char *key, int64_t v)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(c, MS_META_SET, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = st_sqlerr(c->db, "write _meta");
	sqlite3_reset(st);
	return e;
}

static xerr *meta_set_text(conn *c, const char *key, const char *v)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(c, MS_META_SET, &e);
	if (!st)
		return e;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = st_sqlerr(c->db, "write _meta");
	sqlite3_reset(st);
	return e;
}

/* ---- connections ---- */

static conn *conn_free(store *s, conn *c)
{
	if (!c)
		return NULL;
	if (c->cs)
		for (int i = 0; i < s->sc.nclasses * CS__COUNT; i++)
			sqlite3_finalize(c->cs[i]);
	if (c->fs)
		for (int i = 0; i < s->total_fields * FS__COUNT; i++)
			sqlite3_finalize(c->fs[i]);
	for (int i = 0; i < MS__COUNT; i++)
		sqlite3_finalize(c->ms[i]);
	free(c->cs);
	free(c->fs);
	sqlite3_close_v2(c->db);
	free(c);
	return NULL;
}

/* Opens a connection: the writer creates the file and sets WAL. */
static conn *conn_open(store *s, bool writer, char **errmsg)
{
	conn *c = hx_calloc(1, sizeof(*c));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (writer)
		flags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		*errmsg = hx_asprintf("open %s: %s", s->path,
				      c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto err_free;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, 10000);
	if (writer) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) !=
			    SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
			*errmsg = hx_asprintf("%s: cannot enable WAL: %s", s->path,
					      sqlite3_errmsg(c->db));
			sqlite3_finalize(st);
			goto err_free;
		}
		sqlite3_finalize(st);
	}
	if (st_exec(c->db, "PRAGMA synchronous=FULL", errmsg) != SQLITE_OK ||
	    st_exec(c->db, "PRAGMA foreign_keys=OFF", errmsg) != SQLITE_OK ||
	    (!writer && st_exec(c->db, "PRAGMA query_only=ON", errmsg) != SQLITE_OK))
		goto err_free;
	c->cs = hx_calloc((size_t)s->sc.nclasses * CS__COUNT + 1, sizeof(*c->cs));
	c->fs = hx_calloc((size_t)s->total_fields * FS__COUNT + 1, sizeof(*c->fs));
	return c;

err_free:
	conn_free(s, c);
	return NULL;
}

conn *st_conn_get(store *s, xerr **err)
{
	pthread_mutex_lock(&s->plock);
	conn *c = s->idle;
	if (c) {
		s->idle = c->next;
		s->nidle--;
	}
	pthread_mutex_unlock(&s->plock);
	if (c)
		return c;
	char *m = NULL;
	c = conn_open(s, false, &m);
	if (!c) {
		*err = xerr_newf("INTERNAL_ERROR", "store: %s", m);
		free(m);
	}
	return c;
}

void st_conn_put(store *s, conn *c)
{
	pthread_mutex_lock(&s->plock);
	if (s->nidle < STORE_MAX_IDLE_READERS) {
		c->next = s->idle;
		s->idle = c;
		s->nidle++;
		c = NULL;
	}
	pthread_mutex_unlock(&s->plock);
	conn_free(s, c);
}

/* ---- schema: creation, upgrade, reset ---- */

static const char *affinity(const api_type *t)
{
	switch (t->kind) {
	case AT_INT:
	case AT_BOOL:
	case AT_DATETIME:
		return "INTEGER";
	case AT_FLOAT:
		return "REAL";
	default:
		return "TEXT";
	}
}

static bool table_columns(sqlite3 *db, const char *qname, char ***out, int *n)
{
	char *sql = hx_asprintf("PRAGMA table_info(%s)", qname);
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	free(sql);
	int rc;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);
		*out = hx_realloc(*out, (size_t)(*n + 1) * sizeof(char *));
		(*out)[(*n)++] = hx_strdup(name ? (const char *)name : "");
	}
	if (ok && rc != SQLITE_DONE)
		ok = false;
	sqlite3_finalize(st);
	return ok;
}

static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool has_col(char **cols, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(cols[i], name) == 0)
			return true;
	return false;
}

/*
 * Adds the stored columns an existing table lacks, filled with the
 * field's default. A table that does not exist yet is left alone.
 */
static int add_missing_columns(store *s, sqlite3 *db, int cls, char **errmsg)
{
	cls_info *ci = &s->ci[cls];
	char **cols;
	int ncols;
	if (!table_columns(db, ci->qname, &cols, &ncols)) {
		*errmsg = hx_asprintf("table_info %s: %s", ci->c->name, sqlite3_errmsg(db));
		return -EIO;
	}
	int ret = 0;
	for (int k = 0; ncols > 0 && k < ci->nstored; k++) {
		const api_field *f = &ci->c->fields[ci->stored[k]];
		if (has_col(cols, ncols, f->name))
			continue;
		char *q = st_quote(f->name);
		char *sql = hx_asprintf("ALTER TABLE %s ADD COLUMN %s %s", ci->qname, q,
					affinity(f->type));
		int rc = st_exec(db, sql, errmsg);
		free(sql);
		if (rc == SQLITE_OK) {
			sqlite3_stmt *st = NULL;
			sql = hx_asprintf("UPDATE %s SET %s=?1", ci->qname, q);
			rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
			free(sql);
			xerr *e = rc == SQLITE_OK
					  ? rec_bind(st, 1, ci->c, f, ci->defaults[ci->stored[k]])
					  : NULL;
			if (rc == SQLITE_OK && !e && sqlite3_step(st) != SQLITE_DONE)
				rc = SQLITE_ERROR;
			if (rc != SQLITE_OK || e)
				*errmsg = hx_asprintf("fill %s.%s: %s", ci->c->name, f->name,
						      e && e->nparams ? e->params[0]
								      : sqlite3_errmsg(db));
			xerr_free(e);
			sqlite3_finalize(st);
		}
		free(q);
		if (rc != SQLITE_OK || *errmsg) {
			ret = -EIO;
			break;
		}
	}
	free_strv(cols, ncols);
	return ret;
}

/*
 * Runs a class's generated sql_create one statement at a time. CREATE
 * INDEX statements that fail because the index already exists are fine
 * (in case the generator does not write IF NOT EXISTS).
 */
static int run_sql_create(sqlite3 *db, const char *sql, char **errmsg)
{
	const char *p = sql;
	while (p && *p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db, p, -1, &st, &tail);
		if (rc == SQLITE_OK && st)
			rc = sqlite3_step(st);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = SQLITE_OK;
		if (rc != SQLITE_OK) {
			const char *m = sqlite3_errmsg(db);
			bool dup_index = strncasecmp(p + strspn(p, " \t\r\n"), "CREATE", 6) == 0 &&
					 strstr(m, "already exists") != NULL;
			if (!dup_index) {
				*errmsg = hx_asprintf("schema: %s", m);
				sqlite3_finalize(st);
				return -EIO;
			}
		}
		sqlite3_finalize(st);
		if (!tail || tail == p)
			break;
		p = tail;
	}
	return 0;
}

static int ensure_schema(store *s, sqlite3 *db, char **errmsg)
{
	static const char own[] =
		"CREATE TABLE IF NOT EXISTS _tombstone(id INTEGER PRIMARY KEY,"
		" class TEXT NOT NULL, ref TEXT NOT NULL, gen INTEGER NOT NULL,"
		" cgen INTEGER NOT NULL);"
		"CREATE INDEX IF NOT EXISTS _tombstone_gen ON _tombstone(gen);";
	if (st_exec(db, own, errmsg) != SQLITE_OK)
		return -EIO;
	for (int i = 0; i < s->sc.nclasses; i++) {
		cls_info *ci = &s->ci[i];
		if (!ci->c->sql_create)
			continue;
		if (!ci->c->sql_create || !*ci->c->sql_create) {
			*errmsg = hx_asprintf("class %s has no sql_create", ci->c->name);
			return -EINVAL;
		}
		if (add_missing_columns(s, db, i, errmsg) < 0 ||
		    run_sql_create(db, ci->c->sql_create, errmsg) < 0 ||
		    add_missing_columns(s, db, i, errmsg) < 0)
			return -EIO;
		char **cols;
		int ncols;
		if (!table_columns(db, ci->qname, &cols, &ncols) || ncols == 0) {
			*errmsg = hx_asprintf("sql_create of %s made no table", ci->c->name);
			free_strv(cols, ncols);
			return -EINVAL;
		}
		bool ok = has_col(cols, ncols, "_ref") && has_col(cols, ncols, "_gen") &&
			  has_col(cols, ncols, "_cgen");
		free_strv(cols, ncols);
		if (!ok) {
			*errmsg = hx_asprintf("table %s lacks _ref/_gen/_cgen", ci->c->name);
			return -EINVAL;
		}
		ci->table = true;
	}
	return 0;
}

static bool st_keeps_rows(const store *s, const char *cls)
{
	for (const char *const *k = s->sc.keep_rows; k && *k; k++)
		if (!strcmp(*k, cls))
			return true;
	return false;
}

/*
 * XAPI semantics at start: rows of non-persistent classes are deleted
 * (with tombstones, so event clients see them go) and non-persistent
 * fields of the other classes are set back to their defaults (bumping
 * _gen of the rows that change). Runs inside the caller's write txn with
 * generation g; *changes counts affected rows. Classes in
 * sc.keep_rows keep their rows as they are.
 */
xerr *st_reset_nonpersistent(store *s, conn *c, int64_t g, bool classes_too,
			     int64_t *changes)
{
	*changes = 0;
	for (int i = 0; i < s->sc.nclasses; i++) {
		cls_info *ci = &s->ci[i];
		if (!ci->table)
			continue;
		if (!ci->c->persist) {
			if (!classes_too || st_keeps_rows(s, ci->c->name))
				continue;
			char *sql;
			if (ci->c->gen_events) {
				sql = hx_asprintf("INSERT INTO _tombstone(class,ref,gen,cgen)"
						  " SELECT ?1,_ref,?2,_cgen FROM %s",
						  ci->qname);
				sqlite3_stmt *st = NULL;
				int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
				free(sql);
				if (rc == SQLITE_OK) {
					sqlite3_bind_text(st, 1, ci->c->name, -1, SQLITE_STATIC);
					sqlite3_bind_int64(st, 2, g);
					rc = sqlite3_step(st);
				}
				sqlite3_finalize(st);
				if (rc != SQLITE_DONE)
					return st_sqlerr(c->db, "reset (tombstones)");
			}
			sql = hx_asprintf("DELETE FROM %s", ci->qname);
			int rc = st_exec(c->db, sql, NULL);
			free(sql);
			if (rc != SQLITE_OK)
				return st_sqlerr(c->db, "reset (delete)");
			*changes += sqlite3_changes(c->db);
			continue;
		}
		strbuf set = STRBUF_INIT, where = STRBUF_INIT;
		int n = 0;
		for (int k = 0; k < ci->nstored; k++) {
			const api_field *f = &ci->c->fields[ci->stored[k]];
			if (f->persist)
				continue;
			char *q = st_quote(f->name);
			n++;
			sb_printf(&set, "%s=?%d,", q, n);
			sb_printf(&where, "%s%s IS ?%d", n > 1 ? " AND " : "", q, n);
			free(q);
		}
		if (!n) {
			sb_free(&set);
			sb_free(&where);
			continue;
		}
		char *sql = hx_asprintf("UPDATE %s SET %s_gen=?%d WHERE NOT (%s)", ci->qname,
					set.s, n + 1, where.s);
		sb_free(&set);
		sb_free(&where);
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
		free(sql);
		xerr *e = NULL;
		if (rc != SQLITE_OK) {
			e = st_sqlerr(c->db, "reset (prepare)");
			sqlite3_finalize(st);
			return e;
		}
		n = 0;
		for (int k = 0; k < ci->nstored && !e; k++) {
			int fi = ci->stored[k];
			if (!ci->c->fields[fi].persist)
				e = rec_bind(st, ++n, ci->c, &ci->c->fields[fi], ci->defaults[fi]);
		}
		sqlite3_bind_int64(st, n + 1, g);
		if (!e && sqlite3_step(st) != SQLITE_DONE)
			e = st_sqlerr(c->db, "reset (update)");
		sqlite3_finalize(st);
		if (e)
			return e;
		*changes += sqlite3_changes(c->db);
	}
	return NULL;
}

static int compare_names(const void *a, const void *b, void *arg)
{
	const store *s = arg;
	return strcmp(s->sc.classes[*(const int *)a].name, s->sc.classes[*(const int *)b].name);
}

static void build_class_info(store *s)
{
	s->ci = hx_calloc((size_t)s->sc.nclasses + 1, sizeof(cls_info));
	s->fbase = hx_calloc((size_t)s->sc.nclasses + 1, sizeof(int));
	s->by_name = hx_calloc((size_t)s->sc.nclasses + 1, sizeof(int));
	for (int i = 0; i < s->sc.nclasses; i++) {
		cls_info *ci = &s->ci[i];
		const api_class *c = &s->sc.classes[i];
		ci->c = c;
		ci->qname = st_quote(c->name);
		ci->stored = hx_calloc((size_t)c->nfields + 1, sizeof(int));
		ci->col = hx_calloc((size_t)c->nfields + 1, sizeof(int));
		ci->defaults = hx_calloc((size_t)c->nfields + 1, sizeof(xv *));
		for (int f = 0; f < c->nfields; f++) {
			if (rec_is_derived(&c->fields[f])) {
				ci->col[f] = -1;
				continue;
			}
			ci->col[f] = 3 + ci->nstored;
			ci->stored[ci->nstored++] = f;
			ci->defaults[f] = rec_default(s, &c->fields[f]);
		}
		s->fbase[i] = s->total_fields;
		s->total_fields += c->nfields;
		s->by_name[i] = i;
	}
	qsort_r(s->by_name, (size_t)s->sc.nclasses, sizeof(int), compare_names, s);
}

/* Parses "M.m" into a comparable number; -1 when absent or malformed. */
static int64_t parse_version(const char *v)
{
	int ma, mi;
	if (!v || sscanf(v, "%d.%d", &ma, &mi) != 2 || ma < 0 || mi < 0)
		return -1;
	return (int64_t)ma * 1000000 + mi;
}

/*
 * Creates or checks _meta inside the open write txn. A database holding
 * tables but no _meta, a _meta of another format, or a schema version
 * newer than ours is refused (-EINVAL / -EPROTO).
 */
static int check_meta(store *s, conn *c, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int have_meta = 0, ntables = 0;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT sum(name='_meta'), count(*) FROM sqlite_master"
			       " WHERE type='table' AND name NOT LIKE 'sqlite_%'",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		*errmsg = hx_asprintf("%s: %s", s->path, sqlite3_errmsg(c->db));
		sqlite3_finalize(st);
		return -EIO;
	}
	have_meta = sqlite3_column_int(st, 0);
	ntables = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (!have_meta && ntables > 0) {
		*errmsg = hx_asprintf("%s: not a Halyard database (no _meta table)", s->path);
		return -EINVAL;
	}
	if (st_exec(c->db, "CREATE TABLE IF NOT EXISTS _meta(key TEXT PRIMARY KEY, value)",
		    errmsg) != SQLITE_OK)
		return -EIO;
	if (!have_meta)
		return 0;
	char *fmt = NULL, *ver = NULL;
	int ret = 0;
	if (st_meta_get_text(c, "format", &fmt) < 0 || strcmp(fmt, META_FORMAT_VALUE) != 0) {
		*errmsg = hx_asprintf("%s: not a Halyard database (format %s)", s->path,
				      fmt ? fmt : "missing");
		ret = -EINVAL;
	} else if (st_meta_get_text(c, "schema_version", &ver) == 0 &&
		   parse_version(ver) >
			   (int64_t)s->sc.version_major * 1000000 + s->sc.version_minor) {
		*errmsg = hx_asprintf("%s: schema version %s is newer than ours (%d.%d)", s->path,
				      ver, s->sc.version_major, s->sc.version_minor);
		ret = -EPROTO;
	}
	free(fmt);
	free(ver);
	return ret;
}

static int setup_db(store *s, char **errmsg)
{
	conn *c = s->writer;
	if (st_exec(c->db, "BEGIN IMMEDIATE", errmsg) != SQLITE_OK)
		return -EIO;
	int ret = check_meta(s, c, errmsg);
	if (ret < 0)
		goto err_rollback;
	ret = ensure_schema(s, c->db, errmsg);
	if (ret < 0)
		goto err_rollback;
	char ver[32];
	snprintf(ver, sizeof(ver), "%d.%d", s->sc.version_major, s->sc.version_minor);
	int64_t gen = 0, horizon = 0;
	if (st_meta_get_int(c, "generation", &gen) == -EIO ||
	    st_meta_get_int(c, "tomb_horizon", &horizon) == -EIO) {
		*errmsg = hx_asprintf("%s: reading _meta: %s", s->path, sqlite3_errmsg(c->db));
		ret = -EIO;
		goto err_rollback;
	}
	int64_t changes = 0;
	xerr *e = meta_set_text(c, "format", META_FORMAT_VALUE);
	if (!e)
		e = meta_set_text(c, "schema_hash", s->sc.hash ? s->sc.hash : "");
	if (!e)
		e = meta_set_text(c, "schema_version", ver);
	if (!e)
		e = st_meta_set_int(c, "tomb_horizon", horizon);
	if (!e)
		e = st_reset_nonpersistent(s, c, gen + 1, true, &changes);
	if (!e && changes > 0)
		gen++;
	if (!e)
		e = st_meta_set_int(c, "generation", gen);
	if (e) {
		*errmsg = hx_strdup(e->nparams ? e->params[0] : e->code);
		xerr_free(e);
		ret = -EIO;
		goto err_rollback;
	}
	if (st_exec(c->db, "COMMIT", errmsg) != SQLITE_OK) {
		ret = -EIO;
		goto err_rollback;
	}
	atomic_store(&s->gen, gen);
	return 0;

err_rollback:
	st_exec(c->db, "ROLLBACK", NULL);
	return ret;
}

int store_open_schema(store **out, const char *path, const store_schema *schema,
		      char **errmsg)
{
	*out = NULL;
	*errmsg = NULL;
	if (!path || !schema || !schema->classes || schema->nclasses <= 0) {
		*errmsg = hx_strdup("store_open: bad arguments");
		return -EINVAL;
	}
	store *s = hx_calloc(1, sizeof(*s));
	s->sc = *schema;
	s->path = hx_strdup(path);
	s->tomb_limit = STORE_DEFAULT_TOMB_LIMIT;
	pthread_mutex_init(&s->wlock, NULL);
	pthread_mutex_init(&s->plock, NULL);
	pthread_mutex_init(&s->wait_lock, NULL);
	pthread_cond_init(&s->wait_cond, NULL);
	build_class_info(s);
	s->writer = conn_open(s, true, errmsg);
	int ret = -EIO;
	if (!s->writer)
		goto err_close;
	ret = setup_db(s, errmsg);
	if (ret < 0)
		goto err_close;
	*out = s;
	return 0;

err_close:
	store_close(s);
	return ret;
}

int store_open(store **out, const char *path, char **errmsg)
{
	static const char *const keep[] = {"task", NULL};
	store_schema sc = {
		.classes = api_classes,
		.nclasses = api_nclasses,
		.enums = api_enums,
		.nenums = api_nenums,
		.hash = api_schema_hash,
		.version_major = api_schema_major,
		.version_minor = api_schema_minor,
		.keep_rows = keep,
	};
	return store_open_schema(out, path, &sc, errmsg);
}

/* Every txn must have ended. Remaining waiters are freed (their handles
 * become invalid; do not unwait them afterwards). */
store *store_close(store *s)
{
	if (!s)
		return NULL;
	ev_free_waiters(s);
	while (s->idle) {
		conn *c = s->idle;
		s->idle = c->next;
		conn_free(s, c);
	}
	conn_free(s, s->writer);
	for (int i = 0; s->ci && i < s->sc.nclasses; i++) {
		cls_info *ci = &s->ci[i];
		for (int f = 0; f < ci->c->nfields; f++)
			xv_free(ci->defaults[f]);
		free(ci->defaults);
		free(ci->stored);
		free(ci->col);
		free(ci->qname);
	}
	free(s->ci);
	free(s->fbase);
	free(s->by_name);
	free(s->path);
	pthread_mutex_destroy(&s->wlock);
	pthread_mutex_destroy(&s->plock);
	pthread_mutex_destroy(&s->wait_lock);
	pthread_cond_destroy(&s->wait_cond);
	free(s);
	return NULL;
}

void store_set_tombstone_limit(store *s, int64_t n)
{
	pthread_mutex_lock(&s->wlock);
	s->tomb_limit = n < 1 ? 1 : n;
	pthread_mutex_unlock(&s->wlock);
}

/* ---- transactions ---- */

static xerr *step_simple(conn *c, enum mstmt k)
{
	xerr *e = NULL;
	sqlite3_stmt *st = st_mstmt(c, k, &e);
	if (!st)
		return e;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		e = st_sqlerr(c->db, ms_sql[k]);
	sqlite3_reset(st);
	return e;
}

xerr *store_begin(store *s, bool write, txn **out)
{
	*out = NULL;
	if (!s)
		return xerr_new("INTERNAL_ERROR", "store: no store", NULL);
	txn *t = hx_calloc(1, sizeof(*t));
	t->s = s;
	t->write = write;
	xerr *e = NULL;
	if (write) {
		pthread_mutex_lock(&s->wlock);
		t->c = s->writer;
		e = step_simple(t->c, MS_BEGIN_IMM);
		if (e) {
			pthread_mutex_unlock(&s->wlock);
			free(t);
			return e;
		}
		t->snap_gen = atomic_load(&s->gen);
		*out = t;
		return NULL;
	}
	t->c = st_conn_get(s, &e);
	if (!t->c) {
		free(t);
		return e;
	}
	e = step_simple(t->c, MS_BEGIN);
	/* The first read fixes the snapshot; the generation it sees is ours. */
	if (!e && st_meta_get_int(t->c, "generation", &t->snap_gen) < 0)
		e = st_sqlerr(t->c->db, "read snapshot");
	if (e) {
		step_simple(t->c, MS_ROLLBACK);
		st_conn_put(s, t->c);
		free(t);
		return e;
	}
	*out = t;
	return NULL;
}

int64_t st_txn_gen(txn *t)
{
	if (!t->gen)
		t->gen = atomic_load(&t->s->gen) + 1;
	return t->gen;
}

static void txn_release(txn *t)
{
	if (t->write)
		pthread_mutex_unlock(&t->s->wlock);
	else
		st_conn_put(t->s, t->c);
	free(t);
}

xerr *store_commit(txn *t)
{
	if (!t)
		return xerr_new("INTERNAL_ERROR", "store: commit of no txn", NULL);
	store *s = t->s;
	xerr *e = NULL;
	if (!t->write) {
		e = step_simple(t->c, MS_COMMIT);
		if (e)
			step_simple(t->c, MS_ROLLBACK);
		txn_release(t);
		return e;
	}
	if (sqlite3_get_autocommit(t->c->db)) {
		/* SQLite rolled the txn back on its own (I/O error, disk full). */
		txn_release(t);
		return xerr_new("INTERNAL_ERROR", "store: the transaction was rolled back", NULL);
	}
	int64_t gen = t->gen;
	if (gen && t->ndestroyed)
		e = ev_prune(t);
	if (gen && !e)
		e = st_meta_set_int(t->c, "generation", gen);
	if (!e)
		e = step_simple(t->c, MS_COMMIT);
	if (e) {
		xerr_free(step_simple(t->c, MS_ROLLBACK));
		txn_release(t);
		return e;
	}
	if (gen)
		atomic_store(&s->gen, gen);
	txn_release(t);
	if (gen)
		ev_wake(s, gen);
	return NULL;
}

txn *store_rollback(txn *t)
{
	if (!t)
		return NULL;
	if (!sqlite3_get_autocommit(t->c->db))
		xerr_free(step_simple(t->c, MS_ROLLBACK));
	txn_release(t);
	return NULL;
}

int64_t store_generation(store *s)
{
	return s ? atomic_load(&s->gen) : 0;
}

bool store_txn_wrote(txn *t)
{
	return t && t->write && t->gen;
}

int64_t store_txn_generation(txn *t)
{
	if (!t)
		return 0;
	return t->write && t->gen ? t->gen : t->snap_gen;
}
