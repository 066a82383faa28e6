/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest ABI: hypercall numbers, shared_info/vcpu_info and the small
 * sub-operations (console, version, sched, vcpu).  Numbers and layouts follow
 * Xen's public interface on Arm so that Xen-aware guests find what they
 * expect; the definitions themselves are written for Halyard.
 *
 * On Arm64 a hypercall is `HVC #0xEA1`, the number in x16, arguments in
 * x0..x4 and the result in x0.  Guest pointers are guest virtual addresses.
 */
#ifndef HV_PUBLIC_XEN_H
#define HV_PUBLIC_XEN_H

#include <stdint.h>

#define HV_HYPERCALL_IMM 0xEA1

#define __HYPERVISOR_memory_op        12
#define __HYPERVISOR_set_timer_op     15
#define __HYPERVISOR_xen_version      17
#define __HYPERVISOR_console_io       18
#define __HYPERVISOR_grant_table_op   20
#define __HYPERVISOR_vcpu_op          24
#define __HYPERVISOR_sched_op         29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_domctl           36
#define HV_NR_HYPERCALLS              64

typedef uint16_t domid_t;
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF           0x7FF0U
#define DOMID_INVALID        0x7FF4U

/* console_io */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* xen_version */
#define XENVER_version      0
#define XENVER_extraversion 1
#define XENVER_capabilities 3
#define XENVER_get_features 6
#define XENVER_pagesize     7
#define HV_VERSION_MAJOR 4
#define HV_VERSION_MINOR 17
typedef char xen_extraversion_t[16];
typedef char xen_capabilities_info_t[1024];
/* XENVER_get_features submap 0 bits this hypervisor reports. */
#define XENFEAT_writable_page_tables       0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap    2
#define XENFEAT_not_direct_mapped          17
struct xen_feature_info {
    uint32_t submap_idx;
    uint32_t submap;
};

/* sched_op */
#define SCHEDOP_yield    0
#define SCHEDOP_block    1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll     3
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot   1
#define SHUTDOWN_suspend  2
#define SHUTDOWN_crash    3
#define SHUTDOWN_watchdog 4
struct sched_shutdown {
    uint32_t reason;
};
struct sched_poll {
    uint64_t ports;     /* guest pointer to evtchn_port_t[nr_ports] */
    uint32_t nr_ports;
    uint32_t pad;
    uint64_t timeout;   /* absolute system time in ns, 0 = none */
};

/* vcpu_op */
#define VCPUOP_initialise         0   /* x86: struct vcpu_hvm_context (arch-x86.h) */
#define VCPUOP_up                 1
#define VCPUOP_down               2
#define VCPUOP_is_up              3
#define VCPUOP_get_runstate_info  4
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_register_vcpu_info 10
/* Moves a vCPU's vcpu_info into a guest page: gfn on Arm, offset in it. */
struct vcpu_register_vcpu_info {
    uint64_t mfn;
    uint32_t offset;
    uint32_t rsvd;
};
#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3
struct vcpu_runstate_info {
    int32_t state;
    int32_t pad;
    uint64_t state_entry_time;
    uint64_t time[4];   /* ns spent in each RUNSTATE_* */
};

/* Where a guest wants its runstate written (a guest virtual address). */
struct vcpu_register_runstate_memory_area {
    uint64_t addr;
};

/* VIRQs delivered through event channels. */
#define VIRQ_TIMER   0
#define VIRQ_CONSOLE 2
#define VIRQ_DOM_EXC 3
#define HV_NR_VIRQS  24

typedef uint32_t evtchn_port_t;

/* vcpu_time_info: 32 bytes, as in Xen. */
struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad1[2];
};

/*
 * Per-vCPU event-delivery state: 48 bytes on Arm64; 64 on x86-64, where
 * Xen's arch_vcpu_info (cr2 and a pad word) sits before the time info.
 */
/* The host-side unit tests model the Arm layout whatever the host is. */
#if defined(__x86_64__) && !defined(HV_HOST_TEST)
#define HV_XEN_X86_LAYOUT 1
#else
#define HV_XEN_X86_LAYOUT 0
#endif

struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t pad[6];
    uint64_t evtchn_pending_sel;
#if HV_XEN_X86_LAYOUT
    uint64_t arch_cr2, arch_pad;
#endif
    struct vcpu_time_info time;
};

/*
 * Legacy vcpu_info slots in shared_info: Arm keeps one, x86 32 (so the
 * event bitmaps start at 2048 there, as guests built for Xen expect).
 */
#if HV_XEN_X86_LAYOUT
#define XEN_LEGACY_MAX_VCPUS 32
#else
#define XEN_LEGACY_MAX_VCPUS 1
#endif
#define HV_EVTCHN_WORDS 64   /* 64 x 64 bits = 4096 ports, the 2-level ABI */

struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    uint64_t evtchn_pending[HV_EVTCHN_WORDS];
    uint64_t evtchn_mask[HV_EVTCHN_WORDS];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi;
};

#define XEN_PAGE_SHIFT 12
#define XEN_PAGE_SIZE  4096UL

/* Error numbers returned (negated) in x0; the Linux/Xen values. */
#define XEN_EPERM   1
#define XEN_ENOENT  2
#define XEN_ESRCH   3
#define XEN_ENOMEM  12
#define XEN_EACCES  13
#define XEN_EFAULT  14
#define XEN_EBUSY   16
#define XEN_EEXIST  17
#define XEN_EINVAL  22
#define XEN_ENOSPC  28
#define XEN_ENOSYS  38

#endif
