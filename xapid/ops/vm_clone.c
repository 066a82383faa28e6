/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM.clone and VM.copy with their disks. The new VM is a copy of the
 * record (runtime fields reset, Halted); each disk VBD gets a new VDI:
 * VDI.clone for VM.clone (a backing chain, fast), VDI.copy for VM.copy
 * (full copy, to `sr` or, with a null sr, to each disk's own SR); CD VBDs
 * keep their media. As XAPI does: the new VM owns its disks (VBD
 * other_config owner=""), its VIFs are copies with new MACs (XAPI keeps
 * MACs only for snapshots) and other_config mac_seed is renewed. A failure
 * removes everything made so far.
 *
 * VM.snapshot is the same walk with VDI.snapshot (live through the running
 * QEMU when the VM runs), ignore_vdis left out, MACs kept, and a record
 * marked is_a_snapshot / is_a_template, snapshot_of, snapshot_time,
 * snapshot_info power-state-at-snapshot; the VM's parent becomes it.
 */
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "net_ops.h"
#include "ops.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"

static const char *const runtime_fields[] = {
	"uuid", "allowed_operations", "current_operations", "domid", "resident_on",
	"scheduled_to_be_resident_on", "metrics", "guest_metrics", "consoles", "VIFs", "VBDs",
	"VUSBs", "crash_dumps", "VTPMs", "snapshots", "attached_PCIs", "children", "blobs",
	"parent", "snapshot_of", "snapshot_time", "is_a_snapshot", "VGPUs",
	"is_default_template", "is_control_domain", "last_booted_record", NULL,
};

static xerr *commit_or_rollback(txn *t, xerr *e)
{
	if (e) {
		store_rollback(t);
		return e;
	}
	return store_commit(t);
}

enum dup_op { DUP_CLONE, DUP_COPY, DUP_SNAPSHOT };

static bool in_refs(const xv *refs, const char *ref)
{
	for (size_t i = 0; refs && i < xv_len(refs); i++)
		if (!strcmp(xv_s(xv_array_get(refs, i)), ref))
			return true;
	return false;
}

static xerr *clone_or_copy(call_ctx *ctx, const char *vm, const char *name, const char *sr,
                           enum dup_op op, const xv *ignore_vdis, xv **result)
{
	bool copy = op == DUP_COPY, snap = op == DUP_SNAPSHOT;
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	xv *rec = NULL, *vbds = NULL, *vifs = NULL;
	if (!(e = check_ref(t, CLS_VM, vm)) && !(e = store_get_record(t, CLS_VM, vm, &rec))) {
		xv *key = xv_str(vm);
		e = store_find(t, CLS_VBD, obj_fld(CLS_VBD, "VM"), key, &vbds);
		if (!e)
			e = store_find(t, CLS_VIF, obj_fld(CLS_VIF, "VM"), key, &vifs);
		xv_free(key);
	}
	if (!e && sr && !hx_is_null_ref(sr) && *sr)
		e = check_ref(t, CLS_SR, sr);
	size_t nv = xv_len(vbds);
	xv **vrecs = hx_calloc(nv + 1, sizeof(xv *));
	for (size_t i = 0; !e && i < nv; i++)
		e = store_get_record(t, CLS_VBD, xv_s(xv_array_get(vbds, i)), &vrecs[i]);
	size_t nf = xv_len(vifs);
	xv **frecs = hx_calloc(nf + 1, sizeof(xv *));
	for (size_t i = 0; !e && i < nf; i++)
		e = store_get_record(t, CLS_VIF, xv_s(xv_array_get(vifs, i)), &frecs[i]);
	store_rollback(t);
	const char *ps = rec ? xv_struct_str(rec, "power_state") : "";
	xv *ctl = rec ? xv_struct_get(rec, "is_control_domain") : NULL;
	if (!e && ctl && ctl->kind == XV_BOOL && ctl->u.b)
		e = xerr_new("OPERATION_NOT_ALLOWED", "the control domain cannot be cloned", NULL);
	xv *tmpl = rec ? xv_struct_get(rec, "is_a_template") : NULL;
	xv *isnap = rec ? xv_struct_get(rec, "is_a_snapshot") : NULL;
	if (!e && snap && ((tmpl && tmpl->kind == XV_BOOL && tmpl->u.b) ||
			   (isnap && isnap->kind == XV_BOOL && isnap->u.b)))
		e = xerr_new("VM_IS_TEMPLATE", vm, NULL);
	if (!e && ps && strcmp(ps, "Halted") && strcmp(ps, "Suspended") &&
	    !(snap && !strcmp(ps, "Running"))) {
		char *p = hx_strdup(ps);
		for (char *c = p; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		e = xerr_new("VM_BAD_POWER_STATE", vm, "halted", p, NULL);
		free(p);
	}
	/* The VM is busy while its disks are duplicated (current_operations
	 * "snapshot", "clone" or "copy", as XAPI): a concurrent destroy,
	 * start, shutdown … answers OTHER_OPERATION_IN_PROGRESS. The claim
	 * re-checks the power state in its own transaction (a start may have
	 * come between the read above and it). */
	xv *claimed = NULL;
	char *opref = NULL;
	if (!e)
		e = vm_op_claim(ctx, vm, snap ? "snapshot" : copy ? "copy" : "clone", &claimed, &opref);
	char **made = hx_calloc(nv + 1, sizeof(char *));
	char **newvdi = hx_calloc(nv + 1, sizeof(char *));
	bool *skip = hx_calloc(nv + 1, sizeof(bool));
	size_t nmade = 0;
	/* Disks first (the long part), then the records in one txn. */
	for (size_t i = 0; !e && i < nv; i++) {
		const char *type = xv_struct_str(vrecs[i], "type");
		const char *vdi = xv_struct_str(vrecs[i], "VDI");
		xv *em = xv_struct_get(vrecs[i], "empty");
		if ((type && !strcmp(type, "CD")) || (em && em->kind == XV_BOOL && em->u.b) ||
		    !vdi || hx_is_null_ref(vdi))
			continue;
		if (snap && in_refs(ignore_vdis, vdi)) {
			skip[i] = true;
			continue;
		}
		xv *r = NULL;
		if (snap) {
			xv *a[2] = { xv_str(vdi), xv_struct() };
			e = op_VDI_snapshot(ctx, NULL, a, &r);
			xv_free(a[0]);
			xv_free(a[1]);
		} else if (copy) {
			char *dst = NULL;
			if (sr && *sr && !hx_is_null_ref(sr)) {
				dst = hx_strdup(sr);
			} else if (!(e = db_begin(ctx, false, &t))) {
				dst = obj_get_str(t, CLS_VDI, vdi, "SR");
				store_rollback(t);
			}
			xv *a[4] = { xv_str(vdi), xv_str(dst ? dst : ""), xv_str(HX_NULL_REF),
			             xv_str(HX_NULL_REF) };
			if (!e)
				e = op_VDI_copy(ctx, NULL, a, &r);
			for (int k = 0; k < 4; k++)
				xv_free(a[k]);
			free(dst);
		} else {
			xv *a[2] = { xv_str(vdi), xv_struct() };
			e = op_VDI_clone(ctx, NULL, a, &r);
			xv_free(a[0]);
			xv_free(a[1]);
		}
		if (!e) {
			newvdi[i] = hx_strdup(xv_s(r));
			made[nmade++] = hx_strdup(xv_s(r));
		}
		xv_free(r);
	}
	char *newref = NULL;
	if (!e && !(e = db_begin(ctx, true, &t))) {
		xv *nr = xv_dup(rec);
		for (int k = 0; runtime_fields[k]; k++)
			xv_struct_del(nr, runtime_fields[k]);
		xv_struct_set(nr, "name_label", xv_str(name));
		xv_struct_set(nr, "power_state", xv_str("Halted"));
		xv_struct_set(nr, "domid", xv_int(-1));
		xv *oc = xv_struct_get(nr, "other_config");
		if (snap) {
			const char *parent = xv_struct_str(rec, "parent");
			xv_struct_set(nr, "is_a_snapshot", xv_bool(true));
			xv_struct_set(nr, "is_a_template", xv_bool(true));
			xv_struct_set(nr, "snapshot_of", xv_str(vm));
			xv_struct_set(nr, "snapshot_time", xv_datetime(hx_now()));
			xv *info = xv_struct();
			char *p = hx_strdup(ps);
			xv_struct_set(info, "power-state-at-snapshot", xv_str_own(p));
			xv_struct_set(info, "disk-snapshot-type", xv_str("crash_consistent"));
			xv_struct_set(nr, "snapshot_info", info);
			xv_struct_set(nr, "parent", xv_str(parent ? parent : HX_NULL_REF));
			xv_struct_del(nr, "suspend_VDI");
		} else if (oc && oc->kind == XV_STRUCT) {
			char seed[37];
			hx_uuid(seed);
			xv_struct_set(oc, "mac_seed", xv_str(seed));
			xv_struct_del(oc, "default_template");
		}
		e = obj_create(t, CLS_VM, nr, &newref);
		if (!e && snap)
			e = obj_set(t, CLS_VM, vm, "parent", xv_str(newref));
		for (size_t i = 0; !e && i < nv; i++) {
			if (skip[i])
				continue;
			xv *vr = xv_dup(vrecs[i]);
			static const char *const drop[] = { "uuid", "allowed_operations",
				"current_operations", "metrics", "currently_attached", NULL };
			for (int k = 0; drop[k]; k++)
				xv_struct_del(vr, drop[k]);
			xv_struct_set(vr, "VM", xv_str(newref));
			xv_struct_set(vr, "currently_attached", xv_bool(false));
			if (newvdi[i]) {
				xv_struct_set(vr, "VDI", xv_str(newvdi[i]));
				xv *voc = xv_struct_get(vr, "other_config");
				if (voc && voc->kind == XV_STRUCT && !xv_struct_get(voc, "owner"))
					xv_struct_set(voc, "owner", xv_str(""));
			}
			e = obj_create(t, CLS_VBD, vr, NULL);
		}
		for (size_t i = 0; !e && i < nf; i++) {
			xv *fr = xv_dup(frecs[i]);
			static const char *const drop[] = { "uuid", "allowed_operations",
				"current_operations", "metrics", "currently_attached", "status_code",
				"status_detail", "runtime_properties", NULL };
			for (int k = 0; drop[k]; k++)
				xv_struct_del(fr, drop[k]);
			xv_struct_set(fr, "VM", xv_str(newref));
			xv_struct_set(fr, "currently_attached", xv_bool(false));
			if (!snap) {
				xv_struct_set(fr, "MAC", xv_str_own(vif_new_mac()));
				xv_struct_set(fr, "MAC_autogenerated", xv_bool(true));
			}
			e = obj_create(t, CLS_VIF, fr, NULL);
		}
		if (!e)
			e = obj_set(t, CLS_VM, newref, "allowed_operations", xv_array());
		e = commit_or_rollback(t, e);
	}
	if (e) {
		for (size_t i = 0; i < nmade; i++) {
			xv *a[1] = { xv_str(made[i]) };
			xerr_free(vdi_destroy_call(ctx, a));
			xv_free(a[0]);
		}
		free(newref);
	} else {
		*result = xv_str_own(newref);
	}
	for (size_t i = 0; i < nv; i++) {
		xv_free(vrecs[i]);
		free(newvdi[i]);
	}
	for (size_t i = 0; i < nmade; i++)
		free(made[i]);
	free(made);
	free(newvdi);
	free(skip);
	free(vrecs);
	for (size_t i = 0; i < nf; i++)
		xv_free(frecs[i]);
	free(frecs);
	xv_free(vifs);
	xv_free(vbds);
	xv_free(rec);
	if (opref)
		vm_op_release(ctx->app, vm, opref);
	free(opref);
	xv_free(claimed);
	return e;
}

xerr *op_VM_clone(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return clone_or_copy(ctx, xv_s(args[0]), xv_s(args[1]), NULL, DUP_CLONE, NULL, result);
}

xerr *op_VM_snapshot(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	return clone_or_copy(ctx, xv_s(args[0]), xv_s(args[1]), NULL, DUP_SNAPSHOT,
			     args[2], result);
}

xerr *op_VM_copy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return clone_or_copy(ctx, xv_s(args[0]), xv_s(args[1]), xv_s(args[2]), DUP_COPY, NULL,
			     result);
}
