/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the store's source files (store.c, records.c,
 * events.c, backup.c). Not for use outside db/.
 */
#ifndef HALYARD_DB_STORE_INT_H
#define HALYARD_DB_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "../xapid/api/meta.h"
#include "../xapid/rpc/strbuf.h"
#include "store.h"

/* Per-class cached statements (one set per connection). */
enum cstmt {
	CS_GET_ROW,   /* SELECT _ref,_gen,_cgen,<cols> FROM C WHERE _ref=?1 */
	CS_ALL_ROWS,  /* the same without WHERE */
	CS_EXISTS,    /* SELECT _cgen FROM C WHERE _ref=?1 */
	CS_INSERT,    /* INSERT INTO C(_ref,_gen,_cgen,<cols>) VALUES(...) */
	CS_DELETE,    /* DELETE FROM C WHERE _ref=?1 */
	CS_TOUCH,     /* UPDATE C SET _gen=?2 WHERE _ref=?1 */
	CS_ALL_REFS,  /* SELECT _ref FROM C */
	CS_COUNT,     /* SELECT count(*) FROM C */
	CS_CHANGED,   /* SELECT _ref,_gen,_cgen FROM C WHERE _gen>?1 */
	CS__COUNT
};

/* Per-field cached statements. */
enum fstmt {
	FS_UPDATE, /* UPDATE C SET "f"=?2, _gen=?3 WHERE _ref=?1 */
	FS_FIND,   /* SELECT _ref FROM C WHERE "f"=?1 (stored field) */
	FS_GET,    /* SELECT "f" FROM C WHERE _ref=?1 */
	FS_REL,    /* derived: SELECT _ref FROM "<rel_class>" WHERE "<rel_field>"=?1 */
	FS_RELALL, /* derived: SELECT "<rel_field>",_ref FROM "<rel_class>" (non-null refs) */
	FS__COUNT
};

/* Statements on the store's own tables. */
enum mstmt {
	MS_META_GET,    /* SELECT value FROM _meta WHERE key=?1 */
	MS_META_SET,    /* INSERT OR REPLACE INTO _meta(key,value) VALUES(?1,?2) */
	MS_TOMB_ADD,    /* INSERT INTO _tombstone(class,ref,gen,cgen) VALUES(...) */
	MS_TOMB_SINCE,  /* tombstones with gen>?1 and cgen<=?1 */
	MS_TOMB_RANGE,  /* SELECT min(id),max(id) FROM _tombstone */
	MS_TOMB_HMAX,   /* SELECT max(gen) FROM _tombstone WHERE id<=?1 */
	MS_TOMB_PRUNE,  /* DELETE FROM _tombstone WHERE id<=?1 */
	MS_BEGIN,
	MS_BEGIN_IMM,
	MS_COMMIT,
	MS_ROLLBACK,
	MS__COUNT
};

/* One SQLite connection with its statement caches. Used by one txn at a time. */
typedef struct conn {
	sqlite3 *db;
	sqlite3_stmt **cs; /* [nclasses * CS__COUNT] */
	sqlite3_stmt **fs; /* [total_fields * FS__COUNT] */
	sqlite3_stmt *ms[MS__COUNT];
	struct conn *next; /* idle list */
} conn;

/* What the store derives from the schema for one class. */
typedef struct cls_info {
	const api_class *c;
	char *qname;       /* quoted table name: "VM" */
	int nstored;
	int *stored;       /* field indices in column order */
	int *col;          /* per field: column in CS_GET_ROW results, -1 when derived */
	xv **defaults;     /* per field: the default value (NULL for derived fields) */
	bool table;        /* in_database and has a table */
} cls_info;

struct store_waiter {
	int64_t gen;
	void (*wake)(void *arg);
	void *arg;
	int state;          /* W_WAITING, W_WAKING, W_DONE */
	bool free_on_done;  /* unwait called from inside wake() */
	pthread_t waker;
	struct store_waiter *prev, *next;
};

enum { W_WAITING = 0, W_WAKING, W_DONE };

struct store {
	store_schema sc;
	cls_info *ci;
	int *fbase;        /* per class: first index into conn.fs / 'field slots' */
	int total_fields;
	int *by_name;      /* class indices sorted by name (tombstone lookup) */
	char *path;

	pthread_mutex_t wlock; /* the one writer */
	conn *writer;

	pthread_mutex_t plock; /* idle reader pool */
	conn *idle;
	int nidle;

	_Atomic int64_t gen;   /* last committed generation */
	int64_t tomb_limit;    /* tombstones kept (see events.c) */

	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	struct store_waiter *waiters;
};

struct txn {
	store *s;
	conn *c;
	bool write;
	int64_t gen;      /* write: generation of this txn once it wrote, else 0 */
	int64_t snap_gen; /* generation visible in this txn's snapshot */
	int ndestroyed;   /* write: tombstones added (prune at commit) */
};

#define META_FORMAT_VALUE "halyard-db-1"
#define STORE_DEFAULT_TOMB_LIMIT 100000
#define STORE_MAX_IDLE_READERS 8

/* store.c */
xerr *st_sqlerr(sqlite3 *db, const char *what);
xerr *st_bad_class(const store *s, int cls);
sqlite3_stmt *st_cstmt(txn *t, int cls, enum cstmt k, xerr **err);
sqlite3_stmt *st_fstmt(txn *t, int cls, int field, enum fstmt k, xerr **err);
sqlite3_stmt *st_mstmt(conn *c, enum mstmt k, xerr **err);
char *st_quote(const char *name);
int64_t st_txn_gen(txn *t); /* takes the txn's generation at the first write */
int st_exec(sqlite3 *db, const char *sql, char **errmsg);
int st_meta_get_int(conn *c, const char *key, int64_t *out);
xerr *st_meta_set_int(conn *c, const char *key, int64_t v);
int st_meta_get_text(conn *c, const char *key, char **out);
conn *st_conn_get(store *s, xerr **err);
void st_conn_put(store *s, conn *c);
/* Resets non-persistent state inside the current write txn (gen g):
 * fields always, rows of non-persistent classes when classes_too. */
xerr *st_reset_nonpersistent(store *s, conn *c, int64_t g, bool classes_too,
			     int64_t *changes);

/* records.c */
xerr *rec_bind(sqlite3_stmt *st, int idx, const api_class *c, const api_field *f, const xv *v);
xv *rec_column(const store *s, sqlite3_stmt *st, int idx, const api_field *f, const xv *dflt);
xv *rec_default(const store *s, const api_field *f);
bool rec_is_derived(const api_field *f);

/* events.c */
void ev_wake(store *s, int64_t gen);
void ev_free_waiters(store *s);
xerr *ev_tomb_add(txn *t, int cls, const char *ref, int64_t cgen);
xerr *ev_prune(txn *t);
int ev_class_by_name(const store *s, const char *name);

#endif
