/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM.revert: brings the VM a snapshot was taken of back to the snapshot,
 * the way XAPI does without a VDI.revert:
 *   - a VM that is not Halted is hard-shut-down first;
 *   - each disk of the snapshot is cloned (VDI.clone, a backing chain) and
 *     becomes the VM's disk; the VM's disks that the snapshot's disks were
 *     taken of are destroyed, disks added after the snapshot are kept but
 *     lose their VBD; VBDs and VIFs are re-created from the snapshot's
 *     (VIFs with their MACs, as the snapshot kept them);
 *   - the VM's configuration fields take the snapshot's values, except the
 *     identity and runtime fields (uuid, names, power state, snapshot
 *     bookkeeping, relations); the VM's parent becomes the snapshot.
 * The VM ends Halted. Snapshots here hold disks only (no memory image),
 * so a snapshot of a running VM reverts to a halted, crash-consistent one.
 * Clones are made before any record changes; a failure removes them and
 * leaves the VM as it was (its old disks are destroyed only after the
 * record transaction committed).
 */
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "meta.h"
#include "net_ops.h"
#include "ops.h"
#include "storage.h"
#include "storage_ops.h"
#include "util.h"
#include "xapid.h"

/* VM fields a revert leaves alone (relations are skipped by type). */
static const char *const keep_fields[] = {
	"uuid", "name_label", "name_description", "power_state", "allowed_operations",
	"current_operations", "domid", "resident_on", "scheduled_to_be_resident_on", "affinity",
	"metrics", "guest_metrics", "is_control_domain", "is_a_template", "is_a_snapshot",
	"is_default_template", "snapshot_of", "snapshot_time", "snapshot_info",
	"snapshot_metadata", "transportable_snapshot_id", "parent", "suspend_VDI", "suspend_SR",
	"last_booted_record", "blocked_operations", "tags", "pending_guidances",
	"pending_guidances_recommended", "pending_guidances_full", NULL,
};

static bool kept(const char *f)
{
	for (int i = 0; keep_fields[i]; i++)
		if (!strcmp(keep_fields[i], f))
			return true;
	return false;
}

static bool is_true(const xv *rec, const char *f)
{
	const xv *v = xv_struct_get(rec, f);
	return v && v->kind == XV_BOOL && v->u.b;
}

/* The refs of cls whose field "VM" is vm, with their records. */
static xerr *devices(txn *t, int cls, const char *vm, xv **refs, xv ***recs)
{
	xv *key = xv_str(vm);
	xerr *e = store_find(t, cls, obj_fld(cls, "VM"), key, refs);
	xv_free(key);
	size_t n = xv_len(*refs);
	*recs = hx_calloc(n + 1, sizeof(xv *));
	for (size_t i = 0; !e && i < n; i++)
		e = store_get_record(t, cls, xv_s(xv_array_get(*refs, i)), &(*recs)[i]);
	return e;
}

static void free_recs(xv *refs, xv **recs)
{
	for (size_t i = 0; recs && i < xv_len(refs); i++)
		xv_free(recs[i]);
	free(recs);
	xv_free(refs);
}

static bool disk_vbd(const xv *vbd)
{
	const char *type = xv_struct_str(vbd, "type");
	const char *vdi = xv_struct_str(vbd, "VDI");
	return !(type && !strcmp(type, "CD")) && !is_true(vbd, "empty") && vdi && !hx_is_null_ref(vdi);
}

/* A copy of a device record for the VM, without identity/runtime fields. */
static xv *device_copy(const xv *rec, const char *vm)
{
	static const char *const drop[] = { "uuid", "allowed_operations", "current_operations",
		"metrics", "currently_attached", "status_code", "status_detail",
		"runtime_properties", NULL };
	xv *r = xv_dup(rec);
	for (int k = 0; drop[k]; k++)
		xv_struct_del(r, drop[k]);
	xv_struct_set(r, "VM", xv_str(vm));
	xv_struct_set(r, "currently_attached", xv_bool(false));
	return r;
}

/* Destroys a device row and its metrics row (inside t). */
static xerr *drop_device(txn *t, int cls, int mcls, const char *ref)
{
	char *m = obj_get_str(t, cls, ref, "metrics");
	xerr *e = NULL;
	if (m && store_exists(t, mcls, m))
		e = store_destroy(t, mcls, m);
	free(m);
	return e ? e : store_destroy(t, cls, ref);
}

/* Reads the snapshot and its VM; checks what XAPI checks. */
static xerr *load(call_ctx *ctx, const char *snap, xv **srec, char **vm, xv **vrec)
{
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	if (!(e = check_ref(t, CLS_VM, snap)))
		e = store_get_record(t, CLS_VM, snap, srec);
	if (!e && !is_true(*srec, "is_a_snapshot"))
		e = xerr_new("OPERATION_NOT_ALLOWED", "VM.revert needs a snapshot", NULL);
	if (!e) {
		*vm = hx_strdup(xv_struct_str(*srec, "snapshot_of"));
		if (hx_is_null_ref(*vm) || check_ref(t, CLS_VM, *vm) != NULL)
			e = xerr_new("VM_REVERT_FAILED", *vm, snap, NULL);
	}
	if (!e)
		e = store_get_record(t, CLS_VM, *vm, vrec);
	store_rollback(t);
	return e;
}

xerr *op_VM_revert(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	(void)m;
	(void)result;
	const char *snap = xv_s(args[0]);
	xv *srec = NULL, *vrec = NULL;
	char *vm = NULL;
	xerr *e = load(ctx, snap, &srec, &vm, &vrec);
	if (!e && strcmp(xv_struct_str(vrec, "power_state"), "Halted")) {
		xv *a[1] = { xv_str(vm) };
		e = op_VM_hard_shutdown(ctx, NULL, a, NULL);
		xv_free(a[0]);
	}
	/* The snapshot's devices, and the VM's (read again: after the stop). */
	xv *svbds = NULL, *svifs = NULL, *vvbds = NULL, *vvifs = NULL;
	xv **svbd = NULL, **svif = NULL, **vvbd = NULL, **vvif = NULL;
	txn *t;
	if (!e && !(e = db_begin(ctx, false, &t))) {
		if (!(e = devices(t, CLS_VBD, snap, &svbds, &svbd)) &&
		    !(e = devices(t, CLS_VIF, snap, &svifs, &svif)) &&
		    !(e = devices(t, CLS_VBD, vm, &vvbds, &vvbd)))
			e = devices(t, CLS_VIF, vm, &vvifs, &vvif);
		store_rollback(t);
	}
	/* The clones: the long part, before any record changes. */
	size_t ns = xv_len(svbds);
	char **clone = hx_calloc(ns + 1, sizeof(char *));
	for (size_t i = 0; !e && i < ns; i++) {
		if (!disk_vbd(svbd[i]))
			continue;
		xv *a[2] = { xv_str(xv_struct_str(svbd[i], "VDI")), xv_struct() }, *r = NULL;
		e = op_VDI_clone(ctx, NULL, a, &r);
		if (!e)
			clone[i] = hx_strdup(xv_s(r));
		xv_free(r);
		xv_free(a[0]);
		xv_free(a[1]);
	}
	/* The VM's disks the snapshot's were taken of: replaced, destroyed. */
	size_t nv = xv_len(vvbds);
	char **old = hx_calloc(nv + 1, sizeof(char *));
	size_t nold = 0;
	if (!e && !(e = db_begin(ctx, true, &t))) {
		for (size_t i = 0; i < nv; i++) {
			if (!disk_vbd(vvbd[i]))
				continue;
			const char *vdi = xv_struct_str(vvbd[i], "VDI");
			for (size_t k = 0; k < ns; k++) {
				if (!clone[k])
					continue;
				char *of = obj_get_str(t, CLS_VDI, xv_struct_str(svbd[k], "VDI"), "snapshot_of");
				bool hit = !strcmp(of, vdi);
				free(of);
				if (hit) {
					old[nold++] = hx_strdup(vdi);
					break;
				}
			}
		}
		for (size_t i = 0; !e && i < nv; i++)
			e = drop_device(t, CLS_VBD, CLS_VBD_metrics, xv_s(xv_array_get(vvbds, i)));
		for (size_t i = 0; !e && i < xv_len(vvifs); i++)
			e = drop_device(t, CLS_VIF, CLS_VIF_metrics, xv_s(xv_array_get(vvifs, i)));
		for (size_t i = 0; !e && i < ns; i++) {
			xv *r = device_copy(svbd[i], vm);
			if (clone[i])
				xv_struct_set(r, "VDI", xv_str(clone[i]));
			e = obj_create(t, CLS_VBD, r, NULL);
		}
		for (size_t i = 0; !e && i < xv_len(svifs); i++)
			e = obj_create(t, CLS_VIF, device_copy(svif[i], vm), NULL);
		/* Configuration fields: stored, settable by the record, not kept. */
		const api_class *c = &api_classes[CLS_VM];
		for (size_t i = 0; !e && i < srec->u.st.n; i++) {
			const char *f = srec->u.st.m[i].key;
			int fi = obj_fld(CLS_VM, f);
			if (kept(f) || c->fields[fi].rel_class >= 0 || c->fields[fi].internal_only)
				continue;
			e = obj_set(t, CLS_VM, vm, f, xv_dup(srec->u.st.m[i].val));
		}
		if (!e)
			e = obj_set(t, CLS_VM, vm, "parent", xv_str(snap));
		if (e)
			store_rollback(t);
		else
			e = db_commit(t);
	}
	if (e) {
		for (size_t i = 0; i < ns; i++)
			if (clone[i]) {
				xv *a[1] = { xv_str(clone[i]) };
				xerr_free(vdi_destroy_call(ctx, a));
				xv_free(a[0]);
			}
	} else {
		/* Best effort: a disk that cannot go now stays, detached. */
		for (size_t i = 0; i < nold; i++) {
			xv *a[1] = { xv_str(old[i]) };
			xerr_free(vdi_destroy_call(ctx, a));
			xv_free(a[0]);
		}
	}
	for (size_t i = 0; i < ns; i++)
		free(clone[i]);
	free(clone);
	for (size_t i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	free_recs(svbds, svbd);
	free_recs(svifs, svif);
	free_recs(vvbds, vvbd);
	free_recs(vvifs, vvif);
	xv_free(srec);
	xv_free(vrec);
	free(vm);
	return e;
}
