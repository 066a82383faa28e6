/* SPDX-License-Identifier: Apache-2.0 */
/*
 * network.create / network.destroy and the switch side of a network.
 *
 * A managed network owns a bridge: the one named in the record, or the
 * first free xapi<N> (XAPI's names for internal networks; physical
 * networks made by PIF.scan are xenbr<N>). The bridge is created on the
 * switch with the network (not lazily at the first plug as XAPI does) so
 * that the switch always shows every network. A VLAN network's bridge is
 * a "fake bridge": an internal port of that name with the tag on the
 * tagged PIF's bridge, as XAPI does on Open vSwitch.
 */
#include <errno.h>
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

#define MTU_MIN 68
#define MTU_MAX 65535

xerr *network_realise(txn *t, const char *network)
{
	netb *b = net_backend();
	if (!b)
		return NULL;
	xv *managed = obj_get(t, CLS_network, network, "managed");
	bool m = !managed || managed->kind != XV_BOOL || managed->u.b;
	xv_free(managed);
	if (!m)
		return NULL;
	char *own = obj_get_str(t, CLS_network, network, "bridge");
	char *br = NULL;
	int tag = 0;
	xerr *e = *own ? net_target(t, network, &br, &tag) : NULL;
	xv *mtu = obj_get(t, CLS_network, network, "MTU");
	int mt = mtu && mtu->kind == XV_INT ? (int)mtu->u.i : 0;
	xv_free(mtu);
	char *err = NULL;
	int r = 0;
	if (!e && br && tag > 0) {
		/* The fake bridge; a standalone bridge of the name goes (in
		 * the same step: port_add). */
		netb_port p = { .name = own, .type = NETB_PORT_INTERNAL, .tag = tag };
		r = b->ops->port_add(b, br, &p, &err);
		if (!r)
			(void)net_link_set_up(own, true);
	} else if (!e && br) {
		r = b->ops->bridge_add(b, br, mt, &err);
		if (!r)
			(void)net_link_set_up(br, true);
	}
	if (r)
		e = net_backend_err("cannot create the bridge", r, err);
	else
		free(err);
	free(own);
	free(br);
	return e;
}

/* The bridge names every network uses (heap array). */
static bool bridge_taken(txn *t, const char *name)
{
	size_t n = 0;
	char **v = net_find(t, CLS_network, "bridge", name, &n);
	net_free_refs(v, n);
	return n > 0;
}

/* An integer field of a raw constructor record (wire strings allowed). */
static bool raw_int(const xv *rec, const char *f, int64_t *out)
{
	xv *v = xv_struct_get(rec, f);
	if (!v)
		return false;
	if (v->kind == XV_INT) {
		*out = v->u.i;
		return true;
	}
	if (v->kind == XV_STRING) {
		char *end;
		errno = 0;
		long long x = strtoll(xv_s(v), &end, 10);
		if (!errno && *xv_s(v) && !*end) {
			*out = x;
			return true;
		}
	}
	*out = INT64_MIN;
	return true;
}

xerr *op_network_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xv *rec = args[0];
	if (!rec || rec->kind != XV_STRUCT)
		return implicit_call(ctx, args, result); /* the generic type error */
	int64_t mtu = 1500;
	if (raw_int(rec, "MTU", &mtu) && (mtu < MTU_MIN || mtu > MTU_MAX)) {
		xv *v = xv_struct_get(rec, "MTU");
		char *s = api_value_to_string(v);
		xerr *e = xerr_new("INVALID_VALUE", "MTU", s, NULL);
		free(s);
		return e;
	}
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e) {
		net_unlock();
		return e;
	}
	const char *given = xv_struct_str(rec, "bridge");
	char name[32];
	if (given && *given) {
		if (!net_ifname_ok(given)) {
			e = xerr_new("INVALID_VALUE", "bridge", given, NULL);
		} else if (bridge_taken(t, given)) {
			e = xerr_new("BRIDGE_NAME_EXISTS", given, NULL);
		}
		snprintf(name, sizeof(name), "%s", given);
	} else {
		for (int i = 0;; i++) {
			snprintf(name, sizeof(name), "xapi%d", i);
			if (!bridge_taken(t, name))
				break;
		}
		xv_struct_set(rec, "bridge", xv_str(name));
	}
	store_rollback(t);
	if (!e)
		e = implicit_call(ctx, args, result);
	if (!e) {
		if ((e = db_begin(ctx, false, &t)) == NULL) {
			e = network_realise(t, xv_s(*result));
			store_rollback(t);
		}
		if (e) {
			/* The switch refused: the record goes again. */
			txn *w;
			if (!db_begin(ctx, true, &w)) {
				xerr *d = store_destroy(w, CLS_network, xv_s(*result));
				if (d) {
					xerr_free(d);
					store_rollback(w);
				} else {
					xerr_free(db_commit(w));
				}
			}
			*result = xv_free(*result);
		}
	}
	net_unlock();
	return e;
}

/* The refs in v as one comma-separated parameter (heap). */
static char *join(char **v, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = hx_calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

xerr *op_network_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *net = xv_s(args[0]);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, false, &t);
	if (e) {
		net_unlock();
		return e;
	}
	char *bridge = NULL;
	bool managed = true;
	if (!(e = check_ref(t, CLS_network, net))) {
		size_t np = 0, nv = 0;
		char **pifs = net_find(t, CLS_PIF, "network", net, &np);
		char **vifs = net_find(t, CLS_VIF, "network", net, &nv);
		if (np) {
			char *j = join(pifs, np);
			e = xerr_new("NETWORK_CONTAINS_PIF", j, NULL);
			free(j);
		} else if (nv) {
			char *j = join(vifs, nv);
			e = xerr_new("NETWORK_CONTAINS_VIF", j, NULL);
			free(j);
		}
		net_free_refs(pifs, np);
		net_free_refs(vifs, nv);
		bridge = obj_get_str(t, CLS_network, net, "bridge");
		xv *mg = obj_get(t, CLS_network, net, "managed");
		managed = !mg || mg->kind != XV_BOOL || mg->u.b;
		xv_free(mg);
	}
	store_rollback(t);
	if (!e)
		e = implicit_call(ctx, args, result);
	netb *b = net_backend();
	if (!e && b && managed && bridge && *bridge) {
		char *err = NULL;
		int r = b->ops->bridge_del(b, bridge, &err);
		if (r)
			fprintf(stderr, "xapid: network: cannot delete bridge %s: %s\n", bridge,
				err ? err : strerror(-r));
		free(err);
	}
	free(bridge);
	net_unlock();
	return e;
}
