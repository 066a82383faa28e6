/* SPDX-License-Identifier: Apache-2.0 */
/* grant_table_op, version 1; numbers and layouts as in Xen's ABI on Arm. */
#ifndef HV_PUBLIC_GRANT_TABLE_H
#define HV_PUBLIC_GRANT_TABLE_H

#include "xen.h"

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

struct grant_entry_v1 {
    uint16_t flags;
    domid_t domid;
    uint32_t frame;
};
#define GTF_invalid       0
#define GTF_permit_access 1
#define GTF_type_mask     3
#define GTF_readonly      (1U << 2)
#define GTF_reading       (1U << 3)
#define GTF_writing       (1U << 4)

#define GNTTABOP_map_grant_ref   0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table     2
#define GNTTABOP_copy            5
#define GNTTABOP_query_size      6

#define GNTMAP_host_map (1U << 1)
#define GNTMAP_readonly (1U << 2)

#define GNTST_okay             0
#define GNTST_general_error   (-1)
#define GNTST_bad_domain      (-2)
#define GNTST_bad_gntref      (-3)
#define GNTST_bad_handle      (-4)
#define GNTST_bad_virt_addr   (-5)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page        (-9)
#define GNTST_bad_copy_arg    (-10)

struct gnttab_map_grant_ref {
    uint64_t host_addr;      /* IN: guest-physical address to map at */
    uint32_t flags;          /* IN: GNTMAP_* */
    grant_ref_t ref;         /* IN */
    domid_t dom;             /* IN: granting domain */
    int16_t status;          /* OUT: GNTST_* */
    grant_handle_t handle;   /* OUT */
    uint64_t dev_bus_addr;   /* OUT */
};
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;
    uint64_t dev_bus_addr;
    grant_handle_t handle;
    int16_t status;
    uint16_t pad;
};
struct gnttab_setup_table {
    domid_t dom;
    uint16_t pad;
    uint32_t nr_frames;
    int16_t status;
    uint16_t pad2[3];
    uint64_t frame_list;     /* guest pointer to uint64_t[nr_frames] */
};
#define GNTCOPY_source_gref (1U << 0)
#define GNTCOPY_dest_gref   (1U << 1)
struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        uint64_t gmfn;
    } u;
    domid_t domid;
    uint16_t offset;
    uint32_t pad;
};
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
    uint16_t pad;
};
struct gnttab_query_size {
    domid_t dom;
    uint16_t pad;
    uint32_t nr_frames;
    uint32_t max_nr_frames;
    int16_t status;
    uint16_t pad2;
};

#endif
