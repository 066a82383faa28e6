/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bond.create / destroy / set_mode / set_property.
 *
 * A bond is a master PIF (device bond<N>) on the bond's network plus the
 * member PIFs (bond_slave_of); on Open vSwitch it is one port with the
 * members as its interfaces (active-backup, balance-slb, or lacp as
 * balance-tcp with LACP active). Properties XAPI knows and their OVS
 * names: updelay / downdelay (ms), lacp-time (slow|fast),
 * hashing_algorithm (src_mac|tcpudp_ports).
 *
 * Bond.create moves the members' VLANs and tunnels onto the master,
 * Bond.destroy moves the master's to the primary member (bond_move.c), in
 * the same write transaction as the bond's own records; when it does not
 * commit, the switch is put back from the records (bond_reapply).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_ids.h"
#include "bond_move.h"
#include "dispatch.h"
#include "net_ops.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

static bool mac_ok(const char *m)
{
	unsigned v[6];
	char tail;
	return m && strlen(m) == 17 &&
	       sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		      &tail) == 6;
}

/* Checks one property; NULL when XAPI accepts it. */
static xerr *check_prop(const char *k, const char *v)
{
	char *end = NULL;
	if (!strcmp(k, "updelay") || !strcmp(k, "downdelay")) {
		long x = strtol(v, &end, 10);
		if (*v && !*end && x >= 0)
			return NULL;
	} else if (!strcmp(k, "lacp-time")) {
		if (!strcmp(v, "slow") || !strcmp(v, "fast"))
			return NULL;
	} else if (!strcmp(k, "hashing_algorithm")) {
		if (!strcmp(v, "src_mac") || !strcmp(v, "tcpudp_ports"))
			return NULL;
	} else if (!strncmp(k, "lacp-", 5)) {
		return NULL;
	}
	return xerr_new("INVALID_VALUE", k, v, NULL);
}

/* The IP configuration fields (and the management flag) that go from the
 * primary member to the bond's master at Bond.create and back at
 * Bond.destroy, as XAPI moves them. */
static const char *const ip_fields[] = { "ip_configuration_mode", "IP", "netmask", "gateway",
					 "DNS", "ipv6_configuration_mode", "IPv6", "ipv6_gateway",
					 "primary_address_type", "management" };

/* Sets the IP fields of to from record from (inside t). */
static xerr *copy_ip(txn *t, const xv *from, const char *to)
{
	xerr *e = NULL;
	for (size_t i = 0; !e && i < sizeof(ip_fields) / sizeof(*ip_fields); i++) {
		xv *v = xv_struct_get(from, ip_fields[i]);
		if (v)
			e = obj_set(t, CLS_PIF, to, ip_fields[i], xv_dup(v));
	}
	return e;
}

/* Whether PIF record r has an IP configuration or is management. */
static bool has_ip(const xv *r)
{
	return r && (strcmp(net_rec_str(r, "ip_configuration_mode"), "None") ||
		     strcmp(net_rec_str(r, "ipv6_configuration_mode"), "None") ||
		     net_rec_bool(r, "management"));
}

/* Removes the global addresses from bridge br. */
static void flush_bridge(const char *br)
{
	const char *f4[] = { "ip", "-4", "addr", "flush", "dev", br, NULL };
	const char *f6[] = { "ip", "-6", "addr", "flush", "dev", br, "scope", "global", NULL };
	(void)net_ip(f4);
	(void)net_ip(f6);
}

/* What the PIF that had it carried, put on the bridge br of primary, the
 * PIF that has it now (no write transaction open; net_lock held). */
static void primary_takes_ip(struct xapid *app, const char *primary, const char *br,
			     const char *mode4, const char *mode6, const xv *v6, bool mgmt)
{
	(void)netb_settle(net_backend(), NULL);
	net_ip_reconcile(app); /* Static IPv4/IPv6 of attached PIFs */
	if (!strcmp(mode4, "DHCP") && !mgmt) /* management: net_mgmt_routes */
		(void)net_dhcp_start(app, primary, br, false);
	if (net_ipv6_apply(app, primary, br, mode6, v6, false, true))
		fprintf(stderr, "xapid: network: cannot apply IPv6 mode %s on %s\n", mode6, br);
}

xerr *op_Bond_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *network = xv_s(args[0]), *mac = xv_s(args[2]), *mode = xv_s(args[3]);
	const xv *members = args[1], *props = args[4];
	if (xv_len(members) < 2)
		return xerr_new("PIF_BOND_NEEDS_MORE_MEMBERS", NULL);
	if (*mac && !mac_ok(mac))
		return xerr_new("MAC_INVALID", mac, NULL);
	for (size_t i = 0; props && i < xv_len(props); i++) {
		xerr *pe = check_prop(props->u.st.m[i].key, xv_s(props->u.st.m[i].val));
		if (pe)
			return pe;
	}
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e) {
		net_unlock();
		return e;
	}
	char *host = NULL, *master = NULL, *bond = NULL, *first_mac = NULL;
	char *mbr = NULL, *pbr = NULL, *mode4 = NULL, *mode6 = NULL;
	xv *prec = NULL, *v6 = NULL;
	size_t prim = 0;
	bool moved = false, mgmt = false;
	char dev[32] = "";
	int64_t mtu = 1500;
	bool touched = false;
	size_t nvlans = 0;
	if ((e = check_ref(t, CLS_network, network)))
		goto out;
	for (size_t i = 0; i < xv_len(members) && !e; i++) {
		const char *p = xv_s(xv_array_get(members, i));
		xv *r = NULL;
		if ((e = check_ref(t, CLS_PIF, p)) || (e = store_get_record(t, CLS_PIF, p, &r)))
			break;
		const char *h = net_rec_str(r, "host"), *bs = net_rec_str(r, "bond_slave_of");
		if (!host) {
			host = hx_strdup(h);
			first_mac = hx_strdup(net_rec_str(r, "MAC"));
			mtu = net_rec_int(r, "MTU");
		}
		/* The primary member: the management PIF if one is, else the
		 * first; its MAC and IP configuration go to the bond. */
		if (!prec || (net_rec_bool(r, "management") && !net_rec_bool(prec, "management"))) {
			xv_free(prec);
			prec = xv_dup(r);
			prim = i;
			free(first_mac);
			first_mac = hx_strdup(net_rec_str(r, "MAC"));
		}
		if (strcmp(h, host))
			e = xerr_new("PIF_CANNOT_BOND_CROSS_HOST", NULL);
		else if (strcmp(h, ctx->app->host_ref))
			e = xerr_new("PIF_NOT_ATTACHED_TO_HOST", p, ctx->app->host_ref, NULL);
		else if (net_rec_int(r, "VLAN") >= 0)
			e = xerr_new("PIF_IS_VLAN", p, NULL);
		else if (*bs && strcmp(bs, HX_NULL_REF) && store_exists(t, CLS_Bond, bs))
			e = xerr_new("PIF_ALREADY_BONDED", p, NULL);
		else if (!net_rec_bool(r, "physical"))
			e = xerr_new("PIF_IS_NOT_PHYSICAL", p, NULL);
		for (size_t j = 0; j < i && !e; j++)
			if (!strcmp(p, xv_s(xv_array_get(members, j))))
				e = xerr_new("INVALID_VALUE", "members", p, NULL);
		xv_free(r);
	}
	if (e)
		goto out;
	size_t n = 0;
	char **on = net_find(t, CLS_PIF, "network", network, &n);
	if (n)
		e = xerr_new("NETWORK_ALREADY_CONNECTED", network, on[0], NULL);
	net_free_refs(on, n);
	if (e)
		goto out;
	/* bond<N>: the first N no PIF of this host uses. */
	for (int i = 0;; i++) {
		snprintf(dev, sizeof(dev), "bond%d", i);
		char **same = net_find(t, CLS_PIF, "device", dev, &n);
		net_free_refs(same, n);
		if (!n)
			break;
	}
	xv *pr = xv_struct();
	xv_struct_set(pr, "device", xv_str(dev));
	xv_struct_set(pr, "network", xv_str(network));
	xv_struct_set(pr, "host", xv_str(host));
	xv_struct_set(pr, "MAC", xv_str(*mac ? mac : first_mac));
	xv_struct_set(pr, "MTU", xv_int(mtu));
	xv_struct_set(pr, "VLAN", xv_int(-1));
	xv_struct_set(pr, "metrics", xv_str(HX_NULL_REF));
	xv_struct_set(pr, "physical", xv_bool(false));
	xv_struct_set(pr, "currently_attached", xv_bool(true));
	xv_struct_set(pr, "ip_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "ipv6_configuration_mode", xv_str("None"));
	xv_struct_set(pr, "primary_address_type", xv_str("IPv4"));
	xv_struct_set(pr, "managed", xv_bool(true));
	if ((e = obj_create(t, CLS_PIF, pr, &master)))
		goto out;
	xv *br = xv_struct();
	xv_struct_set(br, "master", xv_str(master));
	xv_struct_set(br, "mode", xv_str(mode));
	xv_struct_set(br, "properties", props ? xv_dup(props) : xv_struct());
	xv_struct_set(br, "primary_slave", xv_str(xv_s(xv_array_get(members, prim))));
	xv_struct_set(br, "links_up", xv_int((int64_t)xv_len(members)));
	xv_struct_set(br, "auto_update_mac", xv_bool(!*mac));
	if ((e = obj_create(t, CLS_Bond, br, &bond)))
		goto out;
	netb *b = net_backend();
	for (size_t i = 0; i < xv_len(members) && !e; i++) {
		const char *p = xv_s(xv_array_get(members, i));
		if ((e = obj_set(t, CLS_PIF, p, "bond_slave_of", xv_str(bond))) ||
		    (e = obj_set(t, CLS_PIF, p, "currently_attached", xv_bool(false))))
			break;
		/* A member leaves its own bridge. */
		char *d = obj_get_str(t, CLS_PIF, p, "device");
		if (b)
			(void)b->ops->port_del(b, d, NULL);
		free(d);
		touched = true;
	}
	if (e)
		goto out;
	touched = true;
	if ((e = pif_attach(t, master)))
		goto out;
	if (has_ip(prec)) {
		/* The primary member's IP configuration moves to the master. */
		const char *p = xv_s(xv_array_get(members, prim));
		static const struct { const char *f; const char *v; } none[] = {
			{ "ip_configuration_mode", "None" }, { "IP", "" }, { "netmask", "" },
			{ "gateway", "" }, { "DNS", "" }, { "ipv6_configuration_mode", "None" },
			{ "ipv6_gateway", "" },
		};
		if ((e = copy_ip(t, prec, master)))
			goto out;
		for (size_t i = 0; !e && i < sizeof(none) / sizeof(*none); i++)
			e = obj_set(t, CLS_PIF, p, none[i].f, xv_str(none[i].v));
		if (!e)
			e = obj_set(t, CLS_PIF, p, "IPv6", xv_array());
		if (!e)
			e = obj_set(t, CLS_PIF, p, "management", xv_bool(false));
		if (e)
			goto out;
		moved = true;
		mgmt = net_rec_bool(prec, "management");
		pbr = obj_get_str(t, CLS_network, net_rec_str(prec, "network"), "bridge");
		mbr = obj_get_str(t, CLS_network, network, "bridge");
		mode4 = hx_strdup(net_rec_str(prec, "ip_configuration_mode"));
		mode6 = hx_strdup(net_rec_str(prec, "ipv6_configuration_mode"));
		v6 = xv_struct_get(prec, "IPv6");
		v6 = v6 ? xv_dup(v6) : NULL;
	}
	/* The members' VLANs and tunnels go onto the master. */
	for (size_t i = 0; i < xv_len(members) && !e; i++)
		e = bond_move(t, xv_s(xv_array_get(members, i)), master, &nvlans);
	if (e)
		goto out;
	e = db_commit(t);
	t = NULL;
	if (!e && !moved && nvlans)
		net_ip_reconcile(ctx->app); /* a moved VLAN PIF's Static addresses */
	if (!e && moved) {
		/* The member's clients and addresses go; the bond's bridge
		 * takes them (the record says so already: a lease reader
		 * writes only a DHCP PIF). */
		net_dhcp_stop(xv_s(xv_array_get(members, prim)));
		if (*pbr)
			flush_bridge(pbr);
		if (*mbr)
			primary_takes_ip(ctx->app, master, mbr, mode4, mode6, v6, mgmt);
	}
out:
	t = store_rollback(t);
	if (e && touched && net_backend() && !db_begin(ctx, false, &t)) {
		/* Undo on the switch from the records: the bond port goes, the
		 * members and their VLANs come back. */
		size_t nm = xv_len(members);
		char **mv = hx_calloc(nm + 1, sizeof(char *));
		for (size_t i = 0; i < nm; i++)
			mv[i] = (char *)xv_s(xv_array_get(members, i));
		bond_reapply(t, master, dev, mv, nm);
		free(mv);
		t = store_rollback(t);
	}
	net_unlock();
	if (!e && moved && mgmt)
		net_mgmt_routes(ctx->app, NULL, master);
	free(host);
	free(first_mac);
	free(master);
	free(mbr);
	free(pbr);
	free(mode4);
	free(mode6);
	xv_free(prec);
	xv_free(v6);
	if (!e)
		*result = xv_str_own(bond);
	else
		free(bond);
	return e;
}

xerr *op_Bond_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *bond = xv_s(args[0]);
	net_lock();
	txn *t;
	/* The master's DHCP clients stop first (their readers write the PIF). */
	xerr *e = db_begin(ctx, false, &t);
	if (e) {
		net_unlock();
		return e;
	}
	char *master = NULL, *dev = NULL, *bbr = NULL, *primary = NULL, *pbr = NULL;
	char *mode4 = NULL, *mode6 = NULL;
	xv *mr = NULL, *v6 = NULL;
	bool mgmt = false, had_ip = false, touched = false;
	size_t n = 0, nvlans = 0;
	char **sl = NULL;
	if (!(e = check_ref(t, CLS_Bond, bond)))
		master = obj_get_str(t, CLS_Bond, bond, "master");
	t = store_rollback(t);
	if (e)
		goto out;
	net_dhcp_stop(master);
	if ((e = db_begin(ctx, true, &t)) || (e = check_ref(t, CLS_Bond, bond)))
		goto out;
	sl = net_find(t, CLS_PIF, "bond_slave_of", bond, &n);
	char *ps = obj_get_str(t, CLS_Bond, bond, "primary_slave");
	for (size_t i = 0; i < n && !primary; i++)
		if (!strcmp(sl[i], ps))
			primary = hx_strdup(ps);
	free(ps);
	if (!primary && n)
		primary = hx_strdup(sl[0]);
	if (store_exists(t, CLS_PIF, master)) {
		size_t nv = 0;
		char **vl = net_find(t, CLS_VLAN, "tagged_PIF", master, &nv);
		net_free_refs(vl, nv);
		if (nv && !primary) { /* no member to carry them */
			e = xerr_new("PIF_VLAN_STILL_EXISTS", master, NULL);
			goto out;
		}
		if ((e = store_get_record(t, CLS_PIF, master, &mr)))
			goto out;
		mgmt = net_rec_bool(mr, "management");
		dev = hx_strdup(net_rec_str(mr, "device"));
		bbr = obj_get_str(t, CLS_network, net_rec_str(mr, "network"), "bridge");
		/* The master's VLANs and tunnels go to the primary member. */
		touched = true;
		if (primary && (e = bond_move(t, master, primary, &nvlans)))
			goto out;
		if ((e = store_destroy(t, CLS_PIF, master)))
			goto out;
	}
	for (size_t i = 0; i < n && !e; i++)
		e = obj_set(t, CLS_PIF, sl[i], "bond_slave_of", xv_str(HX_NULL_REF));
	if (!e)
		e = store_destroy(t, CLS_Bond, bond);
	/* The master's IP configuration and management flag go back to the
	 * primary member. */
	had_ip = has_ip(mr);
	if (!e && had_ip && primary)
		e = copy_ip(t, mr, primary);
	if (e)
		goto out;
	/* On the switch: the bond port goes, each member is a port of its own
	 * network's bridge again (XAPI plugs the members). A member whose
	 * device is gone stays detached. */
	netb *b = net_backend();
	touched = true;
	if (b && dev && *dev)
		(void)b->ops->port_del(b, dev, NULL);
	for (size_t i = 0; i < n && !e; i++) {
		xerr *pe = b ? pif_attach(t, sl[i]) : net_need_backend();
		if (pe) {
			fprintf(stderr, "xapid: network: Bond.destroy: member %s not re-attached: %s\n",
				sl[i], pe->code);
			xerr_free(pe);
			continue;
		}
		e = obj_set(t, CLS_PIF, sl[i], "currently_attached", xv_bool(true));
	}
	if (!e && had_ip && primary) {
		char *net = obj_get_str(t, CLS_PIF, primary, "network");
		pbr = obj_get_str(t, CLS_network, net, "bridge");
		free(net);
		mode4 = hx_strdup(net_rec_str(mr, "ip_configuration_mode"));
		mode6 = hx_strdup(net_rec_str(mr, "ipv6_configuration_mode"));
		v6 = xv_struct_get(mr, "IPv6");
		v6 = v6 ? xv_dup(v6) : NULL;
	}
	if (!e) {
		e = db_commit(t);
		t = NULL;
	}
out:
	t = store_rollback(t);
	if (e && touched && net_backend() && !db_begin(ctx, false, &t)) {
		/* Not committed: the switch goes back to the bond the records
		 * still have (members in the bond port, VLANs on the master). */
		bond_reapply(t, master, dev, sl, n);
		t = store_rollback(t);
	}
	net_free_refs(sl, n);
	if (!e && !had_ip && nvlans)
		net_ip_reconcile(ctx->app); /* a moved VLAN PIF's Static addresses */
	if (!e && had_ip && bbr && *bbr)
		flush_bridge(bbr); /* the bond network's bridge keeps none of it */
	if (!e && pbr && *pbr)
		primary_takes_ip(ctx->app, primary, pbr, mode4, mode6, v6, mgmt);
	net_unlock();
	if (!e && mgmt && primary)
		net_mgmt_routes(ctx->app, NULL, primary);
	xv_free(mr);
	xv_free(v6);
	free(master);
	free(dev);
	free(bbr);
	free(pbr);
	free(primary);
	free(mode4);
	free(mode6);
	return e;
}

/* Re-attaches the bond's master when it is attached. */
static xerr *reapply(txn *t, const char *bond)
{
	char *master = obj_get_str(t, CLS_Bond, bond, "master");
	xerr *e = NULL;
	xv *att = store_exists(t, CLS_PIF, master) ?
			  obj_get(t, CLS_PIF, master, "currently_attached") :
			  NULL;
	if (att && att->kind == XV_BOOL && att->u.b && net_backend())
		e = pif_attach(t, master);
	xv_free(att);
	free(master);
	return e;
}

xerr *op_Bond_set_mode(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *bond = xv_s(args[0]), *mode = xv_s(args[1]);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (!e && !(e = check_ref(t, CLS_Bond, bond)) &&
	    !(e = obj_set(t, CLS_Bond, bond, "mode", xv_str(mode))) && !(e = reapply(t, bond))) {
		e = db_commit(t);
		t = NULL;
	}
	store_rollback(t);
	net_unlock();
	return e;
}

xerr *op_Bond_set_property(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *bond = xv_s(args[0]), *k = xv_s(args[1]), *v = xv_s(args[2]);
	xerr *e = check_prop(k, v);
	if (e)
		return e;
	net_lock();
	txn *t;
	e = db_begin(ctx, true, &t);
	if (!e && !(e = check_ref(t, CLS_Bond, bond))) {
		xv *p = obj_get(t, CLS_Bond, bond, "properties");
		if (!p || p->kind != XV_STRUCT) {
			xv_free(p);
			p = xv_struct();
		}
		xv_struct_set(p, k, xv_str(v));
		if (!(e = obj_set(t, CLS_Bond, bond, "properties", p)) && !(e = reapply(t, bond))) {
			e = db_commit(t);
			t = NULL;
		}
	}
	store_rollback(t);
	net_unlock();
	return e;
}
