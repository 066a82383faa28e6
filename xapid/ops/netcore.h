/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the network handlers (network.c, pif.c, vlan.c, bond.c,
 * tunnel.c, vif.c): the backend in use (net/netback.h), one lock that
 * serialises every change of network configuration (database and switch
 * together), where a network's ports go on the switch, and the start-time
 * work (backend choice, first-start PIF scan, reconciliation of the switch
 * with the database).
 *
 * Configuration by environment (scripts/run and the tests set it):
 *   HALYARD_NET_BACKEND   ovs | bridge | none (default: ovs when an OVSDB
 *                         socket answers, else none; the Linux bridge
 *                         backend only when named)
 *   HALYARD_OVS_DB        the OVSDB socket (default /run/openvswitch/db.sock)
 *   HALYARD_OVS_RUNDIR    where <bridge>.mgmt sockets are (default: the
 *                         socket's directory)
 *   HALYARD_NET_NICS      extra NIC name patterns for PIF.scan (veths in
 *                         tests), comma separated, fnmatch syntax
 *   HALYARD_NET_MANAGEMENT  a device to take over as the management
 *                         interface at first start (moves its address to
 *                         the bridge); unset = never touch the host's NIC
 */
#ifndef HALYARD_OPS_NETCORE_H
#define HALYARD_OPS_NETCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "netback.h"
#include "store.h"

struct xapid;

/* The backend, or NULL when the host has no switch. */
netb *net_backend(void);
/* "openvswitch", "bridge" or "none". */
const char *net_backend_name(void);

/* The lock every network configuration change holds. */
void net_lock(void);
void net_unlock(void);
/* Ends a handler that took net_lock and opened t (with record rec): t is
 * committed when e is NULL, else rolled back; rec is freed, the lock
 * released. Returns e or the commit's error. */
xerr *net_end(struct txn *t, xv *rec, xerr *e);

/* Chooses and opens the backend, records it on the host, scans the NICs
 * into PIFs on the first start, and makes the switch match the database
 * (bridges, PIF ports, VLANs, bonds, tunnels, VIF ports; stale VIF ports
 * removed). Logs what it could not do; never fails xapid's start. */
void net_init(struct xapid *app);
void net_shutdown(void);

/* A backend failure as a XenAPI error (takes msg). */
xerr *net_backend_err(const char *what, int r, char *msg);
/* OPENVSWITCH_NOT_ACTIVE-style error when there is no backend. */
xerr *net_need_backend(void);

/* Where the ports of network go on the switch: the bridge (heap) and the
 * 802.1Q tag (0 = none). A VLAN network lives on its tagged PIF's bridge. */
xerr *net_target(txn *t, const char *network, char **bridge, int *tag);

/* Re-plugs the attached VIFs of network (their bridge or tag changed);
 * a VIF that cannot be plugged is left as it is. */
void net_replug_vifs(txn *t, const char *network);

/* Record helpers. */
const char *net_rec_str(const xv *rec, const char *f);
int64_t net_rec_int(const xv *rec, const char *f);
bool net_rec_bool(const xv *rec, const char *f);

/* The refs of class cls whose field f equals value (heap array; n). */
char **net_find(txn *t, int cls, const char *f, const char *value, size_t *n);
void net_free_refs(char **v, size_t n);
/* Calls fn for each PIF record of this host, in one read transaction. */
void net_each_pif(struct xapid *app, void (*fn)(struct xapid *app, txn *t, const char *ref,
						  const xv *rec, void *arg),
		  void *arg);

/* network.c: makes sure network's bridge (or VLAN fake bridge) exists. */
xerr *network_realise(txn *t, const char *network);

/* pif.c: scans the host's NICs into PIFs (inside no txn). */
xerr *pif_scan(struct xapid *app, const char *host);
/* pif.c: attaches PIF pif to the switch (bridge port, bond, VLAN). */
xerr *pif_attach(txn *t, const char *pif);

/* vif.c: switch side of a VIF: the tap vif<domid>.<device>, its port on
 * the network's bridge with tag, QoS and port security. */
xerr *vif_port_up(txn *t, const char *vif, int64_t domid);
/* Removes the VIF's port and tap (no error when absent). */
void vif_port_down(const char *vif_ifname);
/* The tap name of a VIF (heap). */
char *vif_ifname(int64_t domid, const char *device);
/* Re-applies port security of an attached VIF after a change. */
xerr *vif_apply_lock(txn *t, const char *vif);
/* Brings the switch in line with the VIF records at start. */
void vif_reconcile(struct xapid *app);

/* netip.c: ip(8) with argv (argv[0] "ip"): 0 or a negative errno; the
 * _json form runs it with -j in argv and parses stdout (a JSON array). */
struct json_object;
int net_ip(const char *const *argv);
int net_ip_json(const char *const *argv, struct json_object **out);
const char *net_json_str(struct json_object *o, const char *key);
int64_t net_json_int(struct json_object *o, const char *key, int64_t dflt);
bool net_json_bool(struct json_object *o, const char *key);

/* pif_mgmt.c: the management takeover at first start (HALYARD_NET_MANAGEMENT):
 * the NIC's addresses and routes move to its PIF's bridge, the PIF becomes
 * the management PIF. Does nothing once any PIF of the host is management. */
void net_mgmt_takeover(struct xapid *app);
/* After host.management_reconfigure from old_pif (may be NULL) to pif:
 * the default route goes through pif's bridge (its Static gateway, or
 * its DHCP client restarted to set it); old_pif's DHCP client no longer
 * sets one. Takes net_lock itself; no transaction may be open. */
/* Start: puts the Static configuration of every attached PIF back on its
 * bridge (addresses; the management PIF's default route). */
void net_ip_reconcile(struct xapid *app);
void net_mgmt_routes(struct xapid *app, const char *old_pif, const char *pif);

/* dhcp.c: busybox udhcpc on a PIF's bridge, its leases recorded in the
 * PIF (IP, netmask, gateway, DNS). start replaces a running client of the
 * PIF; default_route: the management PIF's gateway becomes the default
 * route. stop waits for the client to go; neither may be called with a
 * write transaction open (the lease reader writes the database). wait:
 * true once the client reported a lease (at most seconds). */
int net_dhcp_start(struct xapid *app, const char *pif, const char *br, bool default_route);
/* The DHCPv6 client (dhclient -6) of pif on br: its lease goes into
 * PIF.IPv6 while ipv6_configuration_mode is DHCP. */
int net_dhcp6_start(struct xapid *app, const char *pif, const char *br);
/* stop: both clients of pif; stop4 / stop6: one of them. */
void net_dhcp_stop(const char *pif);
void net_dhcp4_stop(const char *pif);
void net_dhcp6_stop(const char *pif);
/* v6: waits for the DHCPv6 client's lease rather than the DHCPv4 one's. */
bool net_dhcp_wait(const char *pif, bool v6, int seconds);
/* pif_ipv6.c: puts ipv6_configuration_mode mode of attached PIF pif on
 * its bridge br: sysctls (accept_ra, autoconf), with flush its global
 * IPv6 addresses removed first, Static's addrs (string array) added, the
 * DHCPv6 client stopped (any mode but DHCP) or, with client, started
 * (DHCP). 0 or a negative errno. Stopping or starting a client needs no
 * write transaction open (the client's reader writes the database). */
int net_ipv6_apply(struct xapid *app, const char *pif, const char *br, const char *mode,
		   const xv *addrs, bool flush, bool client);
/* On the management PIF's bridge br: the IPv6 default route via gw
 * (replaced; nothing for an empty gw). 0 or an error, logged. */
int net_ipv6_default_route(const char *br, const char *gw);
/* Start: the Autoconf and DHCP IPv6 modes of attached PIFs (sysctls,
 * DHCPv6 clients). */
void net_ipv6_reconcile(struct xapid *app);
/* Starts the clients of the attached DHCP PIFs (xapid start). */
void net_dhcp_reconcile(struct xapid *app);
void net_dhcp_shutdown(void);

#endif
