/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small OVSDB (RFC 7047) JSON-RPC client on json-c over a unix socket:
 * transact, a monitor cache, and the parsers on their own so they can be
 * fuzzed. One connection, one request at a time (a mutex), reconnects
 * once when the server went away. Answers the server's "echo" requests.
 *
 * The monitor cache: ovsdb_monitor asks the server (RPC "monitor_cond",
 * RFC 7047 as extended by ovsdb-server(7)) for the rows of some tables
 * and columns; the initial rows fill the cache and the server's "update2"
 * notifications (only what changed) keep it current. They arrive
 * on the same connection, are applied whenever a reply is read, and the
 * lookups below first apply what has arrived (without waiting), so a
 * lookup sees every change committed before it, ours included (the
 * server sends the updates a transaction causes before its reply). When
 * the server goes away (restart), the next call or lookup reconnects,
 * monitors again and rebuilds the cache from scratch.
 */
#ifndef HALYARD_NET_OVSDB_H
#define HALYARD_NET_OVSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

typedef struct ovsdb ovsdb;

/* Connects to the unix socket path. 0 or -errno. */
int ovsdb_open(const char *path, ovsdb **out);
/* Accepts NULL, returns NULL. */
ovsdb *ovsdb_close(ovsdb *db);

/*
 * Runs one transaction on database "Open_vSwitch": ops is a JSON array of
 * operations (taken). On success *result (may be NULL) gets the result
 * array (the caller puts it). Returns 0, -errno on transport failure, or
 * -EPROTO when the server refused (an operation or the commit failed),
 * with *err (heap, may be NULL) saying why.
 */
int ovsdb_transact(ovsdb *db, json_object *ops, json_object **result, char **err);

/*
 * Checks one reply message (a parsed JSON object) to request id: 0 with
 * *result (a new reference) when it is the successful reply; -EPROTO
 * with *err for an error reply or an operation error inside a transact
 * result; -EAGAIN when msg is something else (an echo, another id);
 * -EBADMSG when it is not a JSON-RPC message at all.
 */
int ovsdb_check_reply(json_object *msg, int64_t id, json_object **result, char **err);

/*
 * Starts the monitor cache on a new connection: spec is
 * {"Table": ["column", ...], ...} (taken). 0 or -errno / -EPROTO.
 */
int ovsdb_monitor(ovsdb *db, json_object *spec, char **err);
/* Applies the notifications received so far; reconnects and reloads when
 * the connection was lost. 0 or -errno. */
int ovsdb_sync(ovsdb *db);
/* Bumped each time the cache is loaded afresh (first monitor, reconnect). */
unsigned ovsdb_generation(ovsdb *db);
/*
 * Lookups in the (synced) cache. Rows are {"column": <value>, ...} and
 * never change once returned (the caller puts the reference).
 * ovsdb_table: a new {uuid: row} object of the whole table.
 * ovsdb_row: the row of uuid, or NULL.
 * ovsdb_find: the first row whose string column col equals val (and its
 * uuid in *uuid, heap), or NULL. *rc (may be NULL) gets 0 or -errno.
 */
json_object *ovsdb_table(ovsdb *db, const char *table, int *rc);
json_object *ovsdb_row(ovsdb *db, const char *table, const char *uuid);
json_object *ovsdb_find(ovsdb *db, const char *table, const char *col, const char *val,
			char **uuid, int *rc);

/*
 * The update parser (ovsdb_cache.c): applies <table-updates> (a monitor
 * reply's result or an "update" notification's second parameter) to
 * cache {table: {uuid: row}}; tables the cache lacks are ignored. 0, or
 * -EBADMSG for a malformed update (the cache may be partly updated: the
 * client then reloads it).
 */
int ovsdb_cache_apply(json_object *cache, json_object *updates);
/*
 * The same for <table-updates2> (monitor_cond's reply and "update2"
 * notifications): a modify carries only the difference, which for a set
 * or map column is applied per element, so kinds says which columns are
 * sets and maps: {table: {column: "set"|"map"|"atom"}} (ovsdb_column_kinds).
 */
int ovsdb_cache_apply2(json_object *cache, json_object *kinds, json_object *updates);
/* The kinds of the columns in spec ({table: [columns]}) from a schema
 * (get_schema's result); unknown columns are atoms. */
json_object *ovsdb_column_kinds(json_object *schema, json_object *spec);

/* Readers of OVSDB values: a set is ["set", [...]] or a single atom. */
size_t ovsdb_set_len(json_object *v);
json_object *ovsdb_set_at(json_object *v, size_t i);
const char *ovsdb_uuid_of(json_object *atom); /* ["uuid", u] -> u, else NULL */
bool ovsdb_set_has_uuid(json_object *v, const char *uuid);
/* An integer (or a set of one) or dflt (an empty set, another type). */
int64_t ovsdb_int_of(json_object *v, int64_t dflt);
/* A string (or a set of one), else NULL. */
const char *ovsdb_str_of(json_object *v);
/* map value of key in ["map", [[k, v] ...]] (string pairs), or NULL. */
const char *ovsdb_map_get(json_object *v, const char *key);
size_t ovsdb_map_len(json_object *v);
/* True when the map holds exactly the pairs of kv (key, value, ..., NULL). */
bool ovsdb_map_equals(json_object *v, const char *const *kv);

/* Helpers to build operations. */
json_object *ovsdb_named(const char *name);       /* ["named-uuid", name] */
json_object *ovsdb_uuid(const char *uuid);        /* ["uuid", uuid] */
json_object *ovsdb_set1(json_object *elem);       /* ["set", [elem]] */
json_object *ovsdb_map(const char *const *kv);    /* ["map", [[k, v] …]] */
json_object *ovsdb_where_eq(const char *col, json_object *val); /* [[col,"==",val]] */

/* The "_uuid" of the first row in a select result element, or NULL. */
const char *ovsdb_row_uuid(json_object *op_result, size_t row);

#endif
