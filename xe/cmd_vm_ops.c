/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm-vcpu-hotplug new-vcpus=N            VM.set_VCPUs_number_live
 * vm-memory-set memory=M                 VM.set_memory
 * vm-memory-limits-set static-min= static-max= dynamic-min= dynamic-max=
 * vm-memory-dynamic-range-set min= max=  VM.set_memory_dynamic_range
 * vm-memory-static-range-set min= max=   VM.set_memory_static_range
 * vm-memory-target-set target=T          VM.set_memory_dynamic_range(T, T)
 * vm-uninstall [force=true]              (hard_shutdown if needed) VM.destroy
 * snapshot-revert snapshot-uuid=         VM.revert
 * snapshot-uninstall snapshot-uuid= [force=true]  VM.destroy + its own VDIs
 * snapshot-destroy snapshot-uuid=        VM.destroy (disks stay)
 * host-compute-free-memory [host=…]      host.compute_free_memory
 *
 * VMs are selected by XAPI's rules (vm_select.c). Memory sizes are bytes
 * or a number with a unit (KiB, MiB, GiB, TiB; K, M, G, T), as xe takes
 * them. vm-uninstall lists what it will destroy (the VM, the disks of
 * its Disk VBDs that no other VM uses, its suspend image) and asks for
 * "yes" unless force=true; VM.destroy takes the VBDs and VIFs, then
 * each of those VDIs is destroyed.
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

/* The VDIs vm-uninstall destroys with the VM (as xe does): the disks of
 * its Disk VBDs that no other VM uses, and its suspend image. Heap array
 * of VDI refs in *out (an XV_ARRAY). */
static xerr *own_disks(xe_ctx *x, const xv *rec, const char *vm, xv **out)
{
	*out = xv_array();
	const xv *vbds = xv_struct_get(rec, "VBDs");
	for (size_t i = 0; vbds && i < xv_len(vbds); i++) {
		xv *b = NULL;
		xerr *e = xe_callv(x, "VBD.get_record", &b, xv_str(xv_s(xv_array_get(vbds, i))), NULL);
		if (e)
			return e;
		const char *type = xv_struct_str(b, "type"), *vdi = xv_struct_str(b, "VDI");
		const xv *empty = xv_struct_get(b, "empty");
		bool disk = type && !strcmp(type, "Disk") && vdi && strcmp(vdi, "OpaqueRef:NULL") &&
			    !(empty && empty->kind == XV_BOOL && empty->u.b);
		xv *users = NULL;
		if (disk && !(e = xe_callv(x, "VDI.get_VBDs", &users, xv_str(vdi), NULL))) {
			for (size_t j = 0; disk && j < xv_len(users); j++) {
				xv *ovm = NULL;
				xerr *ge = xe_callv(x, "VBD.get_VM", &ovm,
						    xv_str(xv_s(xv_array_get(users, j))), NULL);
				/* Shared with another VM: kept. */
				if (!ge && strcmp(xv_s(ovm), vm))
					disk = false;
				xerr_free(ge);
				xv_free(ovm);
			}
			if (disk)
				xv_array_push(*out, xv_str(vdi));
		}
		xv_free(users);
		xv_free(b);
		if (e)
			return e;
	}
	const char *sus = xv_struct_str(rec, "suspend_VDI");
	if (sus && strcmp(sus, "OpaqueRef:NULL"))
		xv_array_push(*out, xv_str(sus));
	return NULL;
}

/* vm-uninstall: the VM record with its devices, then its own disks. */
static xerr *uninstall_op(xe_ctx *x, const char *ref, void *arg)
{
	(void)arg;
	xv *rec = NULL, *vdis = NULL;
	xerr *e = xe_callv(x, "VM.get_record", &rec, xv_str(ref), NULL);
	if (e)
		return e;
	if ((e = own_disks(x, rec, ref, &vdis))) {
		xv_free(rec);
		xv_free(vdis);
		return e;
	}
	fprintf(x->out, "The following items are about to be destroyed\n");
	fprintf(x->out, "VM : %s (%s)\n", xv_struct_str(rec, "uuid") ? xv_struct_str(rec, "uuid") : "",
		xv_struct_str(rec, "name_label") ? xv_struct_str(rec, "name_label") : "");
	for (size_t i = 0; i < xv_len(vdis); i++) {
		xv *d = NULL;
		if (!xe_callv(x, "VDI.get_record", &d, xv_str(xv_s(xv_array_get(vdis, i))), NULL))
			fprintf(x->out, "VDI: %s (%s)\n",
				xv_struct_str(d, "uuid") ? xv_struct_str(d, "uuid") : "",
				xv_struct_str(d, "name_label") ? xv_struct_str(d, "name_label") : "");
		xv_free(d);
	}
	if (!xe_param_bool(x->params, "force", false)) {
		fprintf(x->out, "Type 'yes' to continue\n");
		fflush(x->out);
		char line[64] = "";
		if (!fgets(line, sizeof(line), stdin) || strncmp(line, "yes", 3) ||
		    (line[3] && line[3] != '\n')) {
			xv_free(rec);
			xv_free(vdis);
			return xe_fail("Aborted");
		}
	}
	const char *p = xv_struct_str(rec, "power_state");
	if (p && strcmp(p, "Halted"))
		e = xe_callv(x, "VM.hard_shutdown", NULL, xv_str(ref), NULL);
	if (!e)
		e = xe_callv(x, "VM.destroy", NULL, xv_str(ref), NULL);
	for (size_t i = 0; !e && i < xv_len(vdis); i++)
		e = xe_callv(x, "VDI.destroy", NULL, xv_str(xv_s(xv_array_get(vdis, i))), NULL);
	if (!e)
		fprintf(x->out, "All objects destroyed\n");
	xv_free(rec);
	xv_free(vdis);
	return e;
}

static int vm_uninstall(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	return xe_do_vm_op(x, NULL, false, true, uninstall_op, NULL);
}

/* The snapshot named by snapshot-uuid= (or uuid=); refuses a VM that is
 * not a snapshot (xe's VM commands skip snapshots, these take only them). */
static xerr *snapshot_ref(xe_ctx *x, char **ref)
{
	const char *u = xe_param_get(x->params, "snapshot-uuid");
	if (!u)
		u = xe_param_get(x->params, "uuid");
	if (!u || !*u)
		return xe_usage_error("Missing parameter", "snapshot-uuid");
	xerr *e = xe_ref_of_uuid(x, "VM", u, ref);
	xv *is = NULL;
	if (!e)
		e = xe_callv(x, "VM.get_is_a_snapshot", &is, xv_str(*ref), NULL);
	if (!e && !(is && is->kind == XV_BOOL && is->u.b))
		e = xe_fail("The VM %s is not a snapshot", u);
	xv_free(is);
	return e;
}

/* snapshot-revert: VM.revert (the VM the snapshot was taken of). */
static int snapshot_revert(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *ref = NULL;
	xerr *e = snapshot_ref(x, &ref);
	if (!e)
		e = xe_callv(x, "VM.revert", NULL, xv_str(ref), NULL);
	free(ref);
	return xe_finish(e);
}

/* snapshot-uninstall: the snapshot with its own disks (as vm-uninstall). */
static int snapshot_uninstall(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *ref = NULL;
	xerr *e = snapshot_ref(x, &ref);
	if (!e)
		e = uninstall_op(x, ref, NULL);
	free(ref);
	return xe_finish(e);
}

/* snapshot-destroy: the snapshot record and its devices; disks stay. */
static int snapshot_destroy(xe_ctx *x, const char *cmd, const xe_cmd_def *def)
{
	char *ref = NULL;
	xerr *e = snapshot_ref(x, &ref);
	if (!e)
		e = xe_callv(x, "VM.destroy", NULL, xv_str(ref), NULL);
	free(ref);
	return xe_finish(e);
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
		{ "snapshot-revert", snapshot_revert },
		{ "snapshot-uninstall", snapshot_uninstall },
		{ "snapshot-destroy", snapshot_destroy },
		{ "host-compute-free-memory", host_compute_free_memory },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].name, cmd))
			return tab[i].fn;
	return NULL;
}
