/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Linux bridge backend (where Open vSwitch is absent): bridges and
 * ports through rtnetlink. VLAN tags, bonds, tunnels, QoS and port
 * security answer -EOPNOTSUPP with a reason (see netback.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netback.h"
#include "nl.h"

static char *estr(const char *what, const char *name, int r)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s: %s", what, name, strerror(-r)) < 0)
		return NULL;
	return s;
}

static void seterr(char **err, char *msg)
{
	if (err && !*err)
		*err = msg;
	else
		free(msg);
}

static void close_br(netb *b)
{
	free(b);
}

static int bridge_add(netb *b, const char *br, int mtu, char **err)
{
	if (!net_ifname_ok(br))
		return -EINVAL;
	int r = nl_ifindex(br) > 0 ? 0 : nl_link_add(br, "bridge");
	if (!r && mtu > 0)
		r = net_link_set_mtu(br, mtu);
	if (!r)
		r = net_link_set_up(br, true);
	if (r)
		seterr(err, estr("cannot create bridge", br, r));
	return r;
}

static int bridge_del(netb *b, const char *br, char **err)
{
	int r = net_link_del(br);
	if (r)
		seterr(err, estr("cannot delete bridge", br, r));
	return r;
}

static int list_dir(const char *path, char ***names, size_t *n)
{
	DIR *d = opendir(path);
	size_t cap = 8, k = 0;
	char **v = calloc(cap + 1, sizeof(char *));
	if (!v) {
		if (d)
			closedir(d);
		return -ENOMEM;
	}
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		if (k == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[k++] = strdup(e->d_name);
		v[k] = NULL;
	}
	if (d)
		closedir(d);
	*names = v;
	*n = k;
	return 0;
}

static int bridge_list(netb *b, char ***names, size_t *n, char **err)
{
	char **all = NULL;
	size_t k = 0;
	int r = list_dir("/sys/class/net", &all, &k);
	if (r)
		return r;
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		char p[300];
		snprintf(p, sizeof(p), "/sys/class/net/%s/bridge", all[i]);
		FILE *f = fopen(p, "r");
		DIR *d = opendir(p);
		if (f)
			fclose(f);
		if (d) {
			closedir(d);
			all[m++] = all[i];
		} else {
			free(all[i]);
		}
	}
	all[m] = NULL;
	*names = all;
	*n = m;
	return 0;
}

static int port_add(netb *b, const char *br, const netb_port *p, char **err)
{
	if (p->type != NETB_PORT_SYSTEM || p->tag > 0 || p->rate_kbps > 0) {
		seterr(err, estr("the Linux bridge backend cannot add this kind of port",
				 p->name, -EOPNOTSUPP));
		return -EOPNOTSUPP;
	}
	int bi = nl_ifindex(br), pi = nl_ifindex(p->name);
	if (bi <= 0 || pi <= 0) {
		seterr(err, estr("no such link", bi <= 0 ? br : p->name, -ENODEV));
		return -ENOENT;
	}
	int r = nl_link_set_master(pi, bi);
	if (!r)
		r = net_link_set_up(p->name, true);
	if (r)
		seterr(err, estr("cannot add port", p->name, r));
	return r;
}

static int port_del(netb *b, const char *port, char **err)
{
	int pi = nl_ifindex(port);
	if (pi <= 0)
		return 0;
	int r = nl_link_set_master(pi, 0);
	if (r)
		seterr(err, estr("cannot remove port", port, r));
	return r;
}

static int port_list(netb *b, const char *br, char ***names, size_t *n, char **err)
{
	char p[300];
	snprintf(p, sizeof(p), "/sys/class/net/%s/brif", br);
	if (nl_ifindex(br) <= 0) {
		seterr(err, estr("no bridge", br, -ENOENT));
		return -ENOENT;
	}
	return list_dir(p, names, n);
}

static int bond_add(netb *b, const char *br, const char *bond, const char *const *members,
		    const char *mode, const char *const *props, char **err)
{
	seterr(err, estr("bonds need Open vSwitch", bond, -EOPNOTSUPP));
	return -EOPNOTSUPP;
}

static int bond_set_mode(netb *b, const char *bond, const char *mode, char **err)
{
	seterr(err, estr("bonds need Open vSwitch", bond, -EOPNOTSUPP));
	return -EOPNOTSUPP;
}

static int port_set_qos(netb *b, const char *port, int64_t rate_kbps, int64_t burst_kb,
			char **err)
{
	if (rate_kbps <= 0)
		return 0;
	seterr(err, estr("QoS needs Open vSwitch", port, -EOPNOTSUPP));
	return -EOPNOTSUPP;
}

static int port_set_lock(netb *b, const char *br, const char *port, netb_lock mode,
			 const char *mac, const char *const *ipv4, const char *const *ipv6,
			 char **err)
{
	if (mode == NETB_LOCK_UNLOCKED)
		return 0;
	seterr(err, estr("port locking needs Open vSwitch", port, -EOPNOTSUPP));
	return -EOPNOTSUPP;
}

static const netb_ops linuxbr_ops = {
	.name = "bridge",
	.close = close_br,
	.bridge_add = bridge_add,
	.bridge_del = bridge_del,
	.bridge_list = bridge_list,
	.port_add = port_add,
	.port_del = port_del,
	.port_list = port_list,
	.bond_add = bond_add,
	.bond_set_mode = bond_set_mode,
	.port_set_qos = port_set_qos,
	.port_set_lock = port_set_lock,
};

int netb_linuxbr_open(netb **out, char **err)
{
	netb *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = &linuxbr_ops;
	*out = b;
	return 0;
}
