/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal rtnetlink client: one request, one acknowledgement. Used by
 * link.c and the Linux bridge backend. 0 or -errno.
 */
#ifndef HALYARD_NET_NL_H
#define HALYARD_NET_NL_H

/* The ifindex of a link (0 when absent). */
int nl_ifindex(const char *name);
/* RTM_DELLINK. */
int nl_link_del(int ifindex);
/* RTM_NEWLINK of kind ("bridge" …) named name. */
int nl_link_add(const char *name, const char *kind);
/* Sets a link's master (0 = none). */
int nl_link_set_master(int ifindex, int master);
/* The ifindex of a link's master (0 = none, -errno). */
int nl_link_master(int ifindex);

#endif
