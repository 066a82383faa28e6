/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP handlers of VDI data (vdi_http.c). */
#ifndef HALYARD_OPS_VDI_HTTP_H
#define HALYARD_OPS_VDI_HTTP_H

#include "http.h"

/* PUT /import_raw_vdi: a stream route (the body is read as it comes). */
void handler_import_raw_vdi(void *app, http_req *r);
/* GET /export_raw_vdi. */
void handler_export_raw_vdi(void *app, http_req *r);

#endif
