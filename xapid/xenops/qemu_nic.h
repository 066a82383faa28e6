/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NICs of a QEMU domain (qemu_nic.c): command-line -netdev/-device
 * arguments at start, hotplug and unplug (QMP netdev_add, device_add,
 * device_del, netdev_del).
 *
 * Names: the VIF with device N is the QEMU device "nicN" on the tap
 * backend "vifN" (the host's tap vif<domid>.<N>, made and put on the
 * switch by xapid before QEMU opens it: script=no); a NIC with N <
 * XO_NIC_PORTS sits on its own PCIe root port "hxnpN" so it can be
 * unplugged and plugged again while the guest runs (XenServer documents 7
 * VIFs per VM; devices 8..15 are hot-pluggable here too, higher ones only
 * present from the start).
 */
#ifndef HALYARD_XENOPS_QEMU_NIC_H
#define HALYARD_XENOPS_QEMU_NIC_H

#include <stdint.h>

#include "xenops.h"

#define XO_NIC_PORTS 16

typedef struct xo_nic {
	char *device; /* the VIF's device number ("0" …) */
	char *mac;    /* the guest's MAC */
	char *ifname; /* the host tap, vif<domid>.<device> */
	char *bridge; /* the switch bridge it is a port of (for logs) */
	int64_t mtu;  /* 0: QEMU's default */
} xo_nic;

void xo_nic_clear(xo_nic *n);

/* Adds the NIC arguments of s to an argv through add (takes the string). */
void xo_qemu_nic_argv(const xo_spec *s, void (*add)(void *a, char *s), void *a);

/* Live operations on the running VM vm_uuid. */
xerr *xo_nic_hotplug(const char *vm_uuid, const xo_nic *n);
/* Asks the guest to release the NIC and waits (force: does not wait). */
xerr *xo_nic_unplug(const char *vm_uuid, const char *device, bool force);

#endif
