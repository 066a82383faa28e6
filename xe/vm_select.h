/* SPDX-License-Identifier: Apache-2.0 */
/* XAPI's VM selection for vm-* commands (vm_select.c). */
#ifndef HALYARD_XE_VM_SELECT_H
#define HALYARD_XE_VM_SELECT_H

#include <stdbool.h>

#include "xe.h"

/*
 * The refs (heap XV_ARRAY) of the VMs the command line selects; own
 * (NULL-terminated, may be NULL) names the command's own parameters
 * (not filters); templates: templates may be selected.
 */
xerr *xe_select_vms(xe_ctx *x, const char *const *own, bool templates, xv **refs);

/* Runs op on the selected VM, or on each with --multiple when
 * multiple_ok; XAPI's errors for none / several. Returns the exit code. */
int xe_do_vm_op(xe_ctx *x, const char *const *own, bool templates, bool multiple_ok,
		xerr *(*op)(xe_ctx *x, const char *ref, void *arg), void *arg);

#endif
