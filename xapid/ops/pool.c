/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.*: the custom messages of the pool that need no other subsystem.
 * The pool record itself is written by bootstrap_run; everything about
 * joining, HA, certificates, updates and so on belongs to other issues
 * and stays NOT_IMPLEMENTED until then.
 */
#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"

xerr *op_pool_create_new_blob(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return blob_create_for(ctx, CLS_pool, args, result);
}
