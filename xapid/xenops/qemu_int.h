/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the qemu backend: what qemu.c (process, QMP, power) shares with
 * qemu_live.c (live vCPU and memory changes), qemu_stats.c and qemu_disk.c.
 */
#ifndef HALYARD_XENOPS_QEMU_INT_H
#define HALYARD_XENOPS_QEMU_INT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "xenops.h"

/* qemu.c: one QMP command on a fresh connection to the domain's monitor;
 * args may be NULL; *ret (may be NULL) receives the return value. */
xerr *qmp_once(xo_domain *d, const char *cmd, json_object *args, json_object **ret);
/* The same, for the backend's other files (qemu_stats.c, qemu_disk.c). */
xerr *xo_qemu_qmp(xo_domain *d, const char *cmd, json_object *args, json_object **ret);
/* Keeps one command connection open for the xo_qemu_qmp calls that
 * follow (several queries in a row), until xo_qemu_qmp_release; the
 * caller holds the domain's lock. */
void xo_qemu_qmp_hold(xo_domain *d);
void xo_qemu_qmp_release(xo_domain *d);
/* One QMP command on the domain of VM vm_uuid (under its lock); takes
 * args; *ret (may be NULL) receives the return value. */
xerr *xo_vm_qmp(const char *vm_uuid, const char *cmd, json_object *args, json_object **ret);
/* The process id of VM vm_uuid's QEMU (-1 when none). */
pid_t xo_vm_pid(const char *vm_uuid);
/* A device number ("0", "3" …) in [0, limit), or -1. */
int xo_devnum(const char *s, int limit);
/* QEMU's option syntax doubles commas in values (heap). */
char *xo_opt_escape(const char *s);

/* qemu.c: the QEMU executable as an absolute path (heap; $HALYARD_QEMU or
 * qemu-system-x86_64 on PATH), NULL when there is none. */
char *qemu_binary(void);

/* qemu_user.c: the user QEMU drops to with -runas, or NULL for none
 * (root); decided once per xapid run. */
const char *xo_qemu_runas(void);

/* qemu.c: one command on the domain's command connection with fd passed
 * by SCM_RIGHTS (fd >= 0); the fd stays the caller's. Commands that name
 * a passed fd later (getfd + netdev_add) need one connection: call them
 * between xo_qemu_qmp_hold and _release and check xo_qemu_qmp_held. */
xerr *xo_qemu_qmp_fd(xo_domain *d, const char *cmd, json_object *args, int fd, json_object **ret);
bool xo_qemu_qmp_held(const xo_domain *d);

/* qemu_live.c: the backend's live operations (see xo_backend). */
xerr *qemu_set_vcpus(xo_domain *d, int64_t n);
xerr *qemu_set_memory_target(xo_domain *d, int64_t bytes);
xerr *qemu_live_state(xo_domain *d, int64_t *vcpus, int64_t *memory_actual);

#endif
