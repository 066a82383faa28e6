/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the ovs backend installed per port on the switch's OpenFlow
 * tables (port security, rate limit), so that it can put it back after
 * ovs-vswitchd restarted with empty tables. Not thread-safe: the backend
 * holds its lock around every call.
 */
#ifndef HALYARD_NET_OVS_MEMO_H
#define HALYARD_NET_OVS_MEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "netback.h"

typedef struct ovs_memo_port {
	char *name;
	bool has_lock;
	netb_lock mode;
	char *mac;
	char **ipv4, **ipv6; /* NULL-terminated */
	int64_t rate_kbps, burst_kb; /* rate 0: no meter */
} ovs_memo_port;

typedef struct ovs_memo {
	ovs_memo_port *v;
	size_t n;
} ovs_memo;

/* Records port's lock parameters (UNLOCKED forgets them). 0 or -ENOMEM. */
int ovs_memo_set_lock(ovs_memo *m, const char *port, netb_lock mode, const char *mac,
		      const char *const *ipv4, const char *const *ipv6);
/* Records port's rate limit (rate <= 0 forgets it). 0 or -ENOMEM. */
int ovs_memo_set_rate(ovs_memo *m, const char *port, int64_t rate_kbps, int64_t burst_kb);
/* Forgets everything about port. */
void ovs_memo_forget(ovs_memo *m, const char *port);
/* A deep copy of port's record into *out (false when none). */
bool ovs_memo_get(const ovs_memo *m, const char *port, ovs_memo_port *out);
/* The remembered port names (NULL-terminated, heap) or NULL. */
char **ovs_memo_names(const ovs_memo *m);
void ovs_memo_port_clear(ovs_memo_port *p);
void ovs_memo_free(ovs_memo *m);

#endif
