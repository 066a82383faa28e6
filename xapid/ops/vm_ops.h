/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VM operations beyond the power state machine of vm.c: XAPI's operation
 * rules (vm_checks.c), memory and vCPU settings (vm_memory.c), boot
 * checks and device lists (vm_info.c), host evacuation (host_evacuate.c).
 */
#ifndef HALYARD_OPS_VM_OPS_H
#define HALYARD_OPS_VM_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "store.h"

struct xapid;

#define OP(name) xerr *name(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
/* vm_destroy.c: the VM record with its devices and metrics (one txn). */
xerr *vm_destroy_record(call_ctx *ctx, const char *vm);
/* vm_checks.c */
OP(op_VM_assert_operation_valid);
OP(op_VM_update_allowed_operations);
/* vm_memory.c */
OP(op_VM_set_memory_dynamic_range);
OP(op_VM_set_memory_dynamic_min);
OP(op_VM_set_memory_dynamic_max);
OP(op_VM_set_memory_static_range);
OP(op_VM_set_memory_static_min);
OP(op_VM_set_memory_static_max);
OP(op_VM_set_memory_limits);
OP(op_VM_set_memory);
OP(op_VM_set_memory_target_live);
OP(op_VM_set_VCPUs_max);
OP(op_VM_set_VCPUs_at_startup);
OP(op_VM_set_VCPUs_number_live);
OP(op_VM_set_ha_always_run);
OP(op_VM_set_ha_restart_priority);
/* vm_info.c */
OP(op_VM_assert_can_boot_here);
OP(op_VM_get_boot_record);
OP(op_VM_get_allowed_VBD_devices);
OP(op_VM_get_allowed_VIF_devices);
/* host_evacuate.c */
OP(op_host_evacuate);
OP(op_host_get_vms_which_prevent_evacuation);
OP(op_host_assert_can_evacuate);
#undef OP

/*
 * vm_checks.c: XAPI's rule for running operation op (a vm_operations
 * name) on VM vm whose record is rec: NULL when allowed, else the error
 * XAPI gives (OPERATION_BLOCKED, VM_BAD_POWER_STATE,
 * OTHER_OPERATION_IN_PROGRESS, VM_IS_TEMPLATE, VM_IS_SNAPSHOT,
 * OPERATION_NOT_ALLOWED …).
 */
xerr *vm_check_operation(const char *vm, const xv *rec, const char *op);
/* vm_checks.c: OPERATION_BLOCKED [vm, reason] when blocked_operations
 * holds op (the first of XAPI's checks), else NULL. */
xerr *vm_check_blocked(const char *vm, const xv *rec, const char *op);
/* vm_checks.c: recomputes VM vm's allowed_operations inside t (a write
 * txn); writes only when the value changes. */
xerr *vm_update_allowed(txn *t, const char *vm);
/* vm_checks.c: recomputes allowed_operations of every VM (xapid start). */
void vm_allowed_reconcile(struct xapid *app);

/*
 * vm_checks.c: an operation bracket for the handlers of these files.
 * vm_op_claim checks op with vm_check_operation and records it in
 * current_operations (one write txn); *rec receives the record as it was
 * (caller frees), *opref the key (caller frees). vm_op_release removes
 * it and recomputes allowed_operations.
 */
xerr *vm_op_claim(call_ctx *ctx, const char *vm, const char *op, xv **rec, char **opref);
void vm_op_release(struct xapid *app, const char *vm, const char *opref);

/* vm.c: the memory (bytes) the host can still give guests (inside t). */
int64_t vm_free_memory(txn *t, struct xapid *app);
/* vm.c: the memory a VM's domain takes on this host (its balloon
 * target, memory_dynamic_max, at most memory_static_max). */
int64_t vm_memory_footprint(const xv *rec);

/* Record helpers (vm_checks.c). */
bool vm_rec_bool(const xv *rec, const char *f);
int64_t vm_rec_int(const xv *rec, const char *f);
const char *vm_rec_str(const xv *rec, const char *f);

#endif
