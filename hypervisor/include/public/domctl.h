/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control interface (hypercall 36), usable by the control domain only.
 * Command numbers follow Xen's XEN_DOMCTL_* where the operation exists in
 * Xen; the payloads are Halyard's own, smaller than Xen's (whose domctl
 * layouts change with every interface version).  HV_DOMCTL_load_image has
 * no Xen counterpart: Xen's toolstack maps foreign memory instead.
 */
#ifndef HV_PUBLIC_DOMCTL_H
#define HV_PUBLIC_DOMCTL_H

#include "xen.h"

#define HV_DOMCTL_INTERFACE_VERSION 0x48560001U

#define XEN_DOMCTL_createdomain      1
#define XEN_DOMCTL_destroydomain     2
#define XEN_DOMCTL_pausedomain       3
#define XEN_DOMCTL_unpausedomain     4
#define XEN_DOMCTL_getdomaininfo     5
#define XEN_DOMCTL_setvcpuaffinity   9
#define XEN_DOMCTL_max_mem          11
#define XEN_DOMCTL_setvcpucontext   12
#define XEN_DOMCTL_getvcpuinfo      14
#define XEN_DOMCTL_scheduler_op     16
#define HV_DOMCTL_load_image    0x8000

struct hv_domctl_createdomain {
    uint32_t max_vcpus;
    uint32_t weight;         /* 0 = default 256 */
    uint32_t cap;            /* percent of one pCPU, 0 = none */
    uint32_t pad;
};
#define HV_DOMINF_dying    (1U << 0)
#define HV_DOMINF_shutdown (1U << 2)
#define HV_DOMINF_paused   (1U << 3)
#define HV_DOMINF_blocked  (1U << 4)
#define HV_DOMINF_running  (1U << 5)
struct hv_domctl_getdomaininfo {
    uint32_t flags;
    uint32_t shutdown_reason;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t cpu_time;       /* ns, all vCPUs */
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
};
struct hv_domctl_max_mem {
    uint64_t max_memkb;
};
struct hv_domctl_vcpucontext {
    uint32_t vcpu;
    uint32_t pad;
    uint64_t pc;
    uint64_t x0;
    uint64_t sp_el1;
};
struct hv_domctl_vcpuaffinity {
    uint32_t vcpu;
    uint32_t pad;
    uint64_t cpumap;         /* bit n = pCPU n */
};
struct hv_domctl_getvcpuinfo {
    uint32_t vcpu;           /* IN */
    uint8_t online, blocked, running, pad;
    uint64_t cpu_time;       /* ns */
    uint32_t cpu;            /* pCPU it last ran on */
    uint32_t pad2;
};
#define HV_SCHEDOP_putinfo 0
#define HV_SCHEDOP_getinfo 1
struct hv_domctl_scheduler_op {
    uint32_t cmd;
    uint32_t weight;
    uint32_t cap;
    uint32_t pad;
};
struct hv_domctl_load_image {
    uint64_t src;            /* caller's guest pointer */
    uint64_t size;
    uint64_t dest_gpa;       /* guest-physical address in the target */
};

struct hv_domctl {
    uint32_t cmd;
    uint32_t interface_version;
    domid_t domain;          /* IN/OUT (createdomain writes the new id) */
    uint16_t pad[3];
    union {
        struct hv_domctl_createdomain createdomain;
        struct hv_domctl_getdomaininfo getdomaininfo;
        struct hv_domctl_max_mem max_mem;
        struct hv_domctl_vcpucontext vcpucontext;
        struct hv_domctl_vcpuaffinity vcpuaffinity;
        struct hv_domctl_getvcpuinfo getvcpuinfo;
        struct hv_domctl_scheduler_op scheduler_op;
        struct hv_domctl_load_image load_image;
        uint8_t raw[128];
    } u;
};

#endif
