/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON-RPC 1.0 and 2.0 codec, as XAPI serves it on /jsonrpc (WIRE.md §3),
 * with a strict parser of our own (jsonparse.c). int64 goes out as a JSON integer,
 * datetimes as strings "%Y%m%dT%H:%M:%SZ", XV_NIL as null. Floats
 * always carry a '.' or an exponent (1.0) and use the shortest text that
 * reads back exactly; NaN/inf, which JSON lacks, go out as null. Invalid
 * UTF-8 in a string (never produced by the parsers) becomes U+FFFD.
 */
#ifndef HALYARD_RPC_JSONRPC_H
#define HALYARD_RPC_JSONRPC_H

#include <stddef.h>

#include "value.h"

typedef struct jsonrpc_req {
	int version;   /* 1 or 2 */
	char *method;  /* heap */
	xv *params;    /* XV_ARRAY, heap */
	char *id_json; /* the request id re-serialised as JSON text, heap */
} jsonrpc_req;

/*
 * Parses a request body. Returns 0 on success. On failure returns -EINVAL
 * and *errmsg (heap). A missing or null id is an error (no notifications).
 * JSON numbers that are integers become XV_INT, others XV_FLOAT; strings
 * must be valid XML-legal UTF-8; nesting is limited to 64.
 */
int jsonrpc_parse_request(const char *buf, size_t len, jsonrpc_req *req, char **errmsg);
void jsonrpc_req_clear(jsonrpc_req *req);

/* Replies. id_json NULL means "null". Result strings are heap. */
char *jsonrpc_success(int version, const char *id_json, const xv *result, size_t *len);
/* v1: "error": [code, params…]; v2: {"code":1,"message":code,"data":[params…]} */
char *jsonrpc_error(int version, const char *id_json, const xerr *e, size_t *len);

/* Value <-> JSON text (for the DB's map/set columns, tests and xe). */
char *jsonrpc_value_to_json(const xv *v);
int jsonrpc_value_from_json(const char *buf, size_t len, xv **out, char **errmsg);

/* Client side: builds a v2 request with id 0; parses a reply into either
 * *result (success) or *err (failure), for both v1 and v2 shapes. */
char *jsonrpc_build_request(const char *method, const xv *params, size_t *len);
int jsonrpc_parse_reply(const char *buf, size_t len, xv **result, xerr **err, char **errmsg);

#endif
