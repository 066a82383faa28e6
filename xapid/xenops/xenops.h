/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xenops: the VM lifecycle engine of xapid and the backends it drives.
 *
 * A backend turns a VM spec into a running domain and acts on it (pause,
 * reset, ACPI power button, suspend to a file, destroy). The engine
 * (engine.c) keeps one domain per running VM, watches them (monitor
 * thread), re-attaches to them when xapid restarts and tells the API
 * layer (ops/vm.c) what the guests did. Backends: qemu (qemu.c). Every
 * function returns NULL or an xerr (XenAPI error) and never exits.
 */
#ifndef HALYARD_XENOPS_H
#define HALYARD_XENOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "value.h"

struct xapid;

/* What a backend needs to build a domain (strings owned by the caller). */
typedef struct xo_spec {
	const char *uuid;
	const char *name;
	const char *dir;          /* <state>/vms/<uuid>: pid, sockets, logs */
	const char *domain_type;  /* "pvh" or "hvm" */
	int64_t memory_bytes;
	int64_t vcpus;            /* VCPUs_at_startup */
	int64_t vcpus_max;        /* VCPUs_max: hot-plug slots (>= vcpus) */
	int64_t memory_target;    /* balloon target (dynamic_max); 0: none */
	const char *kernel, *ramdisk, *cmdline; /* pvh direct kernel boot */
	const char *boot_order;   /* hvm: HVM_boot_params order ("dc"…) */
	const char *firmware;     /* hvm: HVM_boot_params firmware (bios|uefi) */
	bool paused;              /* leave the vCPUs stopped */
	const char *incoming;     /* a suspend image to resume from, or NULL */
	const struct xo_disk *disks; /* the VM's VBDs (qemu_disk.h), ndisks of them */
	size_t ndisks;
	const struct xo_nic *nics; /* the VM's plugged VIFs (qemu_nic.h), nnics of them */
	size_t nnics;
} xo_spec;

/* What the guest is doing, as the backend sees it. */
typedef enum {
	XO_GONE,      /* no process (exited, killed) */
	XO_RUNNING,
	XO_PAUSED,
	XO_SHUTDOWN,  /* the guest powered off (process still there) */
	XO_REBOOTED,  /* the guest asked for a reboot (stopped, waiting) */
	XO_CRASHED,   /* guest panic or emulator internal error */
	XO_UNKNOWN,   /* the process lives but does not answer */
} xo_state;

typedef struct xo_domain xo_domain;

/* Counters of a running domain (backend stats, read by sampler.c). */
#define XO_MAX_VCPUS 64
#define XO_MAX_DEVS 16
typedef struct xo_dev_stats {
	char name[32];   /* disk: the device ("xvda"…); nic: the VIF number */
	uint64_t a, b;   /* disk: bytes read, written; nic: bytes the guest
			    received, sent */
} xo_dev_stats;
typedef struct xo_stats {
	size_t nvcpus;
	double vcpu_secs[XO_MAX_VCPUS]; /* CPU time each vCPU has used */
	int64_t memory_bytes;            /* the guest's RAM */
	size_t ndisks, nnics;
	xo_dev_stats disks[XO_MAX_DEVS];
	xo_dev_stats nics[XO_MAX_DEVS];
} xo_stats;

/* The backend interface. */
typedef struct xo_backend {
	const char *name;
	/* Builds and starts a domain; *out owned by the caller. */
	xerr *(*create)(const xo_spec *spec, xo_domain **out);
	/* Re-attaches to a domain left running in dir (after a restart):
	 * NULL with *out = NULL when nothing lives there. */
	xerr *(*attach)(const char *dir, xo_domain **out);
	xo_state (*state)(xo_domain *d);
	/* Optional, for the monitor's frequent passes: the state when
	 * something may have changed it since the last look (an event, the
	 * process gone, a while without a full look), else XO_UNKNOWN ("as
	 * before") without asking the domain. NULL: state every time. */
	xo_state (*watch)(xo_domain *d);
	xerr *(*pause)(xo_domain *d);
	xerr *(*unpause)(xo_domain *d);
	xerr *(*reset)(xo_domain *d);
	xerr *(*powerdown)(xo_domain *d);
	/* Saves the guest to path (paused first); the domain is then gone. */
	xerr *(*suspend)(xo_domain *d, const char *path);
	/* Stops the domain for good (kill, reap, remove runtime files). */
	void (*destroy)(xo_domain *d);
	/* Frees the handle only (the domain keeps running). */
	void (*release)(xo_domain *d);
	pid_t (*pid)(xo_domain *d);
	/* Reaps the process if it is ours and exited; true when it is gone. */
	bool (*reap)(xo_domain *d);
	/* Reads the domain's counters. */
	xerr *(*stats)(xo_domain *d, xo_stats *out);
	/* Live changes (qemu_live.c): the number of vCPUs (hot-plug up to
	 * the spec's vcpus_max; unplug asks the guest), the balloon target
	 * in bytes, and what the domain has now (vCPUs, memory in bytes;
	 * -1 when unknown). */
	xerr *(*set_vcpus)(xo_domain *d, int64_t n);
	xerr *(*set_memory_target)(xo_domain *d, int64_t bytes);
	xerr *(*live_state)(xo_domain *d, int64_t *vcpus, int64_t *memory_actual);
} xo_backend;

extern const xo_backend xo_qemu_backend;

/* accel.c: the accelerator QEMU uses now ("kvm" or "tcg"). */
const char *xo_qemu_accel(void);
/* accel.c: decides the accelerator (HALYARD_ACCEL, a probe cached per
 * machine boot, or a probe in the background: TCG until it says KVM
 * works) and records it in host.other_config/capabilities when it
 * changes. accel_shutdown stops a probe still running. */
void accel_init(struct xapid *app);
void accel_shutdown(void);

/* ---- the engine (engine.c) ------------------------------------------- */

/* Starts the engine: re-attaches to domains left running, reconciles the
 * VM records, starts the monitor thread. */
void xenops_init(struct xapid *app);
/* Stops the monitor; running domains are left running. */
void xenops_shutdown(struct xapid *app);

/* <state>/vms/<uuid> (heap). */
char *xenops_vm_dir(struct xapid *app, const char *uuid);

/* Registers a started domain for VM uuid (takes d). */
void xenops_add(const char *uuid, xo_domain *d);
/* Runs fn on the domain of VM uuid under its lock; NOT_RUNNING style
 * error when there is none. */
xerr *xenops_with(const char *uuid, xerr *(*fn)(xo_domain *d, void *arg), void *arg);
/* Removes the VM's domain from the table and destroys it (if any). */
void xenops_destroy(const char *uuid);
/* Removes the VM's domain from the table without touching it (after a
 * successful suspend); frees the handle. */
void xenops_forget(const char *uuid);
/* The state of the VM's domain (XO_GONE when none). */
xo_state xenops_state(const char *uuid);
/* The same for a watcher that looks often: XO_UNKNOWN when the backend
 * saw nothing that could have changed it (xo_backend.watch). */
xo_state xenops_watch(const char *uuid);
/* Waits up to timeout_ms for the VM's domain to reach XO_SHUTDOWN,
 * XO_REBOOTED or XO_GONE; true when it did. */
bool xenops_wait_off(const char *uuid, int64_t timeout_ms);

/* The counters of VM uuid's domain. */
xerr *xenops_stats(const char *uuid, xo_stats *out);

/* sampler.c: samples host and domains every RRD_STEP seconds into RRDs
 * and VM_metrics / host_metrics; rrd_http.c reads them. */
void sampler_start(struct xapid *app);
void sampler_stop(void);

/* The uuids of the VMs with a domain (heap array of heap strings). */
char **xenops_uuids(size_t *n);

/* The backend in use. */
const xo_backend *xenops_backend(void);

/* ops/vm.c: called by the monitor when a guest powered off, crashed or
 * its process vanished, with no operation in progress on the VM. */
void vm_guest_event(struct xapid *app, const char *uuid, xo_state st);
/* ops/vm.c: applies the restart-time reconciliation of VM records. */
void vm_reconcile(struct xapid *app);

#endif
