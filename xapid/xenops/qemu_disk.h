/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The disks of a QEMU domain (qemu_disk.c): command-line -blockdev/-device
 * arguments at start, hotplug and unplug (QMP blockdev-add, device_add,
 * device_del, blockdev-del), CD insert/eject (blockdev-open-tray,
 * -insert-medium, -remove-medium) and the live storage hooks the sm
 * drivers use (blockdev-snapshot, block-stream, block_resize).
 *
 * Names: a VBD with userdevice N is the QEMU device "vbdN"; the nodes
 * xapid adds for it are named "vbdN-…"; a virtio disk sits on its own
 * PCIe root port "hxrpN" (N < XO_DISK_PORTS) so it can be unplugged.
 */
#ifndef HALYARD_XENOPS_QEMU_DISK_H
#define HALYARD_XENOPS_QEMU_DISK_H

#include <json-c/json.h>
#include <stdbool.h>

#include "sm.h"
#include "xenops.h"

#define XO_DISK_PORTS 8

typedef struct xo_disk {
	char *userdevice;     /* "0" … */
	bool cdrom;           /* an IDE/AHCI CD drive (removable media) */
	bool empty;           /* a CD drive without media */
	bool read_only;
	bool bootable;
	sm_open open;         /* how to open the image (when !empty) */
	char *overlay;        /* on_boot=reset: a throw-away qcow2 over it, or NULL */
} xo_disk;

void xo_disk_clear(xo_disk *d);

/* Adds the disk arguments of s to an argv through add (takes the string). */
void xo_qemu_disk_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a);

/* qemu.c: one QMP command on d (fresh connection). */
xerr *xo_qemu_qmp(xo_domain *d, const char *cmd, json_object *args, json_object **ret);

/* Live operations on the running VM vm_uuid. */
xerr *xo_disk_hotplug(const char *vm_uuid, const xo_disk *d);
xerr *xo_disk_unplug(const char *vm_uuid, const char *userdevice);
xerr *xo_disk_insert(const char *vm_uuid, const char *userdevice, const sm_open *o);
xerr *xo_disk_eject(const char *vm_uuid, const char *userdevice);

/* The sm_live hooks for the disk userdevice of VM vm_uuid (true when the
 * VM has a domain). Released with sm_live_release. */
bool vbd_live_hooks(const char *vm_uuid, const char *userdevice, sm_live *out);

#endif
