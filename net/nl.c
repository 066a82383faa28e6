/* SPDX-License-Identifier: Apache-2.0 */
/* rtnetlink requests (see nl.h). */
#include "nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[256];
};

static void put_attr(struct req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends r and waits for its ack (or, with reply, the first answer). */
static int talk(struct req *r, struct ifinfomsg *reply, int *master)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	r->nh.nlmsg_seq = 1;
	if (sendto(s, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(s);
		return e;
	}
	char buf[8192];
	int res = -EIO;
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			res = -errno;
			break;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(h, (unsigned)n))
			break;
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			res = e->error;
			break;
		}
		if (h->nlmsg_type == RTM_NEWLINK && reply) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			*reply = *ifi;
			if (master) {
				*master = 0;
				int len = (int)IFLA_PAYLOAD(h);
				for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
				     a = RTA_NEXT(a, len))
					if (a->rta_type == IFLA_MASTER)
						*master = *(int *)RTA_DATA(a);
			}
			res = 0;
			break;
		}
	}
	close(s);
	return res;
}

static void init(struct req *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r->nh.nlmsg_type = (unsigned short)type;
	r->nh.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	r->ifi.ifi_family = AF_UNSPEC;
}

int nl_ifindex(const char *name)
{
	return (int)if_nametoindex(name);
}

int nl_link_del(int ifindex)
{
	struct req r;
	init(&r, RTM_DELLINK, NLM_F_ACK);
	r.ifi.ifi_index = ifindex;
	return talk(&r, NULL, NULL);
}

int nl_link_add(const char *name, const char *kind)
{
	struct req r;
	init(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	put_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	struct rtattr *li = (struct rtattr *)((char *)&r + NLMSG_ALIGN(r.nh.nlmsg_len));
	put_attr(&r, IFLA_LINKINFO, NULL, 0);
	put_attr(&r, IFLA_INFO_KIND, kind, strlen(kind));
	li->rta_len = (unsigned short)((char *)&r + r.nh.nlmsg_len - (char *)li);
	return talk(&r, NULL, NULL);
}

int nl_link_set_master(int ifindex, int master)
{
	struct req r;
	init(&r, RTM_NEWLINK, NLM_F_ACK);
	r.ifi.ifi_index = ifindex;
	uint32_t m = (uint32_t)master;
	put_attr(&r, IFLA_MASTER, &m, sizeof(m));
	return talk(&r, NULL, NULL);
}

int nl_link_master(int ifindex)
{
	struct req r;
	init(&r, RTM_GETLINK, 0);
	r.ifi.ifi_index = ifindex;
	struct ifinfomsg out;
	int master = 0;
	int e = talk(&r, &out, &master);
	return e ? e : master;
}
