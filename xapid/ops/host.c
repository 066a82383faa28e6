/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.*: the read side of a host that needs no VM, storage or network
 * subsystem (those messages belong to their own issues). host.call_plugin
 * is in plugins.c. Halyard pools have one host, so "host" is this one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

/* The PEM certificate is small; anything larger is not ours. */
#define CERT_MAX (1u << 20)

xerr *op_host_get_servertime(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	*result = xv_datetime(hx_now());
	return NULL;
}

/*
 * XAPI sends the host's local wall-clock time in the datetime form,
 * which clients compare with get_servertime to learn the host's offset.
 * Our datetimes are epoch seconds rendered as UTC, so the local time is
 * the epoch shifted by the offset in force now.
 */
xerr *op_host_get_server_localtime(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	time_t now = (time_t)hx_now();
	struct tm tm;
	localtime_r(&now, &tm);
	*result = xv_datetime((int64_t)now + tm.tm_gmtoff);
	return NULL;
}

xerr *op_host_get_server_certificate(call_ctx *ctx, const api_msg *m, xv *const *args,
				     xv **result)
{
	const char *path = ctx->app->cfg.cert_file;
	if (!path || !*path)
		return xerr_new("INTERNAL_ERROR", "no server certificate is configured", NULL);
	size_t len = 0;
	char *pem = ops_read_file(path, CERT_MAX, &len);
	if (!pem)
		return xerr_newf("INTERNAL_ERROR", "cannot read the server certificate: %s",
				 strerror(errno));
	if (!hx_valid_xml_utf8(pem, len)) {
		free(pem);
		return xerr_new("INTERNAL_ERROR", "the server certificate is not PEM text", NULL);
	}
	*result = xv_str_own(pem);
	return NULL;
}

xerr *op_host_create_new_blob(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return blob_create_for(ctx, CLS_host, args, result);
}
