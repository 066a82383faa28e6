/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VLAN.create / VLAN.destroy (and PIF.create_VLAN, its older name).
 *
 * A VLAN is a pair of PIFs: the tagged PIF (a NIC or bond) and a new
 * untagged PIF on the VLAN's network (same device, VLAN = tag). On the
 * switch the network's bridge becomes a fake bridge: an internal port of
 * that name with the tag on the tagged PIF's bridge; the network's VIF
 * ports go onto that bridge with the tag (net_target). Everything is
 * checked first and the switch is changed inside the write transaction,
 * so a refusal leaves both the database and the switch as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "dispatch.h"
#include "net_ops.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

#define TAG_MAX 4094

static xerr *vlan_create(call_ctx *ctx, const char *tagged, int64_t tag, const char *network,
			 xv **result)
{
	if (tag < 0 || tag > TAG_MAX) {
		char s[32];
		snprintf(s, sizeof(s), "%lld", (long long)tag);
		return xerr_new("VLAN_TAG_INVALID", s, NULL);
	}
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		net_unlock();
		return e;
	}
	xv *r = NULL;
	char *vlan = NULL, *untagged = NULL;
	bool touched = false;
	if ((e = check_ref(t, CLS_PIF, tagged)) || (e = check_ref(t, CLS_network, network)) ||
	    (e = store_get_record(t, CLS_PIF, tagged, &r)))
		goto out;
	const char *host = net_rec_str(r, "host");
	const char *bs = net_rec_str(r, "bond_slave_of");
	if (strcmp(host, ctx->app->host_ref)) {
		e = xerr_new("PIF_NOT_ATTACHED_TO_HOST", tagged, ctx->app->host_ref, NULL);
		goto out;
	}
	if (net_rec_int(r, "VLAN") >= 0) {
		e = xerr_new("PIF_IS_VLAN", tagged, NULL);
		goto out;
	}
	if (*bs && strcmp(bs, HX_NULL_REF) && store_exists(t, CLS_Bond, bs)) {
		e = xerr_new("CANNOT_ADD_VLAN_TO_BOND_SLAVE", tagged, NULL);
		goto out;
	}
	size_t n = 0;
	char **on = net_find(t, CLS_PIF, "network", network, &n);
	for (size_t i = 0; i < n && !e; i++) {
		char *h = obj_get_str(t, CLS_PIF, on[i], "host");
		if (!strcmp(h, host))
			e = xerr_new("NETWORK_ALREADY_CONNECTED", network, on[i], NULL);
		free(h);
	}
	net_free_refs(on, n);
	if (e)
		goto out;
	char **same = net_find(t, CLS_PIF, "device", net_rec_str(r, "device"), &n);
	for (size_t i = 0; i < n && !e; i++) {
		char *h = obj_get_str(t, CLS_PIF, same[i], "host");
		xv *v = obj_get(t, CLS_PIF, same[i], "VLAN");
		if (!strcmp(h, host) && v && v->kind == XV_INT && v->u.i == tag) {
			char s[32];
			snprintf(s, sizeof(s), "%lld", (long long)tag);
			e = xerr_new("VLAN_IN_USE", net_rec_str(r, "device"), s, NULL);
		}
		xv_free(v);
		free(h);
	}
	net_free_refs(same, n);
	if (e)
		goto out;
	xv *pr = xv_struct();
	xv_struct_set(pr, "device", xv_str(net_rec_str(r, "device")));
	xv_struct_set(pr, "network", xv_str(network));
	xv_struct_set(pr, "host", xv_str(host));
	xv_struct_set(pr, "MAC", xv_str(net_rec_str(r, "MAC")));
	xv_struct_set(pr, "MTU", xv_int(net_rec_int(r, "MTU")));
	xv_struct_set(pr, "VLAN", xv_int(tag));
	xv_struct_set(pr, "metrics", xv_str(HX_NULL_REF));
	xv_struct_set(pr, "physical", xv_bool(false));
	xv_struct_set(pr, "currently_attached", xv_bool(net_rec_bool(r, "currently_attached")));
	xv_struct_set(pr, "ip_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "ipv6_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "primary_address_type", xv_str("IPv4"));
	xv_struct_set(pr, "managed", xv_bool(true));
	if ((e = obj_create(t, CLS_PIF, pr, &untagged)))
		goto out;
	xv *vr = xv_struct();
	xv_struct_set(vr, "tagged_PIF", xv_str(tagged));
	xv_struct_set(vr, "untagged_PIF", xv_str(untagged));
	xv_struct_set(vr, "tag", xv_int(tag));
	if ((e = obj_create(t, CLS_VLAN, vr, &vlan)) ||
	    (e = obj_set(t, CLS_PIF, untagged, "VLAN_master_of", xv_str(vlan))))
		goto out;
	touched = true;
	if ((e = network_realise(t, network)))
		goto out;
	net_replug_vifs(t, network);
	e = db_commit(t);
	t = NULL;
out:
	t = store_rollback(t);
	if (e && touched && !db_begin(ctx, false, &t)) {
		/* Put the network's own bridge back. */
		netb *b = net_backend();
		char *br = obj_get_str(t, CLS_network, network, "bridge");
		if (b && *br)
			(void)b->ops->port_del(b, br, NULL);
		xerr_free(network_realise(t, network));
		free(br);
		t = store_rollback(t);
	}
	xv_free(r);
	free(untagged);
	if (!e)
		*result = xv_str_own(vlan);
	else
		free(vlan);
	net_unlock();
	return e;
}

xerr *op_VLAN_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return vlan_create(ctx, xv_s(args[0]), args[1]->u.i, xv_s(args[2]), result);
}

/* PIF.create_VLAN(device, network, host, VLAN): the untagged PIF's ref. */
xerr *op_PIF_create_VLAN(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *dev = xv_s(args[0]), *net = xv_s(args[1]), *host = xv_s(args[2]);
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e)
		return e;
	size_t n = 0;
	char **pifs = net_find(t, CLS_PIF, "device", dev, &n);
	char *tagged = NULL;
	for (size_t i = 0; i < n && !tagged; i++) {
		char *h = obj_get_str(t, CLS_PIF, pifs[i], "host");
		xv *v = obj_get(t, CLS_PIF, pifs[i], "VLAN");
		if (!strcmp(h, host) && v && v->kind == XV_INT && v->u.i < 0)
			tagged = hx_strdup(pifs[i]);
		xv_free(v);
		free(h);
	}
	net_free_refs(pifs, n);
	store_rollback(t);
	if (!tagged)
		return xerr_new("PIF_DEVICE_NOT_FOUND", NULL);
	xv *vlan = NULL;
	e = vlan_create(ctx, tagged, args[3]->u.i, net, &vlan);
	free(tagged);
	if (!e && !db_begin(ctx, false, &t)) {
		*result = xv_str_own(obj_get_str(t, CLS_VLAN, xv_s(vlan), "untagged_PIF"));
		store_rollback(t);
	}
	xv_free(vlan);
	return e;
}

xerr *op_VLAN_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vlan = xv_s(args[0]);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		net_unlock();
		return e;
	}
	char *untagged = NULL, *network = NULL, *br = NULL;
	if ((e = check_ref(t, CLS_VLAN, vlan)))
		goto out;
	untagged = obj_get_str(t, CLS_VLAN, vlan, "untagged_PIF");
	if (store_exists(t, CLS_PIF, untagged)) {
		xv *mg = obj_get(t, CLS_PIF, untagged, "management");
		bool mgmt = mg && mg->kind == XV_BOOL && mg->u.b;
		xv_free(mg);
		if (mgmt) {
			e = xerr_new("PIF_IS_MANAGEMENT_INTERFACE", untagged, NULL);
			goto out;
		}
		network = obj_get_str(t, CLS_PIF, untagged, "network");
		br = obj_get_str(t, CLS_network, network, "bridge");
		if ((e = store_destroy(t, CLS_PIF, untagged)))
			goto out;
	}
	if ((e = store_destroy(t, CLS_VLAN, vlan)))
		goto out;
	netb *b = net_backend();
	if (b && br && *br) {
		/* The fake bridge goes; the network gets its own bridge back. */
		(void)b->ops->port_del(b, br, NULL);
		if ((e = network_realise(t, network)))
			goto out;
		net_replug_vifs(t, network);
	}
	e = db_commit(t);
	t = NULL;
out:
	store_rollback(t);
	free(untagged);
	free(network);
	free(br);
	net_unlock();
	return e;
}
