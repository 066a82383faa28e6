/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XAPI's selector rules for vm-* operations (its select_vms/do_vm_op):
 *
 *   vm=<name-label or uuid>   VMs whose uuid or name-label is that
 *   <field>=<value>           any other parameter that is a field of the
 *                             vm class filters on it as xe prints it
 *                             (power-state=halted, name-label=…, uuid=…)
 *
 * Templates and control domains are left out unless the command takes
 * them or the user filters on is-a-template / is-control-domain. The
 * command's own parameters and the standard ones are not filters; any
 * other parameter that is not a vm field is an error. No match: "No
 * matching VMs found"; several: the operation runs on each with
 * --multiple, else XAPI's error.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vm_select.h"

static const char *const std_params[] = {
	"server", "password", "port", "username", "minimal", "force",
	"multiple", "all", "message-priority", "trace", "params", "vm", NULL,
};

static bool listed(const char *k, const char *const *l)
{
	for (; l && *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

xerr *xe_select_vms(xe_ctx *x, const char *const *own, bool templates, xv **refs)
{
	*refs = NULL;
	const xe_class_def *cd = xe_class_lookup("vm");
	if (!cd)
		return xe_fail("the vm class is missing from xe's tables");
	const xe_params *ps = x->params;
	struct {
		const xe_field_def *fd;
		const char *val;
	} f[64];
	size_t nf = 0;
	const char *dflt[2] = { "is-control-domain", templates ? NULL : "is-a-template" };
	for (int i = 0; i < 2; i++) {
		if (!dflt[i] || xe_param_get(ps, dflt[i]) || !xe_find_field(cd, dflt[i]))
			continue;
		f[nf].fd = xe_find_field(cd, dflt[i]);
		f[nf++].val = "false";
	}
	for (size_t i = 0; i < ps->n; i++) {
		const char *k = ps->p[i].key;
		if (listed(k, std_params) || listed(k, own) || !strncmp(k, "database:", 9))
			continue;
		const xe_field_def *fd = xe_find_field(cd, k);
		if (!fd)
			return xe_fail("Parameter '%s' is not a field of the VM class. Failed to "
				       "select VM for operation.", k);
		if (nf == sizeof(f) / sizeof(f[0]))
			return xe_fail("too many filters");
		f[nf].fd = fd;
		f[nf++].val = ps->p[i].val;
	}
	xv *all = NULL;
	xerr *e = xe_callv(x, "VM.get_all_records", &all, NULL);
	if (e)
		return e;
	if (all->kind != XV_STRUCT) {
		xv_free(all);
		return xe_fail("VM.get_all_records returned no records map");
	}
	for (size_t i = 0; i < all->u.st.n; i++)
		xe_refcache_put(x->refs, all->u.st.m[i].key, all->u.st.m[i].val);
	xe_refcache_mark_class(x->refs, "VM");
	const char *vm = xe_param_get(ps, "vm");
	xv *out = xv_array();
	for (size_t i = 0; i < all->u.st.n; i++) {
		const char *ref = all->u.st.m[i].key;
		const xv *rec = all->u.st.m[i].val;
		const char *u = xv_struct_str(rec, "uuid"), *nl = xv_struct_str(rec, "name_label");
		bool ok = !vm || (u && !strcmp(vm, u)) || (nl && !strcmp(vm, nl));
		for (size_t j = 0; j < nf && ok; j++) {
			char *s = xe_format_field(x, cd, f[j].fd, ref, rec, true);
			ok = !strcmp(s, f[j].val);
			free(s);
		}
		if (ok)
			xv_array_push(out, xv_str(ref));
	}
	xe_refcache_keep(x->refs, all);
	*refs = out;
	return NULL;
}

int xe_do_vm_op(xe_ctx *x, const char *const *own, bool templates, bool multiple_ok,
		xerr *(*op)(xe_ctx *x, const char *ref, void *arg), void *arg)
{
	xv *refs = NULL;
	xerr *e = xe_select_vms(x, own, templates, &refs);
	if (e)
		return xe_finish(e);
	size_t n = xv_len(refs);
	if (n == 0)
		e = xe_fail("No matching VMs found");
	else if (n > 1 && !(multiple_ok && xe_param_bool(x->params, "multiple", false)))
		e = xe_fail(multiple_ok ? "Multiple matches VMs found. --multiple required to "
					  "complete the operation" :
					  "Multiple matches VMs found. Operation can only be "
					  "performed on one VM at a time");
	int rc = 0;
	for (size_t i = 0; !e && i < n; i++) {
		xerr *r = op(x, xv_s(xv_array_get(refs, i)), arg);
		if (r && n == 1)
			e = r;
		else if (r)
			rc |= xe_finish(r);
	}
	xv_free(refs);
	return e ? xe_finish(e) : rc;
}
