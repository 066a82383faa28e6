/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a bond takes over from its members and gives back, as XAPI's
 * Bond.create and Bond.destroy move it: the VLANs and tunnels whose
 * tagged / transport PIF is a member move onto the bond's master at
 * Bond.create; the master's move to the primary member at Bond.destroy.
 *
 * A moved VLAN keeps its records: VLAN.tagged_PIF becomes the new parent
 * and its untagged PIF takes the parent's device. On the switch the VLAN
 * network's fake bridge and the network's VIF ports (with the tag) move
 * to the new parent's bridge (network_realise and the VIF re-plug follow
 * the records). When the new parent already carries a VLAN with that tag
 * (two members with the same tag), the moved VLAN's VIFs go to that
 * VLAN's network, the moved VLAN and its untagged PIF go, and its network
 * gets its own bridge back (XAPI does the same).
 *
 * A moved tunnel keeps its records with transport_PIF set to the new
 * parent (XAPI makes a new tunnel and access PIF instead). The switch
 * carries a tunnel by addresses, and the IP configuration moves with the
 * bond, so its ports stay as they are.
 *
 * The record changes happen in the caller's write transaction and the
 * switch follows at once; bond_reapply makes the switch match the
 * committed records again when the caller's transaction did not commit.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "bond_move.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"

/* The VLAN with tag whose tagged PIF is parent (heap), or NULL. */
static char *vlan_with_tag(txn *t, const char *parent, int64_t tag)
{
	size_t n = 0;
	char **vl = net_find(t, CLS_VLAN, "tagged_PIF", parent, &n);
	char *found = NULL;
	for (size_t i = 0; i < n && !found; i++) {
		xv *tv = obj_get(t, CLS_VLAN, vl[i], "tag");
		if (tv && tv->kind == XV_INT && tv->u.i == tag)
			found = hx_strdup(vl[i]);
		xv_free(tv);
	}
	net_free_refs(vl, n);
	return found;
}

/* The network of VLAN vlan's untagged PIF (heap; "" when none). */
static char *vlan_network(txn *t, const char *vlan)
{
	char *u = obj_get_str(t, CLS_VLAN, vlan, "untagged_PIF");
	char *net = store_exists(t, CLS_PIF, u) ? obj_get_str(t, CLS_PIF, u, "network") : NULL;
	free(u);
	if (net && !store_exists(t, CLS_network, net)) {
		free(net);
		net = NULL;
	}
	return net ? net : hx_strdup("");
}

/* The VIFs of network from go to network to; attached ones are re-plugged. */
static xerr *move_vifs(txn *t, const char *from, const char *to)
{
	size_t n = 0;
	char **vifs = net_find(t, CLS_VIF, "network", from, &n);
	xerr *e = NULL;
	for (size_t i = 0; i < n && !e; i++)
		e = obj_set(t, CLS_VIF, vifs[i], "network", xv_str(to));
	net_free_refs(vifs, n);
	if (!e && n)
		net_replug_vifs(t, to);
	return e;
}

/* VLAN vlan moves onto PIF to (device to_dev). */
static xerr *move_vlan(txn *t, const char *vlan, const char *to, const char *to_dev)
{
	xerr *e = NULL;
	xv *tv = obj_get(t, CLS_VLAN, vlan, "tag");
	int64_t tag = tv && tv->kind == XV_INT ? tv->u.i : -1;
	xv_free(tv);
	char *u = obj_get_str(t, CLS_VLAN, vlan, "untagged_PIF");
	char *net = vlan_network(t, vlan);
	char *same = vlan_with_tag(t, to, tag);
	if (same) {
		/* to has that tag already: the VIFs join its network. */
		char *snet = vlan_network(t, same);
		char *own = *net ? obj_get_str(t, CLS_network, net, "bridge") : hx_strdup("");
		if (*net && *snet)
			e = move_vifs(t, net, snet);
		if (!e && store_exists(t, CLS_PIF, u))
			e = store_destroy(t, CLS_PIF, u);
		if (!e)
			e = store_destroy(t, CLS_VLAN, vlan);
		netb *b = net_backend();
		if (!e && b && *own) {
			/* The fake bridge goes; the network has a bridge of its own. */
			(void)b->ops->port_del(b, own, NULL);
			e = network_realise(t, net);
		}
		free(snet);
		free(own);
		free(same);
	} else {
		e = obj_set(t, CLS_VLAN, vlan, "tagged_PIF", xv_str(to));
		if (!e && store_exists(t, CLS_PIF, u))
			e = obj_set(t, CLS_PIF, u, "device", xv_str(to_dev));
		/* The fake bridge moves to to's bridge, the VIF ports with it. */
		if (!e && *net && !(e = network_realise(t, net)))
			net_replug_vifs(t, net);
	}
	free(u);
	free(net);
	return e;
}

xerr *bond_move(txn *t, const char *from, const char *to, size_t *vlans)
{
	char *to_dev = obj_get_str(t, CLS_PIF, to, "device");
	size_t n = 0;
	char **vl = net_find(t, CLS_VLAN, "tagged_PIF", from, &n);
	xerr *e = NULL;
	for (size_t i = 0; i < n && !e; i++)
		e = move_vlan(t, vl[i], to, to_dev);
	if (!e && vlans)
		*vlans += n;
	net_free_refs(vl, n);
	free(to_dev);
	char **tl = e ? NULL : net_find(t, CLS_tunnel, "transport_PIF", from, &n);
	for (size_t i = 0; tl && i < n && !e; i++)
		e = obj_set(t, CLS_tunnel, tl[i], "transport_PIF", xv_str(to));
	net_free_refs(tl, n);
	return e;
}

static void log_err(const char *what, const char *ref, xerr *e)
{
	if (!e)
		return;
	fprintf(stderr, "xapid: network: bond re-apply: %s %s: %s\n", what, ref, e->code);
	xerr_free(e);
}

static bool attached(txn *t, const char *pif)
{
	xv *att = obj_get(t, CLS_PIF, pif, "currently_attached");
	bool a = att && att->kind == XV_BOOL && att->u.b;
	xv_free(att);
	return a;
}

void bond_reapply(txn *t, const char *master, const char *bond_dev, char *const *members,
		  size_t n)
{
	netb *b = net_backend();
	if (!b)
		return;
	bool *slave = hx_calloc(n + 1, sizeof(bool));
	for (size_t i = 0; i < n; i++) {
		if (!store_exists(t, CLS_PIF, members[i]))
			continue;
		char *bs = obj_get_str(t, CLS_PIF, members[i], "bond_slave_of");
		slave[i] = *bs && strcmp(bs, HX_NULL_REF) && store_exists(t, CLS_Bond, bs);
		if (slave[i]) {
			/* A bond member is an interface of the bond port only. */
			char *dev = obj_get_str(t, CLS_PIF, members[i], "device");
			if (*dev)
				(void)b->ops->port_del(b, dev, NULL);
			free(dev);
		}
		free(bs);
	}
	bool bonded = master && store_exists(t, CLS_PIF, master);
	if (bonded && attached(t, master))
		log_err("attach master", master, pif_attach(t, master));
	else if (!bonded && bond_dev && *bond_dev)
		(void)b->ops->port_del(b, bond_dev, NULL);
	for (size_t i = 0; i < n; i++)
		if (!slave[i] && store_exists(t, CLS_PIF, members[i]) && attached(t, members[i]))
			log_err("attach member", members[i], pif_attach(t, members[i]));
	/* The VLANs on all of them follow their records. */
	for (size_t i = 0; i <= n; i++) {
		const char *p = i < n ? members[i] : bonded ? master : NULL;
		size_t nv = 0;
		char **vl = p ? net_find(t, CLS_VLAN, "tagged_PIF", p, &nv) : NULL;
		for (size_t j = 0; j < nv; j++) {
			char *net = vlan_network(t, vl[j]);
			if (*net) {
				log_err("realise VLAN network", net, network_realise(t, net));
				net_replug_vifs(t, net);
			}
			free(net);
		}
		net_free_refs(vl, nv);
	}
	free(slave);
}
