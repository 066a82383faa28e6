/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the qemu backend: what qemu.c (process, QMP, power) shares with
 * qemu_live.c (live vCPU and memory changes), qemu_stats.c and qemu_disk.c.
 */
#ifndef HALYARD_XENOPS_QEMU_INT_H
#define HALYARD_XENOPS_QEMU_INT_H

#include <json-c/json.h>
#include <stdint.h>

#include "xenops.h"

/* qemu.c: one QMP command on a fresh connection to the domain's monitor;
 * args may be NULL; *ret (may be NULL) receives the return value. */
xerr *qmp_once(xo_domain *d, const char *cmd, json_object *args, json_object **ret);
/* The same, for the backend's other files (qemu_stats.c, qemu_disk.c). */
xerr *xo_qemu_qmp(xo_domain *d, const char *cmd, json_object *args, json_object **ret);

/* qemu.c: the QEMU executable as an absolute path (heap; $HALYARD_QEMU or
 * qemu-system-x86_64 on PATH), NULL when there is none. */
char *qemu_binary(void);

/* qemu_live.c: the backend's live operations (see xo_backend). */
xerr *qemu_set_vcpus(xo_domain *d, int64_t n);
xerr *qemu_set_memory_target(xo_domain *d, int64_t bytes);
xerr *qemu_live_state(xo_domain *d, int64_t *vcpus, int64_t *memory_actual);

#endif
