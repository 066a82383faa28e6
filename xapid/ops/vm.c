/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM power operations: start, start_on, shutdown (clean/hard), reboot
 * (clean/hard), pause, unpause, suspend, resume, power_state_reset,
 * destroy — the power state machine on top of xenops (xapid/xenops/).
 *
 * Every operation runs as: (1) a write txn that checks the VM's power
 * state and that no other operation runs on it, then records the
 * operation in current_operations (allowed_operations becomes empty);
 * (2) the backend work, with no txn open; (3) a write txn that records
 * the outcome, removes the operation and recomputes allowed_operations.
 * The monitor (vm_guest_event) leaves VMs with an operation in progress
 * alone; xapid's start clears operations a killed xapid left behind.
 *
 * Memory accounting: the host offers memory_total (host_metrics) minus a
 * control-domain reserve (host.other_config:dom0-memory-reserve bytes,
 * default 1 GiB, at most half the host) to guests; a VM counts with its
 * memory_dynamic_max (its balloon target; vm_memory_footprint) while it is
 * Running or Paused or being started.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_ids.h"
#include "console_ops.h"
#include "dispatch.h"
#include "ops.h"
#include "store.h"
#include "tasks.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"
#include "qemu_boot.h"
#include "qemu_disk.h"
#include "qemu_nic.h"
#include "vm_vifs.h"
#include "storage.h"
#include "xenops.h"

#define DOM0_RESERVE_DEFAULT ((int64_t)1 << 30)

/* ---- records and states ------------------------------------------------------ */

static char *lower(const char *s)
{
	char *r = hx_strdup(s ? s : "");
	for (char *c = r; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return r;
}

static xerr *bad_power_state(const char *vm, const char *expected, const char *actual)
{
	char *a = lower(actual), *x = lower(expected);
	xerr *e = xerr_new("VM_BAD_POWER_STATE", vm, x, a, NULL);
	free(a);
	free(x);
	return e;
}

static bool rec_bool(const xv *rec, const char *f)
{
	xv *v = xv_struct_get(rec, f);
	return v && v->kind == XV_BOOL && v->u.b;
}

static int64_t rec_int(const xv *rec, const char *f)
{
	xv *v = xv_struct_get(rec, f);
	return v && v->kind == XV_INT ? v->u.i : 0;
}

static const char *rec_str(const xv *rec, const char *f)
{
	const char *s = xv_struct_str(rec, f);
	return s ? s : "";
}

/* Recomputes allowed_operations from the stored record (inside t):
 * XAPI's rules, vm_checks.c. */
static xerr *update_allowed(txn *t, const char *vm)
{
	return vm_update_allowed(t, vm);
}

/* Records power state and the runtime fields that go with it. */
static xerr *set_power(txn *t, struct xapid *app, const char *vm, const char *state,
		       int64_t domid)
{
	bool live = !strcmp(state, "Running") || !strcmp(state, "Paused");
	xerr *e;
	if ((e = obj_set(t, CLS_VM, vm, "power_state", xv_str(state))) ||
	    (e = obj_set(t, CLS_VM, vm, "domid", xv_int(live ? domid : -1))) ||
	    (e = obj_set(t, CLS_VM, vm, "resident_on",
			 xv_str(live ? app->host_ref : HX_NULL_REF))))
		return e;
	if ((e = console_records_sync(t, app, vm, live)))
		return e;
	char *m = obj_get_str(t, CLS_VM, vm, "metrics");
	if (store_exists(t, CLS_VM_metrics, m)) {
		if (!live)
			e = obj_set(t, CLS_VM_metrics, m, "memory_actual", xv_int(0));
		if (!e)
			e = obj_set(t, CLS_VM_metrics, m, "last_updated", xv_datetime(hx_now()));
	}
	free(m);
	if (!e)
		e = storage_vm_power(t, vm, live);
	return e;
}

/* Fills VM_metrics at a start (creating the record if the VM has none). */
static xerr *metrics_started(txn *t, const char *vm, const xv *rec)
{
	char *m = obj_get_str(t, CLS_VM, vm, "metrics");
	xerr *e = NULL;
	if (!store_exists(t, CLS_VM_metrics, m)) {
		free(m);
		m = NULL;
		if ((e = obj_create(t, CLS_VM_metrics, xv_struct(), &m)) ||
		    (e = obj_set(t, CLS_VM, vm, "metrics", xv_str(m)))) {
			free(m);
			return e;
		}
	}
	if (!(e = obj_set(t, CLS_VM_metrics, m, "start_time", xv_datetime(hx_now()))) &&
	    !(e = obj_set(t, CLS_VM_metrics, m, "VCPUs_number",
			  xv_int(rec_int(rec, "VCPUs_at_startup")))) &&
	    !(e = obj_set(t, CLS_VM_metrics, m, "memory_actual",
			  xv_int(vm_memory_footprint(rec)))))
		e = obj_set(t, CLS_VM_metrics, m, "last_updated", xv_datetime(hx_now()));
	free(m);
	return e;
}

/* ---- memory and domids --------------------------------------------------------- */

static bool counts_memory(const xv *rec)
{
	const char *p = rec_str(rec, "power_state");
	if (rec_bool(rec, "is_control_domain"))
		return false;
	if (!strcmp(p, "Running") || !strcmp(p, "Paused"))
		return true;
	xv *cur = xv_struct_get(rec, "current_operations");
	for (size_t i = 0; cur && i < xv_len(cur); i++) {
		const char *op = xv_s(cur->u.st.m[i].val);
		if (!strcmp(op, "start") || !strcmp(op, "start_on") || !strcmp(op, "resume") ||
		    !strcmp(op, "resume_on"))
			return true;
	}
	return false;
}

int64_t vm_memory_footprint(const xv *rec)
{
	int64_t smax = rec_int(rec, "memory_static_max"), dmax = rec_int(rec, "memory_dynamic_max");
	return dmax > 0 && dmax < smax ? dmax : smax;
}

/* The memory (bytes) the host can still give guests, per the file comment. */
int64_t vm_free_memory(txn *t, struct xapid *app)
{
	char *hm = obj_get_str(t, CLS_host, app->host_ref, "metrics");
	xv *tot = obj_get(t, CLS_host_metrics, hm, "memory_total");
	free(hm);
	int64_t total = tot && tot->kind == XV_INT ? tot->u.i : 0;
	xv_free(tot);
	int64_t reserve = DOM0_RESERVE_DEFAULT;
	xv *oc = obj_get(t, CLS_host, app->host_ref, "other_config");
	const char *r = oc ? xv_struct_str(oc, "dom0-memory-reserve") : NULL;
	if (r && *r) {
		char *end;
		long long v = strtoll(r, &end, 10);
		if (!*end && v >= 0)
			reserve = v;
	}
	xv_free(oc);
	if (reserve > total / 2)
		reserve = total / 2;
	int64_t used = 0;
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_VM, &all);
	for (size_t i = 0; !e && i < xv_len(all); i++) {
		xv *rec = all->u.st.m[i].val;
		if (counts_memory(rec))
			used += vm_memory_footprint(rec);
	}
	xerr_free(e);
	xv_free(all);
	int64_t f = total - reserve - used;
	return f > 0 ? f : 0;
}

/* The lowest domid (>= 1) no live VM uses (nor a VM being started,
 * which holds the domid its domain is being built with). */
static int64_t alloc_domid(txn *t)
{
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_VM, &all);
	int64_t id = 1;
	for (bool again = true; again && !e;) {
		again = false;
		for (size_t i = 0; i < xv_len(all); i++) {
			xv *rec = all->u.st.m[i].val;
			const char *p = rec_str(rec, "power_state");
			xv *cur = xv_struct_get(rec, "current_operations");
			bool starting = cur && xv_len(cur) && rec_int(rec, "domid") > 0;
			if (rec_bool(rec, "is_control_domain") ||
			    (strcmp(p, "Running") && strcmp(p, "Paused") && !starting))
				continue;
			if (rec_int(rec, "domid") == id) {
				id++;
				again = true;
			}
		}
	}
	xerr_free(e);
	xv_free(all);
	return id;
}

/* ---- operation bracket ------------------------------------------------------- */

struct vmop {
	struct xapid *app;
	char *vm;
	char *uuid;
	char *opref;
	xv *rec; /* the record as the operation began */
	int64_t domid; /* the domid boot() reserved, 0: none */
};

static void vmop_free(struct vmop *o)
{
	free(o->vm);
	free(o->uuid);
	free(o->opref);
	xv_free(o->rec);
}

#define ST_HALTED (1 << 0)
#define ST_RUNNING (1 << 1)
#define ST_PAUSED (1 << 2)
#define ST_SUSPENDED (1 << 3)

static int state_bit(const char *p)
{
	return !strcmp(p, "Halted")	 ? ST_HALTED :
	       !strcmp(p, "Running")	 ? ST_RUNNING :
	       !strcmp(p, "Paused")	 ? ST_PAUSED :
	       !strcmp(p, "Suspended") ? ST_SUSPENDED :
					   0;
}

/*
 * Step (1): checks and records op on vm. expected names the state put in
 * VM_BAD_POWER_STATE; allowed is a mask of ST_*. start_checks adds the
 * start-time checks (memory, domain type, kernel) in the same txn.
 */
static xerr *op_begin(call_ctx *ctx, const char *vm, const char *op, int allowed,
		      const char *expected, struct vmop *o)
{
	memset(o, 0, sizeof(*o));
	o->app = ctx->app;
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = store_get_record(t, CLS_VM, vm, &o->rec)))
		goto fail;
	const char *power = rec_str(o->rec, "power_state");
	if ((e = vm_check_blocked(vm, o->rec, op)))
		goto fail;
	if (rec_bool(o->rec, "is_control_domain")) {
		e = xerr_new("OPERATION_NOT_ALLOWED", "the control domain cannot be power-cycled",
			     NULL);
		goto fail;
	}
	if (rec_bool(o->rec, "is_a_template")) {
		e = xerr_new("VM_IS_TEMPLATE", vm, NULL);
		goto fail;
	}
	if (rec_bool(o->rec, "is_a_snapshot")) {
		e = xerr_new("VM_IS_SNAPSHOT", vm, NULL);
		goto fail;
	}
	xv *cur = xv_struct_get(o->rec, "current_operations");
	if (cur && xv_len(cur)) {
		e = xerr_new("OTHER_OPERATION_IN_PROGRESS", "VM", vm, xv_s(cur->u.st.m[0].val),
			     cur->u.st.m[0].key, NULL);
		goto fail;
	}
	if (!(state_bit(power) & allowed)) {
		e = bad_power_state(vm, expected, power);
		goto fail;
	}
	if (!strcmp(op, "start") || !strcmp(op, "start_on") || !strcmp(op, "resume") ||
	    !strcmp(op, "resume_on")) {
		int64_t need = vm_memory_footprint(o->rec);
		int64_t avail = vm_free_memory(t, ctx->app);
		if (need > avail) {
			char n[32], a[32];
			snprintf(n, sizeof(n), "%lld", (long long)need);
			snprintf(a, sizeof(a), "%lld", (long long)avail);
			e = xerr_new("HOST_NOT_ENOUGH_FREE_MEMORY", n, a, NULL);
			goto fail;
		}
	}
	o->opref = ctx->task_ref && *ctx->task_ref ? hx_strdup(ctx->task_ref) : hx_new_ref();
	xv *ops = xv_struct();
	xv_struct_set(ops, o->opref, xv_str(op));
	if ((e = obj_set(t, CLS_VM, vm, "current_operations", ops)) ||
	    (e = obj_set(t, CLS_VM, vm, "allowed_operations", xv_array())))
		goto fail;
	e = db_commit(t);
	t = NULL;
	if (e)
		goto fail;
	o->vm = hx_strdup(vm);
	o->uuid = hx_strdup(rec_str(o->rec, "uuid"));
	return NULL;
fail:
	store_rollback(t);
	vmop_free(o);
	memset(o, 0, sizeof(*o));
	return e;
}

/* Step (3): the outcome. state NULL keeps the power state. */
static xerr *op_end(struct vmop *o, const char *state, int64_t domid, bool started)
{
	txn *t;
	xerr *e;
	/* The domain of a live VM went: its VIFs go first, so that whoever
	 * sees the new power state sees no port of the old domain. */
	if (state && strcmp(state, "Running") && strcmp(state, "Paused") &&
	    !store_begin(o->app->db, false, &t)) {
		xv *pv = obj_get(t, CLS_VM, o->vm, "power_state");
		xv *dv = obj_get(t, CLS_VM, o->vm, "domid");
		bool was_live = pv && pv->kind == XV_STRING &&
				(!strcmp(xv_s(pv), "Running") || !strcmp(xv_s(pv), "Paused"));
		int64_t old = dv && dv->kind == XV_INT ? dv->u.i : -1;
		xv_free(pv);
		xv_free(dv);
		store_rollback(t);
		if (was_live && old > 0)
			vm_vifs_stopped(o->app, o->vm, old);
	}
	if ((e = store_begin(o->app->db, true, &t)))
		return e;
	if (!store_exists(t, CLS_VM, o->vm)) {
		store_rollback(t);
		return NULL;
	}
	/* domid 0: the one boot() reserved, else allocate one here, in the
	 * write txn (no two VMs share one). */
	if (state && domid == 0)
		domid = o->domid > 0 ? o->domid : alloc_domid(t);
	if (state && (e = set_power(t, o->app, o->vm, state, domid)))
		goto fail;
	/* A start that failed gives back the domid it reserved. */
	if (!state) {
		xv *pv = obj_get(t, CLS_VM, o->vm, "power_state");
		xv *dv = obj_get(t, CLS_VM, o->vm, "domid");
		bool live = pv && pv->kind == XV_STRING &&
			    (!strcmp(xv_s(pv), "Running") || !strcmp(xv_s(pv), "Paused"));
		bool has = dv && dv->kind == XV_INT && dv->u.i > 0;
		xv_free(pv);
		xv_free(dv);
		if (!live && has && (e = obj_set(t, CLS_VM, o->vm, "domid", xv_int(-1))))
			goto fail;
	}
	if (started && (e = metrics_started(t, o->vm, o->rec)))
		goto fail;
	xv *cur = obj_get(t, CLS_VM, o->vm, "current_operations");
	if (cur && cur->kind == XV_STRUCT)
		xv_struct_del(cur, o->opref);
	if ((e = obj_set(t, CLS_VM, o->vm, "current_operations", cur ? cur : xv_struct())) ||
	    (e = update_allowed(t, o->vm)))
		goto fail;
	return store_commit(t);
fail:
	store_rollback(t);
	return e;
}

/* Ends the operation after a failure, keeping err for the caller. */
static xerr *op_fail(struct vmop *o, xerr *err)
{
	xerr_free(op_end(o, NULL, 0, false));
	vmop_free(o);
	return err;
}

static xerr *op_done(struct vmop *o, const char *state, int64_t domid, bool started)
{
	xerr *e = op_end(o, state, domid, started);
	vmop_free(o);
	return e;
}

static void progress(call_ctx *ctx, double p)
{
	if (ctx->task_ref)
		xerr_free(tasks_set_progress(ctx->app, ctx->task_ref, p));
}

/* ---- starting ---------------------------------------------------------------- */

static char *suspend_path(struct xapid *app, const char *uuid)
{
	char *d = xenops_vm_dir(app, uuid);
	char *p = hx_asprintf("%s/suspend.img", d);
	free(d);
	return p;
}

/* Chooses the domid of the domain boot() builds (the tap names of the
 * VIFs carry it, so it is known before QEMU starts) and records it on
 * the VM in its own write txn, so that no other start takes it. */
static xerr *reserve_domid(struct vmop *o)
{
	txn *t;
	xerr *e = store_begin(o->app->db, true, &t);
	if (e)
		return e;
	if (!store_exists(t, CLS_VM, o->vm)) {
		store_rollback(t);
		return xerr_new("HANDLE_INVALID", "VM", o->vm, NULL);
	}
	int64_t id = alloc_domid(t);
	if ((e = obj_set(t, CLS_VM, o->vm, "domid", xv_int(id)))) {
		store_rollback(t);
		return e;
	}
	if ((e = store_commit(t)))
		return e;
	o->domid = id;
	return NULL;
}

/* Builds the spec from the record and starts the domain. */
static xerr *boot(struct vmop *o, bool paused, const char *incoming)
{
	const xv *r = o->rec;
	const char *dt = rec_str(r, "domain_type");
	if (!*dt || !strcmp(dt, "unspecified"))
		dt = *rec_str(r, "PV_kernel") ? "pvh" : "hvm";
	if (!strcmp(dt, "pv") || !strcmp(dt, "pv_in_pvh"))
		return xerr_new("OPERATION_NOT_ALLOWED",
				"domain_type pv is not supported on this host (use pvh or hvm)",
				NULL);
	if (*rec_str(r, "PV_bootloader") && strcmp(dt, "hvm"))
		return xerr_new("UNKNOWN_BOOTLOADER", o->vm, rec_str(r, "PV_bootloader"), NULL);
	const char *kernel = rec_str(r, "PV_kernel"), *ramdisk = rec_str(r, "PV_ramdisk");
	if (!strcmp(dt, "pvh")) {
		if (!*kernel)
			return xerr_new("BOOTLOADER_FAILED", o->vm,
					"domain_type pvh needs PV_kernel (direct kernel boot)",
					NULL);
		const char *files[] = { kernel, ramdisk };
		for (int i = 0; i < 2; i++) {
			struct stat sb;
			if (!*files[i])
				continue;
			errno = 0;
			if (files[i][0] != '/' || stat(files[i], &sb) || !S_ISREG(sb.st_mode)) {
				char *why = hx_asprintf("%s %s: %s", i ? "PV_ramdisk" : "PV_kernel",
							files[i],
							files[i][0] != '/' ? "not an absolute path" :
							errno ? strerror(errno) : "not a regular file");
				xerr *e = xerr_new("BOOTLOADER_FAILED", o->vm, why, NULL);
				free(why);
				return e;
			}
		}
	}
	int64_t vcpus = rec_int(r, "VCPUs_at_startup");
	int64_t mem = rec_int(r, "memory_static_max");
	if (vcpus < 1 || vcpus > 64 || rec_int(r, "VCPUs_max") > 64)
		return xerr_new("OPERATION_NOT_ALLOWED",
				"VCPUs_at_startup and VCPUs_max must be 1..64", NULL);
	if (mem < (16 << 20))
		return xerr_new("OPERATION_NOT_ALLOWED", "memory_static_max is below 16 MiB", NULL);
	xv *hbp = xv_struct_get(r, "HVM_boot_params");
	const char *fw = hbp ? xv_struct_str(hbp, "firmware") : NULL;
	if (!strcmp(dt, "hvm") && !xo_firmware_valid(fw))
		return xerr_new("INVALID_VALUE", "HVM_boot_params:firmware", fw, NULL);
	char *dir = xenops_vm_dir(o->app, o->uuid);
	xo_spec spec = {
		.uuid = o->uuid,
		.name = rec_str(r, "name_label"),
		.dir = dir,
		.domain_type = dt,
		.memory_bytes = mem,
		.vcpus = vcpus,
		.vcpus_max = rec_int(r, "VCPUs_max") > vcpus ? rec_int(r, "VCPUs_max") : vcpus,
		.memory_target = vm_memory_footprint(r),
		.kernel = kernel,
		.ramdisk = ramdisk,
		.cmdline = rec_str(r, "PV_args"),
		.boot_order = hbp ? xv_struct_str(hbp, "order") : NULL,
		.firmware = fw,
		.paused = paused,
		.incoming = incoming,
	};
	/* The ports of an earlier domain of this VM (hard_reboot) go first. */
	int64_t old = rec_int(r, "domid");
	if (old > 0 && (state_bit(rec_str(r, "power_state")) & (ST_RUNNING | ST_PAUSED)))
		vm_vifs_stopped(o->app, o->vm, old);
	xerr *e = reserve_domid(o);
	if (e) {
		free(dir);
		return e;
	}
	xo_disk *disks = NULL;
	size_t ndisks = 0;
	xo_nic *nics = NULL;
	size_t nnics = 0;
	if ((e = vm_disks_prepare(o->app, o->vm, dir, &disks, &ndisks))) {
		free(dir);
		return e;
	}
	if ((e = vm_vifs_prepare(o->app, o->vm, o->domid, &nics, &nnics))) {
		free(dir);
		vm_disks_free(disks, ndisks);
		return e;
	}
	spec.disks = disks;
	spec.ndisks = ndisks;
	spec.nics = nics;
	spec.nnics = nnics;
	xo_domain *d = NULL;
	e = xenops_backend()->create(&spec, &d);
	free(dir);
	vm_disks_free(disks, ndisks);
	if (!e) {
		xenops_add(o->uuid, d);
		xerr_free(vm_disks_started(o->app, o->vm));
		vm_vifs_started(o->app, o->vm, nics, nnics);
	} else {
		vm_vifs_stopped(o->app, o->vm, o->domid);
	}
	vm_vifs_free(nics, nnics);
	return e;
}

/* Common body of start and start_on; host NULL = this host. */
static xerr *do_start(call_ctx *ctx, const char *vm, const char *host, bool paused,
		      const char *op)
{
	if (host && strcmp(host, ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED",
				"VM.start_on: only this host can start VMs (no pool yet)", NULL);
	struct vmop o;
	xerr *e = op_begin(ctx, vm, op, ST_HALTED, "Halted", &o);
	if (e)
		return e;
	progress(ctx, 0.1);
	/* A suspend image left by an earlier life is stale now. */
	char *sp = suspend_path(ctx->app, o.uuid);
	unlink(sp);
	free(sp);
	if ((e = boot(&o, paused, NULL)))
		return op_fail(&o, e);
	progress(ctx, 0.9);
	return op_done(&o, paused ? "Paused" : "Running", 0, true);
}

xerr *op_VM_start(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	return do_start(ctx, xv_s(args[0]), NULL, args[1]->u.b, "start");
}

xerr *op_VM_start_on(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	return do_start(ctx, xv_s(args[0]), xv_s(args[1]), args[2]->u.b, "start_on");
}

/* ---- stopping ----------------------------------------------------------------- */

static xerr *hard_stop(call_ctx *ctx, const char *vm, const char *op)
{
	struct vmop o;
	xerr *e = op_begin(ctx, vm, op, ST_RUNNING | ST_PAUSED | ST_SUSPENDED, "Running", &o);
	if (e)
		return e;
	xenops_destroy(o.uuid);
	char *sp = suspend_path(ctx->app, o.uuid);
	unlink(sp);
	free(sp);
	return op_done(&o, "Halted", -1, false);
}

xerr *op_VM_hard_shutdown(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	return hard_stop(ctx, xv_s(args[0]), "hard_shutdown");
}

static xerr *cb_powerdown(xo_domain *d, void *arg)
{
	(void)arg;
	return xenops_backend()->powerdown(d);
}

/* Waits for the guest to power off after the power button:
 * VM_SHUTDOWN_TIMEOUT after --clean-shutdown-timeout-s (default 120 s),
 * TASK_CANCELLED when the Async task is cancelled meanwhile. */
static xerr *wait_off(call_ctx *ctx, struct vmop *o)
{
	int64_t secs = ctx->app->cfg.clean_shutdown_timeout_s;
	int64_t deadline = hx_mono_ms() + secs * 1000;
	while (!xenops_wait_off(o->uuid, 500)) {
		if (ctx->task_ref && tasks_cancelled(ctx->app, ctx->task_ref))
			return xerr_new("TASK_CANCELLED", ctx->task_ref, NULL);
		if (hx_mono_ms() > deadline) {
			char to[32];
			snprintf(to, sizeof(to), "%lld", (long long)secs);
			return xerr_new("VM_SHUTDOWN_TIMEOUT", o->vm, to, NULL);
		}
	}
	return NULL;
}

xerr *op_VM_clean_shutdown(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	const char *vm = xv_s(args[0]);
	struct vmop o;
	xerr *e = op_begin(ctx, vm, "clean_shutdown", ST_RUNNING, "Running", &o);
	if (e)
		return e;
	if ((e = xenops_with(o.uuid, cb_powerdown, NULL)))
		return op_fail(&o, e);
	progress(ctx, 0.2);
	if ((e = wait_off(ctx, &o)))
		return op_fail(&o, e);
	xenops_destroy(o.uuid);
	return op_done(&o, "Halted", -1, false);
}

/* VM.shutdown: clean, falling back to hard (as XAPI does). */
xerr *op_VM_shutdown(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xerr *e = op_VM_clean_shutdown(ctx, m, args, result);
	if (!e)
		return NULL;
	if (strcmp(e->code, "VM_SHUTDOWN_TIMEOUT") && strcmp(e->code, "VM_BAD_POWER_STATE"))
		return e;
	xerr_free(e);
	return hard_stop(ctx, xv_s(args[0]), "shutdown");
}

/* ---- reboot, pause ----------------------------------------------------------- */

static xerr *cb_reset(xo_domain *d, void *arg)
{
	(void)arg;
	return xenops_backend()->reset(d);
}

static xerr *cb_pause(xo_domain *d, void *arg)
{
	(void)arg;
	return xenops_backend()->pause(d);
}

static xerr *cb_unpause(xo_domain *d, void *arg)
{
	(void)arg;
	return xenops_backend()->unpause(d);
}

/* The VM's domid as recorded. */
static int64_t cur_domid(const struct vmop *o)
{
	return rec_int(o->rec, "domid");
}

xerr *op_VM_hard_reboot(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	struct vmop o;
	xerr *e = op_begin(ctx, xv_s(args[0]), "hard_reboot", ST_RUNNING | ST_PAUSED, "Running",
			   &o);
	if (e)
		return e;
	/* As XAPI: the old domain goes, a new one (new QEMU, new domid) is
	 * built from the record as it is now. */
	xenops_destroy(o.uuid);
	if ((e = boot(&o, false, NULL))) {
		xerr_free(op_end(&o, "Halted", -1, false));
		vmop_free(&o);
		return e;
	}
	return op_done(&o, "Running", 0, true);
}

/* Clean reboot: power button, wait for the guest to go off, boot again. */
xerr *op_VM_clean_reboot(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	const char *vm = xv_s(args[0]);
	struct vmop o;
	xerr *e = op_begin(ctx, vm, "clean_reboot", ST_RUNNING, "Running", &o);
	if (e)
		return e;
	if ((e = xenops_with(o.uuid, cb_powerdown, NULL)))
		return op_fail(&o, e);
	if ((e = wait_off(ctx, &o)))
		return op_fail(&o, e);
	xo_state st = xenops_state(o.uuid);
	if ((st == XO_SHUTDOWN || st == XO_REBOOTED) && !xenops_with(o.uuid, cb_reset, NULL))
		return op_done(&o, "Running", cur_domid(&o), true);
	/* The process went: boot a new one. */
	xenops_destroy(o.uuid);
	if ((e = boot(&o, false, NULL))) {
		xerr_free(op_end(&o, "Halted", -1, false));
		vmop_free(&o);
		return e;
	}
	return op_done(&o, "Running", 0, true);
}

xerr *op_VM_pause(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	struct vmop o;
	xerr *e = op_begin(ctx, xv_s(args[0]), "pause", ST_RUNNING, "Running", &o);
	if (e)
		return e;
	if ((e = xenops_with(o.uuid, cb_pause, NULL)))
		return op_fail(&o, e);
	return op_done(&o, "Paused", cur_domid(&o), false);
}

xerr *op_VM_unpause(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	struct vmop o;
	xerr *e = op_begin(ctx, xv_s(args[0]), "unpause", ST_PAUSED, "Paused", &o);
	if (e)
		return e;
	if ((e = xenops_with(o.uuid, cb_unpause, NULL)))
		return op_fail(&o, e);
	return op_done(&o, "Running", cur_domid(&o), false);
}

/* ---- suspend, resume --------------------------------------------------------- */

static xerr *cb_suspend(xo_domain *d, void *arg)
{
	return xenops_backend()->suspend(d, arg);
}

xerr *op_VM_suspend(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	struct vmop o;
	xerr *e = op_begin(ctx, xv_s(args[0]), "suspend", ST_RUNNING, "Running", &o);
	if (e)
		return e;
	char *sp = suspend_path(ctx->app, o.uuid);
	e = xenops_with(o.uuid, cb_suspend, sp);
	free(sp);
	if (e)
		return op_fail(&o, e);
	xenops_forget(o.uuid);
	return op_done(&o, "Suspended", -1, false);
}

static xerr *do_resume(call_ctx *ctx, const char *vm, const char *host, bool paused,
		       const char *op)
{
	if (host && strcmp(host, ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED",
				"VM.resume_on: only this host can run VMs (no pool yet)", NULL);
	struct vmop o;
	xerr *e = op_begin(ctx, vm, op, ST_SUSPENDED, "Suspended", &o);
	if (e)
		return e;
	char *sp = suspend_path(ctx->app, o.uuid);
	if (access(sp, R_OK)) {
		e = xerr_newf("INTERNAL_ERROR", "the suspend image %s is missing", sp);
		free(sp);
		return op_fail(&o, e);
	}
	e = boot(&o, paused, sp);
	if (!e)
		unlink(sp);
	free(sp);
	if (e)
		return op_fail(&o, e);
	return op_done(&o, paused ? "Paused" : "Running", 0, false);
}

xerr *op_VM_resume(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	return do_resume(ctx, xv_s(args[0]), NULL, args[1]->u.b, "resume");
}

xerr *op_VM_resume_on(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	return do_resume(ctx, xv_s(args[0]), xv_s(args[1]), args[2]->u.b, "resume_on");
}

/* ---- reset, destroy ----------------------------------------------------------- */

/* power_state_reset: force the record to Halted (XAPI's "the domain is
 * gone, trust me"); a domain that still runs here is destroyed first. */
xerr *op_VM_power_state_reset(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	const char *vm = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)))
		goto fail;
	xv *cd = obj_get(t, CLS_VM, vm, "is_control_domain");
	bool is_cd = cd && cd->kind == XV_BOOL && cd->u.b;
	xv_free(cd);
	if (is_cd) {
		e = xerr_new("OPERATION_NOT_ALLOWED", "the control domain cannot be reset", NULL);
		goto fail;
	}
	char *uuid = obj_get_str(t, CLS_VM, vm, "uuid");
	xv *dv = obj_get(t, CLS_VM, vm, "domid");
	int64_t old_domid = dv && dv->kind == XV_INT ? dv->u.i : -1;
	xv_free(dv);
	xenops_destroy(uuid);
	char *sp = suspend_path(ctx->app, uuid);
	unlink(sp);
	free(sp);
	free(uuid);
	if ((e = set_power(t, ctx->app, vm, "Halted", -1)) ||
	    (e = obj_set(t, CLS_VM, vm, "current_operations", xv_struct())) ||
	    (e = update_allowed(t, vm)))
		goto fail;
	if ((e = db_commit(t)))
		return e;
	vm_vifs_stopped(ctx->app, vm, old_domid);
	return NULL;
fail:
	store_rollback(t);
	return e;
}

/* VM.destroy: only a Halted (or Suspended) VM; its runtime directory
 * (logs, suspend image) goes with it. */
xerr *op_VM_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	const char *vm = xv_s(args[0]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *rec = NULL;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = store_get_record(t, CLS_VM, vm, &rec))) {
		store_rollback(t);
		return e;
	}
	store_rollback(t);
	const char *p = rec_str(rec, "power_state");
	xv *cur = xv_struct_get(rec, "current_operations");
	if (rec_bool(rec, "is_control_domain"))
		e = xerr_new("OPERATION_NOT_ALLOWED", "the control domain cannot be destroyed",
			     NULL);
	else if (cur && xv_len(cur))
		e = xerr_new("OTHER_OPERATION_IN_PROGRESS", "VM", vm, xv_s(cur->u.st.m[0].val),
			     cur->u.st.m[0].key, NULL);
	else if (strcmp(p, "Halted") && strcmp(p, "Suspended"))
		e = bad_power_state(vm, "Halted", p);
	char *uuid = hx_strdup(rec_str(rec, "uuid"));
	xv_free(rec);
	if (!e)
		e = vm_destroy_record(ctx, vm); /* with its VBDs, VIFs, … */
	if (!e && hx_is_uuid(uuid)) {
		char *dir = xenops_vm_dir(ctx->app, uuid);
		const char *files[] = { "suspend.img", "console.log", "qemu.log", "qemu.pid",
					"qmp.sock", "qmp-ev.sock", "nvram.fd", "fw-sercon-port", NULL };
		for (int i = 0; files[i]; i++) {
			char *f = hx_asprintf("%s/%s", dir, files[i]);
			unlink(f);
			free(f);
		}
		rmdir(dir);
		free(dir);
	}
	free(uuid);
	return e;
}

/* host.compute_free_memory: what a VM may still get here (file comment). */
xerr *op_host_compute_free_memory(call_ctx *ctx, const api_msg *m, xv *const *args,
				  xv **result)
{
	(void)m;
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_host, xv_s(args[0]))))
		*result = xv_int(vm_free_memory(t, ctx->app));
	store_rollback(t);
	return e;
}

/* ---- what the guests do ------------------------------------------------------ */

/* Posts a message about the VM (inside t). */
static xerr *post_message(txn *t, const char *name, int prio, const char *uuid,
			  const char *body)
{
	xv *rec = xv_struct();
	xv_struct_set(rec, "name", xv_str(name));
	xv_struct_set(rec, "priority", xv_int(prio));
	xv_struct_set(rec, "cls", xv_str("VM"));
	xv_struct_set(rec, "obj_uuid", xv_str(uuid));
	xv_struct_set(rec, "timestamp", xv_datetime(hx_now()));
	xv_struct_set(rec, "body", xv_str(body));
	return obj_create(t, CLS_message, rec, NULL);
}

/*
 * The monitor saw the VM's domain power off, reboot, crash or vanish.
 * The reaction runs as an operation of its own ("hard_shutdown" in
 * current_operations, keyed by a fresh ref), claimed in a write txn that
 * re-checks the record, so it never races a client's operation (suspend
 * quitting QEMU, a start, a shutdown); the domain's state is read again
 * after the claim and nothing is done if it runs after all.
 */
void vm_guest_event(struct xapid *app, const char *uuid, xo_state hint)
{
	struct vmop o = { .app = app };
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	char *vm = store_ref_of_uuid(t, CLS_VM, uuid);
	if (!vm) {
		/* The VM record is gone: nothing may run for it. */
		store_rollback(t);
		xenops_destroy(uuid);
		return;
	}
	xerr *e = store_get_record(t, CLS_VM, vm, &o.rec);
	xv *cur = o.rec ? xv_struct_get(o.rec, "current_operations") : NULL;
	const char *p = o.rec ? rec_str(o.rec, "power_state") : "";
	bool live = !strcmp(p, "Running") || !strcmp(p, "Paused");
	if (e || (cur && xv_len(cur)) || !live) {
		/* An operation decides, or the domain is not expected to run
		 * (a leftover entry of a Halted/Suspended VM is dropped). */
		store_rollback(t);
		if (!e && !(cur && xv_len(cur)) && !live && xenops_state(uuid) == XO_GONE)
			xenops_forget(uuid);
		xerr_free(e);
		xv_free(o.rec);
		free(vm);
		return;
	}
	/* A preserved domain was already recorded as Paused: nothing to do
	 * (and no write every monitor pass). */
	const char *hint_action = hint == XO_CRASHED  ? rec_str(o.rec, "actions_after_crash") :
				  hint == XO_REBOOTED ? rec_str(o.rec, "actions_after_reboot") :
							rec_str(o.rec, "actions_after_shutdown");
	if (hint != XO_GONE && !strcmp(p, "Paused") &&
	    (!strcmp(hint_action, "preserve") || !strcmp(hint_action, "coredump_and_preserve"))) {
		store_rollback(t);
		xv_free(o.rec);
		free(vm);
		return;
	}
	o.vm = vm;
	o.uuid = hx_strdup(uuid);
	o.opref = hx_new_ref();
	xv *ops = xv_struct();
	xv_struct_set(ops, o.opref, xv_str("hard_shutdown"));
	if ((e = obj_set(t, CLS_VM, vm, "current_operations", ops)) ||
	    (e = obj_set(t, CLS_VM, vm, "allowed_operations", xv_array())) ||
	    (e = store_commit(t))) {
		if (t)
			store_rollback(t);
		xerr_free(e);
		vmop_free(&o);
		return;
	}
	xo_state st = xenops_state(uuid);
	if (st == XO_RUNNING || st == XO_PAUSED || st == XO_UNKNOWN) {
		xerr_free(op_done(&o, NULL, 0, false));
		return;
	}
	/* A vanished process is never restarted or preserved. */
	const char *action = st == XO_CRASHED  ? rec_str(o.rec, "actions_after_crash") :
			     st == XO_REBOOTED ? rec_str(o.rec, "actions_after_reboot") :
						 rec_str(o.rec, "actions_after_shutdown");
	bool restart = st != XO_GONE &&
		       (!strcmp(action, "restart") || !strcmp(action, "rename_restart"));
	bool preserve = st != XO_GONE && (!strcmp(action, "preserve") ||
					  !strcmp(action, "coredump_and_preserve"));
	if (preserve) {
		/* The domain stays as it is (Paused, as XAPI shows it). */
		xerr_free(op_done(&o, "Paused", cur_domid(&o), false));
		return;
	}
	if (restart) {
		xerr *r = xenops_with(uuid, cb_reset, NULL);
		if (!r) {
			xerr_free(op_done(&o, "Running", cur_domid(&o), false));
			return;
		}
		xerr_free(r);
	}
	xenops_destroy(uuid);
	xerr_free(op_end(&o, "Halted", -1, false));
	vmop_free(&o);
	if ((st == XO_GONE || st == XO_CRASHED) && !store_begin(app->db, true, &t)) {
		e = post_message(t, "VM_CRASHED", 2, uuid,
				 st == XO_GONE ? "The VM's emulator process exited unexpectedly; "
						 "the VM is now Halted." :
						 "The guest crashed; the VM is now Halted.");
		if (e) {
			store_rollback(t);
			xerr_free(e);
		} else {
			xerr_free(store_commit(t));
		}
	}
}

void vm_reconcile(struct xapid *app)
{
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_VM, &all);
	for (size_t i = 0; !e && i < xv_len(all); i++) {
		const char *vm = all->u.st.m[i].key;
		xv *rec = all->u.st.m[i].val;
		if (rec_bool(rec, "is_control_domain"))
			continue;
		const char *uuid = rec_str(rec, "uuid");
		const char *p = rec_str(rec, "power_state");
		xo_state st = xenops_state(uuid);
		bool changed = false;
		xv *cur = xv_struct_get(rec, "current_operations");
		if (cur && xv_len(cur)) {
			/* The xapid that ran these is gone (with the domid a
			 * start it ran had reserved). */
			e = obj_set(t, CLS_VM, vm, "current_operations", xv_struct());
			if (!e && st != XO_RUNNING && st != XO_PAUSED &&
			    strcmp(p, "Running") && strcmp(p, "Paused"))
				e = obj_set(t, CLS_VM, vm, "domid", xv_int(-1));
			changed = true;
		}
		if (!e && (st == XO_RUNNING || st == XO_PAUSED)) {
			const char *want = st == XO_RUNNING ? "Running" : "Paused";
			if (strcmp(p, want)) {
				int64_t domid = rec_int(rec, "domid") > 0 ? rec_int(rec, "domid") :
									     alloc_domid(t);
				e = set_power(t, app, vm, want, domid);
				changed = true;
			}
		} else if (!e && st == XO_GONE && (!strcmp(p, "Running") || !strcmp(p, "Paused"))) {
			e = set_power(t, app, vm, "Halted", -1);
			if (!e)
				e = post_message(t, "VM_CRASHED", 2, uuid,
						 "The VM's emulator process was gone when xapid "
						 "started; the VM is now Halted.");
			changed = true;
		}
		/* XO_SHUTDOWN / XO_CRASHED / XO_UNKNOWN: the monitor decides. */
		if (!e && changed)
			e = update_allowed(t, vm);
	}
	xv_free(all);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
	/* Domains whose VM record is gone. */
	size_t n = 0;
	char **uuids = xenops_uuids(&n);
	if (store_begin(app->db, false, &t)) {
		for (size_t i = 0; i < n; i++)
			free(uuids[i]);
		free(uuids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *ref = store_ref_of_uuid(t, CLS_VM, uuids[i]);
		if (!ref)
			xenops_destroy(uuids[i]);
		free(ref);
		free(uuids[i]);
	}
	free(uuids);
	store_rollback(t);
	vm_allowed_reconcile(app);
}
