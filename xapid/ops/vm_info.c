/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Questions about a VM that change nothing:
 * - VM.assert_can_boot_here: could the VM start on that host now? (host
 *   live and enabled, memory constraints, vCPUs against the host's
 *   CPUs, free memory unless the VM already runs there, domain type);
 * - VM.get_boot_record: the record (XAPI today answers the current
 *   record, not a copy taken at boot);
 * - VM.get_allowed_VBD_devices / get_allowed_VIF_devices: XAPI's device
 *   numbers (VBD 0..254, 0..255 for a control domain; VIF 0..6) minus the
 *   ones the VM's VBDs (userdevice) and VIFs (device) use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "ops.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"

static xerr *num_err(const char *code, int64_t a, int64_t b)
{
	char x[32], y[32];
	snprintf(x, sizeof(x), "%lld", (long long)a);
	snprintf(y, sizeof(y), "%lld", (long long)b);
	return xerr_new(code, x, y, NULL);
}

/* The checks of assert_can_boot_here, inside t. */
static xerr *can_boot(txn *t, struct xapid *app, const char *vm, const char *host)
{
	xerr *e;
	if ((e = check_ref(t, CLS_VM, vm)) || (e = check_ref(t, CLS_host, host)))
		return e;
	xv *rec = NULL, *h = NULL;
	if ((e = store_get_record(t, CLS_VM, vm, &rec)) ||
	    (e = store_get_record(t, CLS_host, host, &h)))
		goto out;
	char *hm = hx_strdup(vm_rec_str(h, "metrics"));
	xv *live = store_exists(t, CLS_host_metrics, hm) ? obj_get(t, CLS_host_metrics, hm, "live") :
							   NULL;
	bool is_live = live && live->kind == XV_BOOL && live->u.b;
	xv_free(live);
	free(hm);
	if (!is_live) {
		e = xerr_new("HOST_NOT_LIVE", NULL);
		goto out;
	}
	if (!vm_rec_bool(h, "enabled")) {
		e = xerr_new("HOST_DISABLED", host, NULL);
		goto out;
	}
	int64_t smin = vm_rec_int(rec, "memory_static_min"), dmin = vm_rec_int(rec, "memory_dynamic_min"),
		dmax = vm_rec_int(rec, "memory_dynamic_max"), smax = vm_rec_int(rec, "memory_static_max");
	if (!(smin <= dmin && dmin <= dmax && dmax <= smax)) {
		e = xerr_new("MEMORY_CONSTRAINT_VIOLATION_ORDER", NULL);
		goto out;
	}
	const char *dt = vm_rec_str(rec, "domain_type");
	if (!strcmp(dt, "pv") || !strcmp(dt, "pv_in_pvh")) {
		e = xerr_new("OPERATION_NOT_ALLOWED",
			     "domain_type pv is not supported on this host (use pvh or hvm)", NULL);
		goto out;
	}
	xv *ci = xv_struct_get(h, "cpu_info");
	const char *cc = ci ? xv_struct_str(ci, "cpu_count") : NULL;
	int64_t pcpus = cc ? strtoll(cc, NULL, 10) : 0;
	xv *plat = xv_struct_get(rec, "platform");
	const char *unres = plat ? xv_struct_str(plat, "vcpu-unrestricted") : NULL;
	int64_t vcpus = vm_rec_int(rec, "VCPUs_max");
	if (pcpus > 0 && vcpus > pcpus && !(unres && !strcmp(unres, "true"))) {
		e = num_err("HOST_NOT_ENOUGH_PCPUS", vcpus, pcpus);
		goto out;
	}
	const char *p = vm_rec_str(rec, "power_state");
	bool resident = (!strcmp(p, "Running") || !strcmp(p, "Paused")) &&
			!strcmp(vm_rec_str(rec, "resident_on"), host);
	if (!resident) {
		int64_t need = vm_memory_footprint(rec), avail = vm_free_memory(t, app);
		if (need > avail)
			e = num_err("HOST_NOT_ENOUGH_FREE_MEMORY", need, avail);
	}
out:
	xv_free(rec);
	xv_free(h);
	return e;
}

xerr *op_VM_assert_can_boot_here(call_ctx *ctx, const api_msg *m, xv *const *args,
				 xv **result)
{
	(void)m;
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	e = can_boot(t, ctx->app, xv_s(args[0]), xv_s(args[1]));
	store_rollback(t);
	if (!e)
		*result = xv_str("");
	return e;
}

xerr *op_VM_get_boot_record(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	call_ctx c = *ctx;
	c.msg = api_find_msg("VM.get_record");
	if (!c.msg)
		return xerr_new("INTERNAL_ERROR", "VM.get_record is missing", NULL);
	return implicit_call(&c, args, result);
}

/* A VBD userdevice as a disk number ("3", "xvdd", "hdd", "sdd" → 3), or -1. */
static int disk_number(const char *s)
{
	if (!*s)
		return -1;
	if (isdigit((unsigned char)*s)) {
		char *end;
		long v = strtol(s, &end, 10);
		return *end || v < 0 || v > 1 << 20 ? -1 : (int)v;
	}
	const char *l = !strncmp(s, "xvd", 3) ? s + 3 :
			!strncmp(s, "hd", 2) || !strncmp(s, "sd", 2) ? s + 2 : NULL;
	if (!l || !islower((unsigned char)*l))
		return -1;
	int n = 0;
	for (; islower((unsigned char)*l); l++)
		n = n * 26 + (*l - 'a' + 1);
	return n - 1;
}

/* The device numbers 0..max not used by field f of the rows of class
 * cls whose VM is vm, as strings. */
static xerr *free_devices(call_ctx *ctx, const char *vm, int cls, const char *f, bool disk,
			  int max, xv **result)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm))) {
		store_rollback(t);
		return e;
	}
	xv *cd = obj_get(t, CLS_VM, vm, "is_control_domain");
	if (disk && cd && cd->kind == XV_BOOL && cd->u.b)
		max = 255;
	xv_free(cd);
	bool *used = hx_calloc((size_t)max + 1, sizeof(bool));
	xv *all = NULL;
	e = store_get_all_records(t, cls, &all);
	for (size_t i = 0; !e && i < xv_len(all); i++) {
		xv *r = all->u.st.m[i].val;
		if (strcmp(vm_rec_str(r, "VM"), vm))
			continue;
		const char *d = vm_rec_str(r, f);
		int n = disk ? disk_number(d) : -1;
		if (!disk) {
			char *end;
			long v = strtol(d, &end, 10);
			n = *d && !*end && v >= 0 && v <= max ? (int)v : -1;
		}
		if (n >= 0 && n <= max)
			used[n] = true;
	}
	xv_free(all);
	store_rollback(t);
	if (!e) {
		*result = xv_array();
		for (int i = 0; i <= max; i++)
			if (!used[i])
				xv_array_push(*result, xv_strf("%d", i));
	}
	free(used);
	return e;
}

xerr *op_VM_get_allowed_VBD_devices(call_ctx *ctx, const api_msg *m, xv *const *args,
				    xv **result)
{
	(void)m;
	return free_devices(ctx, xv_s(args[0]), CLS_VBD, "userdevice", true, 254, result);
}

xerr *op_VM_get_allowed_VIF_devices(call_ctx *ctx, const api_msg *m, xv *const *args,
				    xv **result)
{
	(void)m;
	return free_devices(ctx, xv_s(args[0]), CLS_VIF, "device", false, 6, result);
}
