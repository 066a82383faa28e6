/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tunnel.create / destroy: a private network carried between hosts over
 * GRE or VXLAN on a transport PIF (which must have an IP configuration).
 *
 * XAPI meshes the tunnel between the pool's hosts. A Halyard pool has one
 * host so far, so the far ends are named on the tunnel itself:
 * tunnel.other_config:remote_ip (comma-separated addresses) and
 * other_config:key (the VXLAN VNI / GRE key, same on both ends). One
 * switch port per far end, t<N>p<k>, sits on the network's bridge; they
 * follow every change of other_config. status:active says whether any
 * port exists.
 */
#include <arpa/inet.h>
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

#define MAX_REMOTES 16

/* The tunnel's index N from its access PIF's device tunnel<N>, or -1. */
static int tunnel_index(txn *t, const char *tun)
{
	char *acc = obj_get_str(t, CLS_tunnel, tun, "access_PIF");
	char *dev = store_exists(t, CLS_PIF, acc) ? obj_get_str(t, CLS_PIF, acc, "device") : NULL;
	int n = dev && !strncmp(dev, "tunnel", 6) ? atoi(dev + 6) : -1;
	free(acc);
	free(dev);
	return n;
}

/* Removes every port t<N>p<k> of the tunnel. */
static void ports_del(int idx)
{
	netb *b = net_backend();
	for (int k = 0; b && idx >= 0 && k < MAX_REMOTES; k++) {
		char name[32];
		snprintf(name, sizeof(name), "t%dp%d", idx, k);
		(void)b->ops->port_del(b, name, NULL);
	}
}

/* Makes the switch carry the tunnel as other_config says (inside t). */
static xerr *tunnel_realise(txn *t, const char *tun)
{
	netb *b = net_backend();
	if (!b)
		return net_need_backend();
	int idx = tunnel_index(t, tun);
	if (idx < 0)
		return NULL;
	ports_del(idx);
	xv *oc = obj_get(t, CLS_tunnel, tun, "other_config");
	const char *rem = oc ? xv_struct_str(oc, "remote_ip") : NULL;
	const char *key = oc ? xv_struct_str(oc, "key") : NULL;
	char *proto = obj_get_str(t, CLS_tunnel, tun, "protocol");
	char *acc = obj_get_str(t, CLS_tunnel, tun, "access_PIF");
	char *net = obj_get_str(t, CLS_PIF, acc, "network");
	char *br = obj_get_str(t, CLS_network, net, "bridge");
	xerr *e = network_realise(t, net);
	char *copy = hx_strdup(rem ? rem : ""), *save = NULL;
	int k = 0;
	for (char *ip = strtok_r(copy, ",", &save); !e && ip; ip = strtok_r(NULL, ",", &save)) {
		struct in_addr a;
		if (inet_pton(AF_INET, ip, &a) != 1) {
			e = xerr_new("INVALID_VALUE", "other_config:remote_ip", ip, NULL);
			break;
		}
		if (k == MAX_REMOTES)
			break;
		char name[32];
		snprintf(name, sizeof(name), "t%dp%d", idx, k++);
		netb_port p = { .name = name,
				.type = !strcmp(proto, "vxlan") ? NETB_PORT_VXLAN : NETB_PORT_GRE,
				.remote_ip = ip,
				.key = key && *key ? key : NULL };
		char *err = NULL;
		int r = b->ops->port_add(b, br, &p, &err);
		if (r)
			e = net_backend_err("cannot add the tunnel port", r, err);
		else
			free(err);
	}
	free(copy);
	xv *st = xv_struct();
	xv_struct_set(st, "active", xv_str(k > 0 && !e ? "true" : "false"));
	xerr *se = obj_set(t, CLS_tunnel, tun, "status", st);
	if (!e)
		e = se;
	else
		xerr_free(se);
	if (e)
		ports_del(idx);
	xv_free(oc);
	free(proto);
	free(acc);
	free(net);
	free(br);
	return e;
}

xerr *op_tunnel_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *transport = xv_s(args[0]), *network = xv_s(args[1]), *proto = xv_s(args[2]);
	netb *b = net_backend();
	if (!b || strcmp(net_backend_name(), "openvswitch"))
		return xerr_new("OPENVSWITCH_NOT_ACTIVE", NULL);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		net_unlock();
		return e;
	}
	xv *r = NULL;
	char *acc = NULL, *tun = NULL;
	if ((e = check_ref(t, CLS_PIF, transport)) || (e = check_ref(t, CLS_network, network)) ||
	    (e = store_get_record(t, CLS_PIF, transport, &r)))
		goto out;
	xv *accof = xv_struct_get(r, "tunnel_access_PIF_of");
	if (strcmp(net_rec_str(r, "host"), ctx->app->host_ref)) {
		e = xerr_new("PIF_NOT_ATTACHED_TO_HOST", transport, ctx->app->host_ref, NULL);
		goto out;
	}
	if (accof && xv_len(accof)) {
		e = xerr_new("IS_TUNNEL_ACCESS_PIF", transport, NULL);
		goto out;
	}
	if (!strcasecmp(net_rec_str(r, "ip_configuration_mode"), "None") &&
	    !strcasecmp(net_rec_str(r, "ipv6_configuration_mode"), "None")) {
		e = xerr_new("TRANSPORT_PIF_NOT_CONFIGURED", transport, NULL);
		goto out;
	}
	size_t n = 0;
	char **on = net_find(t, CLS_PIF, "network", network, &n);
	if (n)
		e = xerr_new("NETWORK_ALREADY_CONNECTED", network, on[0], NULL);
	net_free_refs(on, n);
	if (e)
		goto out;
	char dev[32];
	for (int i = 0;; i++) {
		snprintf(dev, sizeof(dev), "tunnel%d", i);
		char **same = net_find(t, CLS_PIF, "device", dev, &n);
		net_free_refs(same, n);
		if (!n)
			break;
	}
	xv *pr = xv_struct();
	xv_struct_set(pr, "device", xv_str(dev));
	xv_struct_set(pr, "network", xv_str(network));
	xv_struct_set(pr, "host", xv_str(ctx->app->host_ref));
	xv_struct_set(pr, "MAC", xv_str(""));
	xv_struct_set(pr, "MTU", xv_int(1500));
	xv_struct_set(pr, "VLAN", xv_int(-1));
	xv_struct_set(pr, "metrics", xv_str(HX_NULL_REF));
	xv_struct_set(pr, "physical", xv_bool(false));
	xv_struct_set(pr, "currently_attached", xv_bool(true));
	xv_struct_set(pr, "ip_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "ipv6_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "primary_address_type", xv_str("IPv4"));
	xv_struct_set(pr, "managed", xv_bool(true));
	if ((e = obj_create(t, CLS_PIF, pr, &acc)))
		goto out;
	xv *tr = xv_struct();
	xv_struct_set(tr, "access_PIF", xv_str(acc));
	xv_struct_set(tr, "transport_PIF", xv_str(transport));
	xv_struct_set(tr, "protocol", xv_str(proto));
	if ((e = obj_create(t, CLS_tunnel, tr, &tun)) || (e = tunnel_realise(t, tun)))
		goto out;
	e = db_commit(t);
	t = NULL;
out:
	store_rollback(t);
	xv_free(r);
	free(acc);
	if (!e)
		*result = xv_str_own(tun);
	else
		free(tun);
	net_unlock();
	return e;
}

xerr *op_tunnel_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *tun = xv_s(args[0]);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		net_unlock();
		return e;
	}
	if ((e = check_ref(t, CLS_tunnel, tun)))
		goto out;
	int idx = tunnel_index(t, tun);
	char *acc = obj_get_str(t, CLS_tunnel, tun, "access_PIF");
	if (store_exists(t, CLS_PIF, acc))
		e = store_destroy(t, CLS_PIF, acc);
	free(acc);
	if (!e)
		e = store_destroy(t, CLS_tunnel, tun);
	if (e)
		goto out;
	ports_del(idx);
	e = db_commit(t);
	t = NULL;
out:
	store_rollback(t);
	net_unlock();
	return e;
}

/* other_config changes move the tunnel's ports. */
static xerr *oc_change(call_ctx *ctx, xv *const *args, xv **result)
{
	net_lock();
	xerr *e = implicit_call(ctx, args, result);
	txn *t;
	if (!e && net_backend() && !(e = db_begin(ctx, true, &t))) {
		e = tunnel_realise(t, xv_s(args[0]));
		if (!e)
			e = db_commit(t);
		else
			store_rollback(t);
	}
	net_unlock();
	return e;
}

xerr *op_tunnel_set_other_config(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return oc_change(ctx, args, result);
}

xerr *op_tunnel_add_to_other_config(call_ctx *ctx, const api_msg *m, xv *const *args,
				    xv **result)
{
	return oc_change(ctx, args, result);
}

xerr *op_tunnel_remove_from_other_config(call_ctx *ctx, const api_msg *m, xv *const *args,
					 xv **result)
{
	return oc_change(ctx, args, result);
}
