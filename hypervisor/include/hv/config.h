/* SPDX-License-Identifier: Apache-2.0 */
/* Static sizes.  Every pool is sized here; nothing grows after boot. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#define HV_MAX_PCPUS     8
#define HV_MAX_DOMAINS   16
#define HV_MAX_VCPUS     4      /* per domain */
#define HV_NR_EVTCHN     1024   /* per domain; the 2-level ABI allows 4096 */
#define HV_GNT_FRAMES    4      /* grant-table frames per domain (v1) */
#define HV_GNT_PER_FRAME 512    /* 8-byte v1 entries per 4 KiB frame */
#define HV_MAPTRACK      64     /* grant mappings a domain may hold */
#define HV_MAX_POLL      8      /* ports one SCHEDOP_poll may wait on */
#define HV_DEFAULT_WEIGHT 256
#define HV_TICK_US       10000  /* scheduler tick: 10 ms */
#define HV_PERIOD_US     100000 /* cap accounting period: 100 ms */

#endif
