/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-memory round-robin databases, as xcp-rrdd keeps them (rrd.c).
 *
 * One rrd per owner (the host, each VM): a 5 s step, named data sources
 * (added when they first appear, so a disk or NIC plugged later gets its
 * own from then on), and archives: AVERAGE of 1 PDP × 120 rows (10 min),
 * then AVERAGE/MIN/MAX of 12 PDPs × 120 (2 h), 720 × 168 (1 week) and
 * 17280 × 366 (1 year), xff 0.5. A sample is a rate (or gauge value) per
 * data source; the sampler feeds one per step. CDPs are aligned to
 * multiples of their own length, so archives of different owners line up.
 *
 * Exports: XAPI's rrd XML (/vm_rrd, /host_rrd: <rrd><version>0003 …) and
 * the xport of rrd_updates (<xport><meta>…</meta><data><row><t/><v/>…),
 * or its JSON form. Numbers are printed as xcp-rrd does ("%0.4f", "0.0",
 * "NaN", "Infinity"). Not thread-safe: the caller locks.
 */
#ifndef HALYARD_RRD_H
#define HALYARD_RRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RRD_STEP 5

typedef enum { RRD_AVERAGE, RRD_MIN, RRD_MAX } rrd_cf;

typedef struct rrd rrd;

rrd *rrd_new(void);
void rrd_free(rrd *r);

/* Records the sample taken at wall time t (seconds): values[i] for the
 * data source names[i] (NaN = unknown), in [min, max] of their
 * definition (out of range → unknown). Samples for a step already
 * recorded are ignored. gauge[i] false marks a rate (documentation only:
 * the sampler computes rates). */
typedef struct rrd_sample {
	const char *name;
	double value;
	double min, max;
} rrd_sample;
void rrd_update(rrd *r, int64_t t, const rrd_sample *s, size_t n);

/* The data sources, in the order they appeared. */
size_t rrd_ds_count(const rrd *r);
/* Name, range and last value of data source i (< rrd_ds_count). */
const char *rrd_ds_info(const rrd *r, size_t i, double *min, double *max, double *last);

/* The last value recorded for a data source (NaN when unknown). */
double rrd_last(const rrd *r, const char *name);
int64_t rrd_last_updated(const rrd *r);

/* A growing string (heap). */
typedef struct rrd_buf {
	char *s;
	size_t len, cap;
} rrd_buf;
void rrd_buf_printf(rrd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The whole rrd as XAPI's rrd XML or JSON. */
void rrd_dump_xml(const rrd *r, rrd_buf *out);
void rrd_dump_json(const rrd *r, rrd_buf *out);

/* The whole state (data sources, archives, CDPs being built) in a
 * compact binary form, and back: rrd_load checks every size, index and
 * count and returns NULL for anything rrd_save could not have written.
 * Lets RRDs outlive a VM's run and xapid restarts (rrd_store.c). */
void rrd_save(const rrd *r, rrd_buf *out);
rrd *rrd_load(const void *data, size_t len);

/* rrd_updates over several rrds: prefixes[i] ("host:<uuid>:",
 * "vm:<uuid>:") names rrds[i]. start < 0 counts back from the newest
 * update; cf < 0 means every CF; interval in seconds (0: the finest).
 * Returns false when no archive fits (nothing written). */
bool rrd_xport(const rrd *const *rrds, const char *const *prefixes, size_t n, int64_t start,
	       int64_t interval, int cf, bool json, rrd_buf *out);

#endif
