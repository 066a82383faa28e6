/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory and vCPU settings of VMs, with XAPI's checks:
 *
 * - memory: static_min <= dynamic_min <= dynamic_max <= static_max, else
 *   MEMORY_CONSTRAINT_VIOLATION_ORDER (memory_target follows dynamic_min,
 *   as in XAPI). The static range and the limits change only while the
 *   VM is Halted (operations changing_static_range/changing_memory_limits);
 *   the dynamic range also while it runs (changing_dynamic_range): the
 *   domain's balloon is then set to dynamic_max and the host's free
 *   memory must cover any growth (HOST_NOT_ENOUGH_FREE_MEMORY), checked
 *   and recorded in one write txn so two changes or starts never count
 *   the same memory twice. set_memory_{static,dynamic}_{min,max} are
 *   XAPI's shorthands for the range calls.
 * - vCPUs: 0 < VCPUs_at_startup <= VCPUs_max (INVALID_VALUE with XAPI's
 *   text); VCPUs_max only while Halted (changing_VCPUs);
 *   set_VCPUs_number_live (changing_VCPUs_live, Running) plugs or
 *   unplugs vCPUs up to VCPUs_max and records the new VCPUs_at_startup
 *   and VM_metrics.VCPUs_number.
 * - HA: set_ha_always_run maps onto ha_restart_priority as XAPI does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_ids.h"
#include "ops.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"
#include "xenops.h"

static xerr *invalid_value(const char *what, int64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	return xerr_new("INVALID_VALUE", what, b, NULL);
}

static xv *void_result(void)
{
	return xv_str("");
}

struct mem {
	int64_t smin, dmin, dmax, smax;
};

static struct mem mem_of(const xv *rec)
{
	struct mem m = { vm_rec_int(rec, "memory_static_min"), vm_rec_int(rec, "memory_dynamic_min"),
			 vm_rec_int(rec, "memory_dynamic_max"), vm_rec_int(rec, "memory_static_max") };
	return m;
}

/* XAPI's assert_valid_for_current_context (DMC available, not nested). */
static xerr *check_mem(const xv *rec, const struct mem *m)
{
	if (!(m->smin <= m->dmin && m->dmin <= m->dmax && m->dmax <= m->smax))
		return xerr_new("MEMORY_CONSTRAINT_VIOLATION_ORDER", NULL);
	if (vm_rec_bool(rec, "is_control_domain") &&
	    !(m->dmin == m->dmax && m->dmax == m->smax))
		return xerr_new("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "control domain", NULL);
	return NULL;
}

static xerr *write_mem(txn *t, const char *vm, const struct mem *m)
{
	xerr *e;
	if ((e = obj_set(t, CLS_VM, vm, "memory_static_min", xv_int(m->smin))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_dynamic_min", xv_int(m->dmin))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_target", xv_int(m->dmin))) ||
	    (e = obj_set(t, CLS_VM, vm, "memory_dynamic_max", xv_int(m->dmax))))
		return e;
	return obj_set(t, CLS_VM, vm, "memory_static_max", xv_int(m->smax));
}

static xerr *cb_balloon(xo_domain *d, void *arg)
{
	return xenops_backend()->set_memory_target(d, *(int64_t *)arg);
}

struct stats {
	int64_t vcpus, mem;
};

static xerr *cb_stats(xo_domain *d, void *arg)
{
	struct stats *s = arg;
	return xenops_backend()->live_state(d, &s->vcpus, &s->mem);
}

#define SETTLE_MS 10000

/*
 * Waits (up to SETTLE_MS) for the domain to reach want_vcpus vCPUs and
 * a balloon within 1 MiB of want_mem (either < 0: not waited for), then
 * records what the domain has in VM_metrics (VCPUs_number, memory_actual).
 * A guest that does not follow (no balloon driver) keeps what it has.
 */
static void settle_metrics(struct xapid *app, const char *vm, const char *uuid,
			   int64_t want_vcpus, int64_t want_mem)
{
	struct stats s = { -1, -1 };
	int64_t end = hx_mono_ms() + SETTLE_MS;
	for (;;) {
		xerr *e = xenops_with(uuid, cb_stats, &s);
		if (e) {
			xerr_free(e);
			return;
		}
		bool ok = (want_vcpus < 0 || s.vcpus == want_vcpus) &&
			  (want_mem < 0 || s.mem < 0 || llabs(s.mem - want_mem) <= (1 << 20));
		if (ok || hx_mono_ms() > end)
			break;
		usleep(200 * 1000);
	}
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	xerr *e = NULL;
	char *mref = store_exists(t, CLS_VM, vm) ? obj_get_str(t, CLS_VM, vm, "metrics") : NULL;
	if (mref && store_exists(t, CLS_VM_metrics, mref)) {
		if (s.vcpus > 0)
			e = obj_set(t, CLS_VM_metrics, mref, "VCPUs_number", xv_int(s.vcpus));
		if (!e && s.mem > 0)
			e = obj_set(t, CLS_VM_metrics, mref, "memory_actual", xv_int(s.mem));
		if (!e)
			e = obj_set(t, CLS_VM_metrics, mref, "last_updated", xv_datetime(hx_now()));
	}
	free(mref);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

/* Holds the new range in the record (and the balloon when the VM runs). */
static xerr *apply_dynamic(call_ctx *ctx, const char *vm, int64_t min, int64_t max)
{
	xv *rec = NULL;
	char *opref = NULL;
	xerr *e = vm_op_claim(ctx, vm, "changing_dynamic_range", &rec, &opref);
	if (e)
		return e;
	struct mem old = mem_of(rec), m = old;
	m.dmin = min;
	m.dmax = max;
	bool running = !strcmp(vm_rec_str(rec, "power_state"), "Running");
	char *uuid = hx_strdup(vm_rec_str(rec, "uuid"));
	txn *t = NULL;
	if ((e = check_mem(rec, &m)) || (e = db_begin(ctx, true, &t)))
		goto out;
	if (running) {
		/* Growth comes out of the host's free memory (the VM itself
		 * already counts with its current footprint). */
		xv *now = NULL;
		if ((e = store_get_record(t, CLS_VM, vm, &now)))
			goto out;
		int64_t cur = vm_memory_footprint(now);
		xv_free(now);
		int64_t want = max < m.smax ? max : m.smax;
		int64_t avail = vm_free_memory(t, ctx->app);
		if (want - cur > avail) {
			char n[32], a[32];
			snprintf(n, sizeof(n), "%lld", (long long)(want - cur));
			snprintf(a, sizeof(a), "%lld", (long long)avail);
			e = xerr_new("HOST_NOT_ENOUGH_FREE_MEMORY", n, a, NULL);
			goto out;
		}
	}
	if ((e = write_mem(t, vm, &m)))
		goto out;
	e = db_commit(t);
	t = NULL;
	if (e)
		goto out;
	if (running) {
		int64_t target = max;
		e = xenops_with(uuid, cb_balloon, &target);
		if (e && !db_begin(ctx, true, &t)) {
			/* Put the record back as it was. */
			xerr *r = write_mem(t, vm, &old);
			if (r) {
				xerr_free(r);
				store_rollback(t);
			} else {
				xerr_free(db_commit(t));
			}
			t = NULL;
		}
		if (!e)
			settle_metrics(ctx->app, vm, uuid, -1, target);
	}
out:
	store_rollback(t);
	vm_op_release(ctx->app, vm, opref);
	free(uuid);
	free(opref);
	xv_free(rec);
	return e;
}

/* Static range and limits: Halted only (op: the operation name). */
static xerr *apply_static(call_ctx *ctx, const char *vm, const char *op,
			  void (*change)(struct mem *m, const int64_t *v), const int64_t *v)
{
	xv *rec = NULL;
	char *opref = NULL;
	xerr *e = vm_op_claim(ctx, vm, op, &rec, &opref);
	if (e)
		return e;
	struct mem m = mem_of(rec);
	change(&m, v);
	txn *t = NULL;
	if (!(e = check_mem(rec, &m)) && !(e = db_begin(ctx, true, &t))) {
		if ((e = write_mem(t, vm, &m)))
			store_rollback(t);
		else
			e = db_commit(t);
	}
	vm_op_release(ctx->app, vm, opref);
	free(opref);
	xv_free(rec);
	return e;
}

static void ch_static_range(struct mem *m, const int64_t *v)
{
	m->smin = v[0];
	m->smax = v[1];
}

static void ch_limits(struct mem *m, const int64_t *v)
{
	m->smin = v[0];
	m->smax = v[1];
	m->dmin = v[2];
	m->dmax = v[3];
}

static void ch_memory(struct mem *m, const int64_t *v)
{
	m->smax = m->dmin = m->dmax = v[0];
}

/* A field of VM vm (read txn). */
static xerr *vm_field_int(call_ctx *ctx, const char *vm, const char *f, int64_t *out)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_VM, vm))) {
		xv *v = obj_get(t, CLS_VM, vm, f);
		*out = v && v->kind == XV_INT ? v->u.i : 0;
		xv_free(v);
	}
	store_rollback(t);
	return e;
}

#define DONE(expr)                                  \
	do {                                        \
		xerr *e_ = (expr);                  \
		if (!e_)                            \
			*result = void_result();    \
		return e_;                          \
	} while (0)

xerr *op_VM_set_memory_dynamic_range(call_ctx *ctx, const api_msg *m, xv *const *args,
				     xv **result)
{
	(void)m;
	DONE(apply_dynamic(ctx, xv_s(args[0]), args[1]->u.i, args[2]->u.i));
}

xerr *op_VM_set_memory_dynamic_min(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	(void)m;
	int64_t max = 0;
	xerr *e = vm_field_int(ctx, xv_s(args[0]), "memory_dynamic_max", &max);
	if (e)
		return e;
	DONE(apply_dynamic(ctx, xv_s(args[0]), args[1]->u.i, max));
}

xerr *op_VM_set_memory_dynamic_max(call_ctx *ctx, const api_msg *m, xv *const *args,
				   xv **result)
{
	(void)m;
	int64_t min = 0;
	xerr *e = vm_field_int(ctx, xv_s(args[0]), "memory_dynamic_min", &min);
	if (e)
		return e;
	DONE(apply_dynamic(ctx, xv_s(args[0]), min, args[1]->u.i));
}

xerr *op_VM_set_memory_static_range(call_ctx *ctx, const api_msg *m, xv *const *args,
				    xv **result)
{
	(void)m;
	int64_t v[2] = { args[1]->u.i, args[2]->u.i };
	DONE(apply_static(ctx, xv_s(args[0]), "changing_static_range", ch_static_range, v));
}

xerr *op_VM_set_memory_static_min(call_ctx *ctx, const api_msg *m, xv *const *args,
				  xv **result)
{
	(void)m;
	int64_t v[2] = { args[1]->u.i, 0 };
	xerr *e = vm_field_int(ctx, xv_s(args[0]), "memory_static_max", &v[1]);
	if (e)
		return e;
	DONE(apply_static(ctx, xv_s(args[0]), "changing_static_range", ch_static_range, v));
}

xerr *op_VM_set_memory_static_max(call_ctx *ctx, const api_msg *m, xv *const *args,
				  xv **result)
{
	(void)m;
	int64_t v[2] = { 0, args[1]->u.i };
	xerr *e = vm_field_int(ctx, xv_s(args[0]), "memory_static_min", &v[0]);
	if (e)
		return e;
	DONE(apply_static(ctx, xv_s(args[0]), "changing_static_range", ch_static_range, v));
}

xerr *op_VM_set_memory_limits(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	int64_t v[4] = { args[1]->u.i, args[2]->u.i, args[3]->u.i, args[4]->u.i };
	DONE(apply_static(ctx, xv_s(args[0]), "changing_memory_limits", ch_limits, v));
}

xerr *op_VM_set_memory(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	int64_t v[1] = { args[1]->u.i };
	DONE(apply_static(ctx, xv_s(args[0]), "changing_memory_limits", ch_memory, v));
}

/* ---- vCPUs ------------------------------------------------------------------ */

static const char VCPU_TEXT[] = "VCPU values must satisfy: 0 < VCPUs_at_startup ≤ VCPUs_max";

xerr *op_VM_set_VCPUs_max(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	int64_t v = args[1]->u.i;
	xv *rec = NULL;
	char *opref = NULL;
	xerr *e = vm_op_claim(ctx, vm, "changing_VCPUs", &rec, &opref);
	if (e)
		return e;
	txn *t = NULL;
	if (v < 1 || v < vm_rec_int(rec, "VCPUs_at_startup"))
		e = invalid_value(VCPU_TEXT, v);
	else if (!(e = db_begin(ctx, true, &t))) {
		if ((e = obj_set(t, CLS_VM, vm, "VCPUs_max", xv_int(v))))
			store_rollback(t);
		else
			e = db_commit(t);
	}
	vm_op_release(ctx->app, vm, opref);
	free(opref);
	xv_free(rec);
	DONE(e);
}

/* As in XAPI: no operation bracket and any power state (the value is
 * used at the next start). */
xerr *op_VM_set_VCPUs_at_startup(call_ctx *ctx, const api_msg *m, xv *const *args,
				 xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	int64_t v = args[1]->u.i;
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	xv *rec = NULL;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = store_get_record(t, CLS_VM, vm, &rec)))
		goto fail;
	if (vm_rec_bool(rec, "is_control_domain")) {
		e = xerr_new("OPERATION_NOT_ALLOWED", "set_VCPUs_at_startup is not allowed on dom0",
			     NULL);
		goto fail;
	}
	if (v < 1 || v > vm_rec_int(rec, "VCPUs_max")) {
		e = invalid_value(VCPU_TEXT, v);
		goto fail;
	}
	if ((e = obj_set(t, CLS_VM, vm, "VCPUs_at_startup", xv_int(v))))
		goto fail;
	xv_free(rec);
	DONE(db_commit(t));
fail:
	xv_free(rec);
	store_rollback(t);
	return e;
}

static xerr *cb_vcpus(xo_domain *d, void *arg)
{
	return xenops_backend()->set_vcpus(d, *(int64_t *)arg);
}

xerr *op_VM_set_VCPUs_number_live(call_ctx *ctx, const api_msg *m, xv *const *args,
				  xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	int64_t n = args[1]->u.i;
	xv *rec = NULL;
	char *opref = NULL;
	xerr *e = vm_op_claim(ctx, vm, "changing_VCPUs_live", &rec, &opref);
	if (e)
		return e;
	const char *uuid = vm_rec_str(rec, "uuid");
	if (n < 1 || n > vm_rec_int(rec, "VCPUs_max"))
		e = invalid_value("VCPU values must satisfy: 0 < VCPUs ≤ VCPUs_max", n);
	if (!e)
		e = xenops_with(uuid, cb_vcpus, &n);
	txn *t = NULL;
	if (!e && !(e = db_begin(ctx, true, &t))) {
		if ((e = obj_set(t, CLS_VM, vm, "VCPUs_at_startup", xv_int(n))))
			store_rollback(t);
		else
			e = db_commit(t);
	}
	/* An unplug completes when the guest ejects the vCPU. */
	if (!e)
		settle_metrics(ctx->app, vm, uuid, n, -1);
	vm_op_release(ctx->app, vm, opref);
	free(opref);
	xv_free(rec);
	DONE(e);
}

/* ---- HA (pool HA is never enabled here: no failover plan to keep) ------- */

static xerr *set_restart_priority(call_ctx *ctx, const char *vm, const char *value)
{
	if (strcmp(value, "restart") && strcmp(value, "best-effort") && *value)
		return xerr_new("INVALID_VALUE", "ha_restart_priority", value, NULL);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	xv *rec = NULL;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = store_get_record(t, CLS_VM, vm, &rec)))
		goto fail;
	if (strcmp(vm_rec_str(rec, "ha_restart_priority"), value)) {
		if ((e = obj_set(t, CLS_VM, vm, "ha_restart_priority", xv_str(value))))
			goto fail;
		if (!strcmp(vm_rec_str(rec, "power_state"), "Running") &&
		    (e = obj_set(t, CLS_VM, vm, "ha_always_run",
				 xv_bool(!strcmp(value, "restart")))))
			goto fail;
	}
	xv_free(rec);
	return db_commit(t);
fail:
	xv_free(rec);
	store_rollback(t);
	return e;
}

xerr *op_VM_set_ha_always_run(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	DONE(set_restart_priority(ctx, xv_s(args[0]), args[1]->u.b ? "restart" : ""));
}

xerr *op_VM_set_ha_restart_priority(call_ctx *ctx, const api_msg *m, xv *const *args,
				    xv **result)
{
	(void)m;
	DONE(set_restart_priority(ctx, xv_s(args[0]), xv_s(args[1])));
}
