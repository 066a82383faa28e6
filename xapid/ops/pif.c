/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PIFs: PIF.scan / introduce / forget / plug / unplug / reconfigure_ip /
 * reconfigure_ipv6, host.management_reconfigure, PIF_metrics, and
 * pif_attach (the switch side of a PIF).
 *
 * A NIC is what /sys/class/net shows with a device behind it (a PCI or
 * other bus device), or a name matching HALYARD_NET_NICS (the veths the
 * tests use as NICs). Every new NIC gets a network of its own with the
 * bridge xenbr<N> (N from ethN when the name has that form) and a PIF
 * that is not attached: plugging the host's own NIC into a bridge moves
 * its traffic, so it happens only on PIF.plug or, for the management
 * NIC, when HALYARD_NET_MANAGEMENT names it (see netcore.h).
 *
 * IP configuration: Static addresses are put on the PIF's bridge device
 * with ip(8) (not in a hot path); DHCP runs busybox udhcpc on the bridge
 * while the PIF is attached (dhcp.c), which fills IP/netmask/gateway/DNS.
 * IPv6 modes (None, Static, Autoconf, DHCP with dhclient -6 filling IPv6)
 * are put on the bridge by pif_ipv6.c.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "net_ops.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

extern char **environ;

/* ---- sysfs ------------------------------------------------------------------ */

static char *sysfs(const char *dev, const char *attr)
{
	char p[300];
	snprintf(p, sizeof(p), "/sys/class/net/%s/%s", dev, attr);
	char *s = ops_read_file(p, 4096, NULL);
	if (s)
		s[strcspn(s, "\n")] = 0;
	return s;
}

static bool sysfs_has(const char *dev, const char *attr)
{
	char p[300];
	struct stat sb;
	snprintf(p, sizeof(p), "/sys/class/net/%s/%s", dev, attr);
	return !lstat(p, &sb);
}

static bool extra_nic(const char *dev)
{
	const char *pat = getenv("HALYARD_NET_NICS");
	if (!pat || !*pat)
		return false;
	char *copy = hx_strdup(pat), *save = NULL;
	bool hit = false;
	for (char *p = strtok_r(copy, ",", &save); p && !hit; p = strtok_r(NULL, ",", &save))
		hit = !fnmatch(p, dev, 0);
	free(copy);
	return hit;
}

/* A NIC PIF.scan should know (see the file comment). */
static bool is_nic(const char *dev)
{
	if (!net_ifname_ok(dev) || !strcmp(dev, "lo") || sysfs_has(dev, "bridge") ||
	    sysfs_has(dev, "bonding") || sysfs_has(dev, "tun_flags") || !strncmp(dev, "vif", 3) ||
	    !strncmp(dev, "xenbr", 5) || !strncmp(dev, "xapi", 4) || !strncmp(dev, "ovs-", 4))
		return false;
	char *type = sysfs(dev, "type");
	bool ether = type && !strcmp(type, "1");
	free(type);
	if (!ether)
		return false;
	return sysfs_has(dev, "device") || extra_nic(dev);
}

/* PIF_metrics fields from sysfs (carrier, speed, duplex, ids). */
static xv *metrics_rec(const char *dev)
{
	xv *r = xv_struct();
	char *c = sysfs(dev, "carrier"), *sp = sysfs(dev, "speed"), *du = sysfs(dev, "duplex");
	char *ven = sysfs(dev, "device/vendor"), *did = sysfs(dev, "device/device");
	xv_struct_set(r, "carrier", xv_bool(c && !strcmp(c, "1")));
	long long speed = sp ? strtoll(sp, NULL, 10) : -1;
	xv_struct_set(r, "speed", xv_int(speed > 0 ? speed : 0));
	xv_struct_set(r, "duplex", xv_bool(du && !strcmp(du, "full")));
	xv_struct_set(r, "vendor_id", xv_str(ven ? ven : ""));
	xv_struct_set(r, "device_id", xv_str(did ? did : ""));
	xv_struct_set(r, "last_updated", xv_datetime(hx_now()));
	free(c);
	free(sp);
	free(du);
	free(ven);
	free(did);
	return r;
}

/* Creates the network and PIF of NIC dev on host (inside t). */
static xerr *introduce(txn *t, const char *host, const char *dev, const char *mac, bool managed,
		       char **pif_out)
{
	char *m = sysfs(dev, "mtu");
	int64_t mtu = m ? strtoll(m, NULL, 10) : 1500;
	free(m);
	/* xenbrN for ethN, else the first free xenbr<k>. */
	char br[32] = "";
	int k = -1;
	if (!strncmp(dev, "eth", 3) && dev[3] && strspn(dev + 3, "0123456789") == strlen(dev + 3))
		k = atoi(dev + 3);
	for (int i = k >= 0 ? k : 0;; i++) {
		snprintf(br, sizeof(br), "xenbr%d", i);
		size_t n = 0;
		char **v = net_find(t, CLS_network, "bridge", br, &n);
		net_free_refs(v, n);
		if (!n)
			break;
		if (k >= 0 && i == k)
			k = -1; /* taken by someone else: look for a free one */
	}
	xv *nr = xv_struct();
	char *label = hx_asprintf("Pool-wide network associated with %s", dev);
	xv_struct_set(nr, "name_label", xv_str_own(label));
	xv_struct_set(nr, "bridge", xv_str(br));
	xv_struct_set(nr, "MTU", xv_int(mtu));
	xv_struct_set(nr, "managed", xv_bool(managed));
	char *net = NULL, *met = NULL;
	xerr *e = obj_create(t, CLS_network, nr, &net);
	if (!e)
		e = obj_create(t, CLS_PIF_metrics, metrics_rec(dev), &met);
	if (!e) {
		xv *pr = xv_struct();
		xv_struct_set(pr, "device", xv_str(dev));
		xv_struct_set(pr, "network", xv_str(net));
		xv_struct_set(pr, "host", xv_str(host));
		xv_struct_set(pr, "MAC", xv_str(mac));
		xv_struct_set(pr, "MTU", xv_int(mtu));
		xv_struct_set(pr, "VLAN", xv_int(-1));
		xv_struct_set(pr, "metrics", xv_str(met));
		xv_struct_set(pr, "physical", xv_bool(true));
		xv_struct_set(pr, "currently_attached", xv_bool(false));
		xv_struct_set(pr, "ip_configuration_mode", xv_str("None"));
		xv_struct_set(pr, "ipv6_configuration_mode", xv_str("None"));
		xv_struct_set(pr, "primary_address_type", xv_str("IPv4"));
		xv_struct_set(pr, "managed", xv_bool(managed));
		e = obj_create(t, CLS_PIF, pr, pif_out);
	}
	free(net);
	free(met);
	return e;
}

static bool pif_known(txn *t, const char *host, const char *dev)
{
	size_t n = 0;
	char **v = net_find(t, CLS_PIF, "device", dev, &n);
	bool known = false;
	for (size_t i = 0; i < n && !known; i++) {
		char *h = obj_get_str(t, CLS_PIF, v[i], "host");
		xv *vl = obj_get(t, CLS_PIF, v[i], "VLAN");
		known = !strcmp(h, host) && vl && vl->kind == XV_INT && vl->u.i < 0;
		xv_free(vl);
		free(h);
	}
	net_free_refs(v, n);
	return known;
}

xerr *pif_scan(struct xapid *app, const char *host)
{
	DIR *d = opendir("/sys/class/net");
	if (!d)
		return xerr_newf("INTERNAL_ERROR", "cannot list /sys/class/net: %s", strerror(errno));
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e) {
		closedir(d);
		return e;
	}
	char **made = hx_calloc(1, sizeof(char *));
	size_t nmade = 0;
	for (struct dirent *de; !e && (de = readdir(d));) {
		const char *dev = de->d_name;
		if (dev[0] == '.' || !is_nic(dev) || pif_known(t, host, dev))
			continue;
		char *mac = sysfs(dev, "address");
		char *pif = NULL;
		e = introduce(t, host, dev, mac ? mac : "", true, &pif);
		free(mac);
		if (pif) {
			made = hx_realloc(made, (nmade + 2) * sizeof(char *));
			made[nmade++] = pif;
		}
	}
	closedir(d);
	if (e) {
		store_rollback(t);
		net_free_refs(made, nmade);
		return e;
	}
	if ((e = store_commit(t))) {
		net_free_refs(made, nmade);
		return e;
	}
	/* The new networks' bridges (the PIFs stay unplugged). */
	if (!store_begin(app->db, false, &t)) {
		for (size_t i = 0; i < nmade && !e; i++) {
			char *net = obj_get_str(t, CLS_PIF, made[i], "network");
			e = network_realise(t, net);
			free(net);
		}
		store_rollback(t);
	}
	net_free_refs(made, nmade);
	return e;
}

/* ---- the switch side -------------------------------------------------------- */

static xv *pif_rec(txn *t, const char *pif)
{
	xv *r = NULL;
	xerr *e = store_get_record(t, CLS_PIF, pif, &r);
	xerr_free(e);
	return r;
}

xerr *pif_attach(txn *t, const char *pif)
{
	netb *b = net_backend();
	if (!b)
		return net_need_backend();
	xv *r = pif_rec(t, pif);
	if (!r)
		return xerr_new("HANDLE_INVALID", "PIF", pif, NULL);
	xerr *e = NULL;
	char *err = NULL;
	int rc = 0;
	const char *dev = net_rec_str(r, "device");
	const char *net = net_rec_str(r, "network");
	xv *bm = xv_struct_get(r, "bond_master_of");
	xv *acc = xv_struct_get(r, "tunnel_access_PIF_of");
	if (net_rec_int(r, "VLAN") >= 0) {
		/* A VLAN: the tagged PIF carries it. */
		char *vl = hx_strdup(net_rec_str(r, "VLAN_master_of"));
		char *tagged = store_exists(t, CLS_VLAN, vl) ?
				       obj_get_str(t, CLS_VLAN, vl, "tagged_PIF") :
				       NULL;
		if (tagged && store_exists(t, CLS_PIF, tagged))
			e = pif_attach(t, tagged);
		if (!e)
			e = network_realise(t, net);
		free(vl);
		free(tagged);
	} else if (bm && xv_len(bm)) {
		const char *bond = xv_s(xv_array_get(bm, 0));
		char *br = obj_get_str(t, CLS_network, net, "bridge");
		xv *slaves = NULL;
		size_t n = 0;
		char **sl = net_find(t, CLS_PIF, "bond_slave_of", bond, &n);
		const char **mem = hx_calloc(n + 1, sizeof(char *));
		char **devs = hx_calloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++) {
			devs[i] = obj_get_str(t, CLS_PIF, sl[i], "device");
			mem[i] = devs[i];
			(void)net_link_set_up(devs[i], true);
		}
		char *mode = obj_get_str(t, CLS_Bond, bond, "mode");
		xv *props = obj_get(t, CLS_Bond, bond, "properties");
		const char **kv = hx_calloc(2 * xv_len(props) + 3, sizeof(char *));
		size_t k = 0;
		/* XAPI's property names as OVS other_config keys. */
		for (size_t i = 0; props && props->kind == XV_STRUCT && i < xv_len(props); i++) {
			const char *pk = props->u.st.m[i].key;
			const char *ok = !strcmp(pk, "updelay")	  ? "bond-updelay" :
					 !strcmp(pk, "downdelay") ? "bond-downdelay" :
					 !strcmp(pk, "lacp-time") ? "lacp-time" :
								    NULL;
			if (!ok)
				continue;
			kv[k++] = ok;
			kv[k++] = xv_s(props->u.st.m[i].val);
		}
		if (!(rc = b->ops->bridge_add(b, br, 0, &err)))
			rc = b->ops->bond_add(b, br, dev, mem, mode, kv, &err);
		if (rc)
			e = net_backend_err("cannot attach the bond", rc, err);
		else
			free(err);
		free(kv);
		xv_free(props);
		free(mode);
		for (size_t i = 0; i < n; i++)
			free(devs[i]);
		free(devs);
		free(mem);
		net_free_refs(sl, n);
		xv_free(slaves);
		free(br);
	} else if (acc && xv_len(acc)) {
		/* A tunnel access PIF: tunnel.c made the port; realise it. */
		e = network_realise(t, net);
	} else {
		char *br = obj_get_str(t, CLS_network, net, "bridge");
		netb_port p = { .name = dev, .type = NETB_PORT_SYSTEM };
		const char *ids[] = { "xs-network-uuid", "", NULL };
		char *nu = obj_get_str(t, CLS_network, net, "uuid");
		ids[1] = nu;
		p.ids = ids;
		(void)net_link_set_up(dev, true);
		if (!net_link_exists(dev))
			rc = -ENODEV, err = hx_asprintf("no device %s on this host", dev);
		if (!rc && !(rc = b->ops->bridge_add(b, br, 0, &err)))
			rc = b->ops->port_add(b, br, &p, &err);
		if (rc)
			e = net_backend_err("cannot attach the PIF", rc, err);
		else
			free(err);
		free(nu);
		free(br);
	}
	xv_free(r);
	return e;
}

/* Removes the PIF's device (or bond) from the switch. */
static void pif_detach(txn *t, const char *pif)
{
	netb *b = net_backend();
	if (!b)
		return;
	char *dev = obj_get_str(t, CLS_PIF, pif, "device");
	xv *vl = obj_get(t, CLS_PIF, pif, "VLAN");
	bool vlan = vl && vl->kind == XV_INT && vl->u.i >= 0;
	xv_free(vl);
	if (!vlan && *dev)
		(void)b->ops->port_del(b, dev, NULL);
	free(dev);
}

/* ---- messages --------------------------------------------------------------- */

xerr *op_PIF_scan(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *host = xv_s(args[0]);
	if (strcmp(host, ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED", "PIF.scan: only this host can be scanned",
				NULL);
	net_lock();
	xerr *e = pif_scan(ctx->app, host);
	net_unlock();
	return e;
}

static bool mac_ok(const char *m)
{
	unsigned v[6];
	char tail;
	return m && strlen(m) == 17 &&
	       sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		      &tail) == 6;
}

xerr *op_PIF_introduce(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *host = xv_s(args[0]), *mac = xv_s(args[1]), *dev = xv_s(args[2]);
	bool managed = args[3]->u.b;
	if (strcmp(host, ctx->app->host_ref))
		return xerr_new("OPERATION_NOT_ALLOWED",
				"PIF.introduce: only this host's NICs can be introduced", NULL);
	if (*mac && !mac_ok(mac))
		return xerr_new("MAC_INVALID", mac, NULL);
	char *have = net_ifname_ok(dev) ? sysfs(dev, "address") : NULL;
	if (!have || (*mac && strcasecmp(have, mac))) {
		free(have);
		return xerr_new(
			"COULD_NOT_FIND_NETWORK_INTERFACE_WITH_SPECIFIED_DEVICE_NAME_AND_MAC_ADDRESS",
			dev, mac, NULL);
	}
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	char *pif = NULL;
	if (!e && pif_known(t, host, dev))
		e = xerr_new("DUPLICATE_PIF_DEVICE_NAME", dev, NULL);
	if (!e)
		e = introduce(t, host, dev, have, managed, &pif);
	if (!e) {
		e = db_commit(t);
		t = NULL;
	}
	store_rollback(t);
	free(have);
	if (!e && !db_begin(ctx, false, &t)) {
		char *net = obj_get_str(t, CLS_PIF, pif, "network");
		e = network_realise(t, net);
		free(net);
		store_rollback(t);
	}
	net_unlock();
	if (!e)
		*result = xv_str_own(pif);
	else
		free(pif);
	return e;
}

/* The checks every change of a PIF shares; *rec receives the record. */
static xerr *pif_begin(call_ctx *ctx, const char *pif, bool write, txn **t, xv **rec)
{
	xerr *e = db_begin(ctx, write, t);
	if (e)
		return e;
	if ((e = check_ref(*t, CLS_PIF, pif)) || (e = store_get_record(*t, CLS_PIF, pif, rec))) {
		*t = store_rollback(*t);
		return e;
	}
	return NULL;
}

xerr *op_PIF_forget(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	xv *tun = xv_struct_get(r, "tunnel_transport_PIF_of");
	xv *vs = xv_struct_get(r, "VLAN_slave_of");
	xv *bm = xv_struct_get(r, "bond_master_of");
	if (net_rec_bool(r, "management"))
		e = xerr_new("PIF_IS_MANAGEMENT_INTERFACE", pif, NULL);
	else if (tun && xv_len(tun))
		e = xerr_new("PIF_TUNNEL_STILL_EXISTS", pif, NULL);
	else if (vs && xv_len(vs))
		e = xerr_new("PIF_VLAN_STILL_EXISTS", pif, NULL);
	else if (bm && xv_len(bm))
		e = xerr_new("PIF_IS_NOT_PHYSICAL", pif, NULL);
	else if (*net_rec_str(r, "bond_slave_of") && strcmp(net_rec_str(r, "bond_slave_of"),
							    HX_NULL_REF))
		e = xerr_new("PIF_ALREADY_BONDED", pif, NULL);
	else if (net_rec_int(r, "VLAN") >= 0)
		e = xerr_new("PIF_IS_VLAN", pif, NULL);
	if (!e) {
		pif_detach(t, pif);
		const char *met = net_rec_str(r, "metrics");
		if (store_exists(t, CLS_PIF_metrics, met))
			e = store_destroy(t, CLS_PIF_metrics, met);
		if (!e)
			e = store_destroy(t, CLS_PIF, pif);
	}
	if (!(e = net_end(t, r, e)))
		net_dhcp_stop(pif);
	return e;
}

xerr *op_PIF_plug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	const char *bs = net_rec_str(r, "bond_slave_of");
	if (*bs && strcmp(bs, HX_NULL_REF) && store_exists(t, CLS_Bond, bs))
		e = xerr_new("CANNOT_PLUG_BOND_SLAVE", pif, NULL);
	if (!e)
		e = pif_attach(t, pif);
	if (!e)
		e = obj_set(t, CLS_PIF, pif, "currently_attached", xv_bool(true));
	bool dhcp = !strcmp(net_rec_str(r, "ip_configuration_mode"), "DHCP");
	bool mgmt = net_rec_bool(r, "management");
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	char *mode6 = hx_strdup(net_rec_str(r, "ipv6_configuration_mode"));
	xv *v6 = xv_struct_get(r, "IPv6");
	v6 = v6 ? xv_dup(v6) : NULL;
	if (!(e = net_end(t, r, e)) && *br) {
		if (dhcp)
			(void)net_dhcp_start(ctx->app, pif, br, mgmt);
		(void)netb_settle(net_backend(), NULL);
		(void)net_ipv6_apply(ctx->app, pif, br, mode6, v6, false, true);
	}
	xv_free(v6);
	free(mode6);
	free(br);
	return e;
}

xerr *op_PIF_unplug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	if (net_rec_bool(r, "management"))
		e = xerr_new("PIF_IS_MANAGEMENT_INTERFACE", pif, NULL);
	else if (net_rec_bool(r, "disallow_unplug"))
		e = xerr_new("PIF_DOES_NOT_ALLOW_UNPLUG", pif, NULL);
	if (!e) {
		pif_detach(t, pif);
		e = obj_set(t, CLS_PIF, pif, "currently_attached", xv_bool(false));
	}
	if (!(e = net_end(t, r, e)))
		net_dhcp_stop(pif);
	return e;
}

/* Runs ip(8) with args; 0 or -EIO. */
static int run_ip(const char *const *argv)
{
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int r = posix_spawnp(&pid, "ip", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/* The prefix length of a dotted netmask, or -1. */
static int prefix_of(const char *mask)
{
	struct in_addr a;
	if (inet_pton(AF_INET, mask, &a) != 1)
		return -1;
	uint32_t v = ntohl(a.s_addr);
	int n = 0;
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	return (n == 32 || !(v << n)) ? n : -1;
}

xerr *op_PIF_reconfigure_ip(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pif = xv_s(args[0]), *mode = xv_s(args[1]), *ip = xv_s(args[2]),
		   *mask = xv_s(args[3]), *gw = xv_s(args[4]), *dns = xv_s(args[5]);
	bool stat = !strcasecmp(mode, "Static");
	struct in_addr a;
	int plen = 24;
	if (stat) {
		if (inet_pton(AF_INET, ip, &a) != 1)
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", "IP", NULL);
		if ((plen = prefix_of(mask)) < 0)
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", "netmask", NULL);
		if (*gw && inet_pton(AF_INET, gw, &a) != 1)
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", "gateway", NULL);
	}
	bool dhcp = !strcasecmp(mode, "DHCP");
	if (!stat && !dhcp && strcasecmp(mode, "None"))
		return xerr_new("INVALID_VALUE", "mode", mode, NULL);
	/* A running client goes first (its lease reader writes the PIF). */
	net_lock();
	net_dhcp4_stop(pif);
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	/* The bridge's device exists once the switch applied the changes. */
	(void)netb_settle(net_backend(), NULL);
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	bool run_client = dhcp && net_rec_bool(r, "currently_attached") && *br;
	bool mgmt = net_rec_bool(r, "management");
	if (net_rec_bool(r, "currently_attached") && *br && net_link_exists(br)) {
		const char *flush[] = { "ip", "-4", "addr", "flush", "dev", br, NULL };
		int rc = run_ip(flush);
		if (!rc && stat) {
			char *cidr = hx_asprintf("%s/%d", ip, plen);
			const char *add[] = { "ip", "addr", "add", cidr, "dev", br, NULL };
			const char *up[] = { "ip", "link", "set", br, "up", NULL };
			rc = run_ip(add);
			if (!rc)
				rc = run_ip(up);
			free(cidr);
			/* The flush took the default route with the old address:
			 * the management PIF's goes via the new gateway. */
			const char *dr[] = { "ip", "-4", "route", "replace", "default",
					     "via", gw, "dev", br, NULL };
			if (!rc && mgmt && *gw)
				rc = run_ip(dr);
		}
		if (rc)
			e = xerr_new("PIF_CONFIGURATION_ERROR", pif, "ip(8) failed on the bridge",
				     NULL);
	}
	const char *canon = stat ? "Static" : dhcp ? "DHCP" : "None";
	if (!e &&
	    (!(e = obj_set(t, CLS_PIF, pif, "ip_configuration_mode", xv_str(canon)))) &&
	    (!(e = obj_set(t, CLS_PIF, pif, "IP", xv_str(stat ? ip : "")))) &&
	    (!(e = obj_set(t, CLS_PIF, pif, "netmask", xv_str(stat ? mask : "")))) &&
	    (!(e = obj_set(t, CLS_PIF, pif, "gateway", xv_str(stat ? gw : "")))))
		e = obj_set(t, CLS_PIF, pif, "DNS", xv_str(stat ? dns : ""));
	if (!e)
		e = db_commit(t);
	else
		store_rollback(t);
	xv_free(r);
	/* The client runs under the lock so that a concurrent change of the
	 * same PIF cannot leave a second one behind. */
	int rc = 0;
	if (!e && run_client &&
	    (rc = net_dhcp_start(ctx->app, pif, br, mgmt)))
		e = xerr_new("PIF_CONFIGURATION_ERROR", pif, "cannot run the DHCP client", NULL);
	net_unlock();
	free(br);
	/* XAPI returns once the client has its lease (or gave up waiting). */
	if (!e && run_client)
		(void)net_dhcp_wait(pif, false, 10);
	return e;
}

xerr *op_PIF_reconfigure_ipv6(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *pif = xv_s(args[0]), *mode = xv_s(args[1]), *ip = xv_s(args[2]),
		   *gw = xv_s(args[3]), *dns = xv_s(args[4]);
	static const char *const modes[] = { "None", "DHCP", "Static", "Autoconf" };
	const char *canon = NULL;
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++)
		if (!strcasecmp(mode, modes[i]))
			canon = modes[i];
	if (!canon)
		return xerr_new("INVALID_VALUE", "mode", mode, NULL);
	bool stat = !strcmp(canon, "Static"), dhcp = !strcmp(canon, "DHCP");
	if (stat) {
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%s", ip);
		char *slash = strchr(tmp, '/');
		if (slash)
			*slash++ = 0;
		struct in6_addr a;
		size_t nd = slash ? strspn(slash, "0123456789") : 0;
		if (!slash || inet_pton(AF_INET6, tmp, &a) != 1 || !nd || nd > 3 || slash[nd] ||
		    atoi(slash) < 1 || atoi(slash) > 128 || strlen(ip) >= sizeof(tmp))
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", "IPv6", NULL);
		if (*gw && inet_pton(AF_INET6, gw, &a) != 1)
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", "gateway", NULL);
	}
	/* A running DHCPv6 client goes first (its lease reader writes the PIF). */
	net_lock();
	net_dhcp6_stop(pif);
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	(void)netb_settle(net_backend(), NULL);
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	bool live = net_rec_bool(r, "currently_attached") && *br && net_link_exists(br);
	xv *v6 = xv_array();
	if (stat)
		xv_array_push(v6, xv_str(ip));
	if (live && net_ipv6_apply(ctx->app, pif, br, canon, v6, true, false))
		e = xerr_new("PIF_CONFIGURATION_ERROR", pif, "cannot configure IPv6 on the bridge",
			     NULL);
	if (!e && live && stat && net_rec_bool(r, "management") &&
	    net_ipv6_default_route(br, gw))
		e = xerr_new("PIF_CONFIGURATION_ERROR", pif, "cannot set the IPv6 default route",
			     NULL);
	if (!e)
		e = obj_set(t, CLS_PIF, pif, "ipv6_configuration_mode", xv_str(canon));
	if (!e) {
		e = obj_set(t, CLS_PIF, pif, "IPv6", v6);
		v6 = NULL;
	}
	if (!e)
		e = obj_set(t, CLS_PIF, pif, "ipv6_gateway", xv_str(stat ? gw : ""));
	if (!e)
		e = obj_set(t, CLS_PIF, pif, "DNS", xv_str(dns));
	xv_free(v6);
	if (!e)
		e = db_commit(t);
	else
		store_rollback(t);
	xv_free(r);
	/* The client runs under the lock (no second one for the PIF). */
	bool run_client = !e && live && dhcp;
	if (run_client && net_dhcp6_start(ctx->app, pif, br))
		e = xerr_new("PIF_CONFIGURATION_ERROR", pif, "cannot run the DHCPv6 client",
			     NULL);
	net_unlock();
	free(br);
	/* As for IPv4, the call returns once the client has its lease (or
	 * gave up waiting). */
	if (!e && run_client)
		(void)net_dhcp_wait(pif, true, 10);
	return e;
}

/* host.management_reconfigure: the management flag moves to pif, which
 * must have an IP configuration (XAPI's rule); the host's address moves
 * with it. */
xerr *op_host_management_reconfigure(call_ctx *ctx, const api_msg *m, xv *const *args,
				     xv **result)
{
	const char *pif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *r = NULL;
	xerr *e = pif_begin(ctx, pif, true, &t, &r);
	if (e) {
		net_unlock();
		return e;
	}
	if (strcmp(net_rec_str(r, "host"), ctx->app->host_ref))
		e = xerr_new("PIF_NOT_ATTACHED_TO_HOST", pif, ctx->app->host_ref, NULL);
	else if (!strcasecmp(net_rec_str(r, "ip_configuration_mode"), "None") &&
		 !strcasecmp(net_rec_str(r, "ipv6_configuration_mode"), "None"))
		e = xerr_new("PIF_HAS_NO_NETWORK_CONFIGURATION", pif, NULL);
	size_t n = 0;
	char **pifs = e ? NULL : net_find(t, CLS_PIF, "host", ctx->app->host_ref, &n);
	char *old = NULL;
	for (size_t i = 0; !e && i < n; i++) {
		xv *mg = obj_get(t, CLS_PIF, pifs[i], "management");
		if (!old && strcmp(pifs[i], pif) && mg && mg->kind == XV_BOOL && mg->u.b)
			old = hx_strdup(pifs[i]);
		xv_free(mg);
		e = obj_set(t, CLS_PIF, pifs[i], "management", xv_bool(!strcmp(pifs[i], pif)));
	}
	net_free_refs(pifs, n);
	if (!e && !net_rec_bool(r, "currently_attached")) {
		e = pif_attach(t, pif);
		if (!e)
			e = obj_set(t, CLS_PIF, pif, "currently_attached", xv_bool(true));
	}
	const char *ip = net_rec_str(r, "IP");
	if (!e && *ip)
		e = obj_set(t, CLS_host, ctx->app->host_ref, "address", xv_str(ip));
	/* The default route follows the management interface. */
	if (!(e = net_end(t, r, e)))
		net_mgmt_routes(ctx->app, old, pif);
	free(old);
	return e;
}
