/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NICs a VM's QEMU gets from its VIFs (vm_vifs.c), and the switch
 * side that goes with a domain's life: every VIF of a starting VM is
 * plugged (as XAPI does): its tap vif<domid>.<device> is made and put on
 * the network's bridge (tag, QoS, port security: vif_port_up) before
 * QEMU opens it; when the domain goes (any path) the ports and taps go
 * and the VIFs are currently_attached=false. A VIF that cannot be
 * attached fails the start: without a network backend, or when its bridge
 * is not on the switch and cannot be made, BRIDGE_NOT_AVAILABLE [bridge];
 * a missing bridge of the network is made again first.
 */
#ifndef HALYARD_OPS_VM_VIFS_H
#define HALYARD_OPS_VM_VIFS_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

struct xapid;
struct xo_nic;

/* Puts the VIFs of vm on the switch for domain domid (no txn open; takes
 * the network lock) and describes them for QEMU (heap array, *n). On an
 * error nothing stays on the switch. */
xerr *vm_vifs_prepare(struct xapid *app, const char *vm, int64_t domid, struct xo_nic **out,
		      size_t *n);
void vm_vifs_free(struct xo_nic *nics, size_t n);
/* The domain runs: the VIFs given to it are currently_attached. */
void vm_vifs_started(struct xapid *app, const char *vm, const struct xo_nic *nics, size_t n);
/* The domain domid of vm is gone (or never started): its VIF ports and
 * taps go, every VIF of vm is currently_attached=false. */
void vm_vifs_stopped(struct xapid *app, const char *vm, int64_t domid);

#endif
