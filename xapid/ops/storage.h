/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapid's side of the storage managers (sm/): the SRs attached on this
 * host (PBDs plugged), the records that mirror what drivers report, the
 * garbage-collection thread and the link from a VDI in use to the QEMU that
 * has it open. Used by ops/sr.c, pbd.c, vdi.c, vbd.c, vdi_http.c, vm.c.
 */
#ifndef HALYARD_OPS_STORAGE_H
#define HALYARD_OPS_STORAGE_H

#include <stdbool.h>

#include "dispatch.h"
#include "sm.h"
#include "store.h"

struct xapid;

/* Re-plugs the PBDs of this host that were plugged, creates the SM
 * records and, on first start, the default local SR; starts the GC. */
void storage_init(struct xapid *app);
void storage_shutdown(struct xapid *app);

/* The attached handle of SR sr_ref (a reference: storage_put it).
 * SR_HAS_NO_PBDS / SR_NOT_ATTACHED when it is not plugged here. */
xerr *storage_get(struct xapid *app, const char *sr_ref, sm_sr **out);
void storage_put(sm_sr *sr);

/* Attaches SR sr_ref with device_config (PBD.plug) and registers it. */
xerr *storage_attach(struct xapid *app, const char *sr_ref, const char *sr_uuid,
                     const char *type, const xv *device_config, const xv *sm_config);
/* Detaches it (PBD.unplug): VDI_IN_USE-style error while busy. */
xerr *storage_detach(struct xapid *app, const char *sr_uuid);

/* <state>/sm/<uuid> (heap), created. */
char *storage_local_dir(struct xapid *app, const char *sr_uuid);

/* Reconciles the VDI records of SR sr_ref with a driver scan and
 * refreshes the SR's sizes (SR.scan). */
xerr *storage_scan(struct xapid *app, const char *sr_ref);
/* Refreshes physical_size/physical_utilisation/virtual_allocation. */
xerr *storage_update_sizes(struct xapid *app, const char *sr_ref);

/* Asks the GC thread to look at SR sr_uuid soon. */
void storage_gc_kick(const char *sr_uuid);
/* xapid knows its running VMs again (after xenops_init): interrupted live
 * operations of the attached SRs are recovered (sm_driver.sr_recover) by
 * the GC thread, which starts its passes only now. */
void storage_recover_start(struct xapid *app);

/* The VBD refs (heap array) that hold VDI vdi_ref attached in a running
 * or paused VM; *n their number. Inside t. */
char **storage_vdi_attached_vbds(txn *t, const char *vdi_ref, size_t *n);

/* VDI allowed_operations recomputed (inside t). */
xerr *storage_vdi_update_allowed(txn *t, const char *vdi_ref);
/* SR allowed_operations recomputed (inside t). */
xerr *storage_sr_update_allowed(txn *t, const char *sr_ref);

/* vm.c: the VM's power changed; live=false marks its VBDs detached. */
xerr *storage_vm_power(txn *t, const char *vm_ref, bool live);

/* A VDI record for a driver's answer on SR sr_ref (inside t); *ref_out heap. */
xerr *storage_vdi_record(txn *t, const char *sr_ref, const sm_vdi_info *info,
                         const xv *base_rec, char **ref_out);

/* sr.c: SR.create's work: driver sr_create + attach, SR and PBD records
 * (plugged), first scan. uuid: the new SR's. Nothing is left on failure. */
xerr *storage_sr_create_records(struct xapid *app, const char *host, const xv *device_config,
                                const char *name_label, const char *name_description,
                                const char *type, const char *content_type, bool shared,
                                const xv *sm_config, const char *uuid, char **sr_ref_out);

/* Progress/cancel glue for a task (task_ref may be NULL). */
typedef struct storage_prog {
	struct xapid *app;
	const char *task_ref;
	double lo, hi;
} storage_prog;
sm_progress storage_progress(storage_prog *p);

/* For a VDI location on sr: the VM uuid and VBD userdevice of the running
 * consumer (heap), false when it is not live. */
bool storage_live_consumer(struct xapid *app, const char *sr_uuid, const char *location,
                           char **vm_uuid, char **userdevice);

/* vm_disks.c: the disks of VM vm_ref for its start: each VBD's VDI
 * attached through its driver (heap array, *n entries; vm_disks_free).
 * VDI_IN_USE when a RW disk is in another running VM; SR_NOT_ATTACHED
 * when its SR is not plugged. dir: the VM's runtime directory (on_boot=
 * reset overlays live there). */
struct xo_disk;
xerr *vm_disks_prepare(struct xapid *app, const char *vm_ref, const char *dir,
                       struct xo_disk **out, size_t *n);
void vm_disks_free(struct xo_disk *d, size_t n);
/* Marks the VM's VBDs currently_attached after a successful start. */
xerr *vm_disks_started(struct xapid *app, const char *vm_ref);
/* One VBD's disk (for hotplug / insert); the VBD record rec. */
xerr *vm_disk_of_vbd(struct xapid *app, const xv *vbd_rec, const char *dir, struct xo_disk *d);

/* vdi.c / vbd.c entry points for other handlers (VM.provision …). */
xerr *vdi_create_call(call_ctx *ctx, xv *const *args, xv **result);
xerr *vdi_destroy_call(call_ctx *ctx, xv *const *args);
xerr *vbd_create_call(call_ctx *ctx, xv *const *args, xv **result);

#endif
