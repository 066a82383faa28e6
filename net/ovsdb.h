/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small OVSDB (RFC 7047) JSON-RPC client on json-c over a unix socket:
 * transact, and the reply parser on its own so it can be fuzzed. One
 * connection, one request at a time (a mutex), reconnects once when the
 * server went away. Answers the server's "echo" requests.
 */
#ifndef HALYARD_NET_OVSDB_H
#define HALYARD_NET_OVSDB_H

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

/* Helpers to build operations. */
json_object *ovsdb_named(const char *name);       /* ["named-uuid", name] */
json_object *ovsdb_uuid(const char *uuid);        /* ["uuid", uuid] */
json_object *ovsdb_set1(json_object *elem);       /* ["set", [elem]] */
json_object *ovsdb_map(const char *const *kv);    /* ["map", [[k, v] …]] */
json_object *ovsdb_where_eq(const char *col, json_object *val); /* [[col,"==",val]] */

/* The "_uuid" of the first row in a select result element, or NULL. */
const char *ovsdb_row_uuid(json_object *op_result, size_t row);

#endif
