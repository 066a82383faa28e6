/* SPDX-License-Identifier: Apache-2.0 */
/* The qemu backend's counters (qemu_stats.c), over its QMP helper. */
#ifndef HALYARD_QEMU_STATS_H
#define HALYARD_QEMU_STATS_H

#include <json-c/json.h>

#include "xenops.h"

/* qemu_stats.c */
xerr *xo_qemu_stats(xo_domain *d, xo_stats *out);

#endif
