/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel links by name (see netback.h): tap devices through /dev/net/tun,
 * flags and MTU through ioctls, deletion through rtnetlink (nl.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netback.h"
#include "nl.h"

bool net_ifname_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool net_link_exists(const char *name)
{
	return net_ifname_ok(name) && nl_ifindex(name) > 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	char tail;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			 &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int r = ioctl(s, req, ifr) ? -errno : 0;
	close(s);
	return r;
}

int net_tap_create(const char *name, const char *mac)
{
	if (!net_ifname_ok(name))
		return -EINVAL;
	unsigned char hw[6];
	if (mac && parse_mac(mac, hw))
		return -EINVAL;
	if (!net_link_exists(name)) {
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		struct ifreq ifr = { 0 };
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		int r = 0;
		if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1))
			r = -errno;
		close(fd);
		if (r)
			return r;
	}
	if (mac) {
		struct ifreq ifr = { 0 };
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, hw, 6);
		/* The host side of a VIF: XAPI gives it fe:ff:ff:ff:ff:ff so
		 * the bridge never learns the guest's MAC from it; we keep the
		 * guest's MAC on the guest side only, likewise. */
		ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
		int r = ifreq_ioctl(SIOCSIFHWADDR, &ifr);
		if (r)
			return r;
	}
	return 0;
}

int net_link_set_up(const char *name, bool up)
{
	if (!net_ifname_ok(name))
		return -EINVAL;
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int r = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (r)
		return r;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int net_link_set_mtu(const char *name, int mtu)
{
	if (!net_ifname_ok(name) || mtu < 68 || mtu > 65535)
		return -EINVAL;
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	return ifreq_ioctl(SIOCSIFMTU, &ifr);
}

int net_link_del(const char *name)
{
	if (!net_ifname_ok(name))
		return -EINVAL;
	int idx = nl_ifindex(name);
	if (idx <= 0)
		return 0;
	int r = nl_link_del(idx);
	return r == -ENODEV ? 0 : r;
}
