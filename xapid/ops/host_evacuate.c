/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host evacuation as XAPI plans it (its no-WLB plan): every VM resident
 * on the host (not the control domain) must move to another enabled host
 * of the pool. This pool has one host, so there is no target: each
 * resident VM gets NO_HOSTS_AVAILABLE [vm], and
 * - host.get_vms_which_prevent_evacuation answers those as a map
 *   VM ref -> [code, params…];
 * - host.assert_can_evacuate raises CANNOT_EVACUATE_HOST with XAPI's
 *   encoding ("CODE,param|CODE,param");
 * - host.evacuate raises the first VM's error; with no resident VM it
 *   has nothing to do and succeeds.
 */
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "ops.h"
#include "strbuf.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"

/* The plan's errors: a struct VM ref -> array [code, params…]. */
static xerr *plan_errors(call_ctx *ctx, const char *host, xv **out)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_host, host))) {
		store_rollback(t);
		return e;
	}
	/* Other enabled hosts would be targets; there are none in a pool of
	 * one, but count them so the rule stays XAPI's. */
	xv *hosts = NULL;
	size_t targets = 0;
	e = store_get_all_records(t, CLS_host, &hosts);
	for (size_t i = 0; !e && i < xv_len(hosts); i++)
		if (strcmp(hosts->u.st.m[i].key, host) &&
		    vm_rec_bool(hosts->u.st.m[i].val, "enabled"))
			targets++;
	xv_free(hosts);
	xv *vms = NULL;
	if (!e)
		e = store_get_all_records(t, CLS_VM, &vms);
	store_rollback(t);
	if (e)
		return e;
	if (targets)
		return xerr_new("INTERNAL_ERROR",
				"evacuation to another host needs VM.pool_migrate", NULL);
	*out = xv_struct();
	for (size_t i = 0; i < xv_len(vms); i++) {
		const xv *r = vms->u.st.m[i].val;
		if (vm_rec_bool(r, "is_control_domain") || strcmp(vm_rec_str(r, "resident_on"), host))
			continue;
		xv *why = xv_array();
		xv_array_push(why, xv_str("NO_HOSTS_AVAILABLE"));
		xv_array_push(why, xv_str(vms->u.st.m[i].key));
		xv_struct_set(*out, vms->u.st.m[i].key, why);
	}
	xv_free(vms);
	return NULL;
}

xerr *op_host_get_vms_which_prevent_evacuation(call_ctx *ctx, const api_msg *m,
					       xv *const *args, xv **result)
{
	(void)m;
	return plan_errors(ctx, xv_s(args[0]), result);
}

xerr *op_host_assert_can_evacuate(call_ctx *ctx, const api_msg *m, xv *const *args,
				  xv **result)
{
	(void)m;
	xv *plan = NULL;
	xerr *e = plan_errors(ctx, xv_s(args[0]), &plan);
	if (e)
		return e;
	if (!xv_len(plan)) {
		xv_free(plan);
		*result = xv_str("");
		return NULL;
	}
	strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < xv_len(plan); i++) {
		const xv *why = plan->u.st.m[i].val;
		if (i)
			sb_putc(&sb, '|');
		for (size_t k = 0; k < xv_len(why); k++) {
			if (k)
				sb_putc(&sb, ',');
			sb_puts(&sb, xv_s(why->u.arr.items[k]));
		}
	}
	xv_free(plan);
	e = xerr_new("CANNOT_EVACUATE_HOST", sb.s ? sb.s : "", NULL);
	sb_free(&sb);
	return e;
}

xerr *op_host_evacuate(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	xv *plan = NULL;
	xerr *e = plan_errors(ctx, xv_s(args[0]), &plan);
	if (e)
		return e;
	if (xv_len(plan)) {
		const xv *why = plan->u.st.m[0].val;
		e = xerr_new(xv_s(why->u.arr.items[0]), xv_s(why->u.arr.items[1]), NULL);
	} else {
		*result = xv_str("");
	}
	xv_free(plan);
	return e;
}
