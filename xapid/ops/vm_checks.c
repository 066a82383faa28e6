/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XAPI's operation rules for VMs: which vm_operations a VM allows in its
 * power state, with the operations in progress, as a template, snapshot
 * or control domain, and with blocked_operations; VM.assert_operation_valid
 * and VM.update_allowed_operations; allowed_operations kept right after
 * every write (ops_precommit, run by db_commit for each write txn: a VM
 * created by VM.create, or whose is_a_template, blocked_operations,
 * power_state … changed, gets its allowed_operations recomputed in the
 * same txn).
 *
 * allowed_operations lists the operations of XAPI's list that are
 * allowed now and that this server implements (a message without a
 * handler, e.g. VM.snapshot before storage has it, is not offered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "ops.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"

bool vm_rec_bool(const xv *rec, const char *f)
{
	xv *v = rec ? xv_struct_get(rec, f) : NULL;
	return v && v->kind == XV_BOOL && v->u.b;
}

int64_t vm_rec_int(const xv *rec, const char *f)
{
	xv *v = rec ? xv_struct_get(rec, f) : NULL;
	return v && v->kind == XV_INT ? v->u.i : 0;
}

const char *vm_rec_str(const xv *rec, const char *f)
{
	const char *s = rec ? xv_struct_str(rec, f) : NULL;
	return s ? s : "";
}

#define S_HALTED (1 << 0)
#define S_PAUSED (1 << 1)
#define S_SUSPENDED (1 << 2)
#define S_RUNNING (1 << 3)
#define S_ALL (S_HALTED | S_PAUSED | S_SUSPENDED | S_RUNNING)

/* The power states in which op may run (XAPI's allowed_power_states). */
static int op_states(const char *op, const xv *rec)
{
	static const struct {
		const char *op;
		int states;
	} t[] = {
		{ "changing_memory_limits", S_HALTED },
		{ "changing_shadow_memory", S_HALTED },
		{ "changing_static_range", S_HALTED },
		{ "changing_VCPUs", S_HALTED },
		{ "changing_NVRAM", S_HALTED },
		{ "create_vtpm", S_HALTED },
		{ "make_into_template", S_HALTED },
		{ "provision", S_HALTED },
		{ "start", S_HALTED },
		{ "start_on", S_HALTED },
		{ "unpause", S_PAUSED },
		{ "csvm", S_SUSPENDED },
		{ "resume", S_SUSPENDED },
		{ "resume_on", S_SUSPENDED },
		{ "awaiting_memory_live", S_RUNNING },
		{ "clean_reboot", S_RUNNING },
		{ "clean_shutdown", S_RUNNING },
		{ "shutdown", S_RUNNING | S_PAUSED | S_SUSPENDED },
		{ "changing_memory_live", S_RUNNING },
		{ "changing_shadow_memory_live", S_RUNNING },
		{ "changing_VCPUs_live", S_RUNNING },
		{ "data_source_op", S_RUNNING },
		{ "pause", S_RUNNING },
		{ "pool_migrate", S_RUNNING },
		{ "send_sysrq", S_RUNNING },
		{ "send_trigger", S_RUNNING },
		{ "snapshot_with_quiesce", S_RUNNING },
		{ "suspend", S_RUNNING },
		{ "changing_dynamic_range", S_HALTED | S_RUNNING },
		{ "migrate_send", S_HALTED | S_SUSPENDED | S_RUNNING },
		{ "create_template", S_HALTED | S_SUSPENDED },
		{ "destroy", S_HALTED | S_SUSPENDED },
		{ "export", S_HALTED | S_SUSPENDED },
		{ "hard_reboot", S_PAUSED | S_RUNNING },
		{ "checkpoint", S_PAUSED | S_SUSPENDED | S_RUNNING },
		{ "get_boot_record", S_PAUSED | S_SUSPENDED | S_RUNNING },
		{ "hard_shutdown", S_PAUSED | S_SUSPENDED | S_RUNNING },
		{ "sysprep", S_RUNNING },
	};
	if (!strcmp(op, "clone") || !strcmp(op, "copy"))
		return S_HALTED | (vm_rec_bool(rec, "is_a_snapshot") ? S_SUSPENDED : 0);
	if (!strcmp(op, "import"))
		return 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].op, op))
			return t[i].states;
	/* assert_operation_valid, metadata_export, power_state_reset, revert,
	 * reverting, snapshot, update_allowed_operations, query_services … */
	return S_ALL;
}

static int state_of(const char *power)
{
	return !strcmp(power, "Halted")	   ? S_HALTED :
	       !strcmp(power, "Paused")	   ? S_PAUSED :
	       !strcmp(power, "Suspended") ? S_SUSPENDED :
	       !strcmp(power, "Running")   ? S_RUNNING :
					     0;
}

static bool in_list(const char *op, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(op, *l))
			return true;
	return false;
}

/* May op start while the operations in cur run (XAPI's concurrency
 * sets and pairs)? */
static bool allowed_concurrently(const char *op, const xv *cur)
{
	static const char *const long_copies[] = { "clone", "copy", "export", NULL };
	static const char *const snapshot[] = { "snapshot", "checkpoint", NULL };
	static const char *const boot_record[] = { "get_boot_record", NULL };
	static const char *const *const sets[] = { long_copies, snapshot, boot_record };
	for (size_t s = 0; s < 3; s++) {
		if (!in_list(op, sets[s]))
			continue;
		bool all = true;
		for (size_t i = 0; i < xv_len(cur) && all; i++)
			all = in_list(xv_s(cur->u.st.m[i].val), sets[s]);
		if (all)
			return true;
	}
	static const struct {
		const char *running, *op;
	} pairs[] = {
		{ "snapshot_with_quiesce", "snapshot" }, { "migrate_send", "metadata_export" },
		{ "migrate_send", "hard_shutdown" },	 { "migrate_send", "clean_shutdown" },
		{ "migrate_send", "hard_reboot" },	 { "migrate_send", "clean_reboot" },
		{ "migrate_send", "start" },		 { "migrate_send", "start_on" },
	};
	if (xv_len(cur) != 1)
		return false;
	const char *running = xv_s(cur->u.st.m[0].val);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!strcmp(pairs[i].running, running) && !strcmp(pairs[i].op, op))
			return true;
	return false;
}

/* "halted, running": the states of mask in XAPI's order, lower case. */
static void states_text(int mask, char *buf, size_t n)
{
	static const char *const names[] = { "halted", "paused", "suspended", "running" };
	buf[0] = 0;
	for (int i = 0; i < 4; i++)
		if (mask & (1 << i)) {
			size_t l = strlen(buf);
			snprintf(buf + l, n - l, "%s%s", l ? ", " : "", names[i]);
		}
}

xerr *vm_check_blocked(const char *vm, const xv *rec, const char *op)
{
	xv *blocked = xv_struct_get(rec, "blocked_operations");
	const char *why = blocked ? xv_struct_str(blocked, op) : NULL;
	return why ? xerr_new("OPERATION_BLOCKED", vm, why, NULL) : NULL;
}

xerr *vm_check_operation(const char *vm, const xv *rec, const char *op)
{
	xerr *e = vm_check_blocked(vm, rec, op);
	if (e)
		return e;
	const char *power = vm_rec_str(rec, "power_state");
	int allowed = op_states(op, rec);
	if (!(allowed & state_of(power))) {
		char exp[64];
		states_text(allowed, exp, sizeof(exp));
		char *act = hx_strdup(power);
		for (char *c = act; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		e = xerr_new("VM_BAD_POWER_STATE", vm, exp, act, NULL);
		free(act);
		return e;
	}
	xv *cur = xv_struct_get(rec, "current_operations");
	if (cur && xv_len(cur) && !allowed_concurrently(op, cur))
		return xerr_new("OTHER_OPERATION_IN_PROGRESS", "VM", vm, xv_s(cur->u.st.m[0].val),
				cur->u.st.m[0].key, NULL);
	bool tmpl = vm_rec_bool(rec, "is_a_template"), snap = vm_rec_bool(rec, "is_a_snapshot");
	if (tmpl && !snap) {
		static const char *const ok[] = { "changing_dynamic_range", "changing_static_range",
						  "changing_memory_limits", "changing_shadow_memory",
						  "changing_VCPUs", "changing_NVRAM", "clone", "copy",
						  "create_vtpm", "export", "metadata_export",
						  "provision", NULL };
		xv *oc = xv_struct_get(rec, "other_config");
		const char *dflt = oc ? xv_struct_str(oc, "default_template") : NULL;
		bool is_default = (dflt && !strcmp(dflt, "true")) || vm_rec_bool(rec, "is_default_template");
		if (!in_list(op, ok) && !(!strcmp(op, "destroy") && !is_default))
			return xerr_new("VM_IS_TEMPLATE", vm, NULL);
	}
	if (snap) {
		static const char *const ok[] = { "revert", "clone", "copy", "export", "destroy",
						  "hard_shutdown", "metadata_export", NULL };
		if (!in_list(op, ok))
			return xerr_new("VM_IS_SNAPSHOT", vm, op, NULL);
	}
	if (!strcmp(op, "provision") && !tmpl)
		return xerr_new("ONLY_PROVISION_TEMPLATE", NULL);
	if (!strcmp(op, "revert") && !snap)
		return xerr_new("ONLY_REVERT_SNAPSHOT", NULL);
	if (vm_rec_bool(rec, "is_control_domain")) {
		static const char *const ok[] = { "data_source_op", "changing_memory_live",
						  "awaiting_memory_live", "metadata_export",
						  "changing_dynamic_range", "start", NULL };
		if (!in_list(op, ok))
			return xerr_new("OPERATION_NOT_ALLOWED",
					"Operations on domain 0 are not allowed", NULL);
	}
	if (!strcmp(op, "query_services")) {
		xv *oc = xv_struct_get(rec, "other_config");
		const char *sd = oc ? xv_struct_str(oc, "is_system_domain") : NULL;
		if (!sd || strcmp(sd, "true"))
			return xerr_new("NOT_SYSTEM_DOMAIN", vm, NULL);
	}
	return NULL;
}

/* XAPI's candidates for allowed_operations, with the VM message that
 * carries each here (NULL: the operation has no message of its own). */
static const struct {
	const char *op, *msg;
} candidates[] = {
	{ "snapshot", "VM.snapshot" },
	{ "copy", "VM.copy" },
	{ "clone", "VM.clone" },
	{ "revert", "VM.revert" },
	{ "checkpoint", "VM.checkpoint" },
	{ "snapshot_with_quiesce", "VM.snapshot_with_quiesce" },
	{ "start", "VM.start" },
	{ "start_on", "VM.start_on" },
	{ "pause", "VM.pause" },
	{ "unpause", "VM.unpause" },
	{ "clean_shutdown", "VM.clean_shutdown" },
	{ "clean_reboot", "VM.clean_reboot" },
	{ "hard_shutdown", "VM.hard_shutdown" },
	{ "hard_reboot", "VM.hard_reboot" },
	{ "suspend", "VM.suspend" },
	{ "resume", "VM.resume" },
	{ "resume_on", "VM.resume_on" },
	{ "export", NULL },
	{ "destroy", "VM.destroy" },
	{ "provision", "VM.provision" },
	{ "changing_VCPUs_live", "VM.set_VCPUs_number_live" },
	{ "pool_migrate", "VM.pool_migrate" },
	{ "migrate_send", "VM.migrate_send" },
	{ "make_into_template", "VM.set_is_a_template" },
	{ "changing_static_range", "VM.set_memory_static_range" },
	{ "changing_shadow_memory", "VM.set_HVM_shadow_multiplier" },
	{ "changing_dynamic_range", "VM.set_memory_dynamic_range" },
	{ "changing_NVRAM", "VM.set_NVRAM" },
	{ "create_vtpm", "VTPM.create" },
	{ "changing_VCPUs", "VM.set_VCPUs_max" },
	{ "changing_memory_limits", "VM.set_memory_limits" },
};

/* Does this server implement msg (a handler, or a generic accessor)? */
static bool implemented(const char *msg)
{
	if (!msg)
		return false;
	const api_msg *m = api_find_msg(msg);
	return m && !m->removed && (m->handler || m->kind != MK_CUSTOM);
}

/* The allowed_operations value for the record. */
static xv *allowed_of(const char *vm, const xv *rec)
{
	xv *a = xv_array();
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (!implemented(candidates[i].msg))
			continue;
		xerr *e = vm_check_operation(vm, rec, candidates[i].op);
		if (e)
			xerr_free(e);
		else
			xv_array_push(a, xv_str(candidates[i].op));
	}
	return a;
}

xerr *vm_update_allowed(txn *t, const char *vm)
{
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_VM, vm, &rec);
	if (e)
		return e;
	xv *a = allowed_of(vm, rec);
	xv *old = xv_struct_get(rec, "allowed_operations");
	if (old && xv_equal(old, a))
		xv_free(a);
	else
		e = obj_set(t, CLS_VM, vm, "allowed_operations", a);
	xv_free(rec);
	return e;
}

struct changed {
	int64_t gen;
	char **refs;
	size_t n;
};

static bool collect(void *arg, int cls, const char *ref, store_op op, int64_t gen)
{
	struct changed *c = arg;
	(void)cls;
	if (op != STORE_DEL && gen == c->gen) {
		c->refs = hx_realloc(c->refs, (c->n + 1) * sizeof(char *));
		c->refs[c->n++] = hx_strdup(ref);
	}
	return true;
}

/* db_commit's hook (dispatch.h): every VM this txn created or changed
 * gets its allowed_operations recomputed before the commit. */
xerr *ops_precommit(txn *t)
{
	if (!store_txn_wrote(t))
		return NULL;
	struct changed c = { .gen = store_txn_generation(t) };
	xerr *e = store_changes_since(t, CLS_VM, c.gen - 1, collect, &c);
	/* EVENTS_LOST cannot hide this txn's own rows: ignore errors here. */
	xerr_free(e);
	e = NULL;
	for (size_t i = 0; i < c.n; i++) {
		if (!e && store_exists(t, CLS_VM, c.refs[i]))
			e = vm_update_allowed(t, c.refs[i]);
		free(c.refs[i]);
	}
	free(c.refs);
	return e;
}

void vm_allowed_reconcile(struct xapid *app)
{
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	xv *all = NULL;
	xerr *e = store_get_all(t, CLS_VM, &all);
	for (size_t i = 0; !e && i < xv_len(all); i++)
		e = vm_update_allowed(t, xv_s(all->u.arr.items[i]));
	xv_free(all);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

xerr *vm_op_claim(call_ctx *ctx, const char *vm, const char *op, xv **rec, char **opref)
{
	*rec = NULL;
	*opref = NULL;
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = store_get_record(t, CLS_VM, vm, rec)) ||
	    (e = vm_check_operation(vm, *rec, op)))
		goto fail;
	*opref = ctx->task_ref && *ctx->task_ref ? hx_strdup(ctx->task_ref) : hx_new_ref();
	xv *cur = xv_struct_get(*rec, "current_operations");
	xv *ops = cur && cur->kind == XV_STRUCT ? xv_dup(cur) : xv_struct();
	xv_struct_set(ops, *opref, xv_str(op));
	if ((e = obj_set(t, CLS_VM, vm, "current_operations", ops)) ||
	    (e = vm_update_allowed(t, vm)))
		goto fail;
	e = store_commit(t);
	t = NULL;
	if (!e)
		return NULL;
fail:
	store_rollback(t);
	xv_free(*rec);
	*rec = NULL;
	free(*opref);
	*opref = NULL;
	return e;
}

void vm_op_release(struct xapid *app, const char *vm, const char *opref)
{
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	xerr *e = NULL;
	if (store_exists(t, CLS_VM, vm)) {
		xv *cur = obj_get(t, CLS_VM, vm, "current_operations");
		if (cur && cur->kind == XV_STRUCT)
			xv_struct_del(cur, opref);
		if (!(e = obj_set(t, CLS_VM, vm, "current_operations", cur ? cur : xv_struct())))
			e = vm_update_allowed(t, vm);
	}
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

xerr *op_VM_assert_operation_valid(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *rec = NULL;
	if (!(e = check_ref(t, CLS_VM, vm)) && !(e = store_get_record(t, CLS_VM, vm, &rec)))
		e = vm_check_operation(vm, rec, xv_s(args[1]));
	xv_free(rec);
	store_rollback(t);
	if (!e)
		*result = xv_str("");
	return e;
}

xerr *op_VM_update_allowed_operations(call_ctx *ctx, const api_msg *m, xv *const *args,
				      xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = vm_update_allowed(t, vm))) {
		store_rollback(t);
		return e;
	}
	if (!(e = db_commit(t)))
		*result = xv_str("");
	return e;
}
