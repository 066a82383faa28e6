/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XML-RPC codec (libxml2), exactly as XAPI puts values on the wire
 * (../../shared/xenapi/WIRE.md §2): compact output with no whitespace
 * between tags, strings as bare <value>text</value> (an empty string is
 * <value></value>), int64 as bare decimal strings, <i4> only for XVF_I32,
 * <double> with %.16g, <boolean>1/0</boolean>, dateTime.iso8601 as
 * %Y%m%dT%H:%M:%SZ, arrays and structs as usual, XV_NIL as <nil/>.
 * Text that is not XML-legal UTF-8 (never produced by the parsers) is
 * written with each offending byte replaced by U+FFFD, so output is always
 * well-formed.
 */
#ifndef HALYARD_RPC_XMLRPC_H
#define HALYARD_RPC_XMLRPC_H

#include <stddef.h>

#include "strbuf.h"
#include "value.h"

/*
 * Parses a <methodCall>. On success returns 0, *method (heap) and *params
 * (an XV_ARRAY, heap). On failure returns -EINVAL and *errmsg (heap) says
 * why. Accepts <string>, <i4>, <i8>, <int>, <double>, <boolean>,
 * <dateTime.iso8601>, <base64> (decoded to a string), <nil/>, <array>,
 * <struct>, and bare text as a string. Rejects DTDs/entities, nesting
 * deeper than 64, and strings that are not valid XML-legal UTF-8.
 */
int xmlrpc_parse_call(const char *buf, size_t len, char **method, xv **params,
		      char **errmsg);

/* Appends one "<value>…</value>" for v. */
void xmlrpc_put_value(strbuf *b, const xv *v);
/* "<value>…</value>" as a heap string: what task.result holds. */
char *xmlrpc_value_string(const xv *v);
/* Parses one "<value>…</value>" fragment (task.result) into *out. */
int xmlrpc_parse_value_string(const char *buf, size_t len, xv **out, char **errmsg);

/* A whole <methodResponse> whose single param is v (no Status wrapping). */
char *xmlrpc_response_raw(const xv *v, size_t *len);
/* {Status: "Success", Value: v} response. */
char *xmlrpc_response_success(const xv *v, size_t *len);
/* {Status: "Failure", ErrorDescription: [code, params…]} response. */
char *xmlrpc_response_failure(const xerr *e, size_t *len);

/* Client side (xe, tests): builds a <methodCall>; params is an XV_ARRAY. */
char *xmlrpc_build_call(const char *method, const xv *params, size_t *len);
/* Client side: parses a <methodResponse>, returning its single param in
 * *out (still wrapped in the Status struct if the server wrapped it). A
 * <fault> is returned as an xerr with code "XMLRPC_FAULT": concretely *out
 * is then {Status: "Failure", ErrorDescription: ["XMLRPC_FAULT",
 * faultCode as a string, faultString]}, so xmlrpc_result_of() yields it. */
int xmlrpc_parse_response(const char *buf, size_t len, xv **out, char **errmsg);

/* Client side: unwraps a Status struct. Success gives 0 and *value (a
 * copy of Value, heap); Failure gives 0 and *err (ErrorDescription; a
 * non-string element is rendered with xv_to_debug). A reply of any other
 * shape (no Status, Success without Value, …) gives -EINVAL. */
int xmlrpc_result_of(const xv *reply, xv **value, xerr **err);

#endif
