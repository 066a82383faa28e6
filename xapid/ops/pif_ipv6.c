/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A PIF's IPv6 configuration on its bridge device (netcore.h
 * net_ipv6_apply), as XAPI's networkd does it per ipv6_configuration_mode:
 *
 *   None      no DHCPv6 client, no router advertisements, no SLAAC
 *             (accept_ra 0, autoconf 0); global addresses flushed
 *   Static    the same, then the PIF's IPv6 addresses added (and, on the
 *             management PIF, the default route via ipv6_gateway)
 *   Autoconf  SLAAC: accept_ra 2 (RAs are taken even when the host
 *             forwards), autoconf 1; IPv6 is turned off and on again on
 *             the device so that the kernel solicits a router at once
 *             instead of waiting for the next unsolicited advertisement
 *   DHCP      accept_ra 2 (routes from RAs), autoconf 0, and a supervised
 *             DHCPv6 client (dhcp.c) that records its lease in PIF.IPv6
 *
 * Only the global-scope addresses are flushed; the link-local one stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api_ids.h"
#include "dispatch.h"
#include "netcore.h"
#include "ops.h"
#include "util.h"

/* Writes value into /proc/sys/net/ipv6/conf/<dev>/<key>; 0 or -errno. */
static int sysctl6(const char *dev, const char *key, const char *value)
{
	char p[300];
	snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/%s", dev, key);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int r = n == (ssize_t)strlen(value) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return r;
}

static int flush_global(const char *br)
{
	const char *argv[] = { "ip", "-6", "addr", "flush", "dev", br, "scope", "global", NULL };
	return net_ip(argv);
}

int net_ipv6_apply(struct xapid *app, const char *pif, const char *br, const char *mode,
		   const xv *addrs, bool flush, bool client)
{
	if (!net_ifname_ok(br) || !net_link_exists(br))
		return -ENODEV;
	bool autoconf = !strcasecmp(mode, "Autoconf"), dhcp = !strcasecmp(mode, "DHCP");
	if (!dhcp)
		net_dhcp6_stop(pif);
	int r = sysctl6(br, "autoconf", autoconf ? "1" : "0");
	if (!r)
		r = sysctl6(br, "accept_ra", autoconf || dhcp ? "2" : "0");
	if (!r && flush)
		r = flush_global(br);
	if (!r && autoconf && flush) {
		/* Off and on: the link-local address comes back and the kernel
		 * sends a router solicitation. */
		r = sysctl6(br, "disable_ipv6", "1");
		if (!r)
			r = sysctl6(br, "disable_ipv6", "0");
	}
	for (size_t i = 0; !r && !strcasecmp(mode, "Static") && addrs && i < xv_len(addrs); i++) {
		const char *a = xv_s(xv_array_get(addrs, i));
		const char *argv[] = { "ip", "-6", "addr", "replace", a, "dev", br, NULL };
		if (*a)
			r = net_ip(argv);
	}
	if (!r && dhcp && client)
		r = net_dhcp6_start(app, pif, br);
	return r;
}

int net_ipv6_default_route(const char *br, const char *gw)
{
	if (!gw || !*gw)
		return 0;
	const char *argv[] = { "ip", "-6", "route", "replace", "default", "via", gw, "dev", br, NULL };
	int r = net_ip(argv);
	if (r)
		fprintf(stderr, "xapid: network: cannot set the IPv6 default route via %s\n", gw);
	return r;
}

static void apply_pif(struct xapid *app, txn *t, const char *pif, const xv *r, void *arg)
{
	(void)arg;
	const char *mode = net_rec_str(r, "ipv6_configuration_mode");
	if (!net_rec_bool(r, "currently_attached") ||
	    (strcasecmp(mode, "Autoconf") && strcasecmp(mode, "DHCP")))
		return;
	char *br = obj_get_str(t, CLS_network, net_rec_str(r, "network"), "bridge");
	if (*br && net_ipv6_apply(app, pif, br, mode, NULL, false, true))
		fprintf(stderr, "xapid: network: cannot apply IPv6 mode %s on %s\n", mode, br);
	free(br);
}

void net_ipv6_reconcile(struct xapid *app)
{
	net_each_pif(app, apply_pif, NULL);
}
