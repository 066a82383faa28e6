/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lease report of xapid's DHCP client script (xapid/ops/dhcp.c):
 *
 *   HXDHCP lease <ip> <netmask> <gateway or -> <dns,dns… or ->
 *
 * dhcp_lease_parse splits line (modified in place) into its fields, each
 * a dotted IPv4 address ("" for "-"); false when the line is anything
 * else or a value is malformed.
 */
#ifndef HALYARD_NET_DHCP_LEASE_H
#define HALYARD_NET_DHCP_LEASE_H

#include <stdbool.h>

bool dhcp_lease_parse(char *line, char **ip, char **mask, char **gw, char **dns);

/*
 * The DHCPv6 client script's report (dhclient -6, xapid/ops/dhcp.c):
 *
 *   HXDHCP6 lease <address>/<prefix length> <dns,dns… or ->
 *
 * dhcp6_lease_parse splits line (modified in place): *addr is the
 * address with its prefix length (1..128), *dns a comma list of IPv6
 * addresses ("" for "-"); false when the line is anything else or a
 * value is malformed.
 */
bool dhcp6_lease_parse(char *line, char **addr, char **dns);

#endif
