/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console records and the /console HTTP handlers (console.c), the
 * metrics HTTP handlers (rrd_http.c) and data-source messages
 * (data_source.c).
 */
#ifndef HALYARD_OPS_CONSOLE_H
#define HALYARD_OPS_CONSOLE_H

#include <stdbool.h>

#include "dispatch.h"
#include "http.h"
#include "store.h"

struct xapid;

/* Inside write txn t: gives VM vm its rfb and vt100 consoles when live,
 * removes them otherwise (idempotent). */
xerr *console_records_sync(txn *t, struct xapid *app, const char *vm, bool live);

void handler_console_connect(void *app, http_req *r);
void handler_console_get(void *app, http_req *r);

/* rrd_http.c */
void handler_rrd_updates(void *app, http_req *r);
void handler_vm_rrd(void *app, http_req *r);
void handler_host_rrd(void *app, http_req *r);

/* data_source.c */
xerr *op_VM_get_data_sources(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result);
xerr *op_VM_query_data_source(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result);
xerr *op_host_get_data_sources(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result);
xerr *op_host_query_data_source(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result);

#endif
