/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metrics sampler (sampler.c): every RRD_STEP seconds it reads the
 * host (/proc/stat, /proc/meminfo, /proc/loadavg, physical NICs) and
 * every running domain (backend stats), records rates into one RRD per
 * owner, and keeps VM_metrics (VCPUs_utilisation, memory_actual, state)
 * and host_metrics (memory_free) live. RRDs are saved under <state>/rrd
 * (rrd_store.c): a VM's when it stops (and /vm_rrd serves it while the VM
 * is halted), all every 5 minutes and when xapid stops.
 *
 * Exports for the HTTP handlers (false: nothing to export, e.g. no such
 * VM or no sample yet). The output buffer is the caller's (free out->s).
 */
#ifndef HALYARD_SAMPLER_H
#define HALYARD_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rrd.h"

bool sampler_vm_rrd(const char *uuid, bool json, rrd_buf *out);
bool sampler_host_rrd(bool json, rrd_buf *out);
/* host: include the host's RRD; vm_uuids (n > 0): only those VMs, else
 * every VM with an RRD; cf < 0: every CF. */
bool sampler_updates(bool host, const char *const *vm_uuids, size_t n, int64_t start,
		     int64_t interval, int cf, bool json, rrd_buf *out);
/* The data sources of VM uuid (NULL: the host): a heap array of *n
 * entries (free each name, then the array); NULL when there is no RRD. */
typedef struct sampler_ds {
	char *name;
	double min, max, last; /* last: the newest 5 s value, NaN if unknown */
} sampler_ds;
sampler_ds *sampler_sources(const char *uuid, size_t *n);
void sampler_sources_free(sampler_ds *v, size_t n);

/* True while VM uuid has an RRD. */
bool sampler_has_vm(const char *uuid);

#endif
