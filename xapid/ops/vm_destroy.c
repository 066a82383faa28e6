/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM.destroy's record part, as XAPI does it: the VM goes with its devices
 * (VBDs, VIFs, VGPUs, VUSBs, VTPMs, crash dumps, consoles) and its metrics
 * records, in one transaction; the VDIs the VBDs pointed at stay (xe
 * vm-uninstall destroys those first). The caller checked the power state.
 */
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "meta.h"
#include "ops.h"
#include "util.h"
#include "vm_ops.h"
#include "xapid.h"

/* Destroys the rows of cls whose field "VM" is vm (inside t). */
static xerr *drop_children(txn *t, int cls, const char *vm)
{
	if (!api_classes[cls].sql_create)
		return NULL; /* a class Halyard does not store: no rows */
	xv *refs = NULL;
	xv *key = xv_str(vm);
	xerr *e = store_find(t, cls, obj_fld(cls, "VM"), key, &refs);
	xv_free(key);
	for (size_t i = 0; !e && i < xv_len(refs); i++) {
		const char *ref = xv_s(xv_array_get(refs, i));
		/* Devices' own metrics records go with them. */
		if (cls == CLS_VBD || cls == CLS_VIF) {
			char *mref = obj_get_str(t, cls, ref, "metrics");
			int mcls = cls == CLS_VBD ? CLS_VBD_metrics : CLS_VIF_metrics;
			if (mref && store_exists(t, mcls, mref))
				e = store_destroy(t, mcls, mref);
			free(mref);
		}
		if (!e)
			e = store_destroy(t, cls, ref);
	}
	xv_free(refs);
	return e;
}

xerr *vm_destroy_record(call_ctx *ctx, const char *vm)
{
	static const int children[] = { CLS_VBD, CLS_VIF, CLS_VGPU, CLS_VUSB, CLS_VTPM,
					CLS_crashdump, CLS_console };
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = check_ref(t, CLS_VM, vm)))
		goto fail;
	for (size_t i = 0; !e && i < sizeof(children) / sizeof(children[0]); i++)
		e = drop_children(t, children[i], vm);
	const char *metrics[] = { "metrics", "guest_metrics" };
	const int mcls[] = { CLS_VM_metrics, CLS_VM_guest_metrics };
	for (int i = 0; !e && i < 2; i++) {
		char *mref = obj_get_str(t, CLS_VM, vm, metrics[i]);
		if (mref && store_exists(t, mcls[i], mref))
			e = store_destroy(t, mcls[i], mref);
		free(mref);
	}
	if (!e)
		e = store_destroy(t, CLS_VM, vm);
	if (e)
		goto fail;
	return db_commit(t);
fail:
	store_rollback(t);
	return e;
}
