/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lease line xapid's udhcpc script prints (dhcp_lease.h). Its values
 * come from a DHCP server on the network, so each is checked.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_lease.h"

static bool ipv4_ok(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

bool dhcp_lease_parse(char *line, char **ip, char **mask, char **gw, char **dns)
{
	char *save = NULL;
	char *tag = strtok_r(line, " \n", &save), *kind = strtok_r(NULL, " \n", &save);
	if (!tag || strcmp(tag, "HXDHCP") || !kind || strcmp(kind, "lease"))
		return false;
	*ip = strtok_r(NULL, " \n", &save);
	*mask = strtok_r(NULL, " \n", &save);
	*gw = strtok_r(NULL, " \n", &save);
	*dns = strtok_r(NULL, " \n", &save);
	if (!*ip || !*mask || !*gw || !*dns || strtok_r(NULL, " \n", &save))
		return false;
	if (!ipv4_ok(*ip) || !ipv4_ok(*mask))
		return false;
	if (!strcmp(*gw, "-"))
		*gw = "";
	else if (!ipv4_ok(*gw))
		return false;
	if (!strcmp(*dns, "-")) {
		*dns = "";
		return true;
	}
	char buf[256];
	if (strlen(*dns) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", *dns);
	char *s2 = NULL;
	for (char *p = strtok_r(buf, ",", &s2); p; p = strtok_r(NULL, ",", &s2))
		if (!ipv4_ok(p))
			return false;
	return true;
}

static bool ipv6_ok(const char *s)
{
	struct in6_addr a;
	return inet_pton(AF_INET6, s, &a) == 1;
}

bool dhcp6_lease_parse(char *line, char **addr, char **dns)
{
	char *save = NULL;
	char *tag = strtok_r(line, " \n", &save), *kind = strtok_r(NULL, " \n", &save);
	if (!tag || strcmp(tag, "HXDHCP6") || !kind || strcmp(kind, "lease"))
		return false;
	*addr = strtok_r(NULL, " \n", &save);
	*dns = strtok_r(NULL, " \n", &save);
	if (!*addr || !*dns || strtok_r(NULL, " \n", &save))
		return false;
	char buf[256];
	if (strlen(*addr) >= 64)
		return false;
	snprintf(buf, sizeof(buf), "%s", *addr);
	char *slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash++ = 0;
	size_t nd = strspn(slash, "0123456789");
	if (!nd || nd > 3 || slash[nd] || (nd > 1 && slash[0] == '0'))
		return false;
	int plen = atoi(slash);
	if (plen < 1 || plen > 128 || !ipv6_ok(buf))
		return false;
	if (!strcmp(*dns, "-")) {
		*dns = "";
		return true;
	}
	if (strlen(*dns) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", *dns);
	char *s2 = NULL;
	for (char *p = strtok_r(buf, ",", &s2); p; p = strtok_r(NULL, ",", &s2))
		if (!ipv6_ok(p))
			return false;
	return true;
}
