/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret.introduce: a secret with a uuid chosen by the caller (pool join
 * and disaster recovery copy secrets between databases keeping their
 * uuids). secret.create and the field accessors are implicit. Secret
 * values never reach a log: nothing here prints them, errors name the
 * uuid only.
 */
#include <stdlib.h>

#include "api_ids.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

xerr *op_secret_introduce(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *uuid = xv_s(args[0]);
	if (!hx_is_uuid(uuid))
		return xerr_new("INVALID_VALUE", "uuid", uuid, NULL);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	char *dup = store_ref_of_uuid(t, CLS_secret, uuid);
	if (dup) {
		free(dup);
		store_rollback(t);
		return xerr_new("DB_UNIQUENESS_CONSTRAINT_VIOLATION", "secret", "uuid", uuid, NULL);
	}
	xv *rec = xv_struct();
	xv_struct_set(rec, "uuid", xv_str(uuid));
	xv_struct_set(rec, "value", xv_dup(args[1]));
	xv_struct_set(rec, "other_config", xv_dup(args[2]));
	char *ref = NULL;
	if ((e = obj_create(t, CLS_secret, rec, &ref))) {
		store_rollback(t);
		return e;
	}
	if ((e = db_commit(t))) {
		free(ref);
		return e;
	}
	*result = xv_str_own(ref);
	return NULL;
}
