/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP route handlers of xapid (app is the struct xapid *). */
#ifndef HALYARD_API_RPC_HTTP_H
#define HALYARD_API_RPC_HTTP_H

#include "http.h"

void rpc_http_json(void *app, http_req *r);
void rpc_http_xml(void *app, http_req *r);
void rpc_http_options(void *app, http_req *r);
void rpc_http_not_found(void *app, http_req *r);
/* GET/PUT /pool/xmldbdump: database backup and restore. */
void handler_dbdump_get(void *app, http_req *r);
void handler_dbdump_put(void *app, http_req *r);
/* GET/PUT /blob?ref=… */
void handler_blob_get(void *app, http_req *r);
void handler_blob_put(void *app, http_req *r);

#endif
