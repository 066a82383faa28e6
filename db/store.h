/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite object store: one table per database class of the XenAPI,
 * with the schema generated from the datamodel (api_class.sql_create).
 *
 * Durability: WAL with synchronous=FULL. A write transaction that
 * store_commit() returned NULL for is on disk: it survives kill -9 and
 * power loss. Every write in xapid goes through a txn of this API, so that
 * pool replication can later capture each txn as an SQLite changeset.
 *
 * Records are XV_STRUCTs keyed by wire field name holding API-typed values
 * in their wire form: strings, refs and enums (canonical datamodel
 * spelling) as XV_STRING, int as XV_INT, float XV_FLOAT, bool XV_BOOL,
 * datetime XV_DATETIME, sets as XV_ARRAY, maps as XV_STRUCT (keys as
 * strings), options as the value or XV_NIL.
 *
 * Table layout (what genapi.py emits into sql_create, and what this module
 * relies on):
 *   CREATE TABLE IF NOT EXISTS "<Class>" (
 *     _ref TEXT PRIMARY KEY,   -- "OpaqueRef:…"
 *     _gen INTEGER NOT NULL,   -- generation of the last write
 *     _cgen INTEGER NOT NULL,  -- generation of the creation
 *     "<field>" <affinity>, …  -- every stored field (not the derived ones)
 *   );
 *   CREATE INDEX … ON "<Class>"(_gen);  and on uuid, name_label and every
 *   ref-typed field.
 * Affinities: string/enum/ref/datetime-as-text: TEXT; int/bool: INTEGER;
 * float: REAL; datetime: INTEGER (epoch seconds); set/map/record/option:
 * TEXT holding JSON (jsonrpc_value_to_json of the wire value).
 * Deletions are recorded in "_tombstone"(class, ref, gen, cgen).
 * "_meta"(key, value) holds the schema hash and version.
 *
 * Threads: any thread may open a txn. Write txns are serialised; read txns
 * run concurrently with each other and with one writer (WAL).
 */
#ifndef HALYARD_DB_STORE_H
#define HALYARD_DB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../xapid/rpc/value.h"

typedef struct store store;
typedef struct txn txn;

/*
 * Opens (creating if needed) the database at path. Creates missing tables,
 * upgrades an older schema (adds new columns with their defaults, keeps
 * data), deletes rows of non-persistent classes (except tasks: xapid's
 * tasks_recover settles those) and resets non-persistent fields to their
 * defaults. Returns 0 or a negative errno with *errmsg.
 */
int store_open(store **out, const char *path, char **errmsg);
/* Every txn must have ended. Accepts NULL, returns NULL. Waiters still
 * registered are freed (do not unwait them afterwards). */
store *store_close(store *s);

/*
 * The schema a store works with. store_open() uses the generated tables
 * (api_classes, api_enums, api_schema_hash, api_schema_major/minor);
 * store_open_schema() takes another one, for tests and tools (e.g. a
 * database written by an older schema). The tables must outlive the store.
 */
struct api_class;
struct api_enum;
typedef struct store_schema {
	const struct api_class *classes;
	int nclasses;
	const struct api_enum *enums;
	int nenums;
	const char *hash;            /* recorded in _meta; a change triggers the upgrade */
	int version_major, version_minor; /* a newer database is refused */
	/* Non-persistent classes whose rows survive opening (NULL-terminated
	 * names, may be NULL): the caller settles them (xapid fails the tasks
	 * a crash interrupted, see tasks_recover). Their fields are kept too. */
	const char *const *keep_rows;
} store_schema;
int store_open_schema(store **out, const char *path, const store_schema *schema,
		      char **errmsg);

/*
 * How many tombstones are kept (default 100000, minimum 1). Older ones
 * are pruned by write txns that destroy objects; event clients whose
 * token predates a pruned tombstone get EVENTS_LOST.
 */
void store_set_tombstone_limit(store *s, int64_t n);

/* Begins a txn. write=false gives a consistent read snapshot. */
xerr *store_begin(store *s, bool write, txn **out);
/* Commits (write txns: durable on return, bumps the generation, wakes
 * waiters) and frees t. For read txns it just ends them. */
xerr *store_commit(txn *t);
/* Rolls back and frees t. Accepts NULL, returns NULL. */
txn *store_rollback(txn *t);

/*
 * Writes (write txn only). Each bumps the row's _gen to the txn's new
 * generation. record must hold every stored field of the class (missing
 * fields take their defaults; derived fields are ignored).
 */
xerr *store_create(txn *t, int cls, const char *ref, const xv *record);
xerr *store_destroy(txn *t, int cls, const char *ref);
xerr *store_set_field(txn *t, int cls, const char *ref, int field, const xv *val);
/* Bumps _gen without changing data (event.inject). */
xerr *store_touch(txn *t, int cls, const char *ref);

/* Reads (any txn). HANDLE_INVALID [class, ref] when ref is not a row. */
bool store_exists(txn *t, int cls, const char *ref);
/* The wire record (no internal_only fields; derived fields computed). */
xerr *store_get_record(txn *t, int cls, const char *ref, xv **out);
/* One field, stored or derived (internal_only fields too). */
xerr *store_get_field(txn *t, int cls, const char *ref, int field, xv **out);
/* Array of refs. */
xerr *store_get_all(txn *t, int cls, xv **out);
/* Struct ref -> record, computed in bulk (no per-row queries). */
xerr *store_get_all_records(txn *t, int cls, xv **out);
/* Refs whose field equals val (e.g. get_by_name_label, get_by_uuid). */
xerr *store_find(txn *t, int cls, int field, const xv *val, xv **refs);
/* The ref of the object with that uuid, or NULL (heap string). */
char *store_ref_of_uuid(txn *t, int cls, const char *uuid);
/* Which class (index) a ref belongs to, or -1; searches every table. */
int store_class_of_ref(txn *t, const char *ref);
/* Number of rows, or -1 for a bad class or a database error. */
int64_t store_count(txn *t, int cls);

/* Events. The generation is a global counter bumped by each write txn. */
int64_t store_generation(store *s);
/*
 * The generation as seen by t: for a read txn, the last generation
 * committed when its snapshot was taken (everything up to it is visible,
 * nothing after it); for a write txn, its own generation if it wrote,
 * else the last committed one. Use it as event.from's next token, not
 * store_generation(), which may already be ahead of the snapshot.
 */
int64_t store_txn_generation(txn *t);
/* True when t is a write txn that has written something. */
bool store_txn_wrote(txn *t);
typedef enum { STORE_ADD, STORE_MOD, STORE_DEL } store_op;
/*
 * Calls fn for every object of class cls (all classes when cls < 0) changed
 * after generation since, in generation order: STORE_ADD when created after
 * since, STORE_MOD otherwise, STORE_DEL for tombstones of objects created
 * at or before since... (objects created and destroyed after since are not
 * reported). If since is older than the oldest kept tombstone, returns
 * EVENTS_LOST. fn returns false to stop.
 */
typedef bool (*store_change_fn)(void *arg, int cls, const char *ref, store_op op, int64_t gen);
xerr *store_changes_since(txn *t, int cls, int64_t since, store_change_fn fn, void *arg);

/*
 * Calls wake(arg) once, from the committing thread, as soon as the
 * generation exceeds gen (at once if it already does). Returns a handle for
 * store_unwait(); wake is never called after store_unwait returns.
 */
/*
 * wake runs after the store's locks are released, so it may take its own
 * locks and begin txns. Every handle must be given to store_unwait (also
 * after wake ran): that frees it. store_unwait blocks while wake runs on
 * another thread; called from inside wake it returns at once.
 */
typedef struct store_waiter store_waiter;
store_waiter *store_wait(store *s, int64_t gen, void (*wake)(void *arg), void *arg);
void store_unwait(store *s, store_waiter *w);

/* Backup and restore: a consistent copy of the whole database file
 * (online: writers go on; written to a temporary file, fsync'd, renamed). */
xerr *store_dump(store *s, const char *dest_path);
/*
 * Replaces the live database with the file at src (checked to be a Halyard
 * database of a compatible schema first). RESTORE_INCOMPATIBLE_VERSION when
 * the file is not an SQLite database passing quick_check, has no Halyard
 * _meta, or has a newer schema version; an older schema is upgraded (its
 * missing columns take their defaults). One write txn replaces the rows of
 * every PERSISTENT class and resets non-persistent fields; rows of
 * non-persistent classes (sessions, tasks) stay the live ones. Every event
 * token older than the restore gets EVENTS_LOST. Open read txns keep
 * their snapshot of the old data.
 */
xerr *store_restore(store *s, const char *src_path);

#endif
