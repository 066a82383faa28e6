/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VIFs of a starting and stopping VM (see vm_vifs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "netcore.h"
#include "ops.h"
#include "qemu_nic.h"
#include "util.h"
#include "vm_vifs.h"
#include "xapid.h"

void vm_vifs_free(xo_nic *nics, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xo_nic_clear(&nics[i]);
	free(nics);
}

/* Without a network backend no VIF can be attached: a VM with VIFs does
 * not start (BRIDGE_NOT_AVAILABLE with its first VIF's bridge) rather than
 * run without its NICs. */
static xerr *no_backend(struct xapid *app, const char *vm)
{
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e)
		return e;
	size_t nv = 0;
	char **vifs = net_find(t, CLS_VIF, "VM", vm, &nv);
	if (nv) {
		char *net = obj_get_str(t, CLS_VIF, vifs[0], "network");
		char *br = NULL;
		int tag = 0;
		xerr_free(net_target(t, net, &br, &tag));
		e = xerr_new("BRIDGE_NOT_AVAILABLE", br ? br : "", NULL);
		free(br);
		free(net);
	}
	net_free_refs(vifs, nv);
	store_rollback(t);
	return e;
}

xerr *vm_vifs_prepare(struct xapid *app, const char *vm, int64_t domid, xo_nic **out,
		      size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!net_backend())
		return no_backend(app, vm);
	net_lock();
	txn *t;
	xerr *e = store_begin(app->db, false, &t);
	if (e) {
		net_unlock();
		return e;
	}
	size_t nv = 0;
	char **vifs = net_find(t, CLS_VIF, "VM", vm, &nv);
	xo_nic *nics = hx_calloc(nv + 1, sizeof(xo_nic));
	size_t k = 0;
	for (size_t i = 0; i < nv && !e; i++) {
		xv *rec = NULL;
		if ((e = store_get_record(t, CLS_VIF, vifs[i], &rec)))
			break;
		xo_nic *nic = &nics[k];
		nic->device = hx_strdup(net_rec_str(rec, "device"));
		nic->mac = hx_strdup(net_rec_str(rec, "MAC"));
		nic->ifname = vif_ifname(domid, nic->device);
		nic->mtu = net_rec_int(rec, "MTU");
		int tag = 0;
		/* A bridge missing from the switch is made again (XAPI brings
		 * the network up for the VM's VIFs). */
		if (!(e = net_target(t, net_rec_str(rec, "network"), &nic->bridge, &tag)) &&
		    !(e = network_realise(t, net_rec_str(rec, "network"))) &&
		    !(e = vif_port_up(t, vifs[i], domid)))
			k++;
		else
			vif_port_down(nic->ifname); /* a half-made port */
		xv_free(rec);
	}
	net_free_refs(vifs, nv);
	store_rollback(t);
	if (e) {
		for (size_t i = 0; i < k; i++)
			vif_port_down(nics[i].ifname);
		vm_vifs_free(nics, nv + 1);
		net_unlock();
		return e;
	}
	net_unlock();
	*out = nics;
	*n = k;
	return NULL;
}

/* Sets currently_attached of the VIFs of vm (all, or those in nics). */
static void set_attached(struct xapid *app, const char *vm, const xo_nic *nics, size_t n,
			 bool all, bool val, int64_t down_domid)
{
	txn *t;
	if (store_begin(app->db, true, &t))
		return;
	size_t nv = 0;
	char **vifs = net_find(t, CLS_VIF, "VM", vm, &nv);
	xerr *e = NULL;
	for (size_t i = 0; i < nv && !e; i++) {
		char *dev = obj_get_str(t, CLS_VIF, vifs[i], "device");
		bool mine = all;
		for (size_t j = 0; j < n && !mine; j++)
			mine = !strcmp(nics[j].device, dev);
		if (down_domid > 0) {
			char *ifn = vif_ifname(down_domid, dev);
			vif_port_down(ifn);
			free(ifn);
		}
		free(dev);
		if (mine)
			e = obj_set(t, CLS_VIF, vifs[i], "currently_attached", xv_bool(val));
	}
	net_free_refs(vifs, nv);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
}

void vm_vifs_started(struct xapid *app, const char *vm, const xo_nic *nics, size_t n)
{
	if (!n)
		return;
	net_lock();
	set_attached(app, vm, nics, n, false, true, -1);
	net_unlock();
}

void vm_vifs_stopped(struct xapid *app, const char *vm, int64_t domid)
{
	net_lock();
	set_attached(app, vm, NULL, 0, true, false, net_backend() ? domid : -1);
	net_unlock();
}
