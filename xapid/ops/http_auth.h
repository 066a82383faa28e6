/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is calling an HTTP handler (not an RPC): XAPI's handlers accept a
 * session_id query parameter or cookie, HTTP Basic credentials, or (here)
 * a unix-socket peer with uid 0.
 */
#ifndef HALYARD_OPS_HTTP_AUTH_H
#define HALYARD_OPS_HTTP_AUTH_H

#include <stdbool.h>

#include "http.h"
#include "sessions.h"

struct xapid;

/*
 * True when the request is authenticated; then *v describes the caller
 * (v->ref is NULL unless a session was named). Clear v with
 * session_view_clear either way. Bad Basic credentials are not delayed
 * here (that would hold an HTTP thread); the caller answers 401.
 */
bool http_session_ok(struct xapid *app, http_req *r, session_view *v);

/* Decodes standard base64 (padding optional). Heap, NUL-terminated;
 * NULL on malformed input. */
char *http_base64_decode(const char *in, size_t *len);

#endif
