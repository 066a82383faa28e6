/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The management takeover (netcore.h net_mgmt_takeover): when
 * HALYARD_NET_MANAGEMENT names a NIC and no PIF of this host is the
 * management PIF yet, the NIC's IP configuration moves to the bridge of
 * its PIF's network, in an order that keeps the host reachable:
 *
 *   1. the bridge gets the NIC's MAC (peers' ARP caches stay right, a
 *      DHCP server sees the same client) and is set up;
 *   2. every address of the NIC is added on the bridge (IPv6 without DAD:
 *      the address is the host's own);
 *   3. the NIC becomes a port of the bridge (the PIF is attached);
 *   4. the NIC's routes (other than the kernel's connected ones) are
 *      replaced by the same routes through the bridge ("ip route replace"
 *      moves a route with the same key in one step);
 *   5. the addresses are removed from the NIC.
 *
 * Then the PIF is recorded as management, attached, with its IP
 * configuration (Static with the address, or DHCP when the address was
 * leased, then the DHCP client runs on the bridge) and host.address is
 * the address. DNS is left alone (resolv.conf is not ours).
 *
 * Every step is idempotent and reads the state from both the NIC and the
 * bridge, so a crash half-way is finished by the next start; once the
 * database has a management PIF nothing is done again.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api_ids.h"
#include "dispatch.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

typedef struct {
	char addr[64];
	int plen;
	bool v6, dynamic;
} ipaddr;

typedef struct {
	char dst[64], via[64], proto[32], src[64];
	int64_t metric;
	bool v6;
} iproute;

typedef struct {
	ipaddr a[16];
	size_t na;
	iproute r[32];
	size_t nr;
} ipstate;

/* Global addresses of dev (not link-local ones). */
static void read_addrs(const char *dev, ipstate *s)
{
	const char *argv[] = { "ip", "-j", "addr", "show", "dev", dev, NULL };
	struct json_object *arr = NULL;
	if (net_ip_json(argv, &arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *link = json_object_array_get_idx(arr, i), *ai = NULL;
		if (!json_object_object_get_ex(link, "addr_info", &ai) ||
		    !json_object_is_type(ai, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(ai) && s->na < 16; k++) {
			struct json_object *o = json_object_array_get_idx(ai, k);
			const char *fam = net_json_str(o, "family"), *loc = net_json_str(o, "local");
			const char *scope = net_json_str(o, "scope");
			int64_t plen = net_json_int(o, "prefixlen", -1);
			if (!fam || !loc || !scope || strcmp(scope, "global") || plen < 0 ||
			    strlen(loc) >= sizeof(s->a[0].addr))
				continue;
			bool v6 = !strcmp(fam, "inet6");
			if (!v6 && strcmp(fam, "inet"))
				continue;
			bool dup = false;
			for (size_t j = 0; j < s->na; j++)
				dup |= !strcmp(s->a[j].addr, loc);
			if (dup)
				continue;
			ipaddr *a = &s->a[s->na++];
			snprintf(a->addr, sizeof(a->addr), "%s", loc);
			a->plen = (int)plen;
			a->v6 = v6;
			a->dynamic = net_json_bool(o, "dynamic");
		}
	}
	json_object_put(arr);
}

/* Routes through dev that the kernel did not make for an address. */
static void read_routes(const char *dev, bool v6, ipstate *s)
{
	const char *argv[] = { "ip", "-j", v6 ? "-6" : "-4", "route", "show", "dev", dev, NULL };
	struct json_object *arr = NULL;
	if (net_ip_json(argv, &arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr) && s->nr < 32; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *dst = net_json_str(o, "dst"), *proto = net_json_str(o, "protocol");
		const char *via = net_json_str(o, "gateway"), *src = net_json_str(o, "prefsrc");
		if (!dst || (proto && (!strcmp(proto, "kernel") || !strcmp(proto, "ra"))) ||
		    !strncmp(dst, "fe80:", 5) || !strncmp(dst, "ff00:", 5) || strlen(dst) >= 64 ||
		    (via && strlen(via) >= 64) || (src && strlen(src) >= 64) ||
		    (proto && strlen(proto) >= 32))
			continue;
		bool dup = false;
		for (size_t j = 0; j < s->nr; j++)
			dup |= !strcmp(s->r[j].dst, dst) && s->r[j].v6 == v6;
		if (dup)
			continue;
		iproute *r = &s->r[s->nr++];
		memset(r, 0, sizeof(*r));
		snprintf(r->dst, sizeof(r->dst), "%s", dst);
		snprintf(r->via, sizeof(r->via), "%s", via ? via : "");
		snprintf(r->src, sizeof(r->src), "%s", src ? src : "");
		snprintf(r->proto, sizeof(r->proto), "%s", proto ? proto : "");
		r->metric = net_json_int(o, "metric", -1);
		r->v6 = v6;
	}
	json_object_put(arr);
}

static char *mask_of(int plen)
{
	struct in_addr a = { .s_addr = htonl(plen <= 0 ? 0 : 0xffffffffu << (32 - plen)) };
	char b[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, b, sizeof(b));
	return hx_strdup(b);
}

/* The bridge's MAC: on OVS a Bridge other_config:hwaddr (vswitchd would
 * reset a MAC set on the device), on a Linux bridge the device's own. */
static void bridge_mac(const char *br, const char *mac)
{
	if (!*mac)
		return;
	if (!strcmp(net_backend_name(), "openvswitch")) {
		const char *db = getenv("HALYARD_OVS_DB");
		char *err = NULL;
		int r = netb_ovs_bridge_hwaddr(db && *db ? db : "/run/openvswitch/db.sock", br, mac,
					       &err);
		if (r)
			fprintf(stderr, "xapid: management takeover: hwaddr of %s: %s\n", br,
				err ? err : strerror(-r));
		free(err);
		return;
	}
	const char *argv[] = { "ip", "link", "set", "dev", br, "address", mac, NULL };
	(void)net_ip(argv);
}

/* Puts the addresses of s on br (see the file comment). IPv6 addresses
 * stay when vswitchd takes the device down and up again. */
static int add_addrs(const char *br, ipstate *s)
{
	char *sysctl = hx_asprintf("/proc/sys/net/ipv6/conf/%s/keep_addr_on_down", br);
	FILE *f = fopen(sysctl, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	free(sysctl);
	const char *up[] = { "ip", "link", "set", "dev", br, "up", NULL };
	int rc = net_ip(up);
	for (size_t i = 0; !rc && i < s->na; i++) {
		char cidr[80];
		snprintf(cidr, sizeof(cidr), "%s/%d", s->a[i].addr, s->a[i].plen);
		const char *v4[] = { "ip", "addr", "replace", cidr, "dev", br, NULL };
		const char *v6[] = { "ip", "-6", "addr", "replace", cidr, "dev", br, "nodad", NULL };
		rc = net_ip(s->a[i].v6 ? v6 : v4);
	}
	return rc;
}

static void move_routes(const char *nic, const char *br, ipstate *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		iproute *r = &s->r[i];
		char metric[24];
		snprintf(metric, sizeof(metric), "%lld", (long long)r->metric);
		const char *argv[20];
		size_t k = 0;
		argv[k++] = "ip";
		argv[k++] = r->v6 ? "-6" : "-4";
		argv[k++] = "route";
		argv[k++] = "replace";
		argv[k++] = r->dst;
		if (*r->via) {
			argv[k++] = "via";
			argv[k++] = r->via;
		}
		argv[k++] = "dev";
		argv[k++] = br;
		if (r->metric >= 0) {
			argv[k++] = "metric";
			argv[k++] = metric;
		}
		if (*r->proto) {
			argv[k++] = "proto";
			argv[k++] = r->proto;
		}
		if (*r->src) {
			argv[k++] = "src";
			argv[k++] = r->src;
		}
		argv[k] = NULL;
		if (net_ip(argv))
			fprintf(stderr, "xapid: management takeover: cannot move route %s\n", r->dst);
		/* What replace did not take over (another metric key) goes. */
		const char *del[] = { "ip", r->v6 ? "-6" : "-4", "route", "del", r->dst,
				      "dev", nic, NULL };
		(void)net_ip(del);
	}
}

static void drop_addrs(const char *nic, ipstate *s)
{
	for (size_t i = 0; i < s->na; i++) {
		char cidr[80];
		snprintf(cidr, sizeof(cidr), "%s/%d", s->a[i].addr, s->a[i].plen);
		const char *argv[] = { "ip", "addr", "del", cidr, "dev", nic, NULL };
		(void)net_ip(argv);
	}
}

/* The PIF record after the move. */
static xerr *record(txn *t, struct xapid *app, const char *pif, ipstate *s)
{
	const ipaddr *v4 = NULL, *v6 = NULL;
	const char *gw4 = "", *gw6 = "";
	for (size_t i = 0; i < s->na; i++) {
		if (!s->a[i].v6 && !v4)
			v4 = &s->a[i];
		if (s->a[i].v6 && !v6)
			v6 = &s->a[i];
	}
	for (size_t i = 0; i < s->nr; i++) {
		if (strcmp(s->r[i].dst, "default") || !*s->r[i].via)
			continue;
		if (!s->r[i].v6 && !*gw4)
			gw4 = s->r[i].via;
		if (s->r[i].v6 && !*gw6)
			gw6 = s->r[i].via;
	}
	char *mask = v4 ? mask_of(v4->plen) : hx_strdup("");
	xerr *e = NULL;
	if (!(e = obj_set(t, CLS_PIF, pif, "currently_attached", xv_bool(true))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "management", xv_bool(true))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "ip_configuration_mode",
			  xv_str(!v4 ? "None" : v4->dynamic ? "DHCP" : "Static"))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "IP", xv_str(v4 ? v4->addr : ""))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "netmask", xv_str(mask))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "gateway", xv_str(v4 ? gw4 : ""))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "ipv6_configuration_mode",
			  xv_str(!v6 ? "None" : v6->dynamic ? "Autoconf" : "Static"))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "ipv6_gateway", xv_str(v6 ? gw6 : ""))) &&
	    !(e = obj_set(t, CLS_PIF, pif, "primary_address_type", xv_str(v4 || !v6 ? "IPv4" : "IPv6")))) {
		xv *l6 = xv_array();
		for (size_t i = 0; i < s->na; i++)
			if (s->a[i].v6) {
				char *c = hx_asprintf("%s/%d", s->a[i].addr, s->a[i].plen);
				xv_array_push(l6, xv_str_own(c));
			}
		e = obj_set(t, CLS_PIF, pif, "IPv6", l6);
	}
	if (!e && (v4 || v6))
		e = obj_set(t, CLS_host, app->host_ref, "address", xv_str(v4 ? v4->addr : v6->addr));
	free(mask);
	return e;
}

static void log_net_err(const char *what, xerr *e)
{
	char *d = xv_to_debug(xerr_to_xv(e));
	fprintf(stderr, "xapid: network: %s: %s\n", what, d);
	free(d);
	xerr_free(e);
}

void net_mgmt_takeover(struct xapid *app)
{
	const char *nic = getenv("HALYARD_NET_MANAGEMENT");
	if (!nic || !*nic || !net_backend())
		return;
	txn *t;
	xerr *e = store_begin(app->db, true, &t);
	if (e) {
		xerr_free(e);
		return;
	}
	size_t n = 0;
	char **pifs = net_find(t, CLS_PIF, "host", app->host_ref, &n);
	char *pif = NULL;
	bool have_mgmt = false;
	for (size_t i = 0; i < n; i++) {
		xv *mg = obj_get(t, CLS_PIF, pifs[i], "management");
		have_mgmt |= mg && mg->kind == XV_BOOL && mg->u.b;
		xv_free(mg);
		char *dev = obj_get_str(t, CLS_PIF, pifs[i], "device");
		xv *vl = obj_get(t, CLS_PIF, pifs[i], "VLAN");
		if (!pif && !strcmp(dev, nic) && vl && vl->kind == XV_INT && vl->u.i < 0)
			pif = hx_strdup(pifs[i]);
		xv_free(vl);
		free(dev);
	}
	net_free_refs(pifs, n);
	if (have_mgmt || !pif) {
		if (!have_mgmt)
			fprintf(stderr, "xapid: management takeover: no PIF for %s\n", nic);
		store_rollback(t);
		free(pif);
		return;
	}
	char *net = obj_get_str(t, CLS_PIF, pif, "network");
	char *br = obj_get_str(t, CLS_network, net, "bridge");
	char *mac = obj_get_str(t, CLS_PIF, pif, "MAC");
	ipstate *s = hx_calloc(1, sizeof(*s));
	/* After a crash half-way the configuration may be on either side. */
	read_addrs(nic, s);
	read_addrs(br, s);
	read_routes(nic, false, s);
	read_routes(nic, true, s);
	read_routes(br, false, s);
	read_routes(br, true, s);
	printf("xapid: management takeover: %s -> %s (%zu addresses, %zu routes)\n", nic, br,
	       s->na, s->nr);
	bridge_mac(br, mac);
	/* The bridge's device exists once the switch applied its creation
	 * (backend changes do not wait for the datapath). */
	(void)netb_settle(net_backend(), NULL);
	if (add_addrs(br, s))
		e = xerr_newf("INTERNAL_ERROR", "cannot put the addresses of %s on %s", nic, br);
	if (!e)
		e = pif_attach(t, pif);
	/* Again: the port change may have taken the device down and up. */
	if (!e)
		(void)netb_settle(net_backend(), NULL);
	if (!e && add_addrs(br, s))
		e = xerr_newf("INTERNAL_ERROR", "cannot put the addresses of %s on %s", nic, br);
	if (!e) {
		move_routes(nic, br, s);
		drop_addrs(nic, s);
		e = record(t, app, pif, s);
	}
	if (e) {
		/* The NIC keeps its addresses (step 5 did not run). */
		log_net_err("management takeover", e);
		store_rollback(t);
	} else if ((e = store_commit(t))) {
		log_net_err("management takeover: commit", e);
	} else {
		printf("xapid: management takeover of %s done\n", nic);
	}
	free(s);
	free(mac);
	free(br);
	free(net);
	free(pif);
}

typedef struct {
	char *br, *mode, *gw;
	bool attached;
} pifinfo;

static void info_of(txn *t, const char *pif, pifinfo *i)
{
	memset(i, 0, sizeof(*i));
	if (!pif || !store_exists(t, CLS_PIF, pif))
		return;
	char *net = obj_get_str(t, CLS_PIF, pif, "network");
	i->br = obj_get_str(t, CLS_network, net, "bridge");
	i->mode = obj_get_str(t, CLS_PIF, pif, "ip_configuration_mode");
	i->gw = obj_get_str(t, CLS_PIF, pif, "gateway");
	xv *a = obj_get(t, CLS_PIF, pif, "currently_attached");
	i->attached = a && a->kind == XV_BOOL && a->u.b;
	xv_free(a);
	free(net);
}

static void info_free(pifinfo *i)
{
	free(i->br);
	free(i->mode);
	free(i->gw);
}

void net_mgmt_routes(struct xapid *app, const char *old_pif, const char *pif)
{
	txn *t;
	if (store_begin(app->db, false, &t))
		return;
	pifinfo o, n;
	info_of(t, old_pif, &o);
	info_of(t, pif, &n);
	store_rollback(t);
	net_lock();
	if (o.mode && !strcmp(o.mode, "DHCP") && o.attached && *o.br)
		(void)net_dhcp_start(app, old_pif, o.br, false);
	bool wait = false;
	if (n.mode && n.attached && *n.br) {
		if (!strcmp(n.mode, "DHCP")) {
			wait = !net_dhcp_start(app, pif, n.br, true);
		} else if (!strcmp(n.mode, "Static") && *n.gw) {
			const char *argv[] = { "ip", "-4", "route", "replace", "default",
					       "via", n.gw, "dev", n.br, NULL };
			if (net_ip(argv))
				fprintf(stderr, "xapid: network: cannot set the default route via %s\n",
					n.gw);
		}
	}
	net_unlock();
	if (wait)
		(void)net_dhcp_wait(pif, false, 10);
	info_free(&o);
	info_free(&n);
}

/* The prefix length of a dotted IPv4 netmask (32 when malformed). */
static int plen_of(const char *mask)
{
	struct in_addr a;
	if (inet_pton(AF_INET, mask, &a) != 1)
		return 32;
	uint32_t v = ntohl(a.s_addr);
	int n = 0;
	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	return n;
}

static void ip_pif(struct xapid *app, txn *t, const char *pif, const xv *r, void *arg)
{
	(void)app;
	(void)pif;
	(void)arg;
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	if (net_rec_bool(r, "currently_attached") && *br && net_link_exists(br)) {
		const char *ip = net_rec_str(r, "IP"), *gw = net_rec_str(r, "gateway");
		if (!strcmp(net_rec_str(r, "ip_configuration_mode"), "Static") && *ip) {
			char cidr[80];
			snprintf(cidr, sizeof(cidr), "%s/%d", ip,
				 plen_of(net_rec_str(r, "netmask")));
			const char *up[] = { "ip", "link", "set", "dev", br, "up", NULL };
			const char *add[] = { "ip", "addr", "replace", cidr, "dev", br, NULL };
			(void)net_ip(up);
			(void)net_ip(add);
			const char *dr[] = { "ip", "-4", "route", "replace", "default",
					     "via", gw, "dev", br, NULL };
			if (net_rec_bool(r, "management") && *gw)
				(void)net_ip(dr);
		}
		xv *v6 = xv_struct_get(r, "IPv6");
		if (!strcmp(net_rec_str(r, "ipv6_configuration_mode"), "Static")) {
			for (size_t k = 0; v6 && k < xv_len(v6); k++) {
				const char *a6[] = { "ip", "-6", "addr", "replace",
						     xv_s(xv_array_get(v6, k)), "dev", br,
						     "nodad", NULL };
				(void)net_ip(a6);
			}
			if (net_rec_bool(r, "management"))
				(void)net_ipv6_default_route(br, net_rec_str(r, "ipv6_gateway"));
		}
	}
	free(br);
}

void net_ip_reconcile(struct xapid *app)
{
	net_each_pif(app, ip_pif, NULL);
}
