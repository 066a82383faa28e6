/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm-vcpu-hotplug new-vcpus=N            VM.set_VCPUs_number_live
 * vm-memory-set memory=M                 VM.set_memory
 * vm-memory-limits-set static-min= static-max= dynamic-min= dynamic-max=
 * vm-memory-dynamic-range-set min= max=  VM.set_memory_dynamic_range
 * vm-memory-static-range-set min= max=   VM.set_memory_static_range
 * vm-memory-target-set target=T          VM.set_memory_dynamic_range(T, T)
 * vm-uninstall [force=true]              (hard_shutdown if needed) VM.destroy
 * host-compute-free-memory [host=…]      host.compute_free_memory
 *
 * VMs are selected by XAPI's rules (vm_select.c). Memory sizes are bytes
 * or a number with a unit (KiB, MiB, GiB, TiB; K, M, G, T), as xe takes
 * them. vm-uninstall lists what it will destroy and asks for "yes"
 * unless force=true (disks are not removed yet: no storage here).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "vm_select.h"
#include "xe.h"

bool xe_parse_bytes(const char *s, int64_t *out)
{
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0)
		return false;
	while (*end == ' ')
		end++;
	static const struct {
		const char *unit;
		int shift;
	} u[] = { { "", 0 },	 { "b", 0 },	{ "k", 10 },   { "kib", 10 }, { "m", 20 },
		  { "mib", 20 }, { "g", 30 },	{ "gib", 30 }, { "t", 40 },   { "tib", 40 } };
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcasecmp(end, u[i].unit)) {
			if (u[i].shift && v > (INT64_MAX >> u[i].shift))
				return false;
			*out = (int64_t)v << u[i].shift;
			return true;
		}
	return false;
}

/* The byte values of the named parameters (all required). */
static xerr *bytes_params(xe_ctx *x, const char *const *names, int64_t *v)
{
	for (size_t i = 0; names[i]; i++) {
		const char *s = xe_param_get(x->params, names[i]);
		if (!s)
			return xe_usage_error("Required parameter not found", names[i]);
		if (!xe_parse_bytes(s, &v[i]))
			return xe_fail("Failed to parse parameter '%s': expecting a size in bytes "
				       "(a number with an optional unit: KiB, MiB, GiB, TiB)", names[i]);
	}
	return NULL;
}

struct call {
	const char *msg;
	int n;
	int64_t v[4];
};

/* VM.<msg>(ref, v[0..n-1]) with the values as API ints. */
static xerr *call_op(xe_ctx *x, const char *ref, void *arg)
{
	const struct call *c = arg;
	xv *args = xv_array();
	xv_array_push(args, xv_str(ref));
	for (int i = 0; i < c->n; i++)
		xv_array_push(args, xv_int(c->v[i]));
	char *m = hx_asprintf("VM.%s", c->msg);
	xerr *e = xe_call_arr(x, m, args, NULL);
	free(m);
	return e;
}

static int run_call(xe_ctx *x, const char *const *own, struct call *c)
{
	xerr *e = bytes_params(x, own, c->v);
	if (e)
		return xe_finish(e);
	return xe_do_vm_op(x, own, false, true, call_op, c);
}

static int vm_memory_set(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "memory", NULL };
	struct call c = { "set_memory", 1, { 0 } };
	return run_call(x, own, &c);
}

static int vm_memory_limits_set(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "static-min", "static-max", "dynamic-min",
					   "dynamic-max", NULL };
	struct call c = { "set_memory_limits", 4, { 0 } };
	return run_call(x, own, &c);
}

static int vm_memory_dynamic_range_set(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "min", "max", NULL };
	struct call c = { "set_memory_dynamic_range", 2, { 0 } };
	return run_call(x, own, &c);
}

static int vm_memory_static_range_set(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "min", "max", NULL };
	struct call c = { "set_memory_static_range", 2, { 0 } };
	return run_call(x, own, &c);
}

static int vm_memory_target_set(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "target", NULL };
	struct call c = { "set_memory_dynamic_range", 2, { 0 } };
	xerr *e = bytes_params(x, own, c.v);
	if (e)
		return xe_finish(e);
	c.v[1] = c.v[0];
	return xe_do_vm_op(x, own, false, true, call_op, &c);
}

static int vm_vcpu_hotplug(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	static const char *const own[] = { "new-vcpus", NULL };
	const char *s = xe_param_get(x->params, "new-vcpus");
	if (!s)
		return xe_finish(xe_usage_error("Required parameter not found", "new-vcpus"));
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return xe_finish(xe_fail("Failed to parse parameter 'new-vcpus': expecting an "
					 "integer"));
	struct call c = { "set_VCPUs_number_live", 1, { n } };
	return xe_do_vm_op(x, own, false, true, call_op, &c);
}

/* vm-uninstall: the VM record (and, later, its disks). */
static xerr *uninstall_op(xe_ctx *x, const char *ref, void *arg)
{
	(void)arg;
	xv *rec = NULL;
	xerr *e = xe_callv(x, "VM.get_record", &rec, xv_str(ref), NULL);
	if (e)
		return e;
	fprintf(x->out, "The following items are about to be destroyed\n");
	fprintf(x->out, "VM : %s (%s)\n", xv_struct_str(rec, "uuid") ? xv_struct_str(rec, "uuid") : "",
		xv_struct_str(rec, "name_label") ? xv_struct_str(rec, "name_label") : "");
	if (!xe_param_bool(x->params, "force", false)) {
		fprintf(x->out, "Type 'yes' to continue\n");
		fflush(x->out);
		char line[64] = "";
		if (!fgets(line, sizeof(line), stdin) || strncmp(line, "yes", 3) ||
		    (line[3] && line[3] != '\n')) {
			xv_free(rec);
			return xe_fail("Aborted");
		}
	}
	const char *p = xv_struct_str(rec, "power_state");
	if (p && strcmp(p, "Halted"))
		e = xe_callv(x, "VM.hard_shutdown", NULL, xv_str(ref), NULL);
	if (!e)
		e = xe_callv(x, "VM.destroy", NULL, xv_str(ref), NULL);
	if (!e)
		fprintf(x->out, "All objects destroyed\n");
	xv_free(rec);
	return e;
}

static int vm_uninstall(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return xe_do_vm_op(x, NULL, false, true, uninstall_op, NULL);
}

/* host-compute-free-memory: host=<name|uuid>, uuid= or the only host. */
static int host_compute_free_memory(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	const char *want = xe_param_get(x->params, "host");
	if (!want)
		want = xe_param_get(x->params, "uuid");
	xv *all = NULL;
	xerr *e = xe_callv(x, "host.get_all_records", &all, NULL);
	if (e)
		return xe_finish(e);
	const char *ref = NULL;
	size_t n = 0;
	for (size_t i = 0; all->kind == XV_STRUCT && i < all->u.st.n; i++) {
		const xv *r = all->u.st.m[i].val;
		const char *u = xv_struct_str(r, "uuid"), *nl = xv_struct_str(r, "name_label");
		if (want && !(u && !strcmp(u, want)) && !(nl && !strcmp(nl, want)))
			continue;
		ref = all->u.st.m[i].key;
		n++;
	}
	xv *free_mem = NULL;
	if (n == 0)
		e = xe_fail("No matching hosts found");
	else if (n > 1)
		e = xe_fail("Multiple matches hosts found. Operation can only be performed on one "
			    "host at a time");
	else
		e = xe_callv(x, "host.compute_free_memory", &free_mem, xv_str(ref), NULL);
	if (!e) {
		char *s = free_mem->kind == XV_INT ? hx_asprintf("%lld", (long long)free_mem->u.i) :
						     hx_strdup(xv_s(free_mem));
		fprintf(x->out, "%s\n", s);
		free(s);
	}
	xv_free(free_mem);
	xv_free(all);
	return xe_finish(e);
}

xe_cmd_fn xe_find_vm_ops_cmd(const char *cmd)
{
	static const struct {
		const char *name;
		xe_cmd_fn fn;
	} tab[] = {
		{ "vm-vcpu-hotplug", vm_vcpu_hotplug },
		{ "vm-memory-set", vm_memory_set },
		{ "vm-memory-limits-set", vm_memory_limits_set },
		{ "vm-memory-dynamic-range-set", vm_memory_dynamic_range_set },
		{ "vm-memory-static-range-set", vm_memory_static_range_set },
		{ "vm-memory-target-set", vm_memory_target_set },
		{ "vm-uninstall", vm_uninstall },
		{ "host-compute-free-memory", host_compute_free_memory },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	return NULL;
}
