/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RRDs saved in a directory (rrd_store.c), so that a VM's history
 * outlives its run (xcp-rrdd archives a stopped VM's RRD and loads it back
 * when the VM starts again) and everything outlives a xapid restart.
 */
#ifndef HALYARD_RRD_STORE_H
#define HALYARD_RRD_STORE_H

#include <stddef.h>

#include "rrd.h"

/* Atomically replaces <dir>/<uuid>.rrd; 0 or -errno. */
int rrd_store_save(const char *dir, const char *uuid, const rrd *r);
/* The same with rrd_save's output already made (e.g. under a lock). */
int rrd_store_write(const char *dir, const char *uuid, const rrd_buf *saved);
/* The saved RRD of uuid, or NULL (none, or unusable: set aside). */
rrd *rrd_store_load(const char *dir, const char *uuid);
void rrd_store_remove(const char *dir, const char *uuid);
/* The uuids with a saved RRD (heap array of heap strings); the count. */
size_t rrd_store_list(const char *dir, char ***uuids);

#endif
