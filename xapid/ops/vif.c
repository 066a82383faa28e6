/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VIFs: VIF.create (MAC generation, device allocation), destroy, plug,
 * unplug, unplug_force, move, locking_mode and ipv4/ipv6_allowed, QoS,
 * and the switch side of a VIF.
 *
 * The host side of a VIF is the device vif<domid>.<device> (XAPI's name):
 * a tap created here when no device of that name exists yet (QEMU then
 * opens it by name; an existing device of that name, such as a veth a
 * test puts there for a guest, is used as it is). It becomes a port of
 * the network's bridge (with the VLAN tag of a VLAN network), with
 *   - ingress policing when qos_algorithm_type is "ratelimit": params
 *     kbps is kilobytes per second as in XenServer's documentation, so the
 *     port's rate is 8 * kbps kilobits per second;
 *   - OpenFlow port security per locking_mode (network_default means the
 *     network's default_locking_mode): locked lets only the VIF's MAC
 *     with ipv4_allowed / ipv6_allowed sources (and DHCP) through,
 *     disabled drops everything from the VIF, unlocked adds nothing.
 * Every port carries external_ids xs-vif-uuid, xs-vm-uuid,
 * xs-network-uuid and attached-mac, as XAPI's do.
 *
 * A guest's VIF reaches QEMU through vm_vifs.c at the VM's start and
 * through QMP hotplug (qemu_nic.c) on VIF.plug/unplug of a running guest;
 * the control domain's VIFs are host-side devices only.
 *
 * Crash safety: the switch is changed before the database says
 * currently_attached, and vif_reconcile at start removes every vif* port
 * that no attached VIF of a live VM explains and re-creates the ports of
 * those it does, and deletes the guests' vif<domid>.<device> taps no
 * attached VIF explains (also those no port holds any more), so the switch
 * and the host's links converge to the database after kill -9.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "api_ids.h"
#include "dispatch.h"
#include "net_ops.h"
#include "netcore.h"
#include "qemu_nic.h"
#include "ops.h"
#include "util.h"
#include "xapid.h"

#define VIF_DEVICE_MAX 64

char *vif_ifname(int64_t domid, const char *device)
{
	return hx_asprintf("vif%lld.%s", (long long)domid, device);
}

static bool mac_ok(const char *m)
{
	unsigned v[6];
	char tail;
	return m && strlen(m) == 17 &&
	       sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		      &tail) == 6;
}

/* A random locally administered unicast MAC (heap). */
char *vif_new_mac(void)
{
	unsigned char b[6];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (int i = 0; i < 6; i++)
			b[i] = (unsigned char)rand();
	b[0] = (unsigned char)((b[0] & 0xfc) | 0x02);
	return hx_asprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static bool ip_ok(int af, const char *s)
{
	unsigned char buf[16];
	return s && inet_pton(af, s, buf) == 1;
}

static xerr *check_ips(const xv *v, int af)
{
	for (size_t i = 0; v && v->kind == XV_ARRAY && i < xv_len(v); i++)
		if (!ip_ok(af, xv_s(xv_array_get(v, i))))
			return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", xv_s(xv_array_get(v, i)),
					NULL);
	return NULL;
}

/* ---- the switch side ----------------------------------------------------------- */

static const char **str_list(const xv *v)
{
	size_t n = v && v->kind == XV_ARRAY ? xv_len(v) : 0;
	const char **l = hx_calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		l[i] = xv_s(xv_array_get(v, i));
	return l;
}

/* The VIF's locking mode with network_default resolved. */
static netb_lock lock_mode(txn *t, const xv *rec)
{
	const char *m = net_rec_str(rec, "locking_mode");
	char *nd = NULL;
	if (!*m || !strcmp(m, "network_default")) {
		nd = obj_get_str(t, CLS_network, net_rec_str(rec, "network"),
				 "default_locking_mode");
		m = nd;
	}
	netb_lock l = !strcmp(m, "locked")   ? NETB_LOCK_LOCKED :
		      !strcmp(m, "disabled") ? NETB_LOCK_DISABLED :
					       NETB_LOCK_UNLOCKED;
	free(nd);
	return l;
}

static xerr *apply_lock(txn *t, const xv *rec, const char *br, const char *ifname)
{
	netb *b = net_backend();
	netb_lock l = lock_mode(t, rec);
	const char **v4 = str_list(xv_struct_get(rec, "ipv4_allowed"));
	const char **v6 = str_list(xv_struct_get(rec, "ipv6_allowed"));
	char *err = NULL;
	int r = b->ops->port_set_lock(b, br, ifname, l, net_rec_str(rec, "MAC"), v4, v6, &err);
	free(v4);
	free(v6);
	return r ? net_backend_err("cannot set the VIF's port security", r, err) : (free(err), NULL);
}

xerr *vif_port_up(txn *t, const char *vif, int64_t domid)
{
	netb *b = net_backend();
	if (!b)
		return net_need_backend();
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_VIF, vif, &rec);
	if (e)
		return e;
	char *ifname = vif_ifname(domid, net_rec_str(rec, "device"));
	char *br = NULL, *err = NULL;
	int tag = 0;
	if ((e = net_target(t, net_rec_str(rec, "network"), &br, &tag)))
		goto out;
	int r = 0;
	if (!net_link_exists(ifname) && (r = net_tap_create(ifname, net_rec_str(rec, "MAC")))) {
		e = net_backend_err("cannot create the VIF's tap", r, NULL);
		goto out;
	}
	/* The device carries the network's MTU (a tap starts at 1500). */
	xv *mtu = obj_get(t, CLS_network, net_rec_str(rec, "network"), "MTU");
	if (mtu && mtu->kind == XV_INT && mtu->u.i > 0 &&
	    (r = net_link_set_mtu(ifname, (int)mtu->u.i)))
		fprintf(stderr, "xapid: network: cannot set the MTU of %s to %lld: %s\n", ifname,
			(long long)mtu->u.i, strerror(-r));
	xv_free(mtu);
	r = 0;
	(void)net_link_set_up(ifname, true);
	char *vu = obj_get_str(t, CLS_VM, net_rec_str(rec, "VM"), "uuid");
	char *nu = obj_get_str(t, CLS_network, net_rec_str(rec, "network"), "uuid");
	const char *ids[] = { "xs-vif-uuid", net_rec_str(rec, "uuid"), "xs-vm-uuid", vu,
			      "xs-network-uuid", nu, "attached-mac", net_rec_str(rec, "MAC"),
			      NULL };
	netb_port p = { .name = ifname, .type = NETB_PORT_SYSTEM, .tag = tag, .ids = ids };
	if (!strcmp(net_rec_str(rec, "qos_algorithm_type"), "ratelimit")) {
		xv *qp = xv_struct_get(rec, "qos_algorithm_params");
		const char *k = qp ? xv_struct_str(qp, "kbps") : NULL;
		long long kbps = k ? strtoll(k, NULL, 10) : 0;
		if (kbps > 0) {
			p.rate_kbps = kbps * 8;
			p.burst_kb = p.rate_kbps / 10 > 8 ? p.rate_kbps / 10 : 8;
		}
	}
	r = b->ops->port_add(b, br, &p, &err);
	free(vu);
	free(nu);
	if (r == -ENOENT) {
		/* The bridge is not on the switch (see netback.h port_add). */
		free(err);
		e = xerr_new("BRIDGE_NOT_AVAILABLE", br, NULL);
		goto out;
	}
	if (r) {
		e = net_backend_err("cannot add the VIF's port", r, err);
		goto out;
	}
	free(err);
	e = apply_lock(t, rec, br, ifname);
out:
	free(br);
	free(ifname);
	xv_free(rec);
	return e;
}

void vif_port_down(const char *ifname)
{
	netb *b = net_backend();
	if (b) {
		/* Gone from the datapath (not only from the switch's database)
		 * before the call returns: the guest's traffic stops here. */
		(void)b->ops->port_del(b, ifname, NULL);
		(void)netb_settle(b, NULL);
	}
	/* Only taps are ours to delete (a veth standing in for a guest
	 * belongs to whoever made it). */
	char p[300];
	snprintf(p, sizeof(p), "/sys/class/net/%s/tun_flags", ifname);
	FILE *f = fopen(p, "r");
	if (f) {
		fclose(f);
		(void)net_link_del(ifname);
	}
}

/* The VM's domid when it is Running or Paused, else -1. */
static int64_t live_domid(txn *t, const char *vm)
{
	char *p = obj_get_str(t, CLS_VM, vm, "power_state");
	xv *d = obj_get(t, CLS_VM, vm, "domid");
	int64_t id = (!strcmp(p, "Running") || !strcmp(p, "Paused")) && d && d->kind == XV_INT ?
			     d->u.i :
			     -1;
	free(p);
	xv_free(d);
	return id;
}

xerr *vif_apply_lock(txn *t, const char *vif)
{
	if (!net_backend())
		return NULL;
	xv *rec = NULL;
	xerr *e = store_get_record(t, CLS_VIF, vif, &rec);
	if (e)
		return e;
	int64_t dom = live_domid(t, net_rec_str(rec, "VM"));
	if (net_rec_bool(rec, "currently_attached") && dom >= 0) {
		char *ifname = vif_ifname(dom, net_rec_str(rec, "device"));
		char *br = NULL;
		int tag;
		if (!(e = net_target(t, net_rec_str(rec, "network"), &br, &tag)))
			e = apply_lock(t, rec, br, ifname);
		free(br);
		free(ifname);
	}
	xv_free(rec);
	return e;
}

/* Is name of the form vif<digits>.<digits>? */
static bool is_vif_name(const char *name)
{
	if (strncmp(name, "vif", 3))
		return false;
	const char *p = name + 3;
	size_t a = strspn(p, "0123456789");
	if (!a || p[a] != '.')
		return false;
	p += a + 1;
	size_t b = strspn(p, "0123456789");
	return b && !p[b];
}

void vif_reconcile(struct xapid *app)
{
	netb *b = net_backend();
	txn *t;
	if (!b || store_begin(app->db, true, &t))
		return;
	xv *all = NULL;
	xerr *e = store_get_all_records(t, CLS_VIF, &all);
	size_t nkeep = 0;
	char **keep = hx_calloc(xv_len(all) + 1, sizeof(char *));
	for (size_t i = 0; !e && i < xv_len(all); i++) {
		const char *vif = all->u.st.m[i].key;
		xv *rec = all->u.st.m[i].val;
		if (!net_rec_bool(rec, "currently_attached"))
			continue;
		int64_t dom = live_domid(t, net_rec_str(rec, "VM"));
		if (dom < 0) {
			e = obj_set(t, CLS_VIF, vif, "currently_attached", xv_bool(false));
			continue;
		}
		keep[nkeep++] = vif_ifname(dom, net_rec_str(rec, "device"));
		xerr *pe = vif_port_up(t, vif, dom);
		if (pe) {
			char *d = xv_to_debug(xerr_to_xv(pe));
			fprintf(stderr, "xapid: network: VIF %s: %s\n", vif, d);
			free(d);
			xerr_free(pe);
		}
	}
	xv_free(all);
	if (e) {
		xerr_free(e);
		store_rollback(t);
	} else {
		xerr_free(store_commit(t));
	}
	/* Ports no attached VIF explains: left by a crash mid-plug or by a
	 * VM that went while xapid was down. */
	char **brs = NULL;
	size_t nb = 0;
	if (!b->ops->bridge_list(b, &brs, &nb, NULL)) {
		for (size_t i = 0; i < nb; i++) {
			char **ports = NULL;
			size_t np = 0;
			if (b->ops->port_list(b, brs[i], &ports, &np, NULL))
				continue;
			for (size_t j = 0; j < np; j++) {
				bool wanted = false;
				for (size_t k = 0; k < nkeep && !wanted; k++)
					wanted = !strcmp(keep[k], ports[j]);
				if (is_vif_name(ports[j]) && !wanted) {
					printf("xapid: network: removing stale port %s\n", ports[j]);
					vif_port_down(ports[j]);
				}
				free(ports[j]);
			}
			free(ports);
		}
		net_free_refs(brs, nb);
	}
	/* Taps no attached VIF explains and no port holds any more (a QEMU
	 * killed after its port went, a crash between port and tap removal):
	 * only taps named vif<domid>.<device> of a guest (domid > 0). */
	DIR *d = opendir("/sys/class/net");
	for (struct dirent *de; d && (de = readdir(d));) {
		const char *n = de->d_name;
		bool wanted = false;
		for (size_t k = 0; k < nkeep && !wanted; k++)
			wanted = !strcmp(keep[k], n);
		if (wanted || !is_vif_name(n) || !strncmp(n, "vif0.", 5))
			continue;
		char p[300];
		struct stat sb;
		snprintf(p, sizeof(p), "/sys/class/net/%s/tun_flags", n);
		if (stat(p, &sb))
			continue;
		printf("xapid: network: removing stale tap %s\n", n);
		(void)net_link_del(n);
	}
	if (d)
		closedir(d);
	net_free_refs(keep, nkeep);
}

/* ---- messages ---------------------------------------------------------------- */

xerr *op_VIF_create(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	xv *rec = args[0];
	if (!rec || rec->kind != XV_STRUCT)
		return implicit_call(ctx, args, result);
	const char *mac = xv_struct_str(rec, "MAC");
	bool gen = !mac || !*mac;
	if (!gen && !mac_ok(mac))
		return xerr_new("MAC_INVALID", mac, NULL);
	xerr *e = check_ips(xv_struct_get(rec, "ipv4_allowed"), AF_INET);
	if (!e)
		e = check_ips(xv_struct_get(rec, "ipv6_allowed"), AF_INET6);
	if (e)
		return e;
	const char *vm = xv_struct_str(rec, "VM");
	const char *dev = xv_struct_str(rec, "device");
	net_lock();
	txn *t;
	if ((e = db_begin(ctx, false, &t))) {
		net_unlock();
		return e;
	}
	/* Dangling refs answer HANDLE_INVALID before anything else. */
	const char *net0 = xv_struct_str(rec, "network");
	if ((vm && (e = check_ref(t, CLS_VM, vm))) || (net0 && (e = check_ref(t, CLS_network, net0)))) {
		store_rollback(t);
		net_unlock();
		return e;
	}
	size_t n = 0;
	char **vifs = vm ? net_find(t, CLS_VIF, "VM", vm, &n) : NULL;
	bool used[VIF_DEVICE_MAX] = { false };
	for (size_t i = 0; i < n; i++) {
		char *d = obj_get_str(t, CLS_VIF, vifs[i], "device");
		char *end;
		long x = strtol(d, &end, 10);
		if (*d && !*end && x >= 0 && x < VIF_DEVICE_MAX)
			used[x] = true;
		free(d);
	}
	net_free_refs(vifs, n);
	if (dev && *dev) {
		char *end;
		long x = strtol(dev, &end, 10);
		if (*end || x < 0 || x >= VIF_DEVICE_MAX || (dev[0] == '0' && dev[1]))
			e = xerr_new("INVALID_DEVICE", dev, NULL);
		else if (used[x])
			e = xerr_new("DEVICE_ALREADY_EXISTS", dev, NULL);
	} else {
		int x = 0;
		while (x < VIF_DEVICE_MAX && used[x])
			x++;
		if (x == VIF_DEVICE_MAX)
			e = xerr_new("INVALID_DEVICE", "", NULL);
		else
			xv_struct_set(rec, "device", xv_strf("%d", x));
	}
	const char *net = xv_struct_str(rec, "network");
	if (!e && !xv_struct_get(rec, "MTU") && net && store_exists(t, CLS_network, net)) {
		xv *mtu = obj_get(t, CLS_network, net, "MTU");
		if (mtu && mtu->kind == XV_INT)
			xv_struct_set(rec, "MTU", mtu);
		else
			xv_free(mtu);
	}
	store_rollback(t);
	if (!e && gen)
		xv_struct_set(rec, "MAC", xv_str_own(vif_new_mac()));
	/* A new VIF is never attached: VIF.plug (or the VM's start) does it. */
	if (!e)
		xv_struct_set(rec, "currently_attached", xv_bool(false));
	if (!e)
		e = implicit_call(ctx, args, result);
	if (!e && !(e = db_begin(ctx, true, &t))) {
		if (!(e = obj_set(t, CLS_VIF, xv_s(*result), "MAC_autogenerated", xv_bool(gen))))
			e = db_commit(t);
		else
			store_rollback(t);
	}
	net_unlock();
	return e;
}

/* The checks plug/unplug/destroy share; *rec and *dom filled. */
static xerr *vif_begin(call_ctx *ctx, const char *vif, txn **t, xv **rec, int64_t *dom)
{
	xerr *e = db_begin(ctx, true, t);
	if (e)
		return e;
	if ((e = check_ref(*t, CLS_VIF, vif)) || (e = store_get_record(*t, CLS_VIF, vif, rec))) {
		*t = store_rollback(*t);
		return e;
	}
	*dom = live_domid(*t, net_rec_str(*rec, "VM"));
	return NULL;
}

xerr *op_VIF_destroy(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *rec = NULL;
	int64_t dom;
	xerr *e = vif_begin(ctx, vif, &t, &rec, &dom);
	if (e) {
		net_unlock();
		return e;
	}
	bool att = net_rec_bool(rec, "currently_attached") && dom >= 0;
	store_rollback(t);
	if (att)
		e = xerr_new("OPERATION_NOT_ALLOWED",
			     "the VIF is plugged into a running VM: unplug it first", NULL);
	if (!e)
		e = implicit_call(ctx, args, result);
	xv_free(rec);
	net_unlock();
	return e;
}

/* Is vm the control domain? */
static bool is_dom0(txn *t, const char *vm)
{
	xv *cd = obj_get(t, CLS_VM, vm, "is_control_domain");
	bool r = cd && cd->kind == XV_BOOL && cd->u.b;
	xv_free(cd);
	return r;
}

/* Sets currently_attached of vif in a txn of its own. */
static xerr *set_attached(call_ctx *ctx, const char *vif, bool val)
{
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (e)
		return e;
	if ((e = obj_set(t, CLS_VIF, vif, "currently_attached", xv_bool(val)))) {
		store_rollback(t);
		return e;
	}
	return db_commit(t);
}

/*
 * VIF.plug: the port (and tap) first, then for a guest QEMU's netdev and
 * NIC (QMP, with no txn open, as the disks do), then currently_attached;
 * a failure takes back what was done. The network lock is held
 * throughout, so a stop of the VM (vm_vifs_stopped) waits for it.
 */
xerr *op_VIF_plug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vif = xv_s(args[0]);
	net_lock();
	txn *t;
	xv *rec = NULL;
	int64_t dom;
	xerr *e = vif_begin(ctx, vif, &t, &rec, &dom);
	if (e) {
		net_unlock();
		return e;
	}
	const char *vm = net_rec_str(rec, "VM");
	bool guest = false;
	xo_nic nic = { 0 };
	char *vm_uuid = NULL;
	if (dom < 0) {
		char *p = obj_get_str(t, CLS_VM, vm, "power_state");
		for (char *c = p; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		e = xerr_new("VM_BAD_POWER_STATE", vm, "running", p, NULL);
		free(p);
	} else if (net_rec_bool(rec, "currently_attached")) {
		e = xerr_new("DEVICE_ALREADY_ATTACHED", vif, NULL);
	} else if (!is_dom0(t, vm)) {
		guest = true;
		vm_uuid = obj_get_str(t, CLS_VM, vm, "uuid");
		nic.device = hx_strdup(net_rec_str(rec, "device"));
		nic.mac = hx_strdup(net_rec_str(rec, "MAC"));
		nic.mtu = net_rec_int(rec, "MTU");
	}
	if (!e)
		e = vif_port_up(t, vif, dom);
	char *ifn = dom >= 0 ? vif_ifname(dom, net_rec_str(rec, "device")) : NULL;
	if (!e && guest) {
		store_rollback(t);
		t = NULL;
		nic.ifname = hx_strdup(ifn);
		e = xo_nic_hotplug(vm_uuid, &nic);
		if (!e && (e = set_attached(ctx, vif, true)))
			xerr_free(xo_nic_unplug(vm_uuid, nic.device, true));
	} else if (!e) {
		if (!(e = obj_set(t, CLS_VIF, vif, "currently_attached", xv_bool(true)))) {
			e = db_commit(t);
			t = NULL;
		}
	}
	if (e && ifn && !net_rec_bool(rec, "currently_attached"))
		vif_port_down(ifn);
	free(ifn);
	free(vm_uuid);
	xo_nic_clear(&nic);
	store_rollback(t);
	xv_free(rec);
	net_unlock();
	return e;
}

static xerr *unplug(call_ctx *ctx, const char *vif, bool force)
{
	net_lock();
	txn *t;
	xv *rec = NULL;
	int64_t dom;
	xerr *e = vif_begin(ctx, vif, &t, &rec, &dom);
	if (e) {
		net_unlock();
		return e;
	}
	const char *vm = net_rec_str(rec, "VM");
	if (!net_rec_bool(rec, "currently_attached"))
		e = xerr_new("DEVICE_ALREADY_DETACHED", vif, NULL);
	bool guest = !e && dom >= 0 && !is_dom0(t, vm);
	char *vm_uuid = guest ? obj_get_str(t, CLS_VM, vm, "uuid") : NULL;
	store_rollback(t);
	/* The guest lets go of the NIC first, then the port goes. */
	if (guest)
		e = xo_nic_unplug(vm_uuid, net_rec_str(rec, "device"), force);
	if (!e && dom >= 0) {
		char *ifn = vif_ifname(dom, net_rec_str(rec, "device"));
		vif_port_down(ifn);
		free(ifn);
	}
	if (!e)
		e = set_attached(ctx, vif, false);
	free(vm_uuid);
	xv_free(rec);
	net_unlock();
	return e;
}

xerr *op_VIF_unplug(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return unplug(ctx, xv_s(args[0]), false);
}

xerr *op_VIF_unplug_force(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return unplug(ctx, xv_s(args[0]), true);
}

xerr *op_VIF_move(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	const char *vif = xv_s(args[0]), *net = xv_s(args[1]);
	net_lock();
	txn *t;
	xv *rec = NULL;
	int64_t dom;
	xerr *e = vif_begin(ctx, vif, &t, &rec, &dom);
	if (e) {
		net_unlock();
		return e;
	}
	if (!(e = check_ref(t, CLS_network, net)) &&
	    !(e = obj_set(t, CLS_VIF, vif, "network", xv_str(net))) &&
	    net_rec_bool(rec, "currently_attached") && dom >= 0)
		e = vif_port_up(t, vif, dom); /* the port changes bridge */
	return net_end(t, rec, e);
}

/* Sets field of vif to val (taken) and re-applies port security. */
static xerr *lock_change(call_ctx *ctx, const char *vif, const char *field, xv *val)
{
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (!e && !(e = check_ref(t, CLS_VIF, vif))) {
		e = obj_set(t, CLS_VIF, vif, field, val);
		val = NULL;
		if (!e)
			e = vif_apply_lock(t, vif);
		if (!e) {
			e = db_commit(t);
			t = NULL;
		}
	}
	xv_free(val);
	store_rollback(t);
	net_unlock();
	return e;
}

xerr *op_VIF_set_locking_mode(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return lock_change(ctx, xv_s(args[0]), "locking_mode", xv_str(xv_s(args[1])));
}

static xerr *set_ips(call_ctx *ctx, xv *const *args, const char *field, int af)
{
	xerr *e = check_ips(args[1], af);
	if (e)
		return e;
	return lock_change(ctx, xv_s(args[0]), field, xv_dup(args[1]));
}

/* Adds or removes one address of the set field. */
static xerr *edit_ips(call_ctx *ctx, xv *const *args, const char *field, int af, bool add)
{
	const char *vif = xv_s(args[0]), *ip = xv_s(args[1]);
	if (add && !ip_ok(af, ip))
		return xerr_new("INVALID_IP_ADDRESS_SPECIFIED", ip, NULL);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (!e && !(e = check_ref(t, CLS_VIF, vif))) {
		xv *cur = obj_get(t, CLS_VIF, vif, field);
		xv *nv = xv_array();
		bool have = false;
		for (size_t i = 0; cur && cur->kind == XV_ARRAY && i < xv_len(cur); i++) {
			const char *s = xv_s(xv_array_get(cur, i));
			if (!strcmp(s, ip)) {
				have = true;
				if (!add)
					continue;
			}
			xv_array_push(nv, xv_str(s));
		}
		if (add && !have)
			xv_array_push(nv, xv_str(ip));
		xv_free(cur);
		if (!(e = obj_set(t, CLS_VIF, vif, field, nv)) && !(e = vif_apply_lock(t, vif))) {
			e = db_commit(t);
			t = NULL;
		}
	}
	store_rollback(t);
	net_unlock();
	return e;
}

xerr *op_VIF_set_ipv4_allowed(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return set_ips(ctx, args, "ipv4_allowed", AF_INET);
}

xerr *op_VIF_set_ipv6_allowed(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return set_ips(ctx, args, "ipv6_allowed", AF_INET6);
}

xerr *op_VIF_add_ipv4_allowed(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return edit_ips(ctx, args, "ipv4_allowed", AF_INET, true);
}

xerr *op_VIF_remove_ipv4_allowed(call_ctx *ctx, const api_msg *m, xv *const *args,
				 xv **result)
{
	return edit_ips(ctx, args, "ipv4_allowed", AF_INET, false);
}

xerr *op_VIF_add_ipv6_allowed(call_ctx *ctx, const api_msg *m, xv *const *args, xv **result)
{
	return edit_ips(ctx, args, "ipv6_allowed", AF_INET6, true);
}

xerr *op_VIF_remove_ipv6_allowed(call_ctx *ctx, const api_msg *m, xv *const *args,
				 xv **result)
{
	return edit_ips(ctx, args, "ipv6_allowed", AF_INET6, false);
}

/* network.set_default_locking_mode: re-applies the network's VIFs. */
xerr *op_network_set_default_locking_mode(call_ctx *ctx, const api_msg *m, xv *const *args,
					  xv **result)
{
	const char *net = xv_s(args[0]);
	net_lock();
	txn *t;
	xerr *e = db_begin(ctx, true, &t);
	if (!e && !(e = check_ref(t, CLS_network, net)) &&
	    !(e = obj_set(t, CLS_network, net, "default_locking_mode", xv_str(xv_s(args[1]))))) {
		size_t n = 0;
		char **vifs = net_find(t, CLS_VIF, "network", net, &n);
		for (size_t i = 0; i < n && !e; i++)
			e = vif_apply_lock(t, vifs[i]);
		net_free_refs(vifs, n);
		if (!e) {
			e = db_commit(t);
			t = NULL;
		}
	}
	store_rollback(t);
	net_unlock();
	return e;
}
