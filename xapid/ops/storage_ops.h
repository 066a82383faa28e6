/* SPDX-License-Identifier: Apache-2.0 */
/* The storage handlers (sr.c, pbd.c, vdi.c, vbd.c): their prototypes. */
#ifndef HALYARD_OPS_STORAGE_OPS_H
#define HALYARD_OPS_STORAGE_OPS_H

#include "dispatch.h"

#define SOP(name) xerr *name(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
SOP(op_SR_create);
SOP(op_SR_introduce);
SOP(op_SR_forget);
SOP(op_SR_destroy);
SOP(op_SR_scan);
SOP(op_SR_update);
SOP(op_SR_probe);
SOP(op_SR_probe_ext);
SOP(op_SR_get_supported_types);
SOP(op_SR_set_shared);
SOP(op_SR_set_name_label);
SOP(op_SR_set_name_description);
SOP(op_PBD_plug);
SOP(op_PBD_unplug);
SOP(op_VDI_create);
SOP(op_VDI_destroy);
SOP(op_VDI_snapshot);
SOP(op_VDI_clone);
SOP(op_VDI_resize);
SOP(op_VDI_resize_online);
SOP(op_VDI_copy);
SOP(op_VDI_forget);
SOP(op_VDI_introduce);
SOP(op_VDI_db_introduce);
SOP(op_VDI_update);
SOP(op_VDI_set_on_boot);
SOP(op_VDI_set_allow_caching);
SOP(op_VDI_data_destroy);
SOP(op_VBD_create);
SOP(op_VBD_destroy);
SOP(op_VBD_plug);
SOP(op_VBD_unplug);
SOP(op_VBD_unplug_force);
SOP(op_VBD_insert);
SOP(op_VBD_eject);
SOP(op_VBD_assert_attachable);
SOP(op_VM_provision);
SOP(op_VM_clone);
SOP(op_VM_snapshot);
SOP(op_VM_copy);
SOP(op_VM_revert);
#undef SOP

#endif
