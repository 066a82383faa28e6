/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM/host.get_data_sources and query_data_source, from the sampler's RRDs
 * (xenops/sampler.c): every data source is recorded (enabled, standard),
 * query_data_source gives its newest 5 s value. A VM that is not running
 * → VM_BAD_POWER_STATE [vm, running, actual] (one just started, before
 * its first sample → INTERNAL_ERROR); an unknown data
 * source → INTERNAL_ERROR naming it (what xcp-rrdd's Invalid_data_source
 * becomes in XAPI). record_data_source / forget_data_source_archives are
 * not implemented (every source is always recorded).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "console_ops.h"
#include "dispatch.h"
#include "ops.h"
#include "sampler.h"
#include "store.h"
#include "util.h"
#include "xapid.h"

/* XAPI's units for our data source names. */
static const char *units_of(const char *name)
{
	size_t n = strlen(name);
	if (!strncmp(name, "cpu", 3))
		return "(fraction)";
	if (n > 4 && !strcmp(name + n - 4, "_kib"))
		return "KiB";
	if (!strcmp(name, "loadavg"))
		return "(fraction)";
	if (!strncmp(name, "memory", 6))
		return "B";
	return "B/s"; /* vbd_*, vif_*, pif_* */
}

static double finite_or_zero(double v)
{
	return isfinite(v) ? v : 0.0;
}

static xv *ds_records(const sampler_ds *v, size_t n)
{
	xv *a = xv_array();
	for (size_t i = 0; i < n; i++) {
		xv *r = xv_struct();
		xv_struct_set(r, "name_label", xv_str(v[i].name));
		xv_struct_set(r, "name_description", xv_str(v[i].name));
		xv_struct_set(r, "enabled", xv_bool(true));
		xv_struct_set(r, "standard", xv_bool(true));
		xv_struct_set(r, "units", xv_str(units_of(v[i].name)));
		xv_struct_set(r, "min", xv_float(finite_or_zero(v[i].min)));
		xv_struct_set(r, "max", xv_float(isfinite(v[i].max) ? v[i].max : 1.7976931348623157e308));
		xv_struct_set(r, "value", xv_float(finite_or_zero(v[i].last)));
		xv_array_push(a, r);
	}
	return a;
}

/* The VM's uuid when it has metrics, or its VM_BAD_POWER_STATE. */
static xerr *vm_uuid(call_ctx *ctx, const char *vm, char **uuid)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	*uuid = NULL;
	if (!(e = check_ref(t, CLS_VM, vm))) {
		char *p = obj_get_str(t, CLS_VM, vm, "power_state");
		if (strcmp(p, "Running") && strcmp(p, "Paused")) {
			for (char *c = p; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
			e = xerr_new("VM_BAD_POWER_STATE", vm, "running", p, NULL);
		} else {
			*uuid = obj_get_str(t, CLS_VM, vm, "uuid");
			if (!sampler_has_vm(*uuid)) {
				e = xerr_new("INTERNAL_ERROR", "no metrics sampled for this VM yet",
					     NULL);
				free(*uuid);
				*uuid = NULL;
			}
		}
		free(p);
	}
	store_rollback(t);
	return e;
}

static xerr *host_ok(call_ctx *ctx, const char *host)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (!e) {
		e = check_ref(t, CLS_host, host);
		store_rollback(t);
	}
	return e;
}

static xerr *sources(const char *uuid, xv **result)
{
	size_t n;
	sampler_ds *v = sampler_sources(uuid, &n);
	if (!v)
		return xerr_new("INTERNAL_ERROR", "no metrics have been sampled yet", NULL);
	*result = ds_records(v, n);
	sampler_sources_free(v, n);
	return NULL;
}

static xerr *query(const char *uuid, const char *name, xv **result)
{
	size_t n;
	sampler_ds *v = sampler_sources(uuid, &n);
	xerr *e = NULL;
	size_t i = 0;
	while (i < n && strcmp(v[i].name, name))
		i++;
	if (i < n)
		*result = xv_float(finite_or_zero(v[i].last));
	else
		e = xerr_newf("INTERNAL_ERROR", "Rrd.Invalid_data_source(\"%s\")", name);
	sampler_sources_free(v, n);
	return e;
}

xerr *op_VM_get_data_sources(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	char *uuid = NULL;
	xerr *e = vm_uuid(ctx, xv_s(args[0]), &uuid);
	if (!e)
		e = sources(uuid, result);
	free(uuid);
	return e;
}

xerr *op_VM_query_data_source(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	char *uuid = NULL;
	xerr *e = vm_uuid(ctx, xv_s(args[0]), &uuid);
	if (!e)
		e = query(uuid, xv_s(args[1]), result);
	free(uuid);
	return e;
}

xerr *op_host_get_data_sources(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xerr *e = host_ok(ctx, xv_s(args[0]));
	return e ? e : sources(NULL, result);
}

xerr *op_host_query_data_source(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xerr *e = host_ok(ctx, xv_s(args[0]));
	return e ? e : query(NULL, xv_s(args[1]), result);
}
