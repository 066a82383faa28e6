/* SPDX-License-Identifier: Apache-2.0 */
/* memory_op: the subset a guest (or the control domain) needs. */
#ifndef HV_PUBLIC_MEMORY_H
#define HV_PUBLIC_MEMORY_H

#include "xen.h"

#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
#define XENMEM_populate_physmap    6
#define XENMEM_add_to_physmap      7
#define XENMEM_memory_map          9
#define XENMEM_remove_from_physmap 15

/* populate_physmap: extent_start lists guest frame numbers to back. */
struct xen_memory_reservation {
    uint64_t extent_start;   /* guest pointer to uint64_t[nr_extents] */
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    domid_t domid;
    uint16_t pad[3];
};

#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
struct xen_add_to_physmap {
    domid_t domid;
    uint16_t size;
    uint32_t space;
    uint64_t idx;
    uint64_t gpfn;
};
struct xen_remove_from_physmap {
    domid_t domid;
    uint16_t pad[3];
    uint64_t gpfn;
};

/* memory_map: one RAM range per entry, e820-like as Xen returns it. */
struct hv_memory_range {
    uint64_t addr;
    uint64_t size;
    uint32_t type;           /* 1 = RAM */
    uint32_t pad;
};
struct xen_memory_map {
    uint32_t nr_entries;     /* IN: room in buffer; OUT: entries written */
    uint32_t pad;
    uint64_t buffer;         /* guest pointer to struct hv_memory_range[] */
};

#endif
