/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sm/lvm: the `lvm` SR type (local LVM, thick): a volume group
 * VG_XenStorage-<sr-uuid> on device_config:device, one logical volume
 * LV-<vdi-uuid> per VDI (raw), snapshots and clones as full copies.
 * Needs device-mapper to activate LVs (absent on some machines: the
 * system test skips there). The command runner can be replaced so the
 * driver's logic is unit-tested without LVM.
 */
#ifndef HALYARD_SM_LVM_H
#define HALYARD_SM_LVM_H

#include "sm.h"

/* Runs argv (argv[0] is the LVM tool, e.g. pvcreate or lvs). Returns the
 * exit status or -errno; out and err are heap text (may be NULL). */
typedef int (*sm_lvm_runner)(void *ctx, const char *const *argv, char **out, char **err);

/* Replaces the runner (NULL: the real one). For unit tests. */
void sm_lvm_set_runner(sm_lvm_runner fn, void *ctx);

/* Whether this machine can activate LVs (device-mapper present). */
bool sm_lvm_available(void);

#endif
