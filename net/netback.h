/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network backends behind one vtable: what xapid's network objects
 * (networks, PIFs, VLANs, bonds, tunnels, VIFs) need from the switch.
 *
 *   ovs     Open vSwitch through OVSDB JSON-RPC on its unix socket
 *           (ovsdb.c, our own client on json-c) plus OpenFlow rules for
 *           VIF port security (ovs.c, OpenFlow through ofp.c).
 *   bridge  Linux bridges through rtnetlink (linuxbr.c): bridges and
 *           ports only (no VLAN tags, bonds, tunnels, QoS or port
 *           security: those answer -EOPNOTSUPP).
 *
 * Every function returns 0 or a negative errno; on failure *err (when
 * err is not NULL) receives a heap string saying why. Names are kernel
 * interface names (at most 15 bytes). Thread-safe.
 */
#ifndef HALYARD_NET_NETBACK_H
#define HALYARD_NET_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct netb netb;

/* What a port is. */
typedef enum {
	NETB_PORT_SYSTEM,   /* an existing kernel device (NIC, veth, tap) */
	NETB_PORT_INTERNAL, /* a device the switch creates (fake bridge) */
	NETB_PORT_VXLAN,
	NETB_PORT_GRE,
} netb_port_type;

typedef struct netb_port {
	const char *name;
	netb_port_type type;
	int tag;               /* 802.1Q access tag 1..4094, 0 = untagged */
	const char *remote_ip; /* tunnels */
	const char *key;       /* tunnels: VNI / GRE key, NULL = none */
	int64_t rate_kbps;     /* ingress policing (from the port), 0 = off */
	int64_t burst_kb;
	/* external_ids: NULL-terminated key, value, key, value … */
	const char *const *ids;
} netb_port;

/* Port security of a VIF port (OpenFlow anti-spoofing). */
typedef enum {
	NETB_LOCK_UNLOCKED, /* everything passes */
	NETB_LOCK_LOCKED,   /* only the MAC and the listed addresses */
	NETB_LOCK_DISABLED, /* everything from the port is dropped */
} netb_lock;

typedef struct netb_ops {
	const char *name;
	void (*close)(netb *b);
	int (*bridge_add)(netb *b, const char *br, int mtu, char **err);
	int (*bridge_del)(netb *b, const char *br, char **err);
	/* The bridge names the switch has (heap array of heap strings). */
	int (*bridge_list)(netb *b, char ***names, size_t *n, char **err);
	/* Adds port p to br, or reconciles an existing port of that name:
	 * one already on br is kept (same switch rows, no blip) with only
	 * what differs changed; one elsewhere moves. An internal port
	 * replaces a standalone bridge of its name (a fake bridge).
	 * -ENOENT when br is not on the switch. */
	int (*port_add)(netb *b, const char *br, const netb_port *p, char **err);
	/* Removes the port from whatever bridge holds it; 0 when absent. */
	int (*port_del)(netb *b, const char *port, char **err);
	/* The ports on br (not br's own internal port). */
	int (*port_list)(netb *b, const char *br, char ***names, size_t *n, char **err);
	/* A bond of members on br; mode "active-backup", "balance-slb" or
	 * "lacp"; props NULL-terminated key, value … (other_config). */
	int (*bond_add)(netb *b, const char *br, const char *bond, const char *const *members,
			const char *mode, const char *const *props, char **err);
	int (*bond_set_mode)(netb *b, const char *bond, const char *mode, char **err);
	int (*port_set_qos)(netb *b, const char *port, int64_t rate_kbps, int64_t burst_kb,
			    char **err);
	/* ipv4/ipv6: NULL-terminated address lists (locked mode). */
	int (*port_set_lock)(netb *b, const char *br, const char *port, netb_lock mode,
			     const char *mac, const char *const *ipv4, const char *const *ipv6,
			     char **err);
	/* Returns once the switch has applied every change made so far
	 * (NULL: changes are applied when a call returns). */
	int (*settle)(netb *b, char **err);
} netb_ops;

struct netb {
	const netb_ops *ops;
};

/* Opens the ovs backend on the OVSDB unix socket at db_sock; rundir is
 * where the bridges' OpenFlow management sockets are (<br>.mgmt). */
int netb_ovs_open(const char *db_sock, const char *rundir, netb **out, char **err);
/* Opens the Linux bridge backend (needs CAP_NET_ADMIN). */
int netb_linuxbr_open(netb **out, char **err);
/* ovs_hwaddr.c: sets Bridge br's other_config:hwaddr (the MAC of its
 * internal port) through the OVSDB at db_sock; applied with the next
 * change that waits for ovs-vswitchd. */
int netb_ovs_bridge_hwaddr(const char *db_sock, const char *br, const char *mac, char **err);

/*
 * Changes return once the switch's database has them; the datapath (ovs:
 * ovs-vswitchd) may apply them a little later, many at once. Devices a
 * change creates (a bridge's or fake bridge's internal port) are brought
 * up by the backend when they appear. A caller that needs the datapath
 * to have applied everything so far (a port gone before its device is
 * deleted, a kernel device configured) calls netb_settle; the OpenFlow
 * calls (port_set_qos, port_set_lock) settle by themselves.
 */
int netb_settle(netb *b, char **err);
/* Closes any backend; accepts NULL and returns NULL. */
netb *netb_close(netb *b);

/* ---- helpers on kernel links (link.c), used by both backends and xapid */

/* Creates a persistent tap device name (the MAC aa:bb:… or NULL) owned
 * by no one; 0 when it exists already. */
int net_tap_create(const char *name, const char *mac);
/* Deletes a link by name; 0 when it does not exist. */
int net_link_del(const char *name);
/* Sets a link up or down. */
int net_link_set_up(const char *name, bool up);
/* Sets the MTU of a link. */
int net_link_set_mtu(const char *name, int mtu);
/* True when a link of that name exists. */
bool net_link_exists(const char *name);
/* A valid interface name (1..15 bytes of [A-Za-z0-9._-]). */
bool net_ifname_ok(const char *name);

#endif
